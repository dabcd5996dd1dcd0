"""Why the bot answers one message the way it does, step by step, for staff.

`explain(engine, text, state, now)` returns an Explanation: how the message was read,
each intent's evidence and score, the decision, and the services shown and not shown
(with the reason each was left out).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from bot import routes
from bot.catalogue_types import Catalogue, Service
from bot.dialogue import ChatState, Engine, Reply, london_now
from bot.dialogue_replies import MAX_SERVICES
from bot.matcher import EXACT_SCORE, Candidate, Index, index_for
from bot.text import SPELLING


@dataclass(frozen=True, slots=True)
class Change:
    """One word the normaliser changed, and which kind of change it was."""

    before: str
    after: str
    why: str


@dataclass(frozen=True, slots=True)
class Pick:
    """A service shown, or not shown, and why."""

    id: str
    name: str
    why: str
    open_now: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    """One message the bot sends (a safety reply may be followed by an answer)."""

    kind: str
    intent: str | None
    file: str
    text: str
    shown: tuple[Pick, ...] = ()
    not_shown: tuple[Pick, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `signpost explain` says about one message."""

    text: str
    at: str
    normalised: str
    changes: tuple[Change, ...]
    age: int | None
    area: str | None
    safety: str | None
    safety_reasons: tuple[str, ...]
    safety_near: tuple[str, ...]
    candidates: tuple[dict[str, Any], ...]
    threshold: float
    margin: float
    decision: str
    formula: str = ""
    parts: tuple[Part, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


_STRETCH_RE = re.compile(r"(\w)\1{2,}")


def _change_kind(before: str, after: str, cat: Catalogue) -> str:
    if before in cat.lexicon:
        return "slang or variant from lexicon.yaml"
    if before in SPELLING:
        return "common short form"
    if _STRETCH_RE.search(before):
        return "stretched letters"
    return "spelling slip corrected to a word the catalogue uses"


def _score_note(c: Candidate, index: Index) -> str:
    exact = getattr(c, "exact", None)
    negative = getattr(c, "negative", None)
    if exact is None or negative is None:  # a matcher that does not say: work it out
        w_model = float(getattr(index, "w_model", 0.0))
        example_part = index.w_char * c.char + (1 - index.w_char) * c.word
        expected = ((1 - index.w_cover - w_model) * example_part + index.w_cover * c.cover
                    + w_model * float(getattr(c, "model", 0.0)))
        exact = c.char >= 100.0
        negative = c.score < min(expected, EXACT_SCORE if exact else expected) - 0.5
    if negative:
        return "halved: the message is close to one of this intent's negative_examples"
    if exact:
        return "the message is one of this intent's examples"
    return ""


def _formula(index: Index) -> str:
    w_model = float(getattr(index, "w_model", 0.0))
    rest = 1 - index.w_cover - w_model
    model = f" + {w_model:.0%} word-pattern model" if w_model else ""
    return (f"score = {rest:.0%} best example + {index.w_cover:.0%} word cover{model}; "
            f"best example = {index.w_char:.0%} letters + {1 - index.w_char:.0%} words")


def _decision(reply: Reply, ranked: list[Candidate], cat: Catalogue) -> str:
    s = cat.settings
    usable = [c for c in ranked if c.intent_id not in routes.SAFETY_INTENTS]
    top = usable[0] if usable else None
    second = usable[1] if len(usable) > 1 else None
    if reply.safety:
        then = reply.then
        also = (f"; then it also answers {then.intent} (scored {then.score:.1f}, at least "
                f"{s.match_threshold + 5:.0f} needed after a safety reply)"
                if then is not None and then.intent else "")
        return f"SAFETY reply for {reply.safety}: the safety check fired{also}"
    if reply.kind == "clarify" and top and second:
        return (f"asks which one: {top.intent_id} {top.score:.1f} and {second.intent_id} "
                f"{second.score:.1f} are both over the threshold {s.match_threshold:g} and less "
                f"than the margin {s.ambiguity_margin:g} apart")
    if reply.kind == "fallback":
        best = f"the best, {top.intent_id}, scored {top.score:.1f}" if top else "nothing scored"
        return (f"no confident answer: {best}, below the threshold {s.match_threshold:g}; "
                "the bot says sorry and shows the menu")
    if reply.kind == "menu" or (reply.kind == "answer" and reply.text.startswith("Got it:")):
        return "the message only gave an age or area: the bot notes it and asks what they want"
    if reply.kind == "answer" and top is not None:
        gap = (f"{top.score - second.score:.1f} ahead of {second.intent_id} "
               f"({second.score:.1f}); the margin is {s.ambiguity_margin:g}"
               if second else "no other intent scored")
        return (f"answers {top.intent_id}: {top.score:.1f} is over the threshold "
                f"{s.match_threshold:g} and {gap}")
    return f"{reply.kind} reply"


def _why_not(svc: Service, state: ChatState, today: dt.date) -> str | None:
    """Why a relevant service is left out, or None if it qualifies."""
    if svc.status != "active":
        return f"status is {svc.status}"
    if svc.is_past(today):
        return f"past event (ended {svc.end_date or svc.start_date})"
    if not svc.suits_age(state.age):
        lo = svc.minimum_age if svc.minimum_age is not None else "any"
        hi = svc.maximum_age if svc.maximum_age is not None else "any"
        return f"wrong age: ages {lo} to {hi}, and they are {state.age}"
    if not svc.serves_area(state.district):
        return f"wrong area: serves {', '.join(svc.areas)}, and they are in {state.district}"
    return None


def _part(reply: Reply, cat: Catalogue, now: dt.datetime) -> Part:
    intent = cat.intents.get(reply.intent or "")
    shown = tuple(Pick(p.service.id, p.service.name,
                       (p.why.split(": ", 1)[1] if ": " in p.why else p.why) or "in category",
                       p.open_now)
                  for p in reply.services)
    not_shown: list[Pick] = []
    if intent is not None and reply.kind in ("answer", "safety"):
        pool: dict[str, Service] = {sid: cat.services[sid] for sid in intent.service_ids
                                    if sid in cat.services}
        for c in intent.service_categories:
            for s in cat.services_in(c):
                pool.setdefault(s.id, s)
        ids = {p.id for p in shown}
        for svc in pool.values():
            if svc.id in ids:
                continue
            why = _why_not(svc, reply.state, now.date())
            if why is None:
                why = (f"fits, but only {MAX_SERVICES} are shown at once; "
                       "the 'More like this' button shows it")
            not_shown.append(Pick(svc.id, svc.name, why, svc.is_open(now)))
    return Part(reply.kind, reply.intent, intent.file if intent else "", reply.text, shown,
                tuple(not_shown))


def explain(engine: Engine, text: str, state: ChatState | None = None,
            now: dt.datetime | None = None) -> Explanation:
    """Why the bot answers `text` as it does, step by step."""
    cat = engine.cat
    if cat is None:
        raise ValueError("explain needs a loaded catalogue")
    now = now or london_now()
    state = state or ChatState()
    norm, ranked, verdict = engine.analyse(text)
    reply = engine.respond(text, state, now)
    changes = tuple(Change(a, b, _change_kind(a, b, cat)) for a, b in
                    (norm.changes if norm else ()))
    index = index_for(cat)
    candidates = tuple(
        {"intent": c.intent_id, "score": c.score, "example": c.example, "char": c.char,
         "word": c.word, "cover": c.cover, "model": float(getattr(c, "model", 0.0)),
         "safety": c.intent_id in routes.SAFETY_INTENTS,
         "note": _score_note(c, index)}
        for c in ranked[:5])
    return Explanation(
        text=text, at=now.isoformat(timespec="minutes"),
        normalised=norm.text if norm else text, changes=changes,
        age=reply.state.age, area=reply.state.district,
        safety=verdict.intent, safety_reasons=verdict.reasons, safety_near=verdict.near,
        candidates=candidates, threshold=cat.settings.match_threshold,
        margin=cat.settings.ambiguity_margin, decision=_decision(reply, ranked, cat),
        formula=_formula(index),
        parts=tuple(_part(p, cat, now) for p in reply.all_parts()),
    )


def explain_text(e: Explanation) -> str:
    """The explanation as staff read it in a terminal."""
    out = [f'Message: "{e.text}"', f'Normalised: "{e.normalised}"']
    if e.changes:
        out.append("  Words changed before matching:")
        out += [f"    {c.before} -> {c.after}  ({c.why})" for c in e.changes]
    else:
        out.append("  No words changed before matching.")
    details = [f"age {e.age}" if e.age is not None else "", f"area {e.area}" if e.area else ""]
    details = [d for d in details if d]
    out.append("Details used: " + (", ".join(details) if details else "none (no age or area)"))
    out.append("")
    if e.safety:
        out.append(f"SAFETY CHECK FIRED: {e.safety}")
        out += [f"  - {r}" for r in e.safety_reasons]
    else:
        out.append("Safety check: nothing fired.")
    if e.safety_near:
        out.append("  Nearly fired:")
        out += [f"  - {n}" for n in e.safety_near]
    out.append("")
    out.append(f"Top matches ({e.formula}):")
    for n, c in enumerate(e.candidates, 1):
        flag = "  [safety intent]" if c["safety"] else ""
        model = f"  model {c['model']:5.1f}" if c["model"] else ""
        out.append(f"  {n}. {c['intent']:<15} {c['score']:5.1f}  letters {c['char']:5.1f}  "
                   f"words {c['word']:5.1f}  cover {c['cover']:5.1f}{model}{flag}")
        out.append(f"     closest example: \"{c['example']}\"")
        if c["note"]:
            out.append(f"     note: {c['note']}")
    out.append(f"Decision (threshold {e.threshold:g}, margin {e.margin:g}): {e.decision}")
    for part in e.parts:
        out.append("")
        label = f"{part.intent} ({part.file})" if part.file else (part.intent or part.kind)
        out.append(f"Reply [{part.kind}] {label}:")
        out += [f"  | {line}" for line in part.text.splitlines()]
        if part.shown:
            when = dt.datetime.fromisoformat(e.at).strftime("%a %d %b %Y %H:%M")
            out.append(f"  Services shown (at {when}):")
            out += [f"    - {p.name} [{p.id}]: {p.why}" for p in part.shown]
        if part.not_shown:
            out.append("  Services not shown:")
            out += [f"    - {p.name} [{p.id}]: {p.why}" for p in part.not_shown]
    return "\n".join(out)


