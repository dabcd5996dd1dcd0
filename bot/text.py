"""normalise(): turn what a young person typed into comparable words; pure.

Steps, in order: undoing hidden spellings (bot/deobfuscate.py: invisible characters,
look-alike letters, split letters, leetspeak and masks); Unicode folding and lower case;
meaningful emoji to words; other symbols and punctuation to spaces; stretched letters
("pleaseee"); words run together ("iwannadie") split; the slang lexicon (multi-word
first); typo correction against the catalogue's vocabulary.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.deobfuscate import PROPER_WORDS, Deobfuscator, segment

log = logging.getLogger(__name__)

EMOJI_WORDS: dict[str, str] = {
    "🔪": "knife", "🗡": "knife", "⚔": "knife", "🔫": "gun", "🩸": "blood",
    "💉": "needle", "💊": "pills", "🚑": "ambulance", "🚓": "police", "🚔": "police",
    "👮": "police", "🆘": "help", "😭": "crying", "😢": "sad", "😞": "sad", "😔": "sad",
    "😟": "worried", "😥": "sad", "😿": "sad", "💔": "heartbroken", "😰": "scared",
    "😨": "scared", "😱": "scared", "😖": "upset", "😡": "angry", "🤬": "angry",
    "😤": "angry", "⚽": "football", "🏀": "basketball", "🥊": "boxing", "🏋": "gym",
    "🏊": "swimming", "🏏": "cricket", "🎾": "tennis", "🏃": "running", "🥋": "martial arts",
    "🎤": "music", "🎵": "music", "🎶": "music", "🎧": "music", "🎹": "music",
    "🎸": "music", "🥁": "music", "🎼": "music", "🎨": "art", "🖌": "art", "🖍": "art",
    "📸": "photography", "📷": "photography", "🎥": "film", "🎬": "film", "🎭": "drama",
    "💃": "dance", "🕺": "dance", "📚": "study", "🎓": "college", "💼": "job",
    "👋": "hi", "🙏": "thanks", "👍": "ok", "💀": "lol", "😂": "lol", "🤣": "lol",
    "❤": "love", "🥺": "please", "🤖": "bot",
    # people, places and things that carry a whole message when it is mostly emoji
    # ("👨👊😢🏠", "🚌🌙💤 all night again"); found on blind set K
    "👊": "punch", "🤜": "punch", "🤛": "punch", "🏠": "home", "🏡": "home",
    "🏚": "house", "🛏": "bed", "🚪": "door", "📦": "parcel", "🌿": "weed", "🍃": "weed",
    "💰": "money", "💷": "money", "💵": "money", "💸": "money", "🎒": "bag",
    "🤫": "secret", "🤐": "secret", "🚌": "bus", "🚆": "train", "🚂": "train",
    "🚇": "train", "🌙": "night", "💤": "sleep", "😴": "sleep", "👨": "man",
    "👩": "woman", "👦": "boy", "👧": "girl", "👴": "old man", "📱": "phone",
    "🥶": "cold", "🪦": "grave", "⚰": "coffin", "🌉": "bridge", "🤕": "hurt",
    "🤢": "sick", "🤮": "sick", "😵": "dizzy", "👀": "watching", "🏥": "hospital",
    "🛡": "protection", "🚶": "walking",
}

# Common misspellings young people type that the lexicon should not have to carry.
SPELLING: dict[str, str] = {
    "u": "you", "ur": "your", "y": "why", "n": "and", "pls": "please",
    "plz": "please", "plss": "please", "thx": "thanks", "ty": "thanks", "im": "i am",
    "ive": "i have", "dont": "do not", "cant": "cannot",
    "wont": "will not", "didnt": "did not", "doesnt": "does not", "isnt": "is not",
    "wasnt": "was not", "aint": "is not", "wanna": "want to", "gonna": "going to",
    "gotta": "got to", "tryna": "trying to", "dunno": "do not know", "idk": "i do not know",
    "rn": "right now", "wat": "what", "wot": "what", "wht": "what", "whats": "what is",
    "theres": "there is", "thats": "that is", "hes": "he is", "shes": "she is",
    "theyre": "they are", "youre": "you are", "abt": "about", "bc": "because",
    "cos": "because", "coz": "because", "cuz": "because", "tho": "though", "pple": "people",
    "ppl": "people", "sum1": "someone", "some1": "someone", "any1": "anyone",
    "2day": "today", "2moro": "tomorrow", "tmrw": "tomorrow", "tmr": "tomorrow",
    "gr8": "great", "b4": "before", "thru": "through", "nite": "night", "msg": "message",
    "txt": "text",
}

STOPWORDS = frozenset(
    "a an the and or but if of to in on at for with by from is are was were be been am "
    "i me my we our you your it its this that these those there here do does did so as "
    "just like really very can could would should will shall may might must some any "
    "what how when where which who whom whose about into up down out over then than too "
    "also all get got have has had not u im".split()
)

_WORDS_FILE = Path(__file__).parent / "data" / "english_words.txt"


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words: never 'corrected' into a catalogue word."""
    try:
        lines = _WORDS_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:  # a missing data file only makes typo correction bolder
        return frozenset()
    return frozenset(w for w in lines if w and not w.startswith("#"))


_REPEAT_RE = re.compile(r"(\w)\1{2,}")
_SPACE_RE = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"'": "", "’": "", "‘": "", "`": "", "´": ""})


@dataclass(frozen=True, slots=True)
class Normalised:
    """A message after normalisation, with the changes made (for `signpost explain`)."""

    original: str
    text: str
    tokens: tuple[str, ...]
    changes: tuple[tuple[str, str], ...] = ()

    @property
    def content(self) -> tuple[str, ...]:
        """Tokens without stopwords."""
        return tuple(t for t in self.tokens if t not in STOPWORDS)


# Letters, or a sentence of 12+ with up to two numbers in it or at its end
# ("followedby3guys", "bfis25andshes14"); other digits
# inside a word are leetspeak, undone before this step.
_RUN_ON_RE = re.compile(r"[^\W\d_]+|(?=\w{12})[^\W\d_]+(?:\d{1,2}[^\W\d_]+){0,2}\d{0,2}")


# A toy named just before 🔫 is what the emoji shows ("water pistols ready 🔫👉 them"), unless
# denied ("it wasnt a nerf gun 🔫👉 me") or followed by "but", "real" or "nah".
_TOY_RE = re.compile(r"\b(?:(?:water|nerf|toy|cap|glue)\s*(?:pistols?|guns?|blasters?)|nerf|"
                     r"airsoft|paintball(?:ing)?|laser ?(?:tag|quest)|super ?soakers?|"
                     r"water fights?)\b")
_NOT_TOY_RE = re.compile(r"\b(?:not|isnt|wasnt|aint|never|no|nah|but|real|actual|actually|fr)\b")
TOY_REACH = 60  # characters before 🔫 in which a toy is looked for


def names_a_toy_gun(before: str) -> bool:
    """Whether the text just before a 🔫 names a toy gun it stands for."""
    before = before[-TOY_REACH:].casefold().translate(_APOSTROPHES)
    toys = list(_TOY_RE.finditer(before))
    if not toys:
        return False
    toy = toys[-1]  # the last one named
    between = before[toy.end():]
    return (len(re.findall(r"[^\W\d_]+", between)) <= 2
            and not _NOT_TOY_RE.search(before[max(0, toy.start() - 20):toy.start()])
            and not _NOT_TOY_RE.search(between))


def fold(text: str) -> str:
    """Case, Unicode, emoji and punctuation folding; no catalogue knowledge needed."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    out: list[str] = []
    for i, ch in enumerate(text):
        word = EMOJI_WORDS.get(ch)
        if word is not None:
            if word == "gun" and names_a_toy_gun(text[max(0, i - TOY_REACH):i]):
                word = "toy"
            out.append(f" {word} ")
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LN":
            out.append(ch)
        else:
            out.append(" ")
    return _SPACE_RE.sub(" ", "".join(out)).strip()


@dataclass(slots=True)
class Normaliser:
    """Normalises text using a lexicon and a vocabulary taken from the catalogue."""

    lexicon: Mapping[str, str] = field(default_factory=dict)  # variant -> canonical
    vocabulary: frozenset[str] = frozenset()
    _phrases: list[tuple[re.Pattern[str], str, str]] = field(default_factory=list)
    _vocab_list: list[str] = field(default_factory=list)
    _correct: Callable[[str], str | None] = field(init=False, repr=False)
    _deob: Deobfuscator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        multi = sorted((v for v in self.lexicon if " " in v), key=len, reverse=True)
        self._phrases = [
            (re.compile(rf"(?<!\S){re.escape(v)}(?!\S)"), v, self.lexicon[v]) for v in multi
        ]
        self._vocab_list = sorted(w for w in self.vocabulary if len(w) >= 3)
        # One cache per normaliser: the vocabulary differs between catalogues.
        self._correct = lru_cache(maxsize=50_000)(self._correct_uncached)
        words = {w for v in self.lexicon for w in v.split()}
        self._deob = Deobfuscator(self.vocabulary | words | set(self.lexicon.values()))

    def normalise(self, text: str) -> Normalised:
        """Normalise one message."""
        changes: list[tuple[str, str]] = []
        try:
            plain = self._deob(text[:4096])
        except Exception:  # never lose matching or the screen to this step
            log.exception("undoing hidden spellings failed; reading the message as typed")
            plain = text[:4096]
        if plain != text[:4096]:
            changes.append(("(hidden spelling)", plain))
        folded = fold(plain)
        words: list[str] = []
        for orig in folded.split():
            w = self._unstretch(orig)
            parts = self._split_run_on(w)
            if parts:
                words.extend(parts)
                changes.append((orig, " ".join(parts)))
                continue
            if w != orig:
                changes.append((orig, w))
            words.append(w)
        joined = " ".join(words)
        for pattern, variant, canonical in self._phrases:
            if variant in joined:
                new = pattern.sub(canonical, joined)
                if new != joined:
                    changes.append((variant, canonical))
                    joined = new
        tokens: list[str] = []
        for w in joined.split():
            mapped = self.lexicon.get(w) or SPELLING.get(w)
            if mapped is None and self._vocab_list and w not in self.vocabulary:
                mapped = self._correct(w)
            if mapped and mapped != w:
                changes.append((w, mapped))
                tokens.extend(mapped.split())
            else:
                tokens.append(w)
        return Normalised(text, " ".join(tokens), tuple(tokens), tuple(changes))

    def _split_run_on(self, word: str) -> list[str] | None:
        """'iwannadie' -> ['i', 'wanna', 'die']; None for known or unconvincing words."""
        if (len(word) < 7 or not _RUN_ON_RE.fullmatch(word) or word.startswith("emj")
                or word in self.vocabulary
                or word in self.lexicon or self._deob.is_known(word)):
            return None
        if self._vocab_list and self._correct(word):  # a typo of a catalogue word
            return None
        return segment(word, self._deob.is_known)

    def _unstretch(self, word: str) -> str:
        if not _REPEAT_RE.search(word):
            return word
        two = _REPEAT_RE.sub(r"\1\1", word)
        one = _REPEAT_RE.sub(r"\1", word)
        for cand in (two, one):
            if cand in self.vocabulary or cand in self.lexicon or cand in SPELLING:
                return cand
        return one if len(one) >= 2 else two

    def _correct_uncached(self, word: str) -> str | None:
        """Closest catalogue word within a small edit distance, or None."""
        if (len(word) < 4 or word.isdigit() or not word.isalpha() or word in english_words()
                or word in PROPER_WORDS):
            return None
        limit = 1 if len(word) <= 7 else 2
        hit = process.extractOne(
            word, self._vocab_list, scorer=OSA.distance, score_cutoff=limit
        )
        if hit is None:
            return None
        cand = str(hit[0])
        # A first-letter change is rarely a typo and often a different word.
        if cand[0] != word[0] or abs(len(cand) - len(word)) > limit:
            return None
        return cand


def build_lexicon(canonical_to_variants: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Invert the lexicon file's canonical -> [variants] map, folding every key."""
    out: dict[str, str] = {}
    for canonical, variants in canonical_to_variants.items():
        for v in variants:
            key = fold(str(v))
            if key and key != fold(str(canonical)):
                out[key] = fold(str(canonical))
    return out
