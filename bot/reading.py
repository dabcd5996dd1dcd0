"""What a message says besides its topic: an age, an area, who it is about, its clauses.

Pure functions over the folded message text that the engine (bot.dialogue) uses to
remember details, tell a follow-up question from a new topic, and find a request inside
a long message. Nothing here chooses a reply.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot import followups
from bot.catalogue_types import Catalogue
from bot.places import find_place
from bot.reply import ChatState
from bot.safety import SafetyVerdict
from bot.text import Normalised

# London postcode areas: an "e17" is a district, an "m8" is usually "mate".
LONDON_AREAS = ("E", "EC", "N", "NW", "SE", "SW", "W", "WC", "IG", "RM", "EN", "HA", "UB",
                "TW", "KT", "SM", "CR", "BR", "DA")
AGE_RE = re.compile(
    r"\b(?:i am|im|i m|am|age|aged|just turned|turning)\s+(\d{1,2})\b"
    r"|\b(\d{1,2})\s*(?:yo|y o|yrs? olds?|years? olds?|yrs|years of age)\b"
)
DISTRICT_RE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)(?:\s*\d[a-z]{2})?\b")
NEAR_RE = re.compile(r"\b(?:near me|nearby|round here|around here|near here|close to me|"
                     r"in my area|my ends)\b")


_SUBJECT_AGE_RE = re.compile(r"\b(?:he|she|they)\s*(?:s|is|are|re)?\s+(\d{1,2})\b"
                             r"|\b(?:hes|shes|theyre)\s+(\d{1,2})\b")


def remember_details(text: str, state: ChatState, cat: Catalogue | None) -> ChatState:
    """Pick up an age ("im 15", or "hes 15" about a friend) or an area ("e17", "leyton")."""
    age, subject_age = state.age, state.subject_age
    m = AGE_RE.search(text)
    if m:
        value = int(m.group(1) or m.group(2))
        if 8 <= value <= 30:
            age = value
    m3 = _SUBJECT_AGE_RE.search(text)
    if m3:
        value = int(m3.group(1) or m3.group(2))
        if 5 <= value <= 30:
            subject_age = value
    district = state.district
    known = cat.areas if cat else frozenset()
    place = find_place(text, cat)
    if place is not None:
        district = place[1]
    for m2 in DISTRICT_RE.finditer(text):
        cand = m2.group(1).upper()
        letters = re.match(r"[A-Z]+", cand)
        if cand in known or (letters and letters.group(0) in LONDON_AREAS and
                             re.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]?", cand)):
            district = cand
            break
    if (age, district, subject_age) == (state.age, state.district, state.subject_age):
        return state
    return replace(state, age=age, district=district, subject_age=subject_age)


_SUBJECTS = (
    ("child", re.compile(r"\bmy (?:sons?|daughters?|child|kid|kids|children|stepsons?|"
                         r"stepdaughters?)\b|\b(?:i am|as) (?:a |his |her )?(?:mum|mom|dad|"
                         r"parent|carer|step ?mum|step ?dad)\b|\b(?:mum|dad|parent) here\b")),
    ("pupil", re.compile(r"\bmy (?:pupil|pupils|student|students)\b|\bi am a "
                         r"(?:teacher|ta|teaching assistant|youth worker)\b")),
    ("sibling", re.compile(r"\bmy (?:little |big |older |younger |baby )?(?:brother|sister|bro|"
                           r"sis|twin|cousin)\b")),
    ("friend", re.compile(r"\bmy (?:best )?(?:mate|mates|friend|friends|bestie|bredrin|"
                          r"pal|m8)\b")),
)


WHATS_ON_RE = re.compile(r"\b(?:on|happening|going on|to do|open|any|anything|something)\b")
_ASK_RE = re.compile(
    r"\b(?:any|anything|something|where|wanna|want|looking|club|clubs|class|classes|session|sessions|"
    r"somewhere|lessons|near|join|is there|are there|can i|how do i|help with)\b")


def asks(text: str) -> bool:
    """The message asks for something, or gives an age, a place or a time with it."""
    return bool(_ASK_RE.search(text) or AGE_RE.search(text) or DISTRICT_RE.search(text))


def only_terms(text: str, terms: tuple[str, ...]) -> bool:
    """The message is just the activity ("graffiti 🎨", "steel pan")."""
    rest = text
    for t in terms:
        rest = re.sub(rf"(?<!\w){re.escape(t)}s?(?!\w)", " ", rest)
    return len(rest.split()) <= 1


def subject_of(text: str) -> str | None:
    """Who a message is about, when it says: child, pupil, sibling or friend."""
    for name, pattern in _SUBJECTS:
        if pattern.search(text):
            return name
    return None


def for_subject(intent_id: str, subject: str) -> str:
    """Details about a child go to the parent answer; about a friend, to the friend one."""
    if subject in ("child", "pupil") and intent_id == "worried_friend":
        return "parent"
    if subject in ("friend", "sibling") and intent_id == "parent":
        return "worried_friend"
    return intent_id


POINTER_RE = re.compile(r"\b(?:it|its|they|them|their|theyre|that one|this one)\b")


def about_something_shown(text: str) -> bool:
    """A question that only makes sense about a service ("is it free", "how much")."""
    kind = followups.question(text)
    if kind in (None, "more", "none") or not followups.looks_like_question(text):
        return False
    if kind in ("friend", "bring", "join") and len(text.split()) <= 6:
        return True  # "can i bring my mate", "do i need to book": to something
    return bool(POINTER_RE.search(text)) or (len(text.split()) <= 4 and kind != "when")


FIRST_PERSON = frozenset("i im me myself ive id ill am".split())
_STATISTICAL = ("close to the example", "learned layer")


def fuzzy_only(verdict: SafetyVerdict) -> bool:
    """The screen fired only on resemblance (similar examples, the learned layer), no rule."""
    return bool(verdict.reasons) and all(any(k in r for k in _STATISTICAL)
                                         for r in verdict.reasons)


def new_topic(terms: tuple[str, ...], state: ChatState, cat: Catalogue | None,
               text: str = "") -> bool:
    """The message names an activity none of the shown services has: a new question."""
    if not terms or cat is None or POINTER_RE.search(text):
        return False
    shown = [cat.services[i] for i in state.focus if i in cat.services]
    return not any(t in s.keywords for s in shown for t in terms)


_DETAIL_WORDS = frozenset(
    "i am im age aged years year old yo yrs in from live at the area my postcode is and "
    "just turned turning ends he she they hes shes theyre s is are re tho though now "
    "ok okay near round around".split()
)


def only_details(norm: Normalised | None, cat: Catalogue | None = None) -> bool:
    """True when a message only gives age/area ("im 16 in e17", "leyton"), nothing else."""
    if norm is None:
        return False
    text = norm.text
    place = find_place(text, cat)
    if place is not None:
        text = re.sub(rf"(?<!\w){re.escape(place[0])}(?!\w)", " ", text)
    rest = [t for t in text.split() if t not in _DETAIL_WORDS and not t.isdigit()
            and not re.fullmatch(r"[a-z]{1,2}\d[a-z\d]?", t)]
    return not rest


_CLAUSE_RE = re.compile(
    r"[.,;:!?\n]+|\b(?:and|but|also|plus|so|then|can you|can u|could you|could u|pls|please)\b",
    re.IGNORECASE,
)


def split_clauses(text: str) -> list[str]:
    """The message split into clauses at punctuation and joining words."""
    parts = [p.strip() for p in _CLAUSE_RE.split(text[:4096]) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= 2]


