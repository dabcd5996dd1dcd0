"""rank(text, catalogue) -> list[Candidate]; pure, no I/O, deterministic.

Each intent is scored from three kinds of evidence, all on 0-100:

* char: rapidfuzz ratio between the message's sorted words and each example's sorted
  words (cheap, forgiving of word order and small spelling slips);
* word: IDF-weighted overlap (weighted Dice) between the message's words and each
  example's words; IDF is computed across intents so words that belong to one intent
  dominate and words every intent uses count for little;
* cover: how much of the message's informative weight the intent's whole vocabulary
  (examples plus keywords) explains; this lets the engine answer phrasings that share
  words with several examples but match none of them closely.

Per intent we take the mean of the best two example scores (char and word blended) and
mix in cover. Messages close to an intent's negative example are pushed down.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from bot.text import STOPWORDS, Normalised, Normaliser

if TYPE_CHECKING:
    from bot.catalogue import Catalogue

W_CHAR = 0.6  # share of example similarity that comes from characters (rest: words)
W_COVER = 0.3  # share of the final score that comes from intent-level word cover
TOP_K = 1  # example scores averaged per intent (the best k)
COVER_SATURATION = 2  # a word seen in this many of an intent's examples counts fully
EXACT_SCORE = 95.0  # floor for a message that equals an example once normalised
NEGATIVE_CUTOFF = 88.0  # a message this close to a negative example is not that intent


@dataclass(frozen=True, slots=True)
class Candidate:
    """One intent's score for a message."""

    intent_id: str
    score: float  # 0..100
    example: str  # the catalogue example that scored best
    char: float = 0.0
    word: float = 0.0
    cover: float = 0.0


@dataclass(slots=True)
class Index:
    """Everything precomputed from a catalogue that matching needs."""

    normaliser: Normaliser
    intent_ids: list[str]
    starts: np.ndarray  # first example row of each intent
    owner: np.ndarray  # intent number of each example row
    examples: list[str]  # original example text per row
    sorted_text: list[str]  # normalised, sorted words per row
    row_weight: np.ndarray  # total IDF weight of each row's content words
    postings: dict[str, np.ndarray]  # word -> rows containing it
    idf: dict[str, float]
    intent_vocab: list[dict[str, float]]  # word -> 0..1 how typical it is of the intent
    negatives: dict[int, list[str]]  # intent number -> sorted normalised negatives
    default_idf: float
    w_char: float = W_CHAR
    w_cover: float = W_COVER
    top_k: int = TOP_K

    @classmethod
    def build(cls, cat: Catalogue) -> Index:
        return cls.from_examples(
            {i.id: list(i.examples) for i in cat.intents.values()},
            lexicon=cat.lexicon,
            keywords={i.id: list(i.keywords) for i in cat.intents.values()},
            negatives={i.id: list(i.negative_examples) for i in cat.intents.values()},
        )

    @classmethod
    def from_examples(
        cls,
        examples: dict[str, list[str]],
        lexicon: dict[str, str] | None = None,
        keywords: dict[str, list[str]] | None = None,
        negatives: dict[str, list[str]] | None = None,
    ) -> Index:
        """Build an index from plain example lists (also used by the benchmarks)."""
        lexicon = lexicon or {}
        keywords = keywords or {}
        negatives = negatives or {}
        plain = Normaliser(lexicon=lexicon)
        norm_examples = {k: [plain.normalise(e) for e in v] for k, v in examples.items()}
        norm_keywords = {k: [plain.normalise(w) for w in v] for k, v in keywords.items()}
        vocab: set[str] = set()
        for lst in (*norm_examples.values(), *norm_keywords.values()):
            for n in lst:
                vocab.update(n.tokens)
        vocab.update(w for v in lexicon.values() for w in v.split())
        normaliser = Normaliser(lexicon=lexicon, vocabulary=frozenset(vocab))
        # Re-normalise with typo correction now that the vocabulary is known.
        intent_ids = [k for k in examples if examples[k]]
        rows: list[Normalised] = []
        owner: list[int] = []
        starts: list[int] = []
        intent_vocab: list[dict[str, float]] = []
        for n, iid in enumerate(intent_ids):
            starts.append(len(rows))
            these = [normaliser.normalise(e) for e in examples[iid]]
            rows.extend(these)
            owner.extend([n] * len(these))
            counts: dict[str, int] = defaultdict(int)
            for x in these:
                for t in set(x.content):
                    counts[t] += 1
            for k in keywords.get(iid, []):
                for t in normaliser.normalise(k).content:
                    counts[t] += COVER_SATURATION
            intent_vocab.append({w: min(1.0, c / COVER_SATURATION) for w, c in counts.items()})
        df: dict[str, int] = defaultdict(int)
        for words in intent_vocab:
            for w in words:
                df[w] += 1
        n_intents = max(len(intent_ids), 1)
        idf = {w: math.log(1 + n_intents / c) for w, c in df.items()}
        default_idf = math.log(1 + n_intents)
        post: dict[str, list[int]] = defaultdict(list)
        weights: list[float] = []
        for r, x in enumerate(rows):
            content = set(x.content)
            for w in content:
                post[w].append(r)
            weights.append(sum(idf.get(w, default_idf) for w in content))
        neg: dict[int, list[str]] = {}
        for n, iid in enumerate(intent_ids):
            if negatives.get(iid):
                neg[n] = [" ".join(sorted(normaliser.normalise(e).tokens))
                          for e in negatives[iid]]
        return cls(
            normaliser=normaliser,
            intent_ids=intent_ids,
            starts=np.array(starts, dtype=np.int64),
            owner=np.array(owner, dtype=np.int64),
            examples=[e for iid in intent_ids for e in examples[iid]],
            sorted_text=[" ".join(sorted(x.tokens)) for x in rows],
            row_weight=np.array(weights, dtype=np.float64),
            postings={w: np.array(v, dtype=np.int64) for w, v in post.items()},
            idf=idf,
            intent_vocab=intent_vocab,
            negatives=neg,
            default_idf=default_idf,
        )

    # ------------------------------------------------------------ scoring

    def rank(self, norm: Normalised, limit: int | None = None) -> list[Candidate]:
        """Score every intent for an already-normalised message, best first."""
        if not self.intent_ids:
            return []
        query = " ".join(sorted(norm.tokens))
        content = set(norm.content)
        if not query:
            return [Candidate(i, 0.0, "") for i in self.intent_ids][: limit or None]
        char = process.cdist([query], self.sorted_text, scorer=fuzz.ratio, dtype=np.float32,
                             workers=1)[0].astype(np.float64)
        overlap = np.zeros(len(self.sorted_text), dtype=np.float64)
        q_weight = 0.0
        for w in content:
            weight = self.idf.get(w, self.default_idf)
            q_weight += weight
            rows = self.postings.get(w)
            if rows is not None:
                overlap[rows] += weight
        denom = q_weight + self.row_weight
        word = np.divide(200.0 * overlap, denom, out=np.zeros_like(overlap), where=denom > 0)
        combined = self.w_char * char + (1 - self.w_char) * word
        # Mean of the best two examples per intent.
        ends = np.append(self.starts[1:], len(combined))
        out: list[Candidate] = []
        for n, iid in enumerate(self.intent_ids):
            seg = combined[self.starts[n]: ends[n]]
            k = min(self.top_k, len(seg))
            if k > 1:
                top = np.argpartition(seg, -k)[-k:]
                best_local = int(top[np.argmax(seg[top])])
                example_score = float(seg[top].mean())
            else:
                best_local = int(np.argmax(seg))
                example_score = float(seg[best_local])
            row = int(self.starts[n]) + best_local
            cover = 0.0
            if q_weight > 0:
                vocab = self.intent_vocab[n]
                known = sum(self.idf.get(w, self.default_idf) * vocab[w] for w in content
                            if w in vocab)
                cover = 100.0 * known / q_weight
            score = (1 - self.w_cover) * example_score + self.w_cover * cover
            if char[row] >= 100.0:
                score = max(score, EXACT_SCORE)  # the message is one of the examples
            if n in self.negatives:
                hit = process.extractOne(query, self.negatives[n], scorer=fuzz.ratio,
                                         score_cutoff=NEGATIVE_CUTOFF)
                if hit is not None:
                    score *= 0.5
            out.append(Candidate(iid, round(min(score, 100.0), 2), self.examples[row],
                                 round(float(char[row]), 2), round(float(word[row]), 2),
                                 round(cover, 2)))
        out.sort(key=lambda c: (-c.score, c.intent_id))
        return out[:limit] if limit else out


def rank(text: str, cat: Catalogue, limit: int | None = None) -> list[Candidate]:
    """Normalise `text` with the catalogue's lexicon and rank every intent."""
    index: Index = cat.index
    return index.rank(index.normaliser.normalise(text), limit)


def content_weight(index: Index, norm: Normalised) -> float:
    """Total IDF weight of a message's known content words (0 = nothing we know)."""
    return sum(index.idf[w] for w in set(norm.content) if w in index.idf)


__all__ = ["STOPWORDS", "Candidate", "Index", "content_weight", "rank"]
