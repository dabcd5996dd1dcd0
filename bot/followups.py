"""Questions about the services just shown ("is it free", "whats the number", "the first one").

`question(text)` says what a follow-up asks; `answer_line(svc, kind)` answers it from the
service's own fields. Pure functions: the engine decides when a message is a follow-up.
"""

from __future__ import annotations

import re

from bot.catalogue_types import Service
from bot.places import DAY_NAMES
from bot.render import age_range

# (kind, pattern on the folded message); the first that matches wins.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (k, re.compile(p)) for k, p in (
        ("friend", r"\b(?:bring|come with|take) (?:my|a|me) (?:mate|friend|bro|brother|sister|"
                   r"sis|cousin|little|boy|girl|bredrin|mates|friends)|\bcan my (?:mate|friend|"
                   r"brother|sister|cousin|bro|sis)|\b(?:on my own|by myself|alone)\b"),
        ("bring", r"\b(?:bring|need to have|wear|kit|equipment|my own)\b"),
        ("join", r"\b(?:join|book|booking|sign up|signup|register|turn up|just come|apply|"
                 r"referral|refer|get in)\b"),
        ("cost", r"\b(?:free|how much|cost|costs|price|money|pay|paid|charge|fee|fees|cheap|"
                 r"afford|quid|pounds?)\b|£"),
        ("phone", r"\b(?:number|numbers|phone|ring|call|contact|email|text them|whatsapp|"
                  r"get hold)\b"),
        ("age", r"\b(?:age|ages|how old|too old|too young|age limit|old enough)\b"),
        ("where", r"\b(?:where|wheres|address|get there|postcode|location|directions|how far|"
                  r"what area)\b"),
        ("when", r"\b(?:when|whens|what time|times|what day|what days|which day|days|nights|"
                 r"night|open|opens|close|closes|closing|finish|finishes|end|ends|till|until|"
                 r"hours|holidays?|term|date|dates|monday|tuesday|wednesday|thursday|friday|"
                 r"saturday|sunday|weekend|tonight|today|tomorrow)\b"),
        ("more", r"\b(?:more like (?:that|this|them)|anything else|something else|any others?|"
                 r"other ones?|more options|show me more|what else)\b"),
        ("none", r"\b(?:none of (?:these|them|those)|not interested|nah none|dont like any)\b"),
    )
)
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "last": -1}
_ORDINAL_RE = re.compile(r"\b(first|1st|second|2nd|third|3rd|last)(?: one)?\b")
_QUESTION_START = re.compile(
    r"^(?:is|are|does|do|did|can|could|will|would|how|what|whats|when|whens|where|wheres|"
    r"which|who|any|till|until|number|the|and|so|ok|what about)\b")
GENERIC_WORDS = frozenset(
    "the a an it is are do does can i me my you your they them their there one ones of to "
    "in on at for and or with what whats how when where which who this that these those "
    "have has need get go any tho though pls please just like be".split())


def question(text: str) -> str | None:
    """What a follow-up asks about (cost, phone, where, when, ...), or None."""
    for kind, pattern in KINDS:
        if pattern.search(text):
            return kind
    return None


def looks_like_question(text: str) -> bool:
    """A question or a very short ask ("free?", "where", "number pls")."""
    return "?" in text or len(text.split()) <= 3 or bool(_QUESTION_START.match(text))


def ordinal(text: str) -> int | None:
    m = _ORDINAL_RE.search(text)
    return ORDINALS[m.group(1)] if m else None


def named(text: str, services: list[Service]) -> Service | None:
    """The one shown service the message names ("the boxing one", "the studio")."""
    words = set(text.split()) - GENERIC_WORDS
    hits = []
    for svc in services:
        terms = set(svc.keywords) | {w for w in svc.name.lower().split() if len(w) > 3}
        if any(w in terms or w.rstrip("s") in terms for w in words) or any(
                " " in k and k in text for k in svc.keywords):
            hits.append(svc)
    return hits[0] if len(hits) == 1 else None


def days_text(days: tuple[str, ...]) -> str:
    names = [DAY_NAMES.get(d, d) + "s" for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def when_text(svc: Service) -> str:
    """Full day names and times ("Mondays and Wednesdays 18:00 to 20:30, term time only")."""
    if svc.open_24_7:
        return "open 24/7, every day"
    parts = []
    if svc.start_date:
        dates = f"{svc.start_date:%A} {svc.start_date.day} {svc.start_date:%B %Y}"
        if svc.end_date and svc.end_date != svc.start_date:
            dates += f" to {svc.end_date:%A} {svc.end_date.day} {svc.end_date:%B %Y}"
        parts.append(f"on {dates}")
    for s in svc.schedules:
        note = f", {s.notes}" if s.notes else ""
        parts.append(f"{days_text(s.days)} {s.opens_at:%H:%M} to {s.closes_at:%H:%M}{note}")
    return "; ".join(parts) or "no set times: get in touch to arrange"


def where_text(svc: Service) -> str:
    if not svc.locations:
        areas = ", ".join(svc.areas)
        return f"no fixed place{f' (covers {areas})' if areas else ''}: get in touch to meet"
    loc = svc.locations[0]
    text = ", ".join(x for x in (loc.name, loc.address, loc.postal_code) if x)
    if loc.latitude is not None and loc.longitude is not None:
        text += (f". Map: https://www.openstreetmap.org/?mlat={loc.latitude:.4f}"
                 f"&mlon={loc.longitude:.4f}#map=17/{loc.latitude:.4f}/{loc.longitude:.4f}")
    return text


def contact_text(svc: Service) -> str:
    bits = [p.number + (f" ({p.description})" if p.description else "") for p in svc.phones]
    bits += [f"text {t.message} to {t.number}" for t in svc.texts]
    bits += [x for x in (svc.email, svc.url) if x]
    return ", ".join(bits) or "no contact details listed: tap Talk to a person"


def join_text(svc: Service) -> str:
    how = {"self": "you can just get in touch or turn up",
           "professional": "a teacher, youth worker or social worker refers you",
           "both": "get in touch yourself, or ask a worker to refer you"}.get(svc.referral,
                                                                              "get in touch")
    booking = " Booking is needed." if "book" in svc.fees_description.lower() else ""
    return f"{how}.{booking} Contact: {contact_text(svc)}"


def bring_text(svc: Service) -> str:
    said = sentences_with(svc, ("bring", "provided", "lend", "need", "just"))
    return said or "nothing special, just come as you are. Ask them to check: " + \
        contact_text(svc)


def sentences_with(svc: Service, words: tuple[str, ...] | set[str]) -> str:
    """Sentences of the service's own text that use one of `words`."""
    text = " ".join(x for x in (svc.description, svc.fees_description, svc.alert,
                                svc.accessibility) if x)
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+|, (?=free)", text)
             if any(re.search(rf"\b{re.escape(w)}", s.lower()) for w in words)]
    return " ".join(dict.fromkeys(found))


def answer_line(svc: Service, kind: str, text: str = "") -> str:
    """One line answering `kind` for one service."""
    if kind == "cost":
        return svc.fees_description or "ask them about cost: " + contact_text(svc)
    if kind == "phone":
        return contact_text(svc)
    if kind == "where":
        return where_text(svc)
    if kind == "when":
        return when_text(svc)
    if kind == "join":
        return join_text(svc)
    if kind == "age":
        return age_range(svc, "sentence")
    if kind == "friend":
        ages = age_range(svc, "sentence").removeprefix("for ")
        return f"friends are welcome if they are {ages}. Come on your own or with a mate."
    if kind == "bring":
        return bring_text(svc)
    words = set(text.split()) - GENERIC_WORDS
    said = sentences_with(svc, {w for w in words if len(w) > 2})
    return said or f"{svc.description} To ask them: {contact_text(svc)}"
