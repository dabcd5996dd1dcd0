"""Undo the ways people hide words, so the screen and the matcher read what was meant.

Shared by the safety screen and the matcher (both go through `Normaliser.normalise`).
Each step is linear in the message and changes only what it recognises:

1. characters: format characters (zero-width, soft hyphen, bidi controls, variation
   selectors, tag characters) removed; combining marks stripped; letters that look Latin
   (Cyrillic "а", Greek "ο", ...) folded to Latin using Unicode's confusables table
   (TR39 data, from the maintained `confusable-homoglyphs` package);
2. letters split by dots, hyphens, stars or spaces joined back up ("s-h-a-n-k-e-d",
   "s u i c i d e"); a spaced run is kept only if it joins into known words;
3. leetspeak and masking inside words that are otherwise unknown ("k1ll", "su1c1dal",
   "st*bbed"): the decoded word must be a known word, and a masked letter prefers a
   word that matters for safety;
4. words run together ("iwannadie") split with wordninja's method and word list (bot/segment.py),
   only when nearly all the pieces are known words (see `segment`).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from bot.segment import Segmenter

log = logging.getLogger(__name__)

# Words worth guessing when a letter is masked ("sh*nked"): over-reading is cheaper than
# missing (DOMAIN.md section 3). Ordinary words are guessed only when the guess is unique.
SENSITIVE = frozenset(
    """kill killed killing kills die died dying dead death suicide suicidal stab stabbed
    stabbing shank shanked shanking jook jooked knife knives blade gun guns shoot shot
    shooting murder murdered murk murked rape raped raping rapist nude nudes naked touch
    touched touching molest molested abuse abused abusing abuser groom groomed grooming
    hit hits hitting beat beats beating punch punched hurt hurts hurting harm harming cut
    cuts cutting bleed bleeding blood slit wrist wrists hang hanging overdose pills drugs
    weapon weapons strap machete threat threats threatened wet wetted slap slapped choke
    choked strangle strangled kick kicked burn burned burnt starve revenge sex sexual
    porn pic pics send sending runaway run away homeless kicked chased attack attacked
    dealing deal trap county lines debt owe owes traffick trafficked exploit exploited
    sextortion blackmail blackmailing leak leaked bully bullied bullying scared unsafe
    danger hate myself end cuckooing cuckooed cunch touches sell selling sold
    owe owed coke bleed""".split()
)

# Words that are not in the English list but must never be split or "decoded": London
# places, games and apps, British spellings.
PROPER_WORDS = frozenset("""battersea peckham lewisham catford hammersmith shoreditch brixton
    tottenham walthamstow leytonstone chingford stratford hackney islington croydon
    wandsworth greenwich deptford woolwich dalston clapham streatham edmonton enfield
    barking dagenham romford ilford plaistow whitechapel bermondsey camberwell
    fortnite minecraft roblox instagram snapchat tiktok whatsapp youtube playstation
    screenshot screenshotted screenshotting warzone valorant spotify soundcloud
    defence offence licence practise programme colour favourite neighbour""".split())

# A split that leaves one of these on its own cut a word, not a sentence ("cuckoo ing").
# a pronoun's contraction that the word list splits off ("hed" -> "he" "d")
_CONTRACTED = {"d": "would", "ll": "will", "ve": "have", "re": "are", "m": "am"}
_PRONOUNS_SHORT = frozenset("i he she we they you u it".split())
_SUFFIXES = frozenset("ing ed er ers ly es s d ment ness tion ity ive al ous ful less".split())
_FORMAT_RANGES = ((0xFE00, 0xFE0F), (0xE0000, 0xE007F), (0xE0100, 0xE01EF))
_LEET: dict[str, tuple[str, ...]] = {
    "0": ("o",), "1": ("i", "l"), "3": ("e",), "4": ("a",), "5": ("s",), "7": ("t",),
    "8": ("b",), "9": ("g",), "@": ("a", "o"), "$": ("s",), "!": ("i",), "|": ("i", "l"),
    "+": ("t",), "€": ("e",), "£": ("e",), "ü": ("u",),
}
_MASK = "*#%?_"
# what "1", "t0", "m3", "4" stand for inside a message that is clearly leetspeak
_SHORT_WORDS = frozenset("i a me to of in is it so no go at my he we be on or up do am an im if "
                         "as by us".split())
# Postcode districts (E17, SE3, HA10; a 0 only in CR0, HA0, SS0, CM0 and SL0, so "n0t" is
# "not"),
# times (1am, 7pm), ordinals (2nd), prices and
# sizes are never leetspeak.
_AREAS = (r"(?:e|ec|n|nw|se|sw|w|wc|br|cr|da|en|ha|ig|kt|rm|sm|tw|ub|wd|cm|ss|al|sl|hp|lu|"
          r"sg|me|tn|rh|gu)")
_NOT_LEET_RE = re.compile(rf"(?:{_AREAS}(?:[1-9][a-z]?|[1-9]\d)|(?:cr|ha|ss|cm|sl)0|"
                          r"\d+(?:am|pm|st|nd|rd|th|s|k|p|mins?|hrs?|kg|km|cm|mm|ml|gb|yo|yrs?)|"
                          r"[£$€]\d+(?:\.\d+)?)")
_TOKEN_RE = re.compile(r"\S+")
_EDGE_PUNCT = ".,?!:;\"'()[]"
# "k.i.l.l", "s-h-a-n-k", "r*a*p*e": three or more letters joined by the same kind of mark
_SEP_RUN_RE = re.compile(r"(?<![^\W_])[^\W\d_](?:[-._·*~/]+[^\W\d_]){2,}(?![^\W_])")
# "s u i c i d e": four or more single letters separated by single spaces
_SPACED_RUN_RE = re.compile(r"(?<!\S)[^\W\d_](?: [^\W\d_]){3,}(?!\S)")


def _is_format(ch: str) -> bool:
    if unicodedata.category(ch) == "Cf":
        return True
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _FORMAT_RANGES)


@lru_cache(maxsize=1)
def _confusable_map() -> dict[str, str]:
    """Non-Latin letters that look like a Latin letter, from Unicode's confusables data."""
    try:
        data: dict[str, Any] = json.loads(
            resources.files("confusable_homoglyphs").joinpath("confusables.json")
            .read_text(encoding="utf-8"))
    except (ModuleNotFoundError, OSError, ValueError):  # degrade: no folding, never a crash
        return {}
    out: dict[str, str] = {}
    for ch, entries in data.items():
        if len(ch) != 1 or ch.isascii() or not unicodedata.category(ch).startswith("L"):
            continue
        for e in entries:
            c = e.get("c", "")
            if len(c) == 1 and c.isascii() and c.isalpha():
                out[ch] = c.lower()
                break
    return out


def clean_chars(text: str) -> str:
    """Drop format characters and combining marks; fold Latin look-alikes to Latin."""
    if text.isascii():
        return text
    conf = _confusable_map()
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if _is_format(ch) or unicodedata.category(ch) in ("Mn", "Me"):
            continue
        out.append(conf.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=1)
def _segmenter() -> Segmenter | None:
    try:
        return Segmenter()
    except (ImportError, OSError, ValueError):  # degrade: run-together words stay as they are
        log.exception("the word list for run-together words could not be read")
        return None


def segment(word: str, known: Callable[[str], bool], min_len: int = 7) -> list[str] | None:
    """Split a run-together word into known words, or None if the split is not convincing.

    Convincing: at least two pieces, at most a fifth of the letters in unknown pieces, no
    lone suffix, and either a word that matters for safety or a whole sentence.
    """
    ninja = _segmenter()
    if ninja is None or len(word) < min_len:
        return None

    def is_word(p: str) -> bool:
        """A word we know, or one of the word list's commonest ("recognise")."""
        return known(p) or (len(p) >= 3 and ninja.common(p))

    parts: list[str] = []
    for p in ninja.split(word):
        if p == "s" and parts and is_word(parts[-1] + "s"):  # "pic" "s" -> "pics"
            parts[-1] += "s"
        elif p in _CONTRACTED and parts and parts[-1] in _PRONOUNS_SHORT:
            parts.append(_CONTRACTED[p])  # "he" "d" -> "he would" ("hesaidhedshare")
        elif len(p) >= 4 and not is_word(p):  # pieces it did not know ("myschool")
            parts.extend(_split_in_two(p, is_word) or [p])
        else:
            parts.append(p)
    if len(parts) < 2 or any(p in _SUFFIXES for p in parts[1:]):
        return None
    # "fortnite" is not "fort night": a split must bring out a word that matters for safety,
    # or be a whole sentence: 12+ letters in 3+ pieces, every piece a known word, or 20+
    # letters in 5+ pieces with a stray piece or two ("dm", a number, a name).
    known_parts = [p for p in parts if is_word(p)]
    sentence = len(word) >= 12 and len(parts) >= 3 and (
        len(known_parts) == len(parts)
        or (len(word) >= 20 and len(known_parts) >= 5 and len(parts) - len(known_parts) <= 2))
    if not sentence and not any(p in SENSITIVE for p in parts):
        return None
    unknown = sum(len(p) for p in parts if not is_word(p))
    if unknown * 5 > len(word):
        return None
    return parts


def _split_in_two(word: str, known: Callable[[str], bool]) -> list[str] | None:
    """'myschool' -> ['my', 'school']: the split with the longest known second word."""
    for i in range(1, len(word) - 1):
        head, tail = word[:i], word[i:]
        if known(head) and known(tail) and (len(head) > 1 or head in "ia"):
            return [head, tail]
    return None


def _candidates(token: str) -> Iterable[str]:
    options = [_LEET.get(ch, (ch,)) for ch in token]
    for combo in itertools.islice(itertools.product(*options), 16):
        yield "".join(combo)


# Masked swearing ("sh*t", "f**k") is far commoner than a masked safety word that shares
# its letters ("shot"): a swear word that fits wins.
SWEARS = frozenset("shit fuck piss crap damn cunt dick twat arse bitch wank prick bloody "
                   "shite fucking shitting pissed".split())
MAX_MASKED = 20  # masked tokens decoded per message; more are left as typed


@lru_cache(maxsize=4096)
def _unmask(token: str) -> str | None:
    _words, vocab_by_len = _base()
    pattern = re.compile("".join("[a-z]" if ch in _MASK else re.escape(ch) for ch in token))
    hits = [w for w in vocab_by_len.get(len(token), ()) if pattern.fullmatch(w)]
    swears = [w for w in hits if w in SWEARS]
    if swears:
        return swears[0]
    sensitive = [w for w in hits if w in SENSITIVE]
    if sensitive:
        return sensitive[0]
    return hits[0] if len(hits) == 1 else None


@lru_cache(maxsize=1)
def _base() -> tuple[frozenset[str], dict[int, list[str]]]:
    from bot.text import SPELLING, english_words  # text imports this module

    words = english_words() | SENSITIVE | SWEARS | frozenset(SPELLING)
    by_len: dict[int, list[str]] = {}
    for w in sorted(words):
        if w.isalpha():
            by_len.setdefault(len(w), []).append(w)
    return words, by_len


class Deobfuscator:
    """Undoes hiding tricks using known words: English, slang and the catalogue's own."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        base, _by_len = _base()
        self.known = base | frozenset(extra_words) | PROPER_WORDS
        self._masked = 0
        self._decoded = 0

    def is_known(self, word: str) -> bool:
        return word in self.known

    def __call__(self, text: str) -> str:
        text = clean_chars(text)
        if _SEP_RUN_RE.search(text):
            text = _SEP_RUN_RE.sub(lambda m: re.sub(r"[-._·*~/]+", "", m[0]), text)
        if _SPACED_RUN_RE.search(text):
            text = _SPACED_RUN_RE.sub(self._join_spaced, text)
        if any(ch in text for ch in "0123456789@$!|+*#%?_€£"):
            self._masked = 0
            self._decoded = 0
            text = _TOKEN_RE.sub(self._decode_token, text)
            if self._decoded >= 2:  # clearly leetspeak: short words too ("1 w4nt t0 d13")
                text = _TOKEN_RE.sub(self._decode_short, text)
        return text

    def _join_spaced(self, m: re.Match[str]) -> str:
        joined = m[0].replace(" ", "").lower()
        if joined in self.known:
            return joined
        parts = segment(joined, self.is_known, min_len=4)
        if parts and all(self.is_known(p) for p in parts):
            return " ".join(parts)
        return m[0]

    def _decode_token(self, m: re.Match[str]) -> str:
        raw = m[0]
        core = raw.strip(_EDGE_PUNCT)
        low = core.lower()
        letters = sum(ch.isalpha() for ch in low)
        if letters < 1 or len(low) < 3 or low.isalpha() or low in self.known:
            return raw
        if "://" in low or ("@" in low[1:-1] and "." in low):  # links and email addresses
            return raw
        if _NOT_LEET_RE.fullmatch(low):
            return raw
        if any(ch in _MASK for ch in low) and all(ch.isalpha() or ch in _MASK for ch in low):
            self._masked += 1
            word = _unmask(low) if self._masked <= MAX_MASKED else None
            return raw.replace(core, word) if word else raw
        for cand in _candidates(low):
            if cand.isalpha() and cand in self.known:
                self._decoded += 1
                return raw.replace(core, cand)
        return raw

    def _decode_short(self, m: re.Match[str]) -> str:
        raw = m[0]
        low = raw.lower()
        if len(low) > 2 or low.isalpha() or _NOT_LEET_RE.fullmatch(low):
            return raw
        for cand in _candidates(low):
            if cand in _SHORT_WORDS:
                return cand
        return raw
