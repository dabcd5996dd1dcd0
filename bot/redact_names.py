"""Names, schools and dates in words: the redaction steps that need to read a little.

    names      "my name is Jordan Okafor", "im called kez", "call me Dee", "its amira here",
               "me and my brother Tomasz", "- Connor" at the end        -> [name]
    schools    "Hollowmere Park Academy", "st barnabys primary", "University of Northmoor",
               "year 9 at Thornmead", "my school is St Ethelreda's"     -> [school]
    dates      "14 March 2008", "2nd of june", "august 9th", "the twelfth of october"
                                                                         -> [date]

A word after a cue is taken for a name by how sure the cue is:

    sure      my name is / my names / name: / im called     any word but a function word
    likely    call me / known as / Mr / Miss                also: a Capitalised word
    weak      im / its / this is / my brother / love from   only a known first name
                                                            (bot/data/first_names.txt) or
                                                            a word no English list knows

Every regular expression here starts with a look-behind that stops it starting in the middle
of a word, and uses possessive quantifiers, so each runs in linear time; the rest is plain
Python over a bounded number of words after each cue (tests/test_redact.py times them).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

NAME = "[name]"
SCHOOL = "[school]"
DATE = "[date]"

_DATA = Path(__file__).parent / "data"
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’]*+(?:-[A-Za-z][A-Za-z'’]*+)*+")
_GAP = re.compile(r"[ \t]*+")
MAX_NAME_WORDS = 4

# Words that end a name or never start one ("call me back", "this is it", "im at school").
_STOP = frozenset("""
    a an and or but the of in on at to for from with by into onto off out up down over under
    near via is am are was were be been being im i me my mine u you ur your he him his she her
    we us our they them their it its this that these those there here so if then than as like
    just about only also not no yes all any some more less too very really rly rlly proper
    again now still then tho though btw lol lmao omg pls plz x xx xxx idk tbh ngl fr init innit
    when while what who why how where which because cos coz cause bc did do does dont didnt
    can cant could will wont would should shall may might must have has had got get gets getting
    going gonna gotta wanna tryna finna kinda sorta bare well much many new old back okay ok
    fine good bad sad scared called named name names sorry thanks thank hi hey hiya hello yo
    bye sure one two three four five six seven eight nine ten year yr age aged years yrs
    whos whats thats wheres hows isnt arent wasnt werent doesnt dont havent hasnt hadnt
    couldnt wouldnt shouldnt aint ive youre theyre hes shes lets ill id youve weve theyve
    fam bro bruv blud bredrin mandem gyaldem hun babe g cuz neet init wagwan ting peng
    jus jst prolly probs def deffo defo hella lk abt bout gna gunna alr aight ite gud okk
    okayy tryin lowkey highkey srsly rn atm asap ty tysm ily idc imo omfg wtf smh
    """.split())
_WEAK_NOT_NAMES = frozenset("""
    buzzing done dead bored tired shook vexed gutted sick stressed struggling moving leaving
    going trying coming looking living staying staring feeling home alone lonely angry upset
    worried worrying afraid nervous anxious depressed suicidal hungry broke homeless safe
    unsafe outside inside late early sooo soo soooo literally actually basically honestly
    skint gassed knackered wrecked cooked mashed wavey ratty ded moving
    """.split())


@lru_cache(maxsize=1)
def _english() -> frozenset[str]:
    try:
        lines = (_DATA / "english_words.txt").read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(w for w in lines if w and not w.startswith("#"))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    try:
        text = (_DATA / "first_names.txt").read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(w for line in text.splitlines() if not line.startswith("#")
                     for w in line.split())


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word.lower())


def _unknown(word: str) -> bool:
    """Not a word of English we know: probably a name (or slang, rarely)."""
    bare = _bare(word)
    return bool(bare) and bare not in _english() and bare not in _STOP \
        and not re.search(r"(.)\1\1", bare) and len(bare) > 1


def _capitalised(word: str, title_case: bool) -> bool:
    return not title_case and word[:1].isupper() and not word.isupper()


def _title_case(text: str) -> bool:
    """Most words start with a capital, so a capital says nothing about names."""
    words = _TOKEN.findall(text[:400])
    caps = sum(1 for w in words if w[:1].isupper())
    return len(words) >= 3 and caps >= 0.6 * len(words)


def _nameish(word: str, strength: str, title_case: bool) -> bool:
    bare = _bare(word)
    if bare in _STOP:
        return False
    if strength == "sure":
        return True
    if bare in first_names():
        return True
    if strength == "likely" and _capitalised(word, title_case):
        return True
    return _unknown(word) and bare not in _WEAK_NOT_NAMES


# ------------------------------------------------------------------ names

_CUES: tuple[tuple[str, str], ...] = (
    ("sure", r"my[ \t]++(?:full[ \t]++|real[ \t]++|first[ \t]++|last[ \t]++|sur)?name"
             r"(?:[ \t]++is|['’]s|s)?+(?:[ \t]*+:)?+|name[ \t]*+:|"
             r"(?:i['’]?m|i[ \t]++am)[ \t]++called|go(?:es)?+[ \t]++by[ \t]++the[ \t]++name"),
    ("likely", r"call[ \t]++me|calls[ \t]++me|known[ \t]++as|go(?:es)?+[ \t]++by|name['’]s|"
               r"everyone[ \t]++(?:says|calls[ \t]++me)|people[ \t]++say|"
               r"(?:mrs?+|ms|miss|dr|sir)\.?+"),
    ("weak", r"i['’]?m|i[ \t]++am|it['’]?s|this[ \t]++is|here['’]?s|"
             r"my[ \t]++(?:little[ \t]++|big[ \t]++|older[ \t]++|younger[ \t]++|best[ \t]++)?"
             r"(?:brother|bro|sister|sis|cousin|mate|friend|boyfriend|girlfriend|bf|gf|"
             r"stepdad|stepmum|stepbrother|stepsister|son|daughter|ex)"),
)
_CUE_RE = re.compile(
    r"(?<![\w'’])(?:" + "|".join(f"(?P<{s}>{p})" for s, p in _CUES) + r")(?![\w'’])",
    re.IGNORECASE)
_SIGN_OFF_RE = re.compile(
    r"(?:(?<![\w'’])(?:love|luv|from|cheers|thanks|thx|regards)[ \t]*+,?+|(?<![\w'’-])[-–—~])"
    r"[ \t]*+"
    r"(?P<name>[A-Za-z][A-Za-z'’]*+(?:-[A-Za-z][A-Za-z'’]*+)*+)[ \t]*+[.!x]*+[ \t]*+\Z",
    re.IGNORECASE)


def redact_names(text: str) -> str:
    """Replace names introduced as names (see the module docstring)."""
    title = _title_case(text)
    spans: list[tuple[int, int]] = []
    for cue in _CUE_RE.finditer(text):
        strength = cue.lastgroup or "weak"
        spans.extend(_names_after(text, cue.end(), strength, title))
    tail_start = max(0, len(text) - 80)
    sign = _SIGN_OFF_RE.search(text, tail_start)
    if sign is not None and _signature(sign.group("name"), sign.group(0).lstrip()[:1] in "-–—~",
                                       title):
        spans.append(sign.span("name"))
    return _replace(text, spans, NAME)


def _names_after(text: str, pos: int, strength: str, title: bool) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    first = True
    for _ in range(MAX_NAME_WORDS):
        gap = _GAP.match(text, pos)
        assert gap is not None
        if gap.end() == pos and not first:
            break  # a comma or other mark ends the name
        word = _TOKEN.match(text, gap.end())
        if word is None:
            break
        token = word.group(0)
        if first:
            if not _nameish(token, strength, title):
                break
        elif not ((_capitalised(token, title) and _bare(token) not in _STOP)
                  or (strength != "weak" and _nameish(token, "weak", title))):
            break
        out.append(word.span())
        pos = word.end()
        first = False
    return out


def _signature(word: str, after_dash: bool, title: bool) -> bool:
    """A name signing off the message: "- Connor", "love from ellie", "thanks Sam"."""
    bare = _bare(word)
    if bare in _STOP or bare in _WEAK_NOT_NAMES:
        return False
    if bare in first_names() or (_capitalised(word, title) and _unknown(word)):
        return True
    return after_dash and _unknown(word)


# ------------------------------------------------------------------ schools

_SCHOOL_TYPES = (r"school|academy|college|primary|secondary|grammar|university|uni|infants|"
                 r"juniors|high(?![ \t]++(?:st|street|rd|road)\b)|comprehensive|"
                 r"sixth[ \t]++form(?:[ \t]++college)?+|c[ \t]++of[ \t]++e")
_SCHOOL_RE = re.compile(rf"(?<![\w'’])(?:{_SCHOOL_TYPES})(?![\w'’])", re.IGNORECASE)
_SCHOOL_OF_RE = re.compile(r"(?<![\w'’])(?:university|college|school|academy)[ \t]++of(?![\w'’])",
                           re.IGNORECASE)
_SCHOOL_CUE_RE = re.compile(
    r"(?<![\w'’])(?:(?:my|our|his|her|their)[ \t]++(?:school|college|academy|uni|primary)"
    r"[ \t]++(?:is|was)(?:[ \t]++called)?|(?:year|yr)[ \t]*+\d{1,2}[ \t]++(?:at|in))(?![\w'’])",
    re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(?<![A-Za-z'’-])([A-Za-z][A-Za-z'’-]*+)[ \t]++\Z")


_SCHOOL_WORDS = frozenset("""
    school academy college primary secondary grammar university uni infants juniors high
    sixth form comprehensive new old local special private state boarding catholic church
    girls boys free community faith pupil referral unit
    """.split())


def _distinctive(word: str, at_start: bool = False) -> bool:
    """A word that makes a school name identifying (not "new", "primary", "the")."""
    bare = _bare(word)
    if bare in _STOP or bare in _SCHOOL_WORDS:
        return False
    return _unknown(word) or (word[:1].isupper() and not word.isupper() and not at_start)


def _starts_sentence(text: str, pos: int) -> bool:
    return not text[max(0, pos - 3):pos].strip(" \t") or text[:pos].rstrip()[-1:] in ".!?"


def redact_schools(text: str) -> str:
    """Replace the name part of school, college and university names."""
    spans: list[tuple[int, int]] = []
    for m in _SCHOOL_RE.finditer(text):
        start = m.start()
        words: list[tuple[int, str]] = []
        pos = start
        for _ in range(3):
            before = _WORD_BEFORE.search(text, max(0, pos - 40), pos)
            if before is None:
                break
            word = before.group(1)
            # A school's name is capitalised or unknown words ("Larkspur Hill", "kingsmoor"),
            # or st/saint: an ordinary lowercase word ("keeps skipping") ends it.
            if not (word.lower() in ("st", "saint") or _unknown(word)
                    or (word[:1].isupper() and _bare(word) not in _STOP)):
                break
            words.insert(0, (before.start(1), word))
            pos = before.start(1)
        marks = [(at, w, _distinctive(w, _starts_sentence(text, at))) for at, w in words]
        while marks and not (marks[0][2] or marks[0][1].lower() in ("st", "saint")):
            marks.pop(0)
        if any(distinct and w.lower() not in ("st", "saint") for _, w, distinct in marks):
            spans.append((marks[0][0], m.end()))
    for cue in (*_SCHOOL_OF_RE.finditer(text), *_SCHOOL_CUE_RE.finditer(text)):
        pos, found = cue.end(), []
        for _ in range(3):
            word = _TOKEN.match(text, _GAP.match(text, pos).end())  # type: ignore[union-attr]
            if word is None or not (_distinctive(word.group(0))
                                    or word.group(0).lower() in ("st", "saint")):
                break
            found.append(word.span())
            pos = word.end()
        if found and any(_distinctive(text[a:b]) and text[a:b].lower() not in ("st", "saint")
                         for a, b in found):
            spans.append((found[0][0], found[-1][1]))
    return _replace(text, spans, SCHOOL)


# ------------------------------------------------------------------ dates in words

_MONTH = (r"(?:jan(?:uary)?+|feb(?:ruary)?+|mar(?:ch)?+|apr(?:il)?+|may|june?+|july?+|"
          r"aug(?:ust)?+|sep(?:t(?:ember)?+)?+|oct(?:ober)?+|nov(?:ember)?+|dec(?:ember)?+)")
_ORDINALS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
             "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
             "nineteenth twentieth thirtieth").split()
_DAY = (r"(?:\d{1,2}(?:st|nd|rd|th)?+|(?:twenty|thirty)[- \t]?+(?:first|second|third|fourth|"
        r"fifth|sixth|seventh|eighth|ninth)|" + "|".join(_ORDINALS) + ")")
_YEAR = r"(?:,?+[ \t]++(?:19|20)?+\d\d(?![\w/.-]))?+"
_WORD_DATE_RE = re.compile(
    rf"(?<![\w£$€.:/'’-])(?:{_DAY}[ \t]++(?:of[ \t]++)?+{_MONTH}(?![\w'’]){_YEAR}"
    rf"|{_MONTH}[ \t]++(?:the[ \t]++)?+{_DAY}(?![\w'’]){_YEAR})",
    re.IGNORECASE)


def redact_word_dates(text: str) -> str:
    """Replace a day and month written out ("14 March 2008", "august 9th")."""
    return _WORD_DATE_RE.sub(DATE, text)


# ------------------------------------------------------------------ helpers


def _replace(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """Replace each span (merging neighbours: "Jordan Okafor" -> one placeholder)."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and (a <= merged[-1][1] or not text[merged[-1][1]:a].strip(" \t")):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out, pos = [], 0
    for a, b in merged:
        out.append(text[pos:a])
        out.append(placeholder)
        pos = b
    out.append(text[pos:])
    return "".join(out)


PATTERNS: dict[str, re.Pattern[str]] = {
    "name_token": _TOKEN,
    "name_gap": _GAP,
    "name_cue": _CUE_RE,
    "sign_off": _SIGN_OFF_RE,
    "school_type": _SCHOOL_RE,
    "school_of": _SCHOOL_OF_RE,
    "school_cue": _SCHOOL_CUE_RE,
    "word_before": _WORD_BEFORE,
    "word_date": _WORD_DATE_RE,
}
