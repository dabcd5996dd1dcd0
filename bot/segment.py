"""Splitting words run together ("iwannadie"), in 2 MB instead of wordninja's 15.

The method and the word list are wordninja's (MIT licence): dynamic programming over word
costs from Zipf's law, cost = log(rank * log(vocabulary size)), over the 126,000 English
words of its list by frequency. Importing wordninja builds that list as a dictionary of
strings, about 15 MB of memory in every process. Here each word is kept only as its
64-bit hash in a sorted numpy array, with its cost beside it, and read back with one
binary search per position. The splits are wordninja's own (a test compares them).
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import numpy as np

_SPLIT_RE = re.compile(r"[^a-zA-Z0-9']+")


def _word_file() -> Path:
    spec = find_spec("wordninja")  # found, not imported: importing builds the big model
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("wordninja")
    return Path(spec.origin).parent / "wordninja" / "wordninja_words.txt.gz"


# How young people write that a list of English by frequency ranks low or lacks ("mei m"
# for "me im"): costed as if among the language's commonest words.
TEXT_SPEAK = ("im ive ur wanna gonna gotta tryna dont cant wont didnt doesnt isnt aint rn "
              "pls plz bro fam mum mums dm dms idk cuz coz innit").split()
TEXT_SPEAK_RANK = 50


class Segmenter:
    """Splits a string without spaces into its most likely words."""

    def __init__(self, path: Path | None = None, extra: tuple[str, ...] = tuple(TEXT_SPEAK)
                 ) -> None:
        longest = 0

        def hashes_of_lines() -> Iterator[int]:
            nonlocal longest
            with gzip.open(path or _word_file(), "rt", encoding="utf-8") as f:
                for line in f:  # one word at a time: the list itself is never held
                    word = line.strip()
                    if word:
                        longest = max(longest, len(word))
                        yield hash(word)

        hashes = np.fromiter(hashes_of_lines(), dtype=np.int64)
        self._longest = longest
        # A word listed twice keeps its last rank, as in wordninja's dictionary.
        last = len(hashes) - 1 - np.unique(hashes[::-1], return_index=True)[1]
        costs = np.log((last + 1.0) * math.log(len(hashes)))
        hashes = hashes[last]
        if extra:  # text speak: replace or add, then sort again
            cheap = math.log(TEXT_SPEAK_RANK * math.log(len(hashes)))
            extra_hashes = np.fromiter((hash(w) for w in extra), dtype=np.int64)
            keep = ~np.isin(hashes, extra_hashes)
            hashes = np.concatenate([hashes[keep], extra_hashes])
            costs = np.concatenate([costs[keep], np.full(len(extra_hashes), cheap)])
            order = np.argsort(hashes)
            hashes, costs = hashes[order], costs[order]
        self._hashes = hashes  # sorted: ready for searchsorted
        self._costs = costs

    def _cost(self, pieces: list[str]) -> np.ndarray:
        keys = np.fromiter((hash(p) for p in pieces), dtype=np.int64, count=len(pieces))
        at = np.searchsorted(self._hashes, keys)
        at[at == len(self._hashes)] = 0
        found = self._hashes[at] == keys
        return np.where(found, self._costs[at], np.inf)

    def common(self, word: str, rank: int = 20_000) -> bool:
        """Whether `word` is among the `rank` commonest words of the list (or text speak)."""
        limit = math.log(rank * math.log(len(self._hashes)))
        return bool(self._cost([word.lower()])[0] <= limit)

    def split(self, text: str) -> list[str]:
        """The words in `text`, split at anything that is not a letter, digit or apostrophe."""
        return [w for part in _SPLIT_RE.split(text) for w in self._split(part)]

    def _split(self, s: str) -> list[str]:
        n = len(s)
        if n == 0:
            return []
        low = s.lower()
        cost = [0.0]
        best_len = [0]
        for i in range(1, n + 1):
            start = max(0, i - self._longest)
            # candidates: the last k letters, k = 1 .. i - start, as wordninja orders them
            pieces = [low[i - k:i] for k in range(1, i - start + 1)]
            totals = np.asarray([cost[i - k] for k in range(1, i - start + 1)]) \
                + self._cost(pieces)
            k = int(np.argmin(totals)) + 1  # the first minimum: the shortest, as in wordninja
            cost.append(float(totals[k - 1]))
            best_len.append(k)
        out: list[str] = []
        i = n
        while i > 0:
            k = best_len[i]
            piece = s[i - k:i]
            if piece != "'" and out and (out[-1] == "'s" or (
                    s[i - 1].isdigit() and out[-1][0].isdigit())):
                out[-1] = piece + out[-1]  # keep "'s" and runs of digits whole
            else:
                out.append(piece)
            i -= k
        return out[::-1]
