"""The replies the engine can give, each built from the catalogue for a state.

`Replies` builds every kind of reply once a decision is taken: an intent's answer, the
safety reply, a category, the menu, "talk to someone now", clarify and fallback, and
answers about the services just shown. bot.dialogue.Engine decides which one to give.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from bot import followups, routes
from bot.catalogue_types import Catalogue, Service
from bot.matcher import Candidate
from bot.picking import ServicePick, distance, pick_services
from bot.reply import Button, ChatState, Reply
from bot.safety import SafetyVerdict

MAX_SERVICES = 3  # services shown in one reply
GENTLE_TURNS = 3  # turns after a safety reply that stay gentle
TALK_NOW_LOCAL = 1  # partnership services open now shown under "Talk to someone now"
TALK_NOW_MAX = 4

FALLBACK = (
    "Sorry, I'm not sure I got that. You can say it another way, or tap Menu to see "
    "everything.\nTo talk to a real person, tap Talk to a person. "
    f"{routes.EMERGENCY_LINE}"
)

WHICH_ONE = ("Which one do you mean? Tell me what you're looking for, like boxing or a "
             "youth club, and I'll show you what's on.")
NEAR_ME = "Where are you? Tell me an area, like Leyton or E17, or share your location."
NO_SERVICES = (
    "I couldn't find anything that fits right now. Tap Talk to a person and someone can "
    "help you look."
)


class Replies:
    """Reply builders for one catalogue (the base of bot.dialogue.Engine)."""

    def __init__(self, cat: Catalogue | None) -> None:
        self.cat = cat

    def _safety_reply(self, intent_id: str, state: ChatState, now: dt.datetime,
                      ranked: list[Candidate] | None = None,
                      verdict: SafetyVerdict | None = None) -> Reply:
        intent = self.cat.intents.get(intent_id) if self.cat else None
        text = routes.FLOOR_REPLIES[intent_id]
        picks: tuple[ServicePick, ...] = ()
        follow: list[Button] = []
        if intent is not None and not routes.missing_routes(intent_id, intent.reply):
            text = intent.reply
            picks = tuple(self._pick_services(intent.service_categories, intent.service_ids,
                                              state, now, limit=MAX_SERVICES))
            follow = [b for b in self._follow_ups(intent.follow_ups)
                      if b.action not in ("human", "intent:human")]
        buttons = (
            Button("Talk to someone now", "talknow"),
            Button("Talk to a person", "human"),
            *follow[:2],
            Button("Hide this chat", "hide"),
        )
        score = next((c.score for c in ranked or [] if c.intent_id == intent_id), 100.0)
        if state.subject in SUBJECT_THEM and intent is not None:
            # The first line stays first (999 leads an emergency reply); then the line for
            # someone telling about a friend, a brother or sister, their child or a pupil.
            first, _, rest = text.partition("\n")
            text = f"{first}\n{third_person_line(state.subject)}" + (f"\n{rest}" if rest else "")
        safe_state = replace(state, last_intent=intent_id, choices=buttons, recent=(),
                             after_safety=intent_id, gentle=GENTLE_TURNS, focus=())
        return Reply(text=text, kind="safety", state=safe_state,
                     services=picks, buttons=buttons, intent=intent_id, score=score,
                     safety=intent_id, alternatives=tuple((ranked or [])[:3]),
                     notes=verdict.reasons if verdict else ())

    def _intent_reply(self, intent_id: str, state: ChatState, now: dt.datetime,
                      offset: int = 0) -> Reply:
        assert self.cat is not None
        if intent_id in routes.SAFETY_INTENTS:
            return self._safety_reply(intent_id, state, now)
        intent = self.cat.intents.get(intent_id)
        if intent is None:
            return self._fallback(state, ())
        categories = intent.service_categories
        widen = intent_id == "events" and state.when is not None and (
            bool(state.when.days) or (state.when.end - state.when.start).days < 7)
        if widen:
            # "anything on saturday": regular sessions that day count as what's on.
            categories = (*categories, *self._event_kinds(categories))
        picks = self._pick_services(categories, intent.service_ids, state, now,
                                    limit=MAX_SERVICES + 1 + (20 if widen else 0),
                                    offset=offset)
        if widen:  # helplines are always open, but they are not "what's on"
            picks = [p for p in picks if not p.service.open_24_7][:MAX_SERVICES + 1]
        more = len(picks) > MAX_SERVICES
        picks = picks[:MAX_SERVICES]
        buttons = [Button(f"More about {p.service.name}", f"svc:{p.service.id}")
                   for p in picks if intent.kind == "signpost"]
        if more:
            buttons.append(Button("More like this", f"more:{intent_id}:{offset + MAX_SERVICES}"))
        buttons += self._follow_ups(intent.follow_ups)[:2 if picks else 4]
        text = intent.reply
        if picks:
            text = _personalise(text, state)
            if state.near_me and state.district is None and state.location is None:
                text = f"{_ASK_DETAILS_RE.sub('', text).rstrip()}\n{NEAR_ME}"
            missing = _nothing_fits(state, picks)
            if missing:
                text = f"{missing}\n\n{text}"
        if (intent.service_categories or intent.service_ids) and not picks:
            text = f"{text}\n\n{_nothing_fits(state, picks) or NO_SERVICES}"
            buttons.append(Button("Talk to a person", "human"))
        if intent.kind == "signpost" or intent_id == "help":
            buttons.append(Button("Menu", "menu"))
        btns = tuple(_dedupe(buttons))
        lead = bool(picks) and picks[0].hits > 0 and (
            len(picks) == 1 or picks[0].hits > picks[1].hits)
        after = replace(state, last_intent=intent_id, choices=btns)
        if picks:
            after = replace(after, focus=tuple(p.service.id for p in picks), focus_lead=lead,
                            focus_age=0)
        return Reply(text=text, kind="answer", services=tuple(picks), buttons=btns,
                     intent=intent_id, state=after,
                     notes=tuple(p.why for p in picks))

    def _clarify(self, a: Candidate, b: Candidate, state: ChatState,
                 alts: tuple[Candidate, ...]) -> Reply:
        assert self.cat is not None
        buttons = (
            Button(self.cat.intent_title(a.intent_id), f"intent:{a.intent_id}"),
            Button(self.cat.intent_title(b.intent_id), f"intent:{b.intent_id}"),
            Button("Something else", "menu"),
        )
        text = (f"Did you mean {self.cat.intent_title(a.intent_id)} or "
                f"{self.cat.intent_title(b.intent_id)}?")
        return Reply(text=text, kind="clarify", state=replace(state, choices=buttons),
                     buttons=buttons, score=a.score, alternatives=alts)

    def _fallback(self, state: ChatState, alts: tuple[Candidate, ...]) -> Reply:
        # Two topics, the menu and a person: the full menu only when asked for (/services).
        buttons = (*self._menu_buttons()[:2], Button("Menu", "menu"),
                   Button("Talk to a person", "human"))
        return Reply(text=FALLBACK, kind="fallback", state=replace(state, choices=buttons),
                     buttons=buttons, score=alts[0].score if alts else 0.0, alternatives=alts)

    def _details_ack(self, state: ChatState, now: dt.datetime) -> Reply:
        got = []
        who = SUBJECT_WORDS.get(state.subject, "")
        if who and state.subject_age is not None:
            got.append(f"{who} is {state.subject_age}")
        elif state.age is not None:
            got.append(f"age {state.age}")
        if state.district:
            got.append(f"area {state.district}")
        text = f"Got it: {' and '.join(got)}. I'll use that to pick services."
        if state.last_intent and self.cat and state.last_intent in self.cat.intents and \
                self.cat.intents[state.last_intent].kind == "signpost":
            again = self._intent_reply(state.last_intent, state, now)
            return replace(again, text=f"{text}\n\n{again.text}", kind="answer")
        if self.cat and state.district:
            picks = self._pick_services(tuple(self.cat.settings.menu), (), state, now)
            if picks:
                return self._show(f"{text} Here's what's on for you:", picks, state)
        buttons = (*self._menu_buttons()[:3], Button("Talk to a person", "human"))
        return Reply(text=f"{text}\nWhat are you looking for? Sport, music, a mentor, jobs...",
                     kind="menu", state=replace(state, choices=buttons), buttons=buttons)

    def _menu(self, state: ChatState, text: str = "What are you looking for?") -> Reply:
        buttons = (*self._menu_buttons(), Button("Talk to a person", "human"))
        return Reply(text=text, kind="menu", state=replace(state, choices=buttons),
                     buttons=buttons)

    def _menu_buttons(self) -> tuple[Button, ...]:
        if self.cat is None:
            return ()
        return tuple(Button(self.cat.category_title(c), f"cat:{c}")
                     for c in self.cat.settings.menu if c in self.cat.categories)

    def _category(self, cat_id: str, state: ChatState, now: dt.datetime,
                  offset: int = 0) -> Reply:
        assert self.cat is not None
        if cat_id not in self.cat.categories:
            return self._menu(state, "That list has changed. Here is the menu.")
        category = self.cat.categories[cat_id]
        picks = self._pick_services((cat_id,), (), state, now, limit=MAX_SERVICES + 1,
                                    offset=offset)
        buttons: list[Button] = []
        if len(picks) > MAX_SERVICES:
            buttons.append(Button("More like this", f"morecat:{cat_id}:{offset + MAX_SERVICES}"))
        picks = picks[:MAX_SERVICES]
        if picks:
            text = f"{category.title}: here's what's on." if offset == 0 else \
                f"More {category.title.lower()}:"
        else:
            text = f"{category.title}: {NO_SERVICES}"
            buttons.append(Button("Talk to a person", "human"))
        buttons.append(Button("Menu", "menu"))
        btns = tuple(buttons)
        return Reply(text=text, kind="category", state=replace(state, choices=btns),
                     services=tuple(picks), buttons=btns, notes=tuple(p.why for p in picks))

    def _talk_now(self, state: ChatState, now: dt.datetime) -> Reply:
        """Human routes open at this moment: 24/7 lines always, others by schedule."""
        lines = ["You can talk to a real person right now:"]
        picks: list[ServicePick] = []
        if self.cat is not None:
            open_now = [s for s in self.cat.services.values()
                        if s.talk_now and s.is_open(now) and s.suits_age(state.age)
                        and s.serves_area(state.district)]
            # A partnership worker open now first, then 24/7 lines in catalogue order.
            local = [s for s in open_now if not s.open_24_7][:TALK_NOW_LOCAL]
            always = [s for s in open_now if s.open_24_7]
            chosen = (local + always)[:TALK_NOW_MAX]
            picks = [ServicePick(s, True, None, "open now") for s in chosen]
        if not picks:
            lines.append(routes.HUMAN_LINE)
        lines.append(routes.EMERGENCY_LINE)
        buttons = (Button("Hide this chat", "hide"), Button("Menu", "menu"))
        return Reply(text="\n".join(lines), kind="info", state=replace(state, choices=buttons),
                     services=tuple(picks), buttons=buttons, intent="human")

    # ------------------------------------------------------------ conversation

    def _follow_up(self, folded: str, state: ChatState, now: dt.datetime,
                   other_topic: bool = False) -> Reply | None:
        """Answer a question about the services just shown, from their own fields."""
        assert self.cat is not None
        shown = [self.cat.services[i] for i in state.focus if i in self.cat.services]
        if not shown:
            return None
        kind = followups.question(folded)
        pos = followups.ordinal(folded)
        named = followups.named(folded, shown)
        if kind is None and pos is None and named is None:
            if other_topic or not followups.looks_like_question(folded) or \
                    not followups.sentences_with(
                    shown[0], {w for w in set(folded.split()) - followups.GENERIC_WORDS
                               if len(w) > 2}):
                return None
            kind = "other"
        if kind is not None and kind != "other" and not followups.looks_like_question(folded):
            return None
        if kind == "more":
            return self._more(state, now)
        if kind == "none":
            buttons = (*self._menu_buttons()[:3], Button("Talk to a person", "human"))
            return Reply(text="Fair enough. Tell me a bit more about what you like, or pick "
                              "something else.", kind="menu", buttons=buttons,
                         state=replace(state, focus=(), choices=buttons))
        target: list[Service]
        if pos is not None and -len(shown) <= pos < len(shown):
            target = [shown[pos]]
        elif named is not None:
            target = [named]
        elif state.focus_lead or len(shown) == 1:
            target = shown[:1]
        else:
            target = shown[:MAX_SERVICES]
        if kind is None:  # "the first one": its whole card
            svc = target[0]
            pick = ServicePick(svc, svc.is_open(now), distance(svc, state.location), full=True)
            buttons = self._focus_buttons(state, exclude=svc.id)
            return Reply(text="Here's everything about it:", kind="info", services=(pick,),
                         buttons=buttons,
                         state=replace(state, focus=(svc.id,), focus_lead=True, focus_age=0,
                                       choices=buttons))
        if len(target) == 1:
            svc = target[0]
            line = followups.answer_line(svc, kind, folded)
            text = f"{svc.name}: {line}"
            new_focus = replace(state, focus=(svc.id,), focus_lead=True, focus_age=0)
        else:
            text = "\n".join(f"• {svc.name}: {followups.answer_line(svc, kind, folded)}"
                             for svc in target)
            new_focus = state
        buttons = self._focus_buttons(new_focus)
        return Reply(text=text, kind="info", buttons=buttons,
                     state=replace(new_focus, choices=buttons))

    def _show(self, text: str, picks: list[ServicePick], state: ChatState) -> Reply:
        """A short list of services that becomes the focus."""
        focus = replace(state, focus=tuple(p.service.id for p in picks), focus_lead=False,
                        focus_age=0)
        buttons = self._focus_buttons(focus)
        return Reply(text=text, kind="category", services=tuple(picks), buttons=buttons,
                     state=replace(focus, choices=buttons), notes=tuple(p.why for p in picks))

    def _which_one(self, state: ChatState) -> Reply:
        """'is it free' with nothing shown yet: ask what they mean, never guess a topic."""
        buttons = (*self._menu_buttons()[:2], Button("Menu", "menu"),
                   Button("Talk to a person", "human"))
        return Reply(text=WHICH_ONE, kind="menu", buttons=buttons,
                     state=replace(state, choices=buttons))

    def _focus_buttons(self, state: ChatState, exclude: str = "") -> tuple[Button, ...]:
        assert self.cat is not None
        out = [Button(f"More about {self.cat.services[i].name}", f"svc:{i}")
               for i in state.focus if i in self.cat.services and i != exclude][:3]
        return (*out, Button("Menu", "menu"))

    def _more(self, state: ChatState, now: dt.datetime) -> Reply:
        intent = self.cat.intents.get(state.last_intent or "") if self.cat else None
        if intent is None or intent.kind != "signpost":
            return self._menu(state)
        picks = self._pick_services(intent.service_categories, intent.service_ids, state, now,
                                    limit=50)
        rest = [p for p in picks if p.service.id not in state.focus][:MAX_SERVICES]
        if not rest:
            buttons = (*self._menu_buttons()[:3], Button("Talk to a person", "human"))
            return Reply(text="That's everything I have like that right now. Want to look at "
                              "something else?", kind="menu", buttons=buttons,
                         state=replace(state, choices=buttons), intent=intent.id)
        focus = replace(state, focus=tuple(p.service.id for p in rest), focus_lead=False,
                        focus_age=0)
        buttons = self._focus_buttons(focus)
        return Reply(text="Here's more:", kind="answer", services=tuple(rest), buttons=buttons,
                     intent=intent.id, state=replace(focus, choices=buttons),
                     notes=tuple(p.why for p in rest))

    def _gentle(self, state: ChatState, now: dt.datetime, intent_id: str | None) -> Reply:
        """After a safety reply: warm, short, and the same routes again."""
        assert self.cat is not None and state.after_safety is not None
        sid = state.after_safety
        intent = self.cat.intents.get(sid)
        picks: list[ServicePick] = []
        if intent is not None:
            picks = self._pick_services(intent.service_categories, intent.service_ids, state,
                                        now, limit=MAX_SERVICES)
        opener = {"thanks": "You're welcome. I'm glad you reached out.",
                  "goodbye": "Take care of yourself.",
                  "greeting": "I'm still here."}.get(intent_id or "", "I hear you.")
        text = (f"{opener} You don't have to deal with this on your own, and it's not your "
                "fault. These people can help, any time:")
        if not picks:
            text += f"\n{routes.HUMAN_LINE}"
        text += f"\n{routes.EMERGENCY_LINE}"
        buttons = (Button("Talk to someone now", "talknow"), Button("Talk to a person", "human"),
                   Button("Hide this chat", "hide"))
        return Reply(text=text, kind="safety", services=tuple(picks), buttons=buttons,
                     intent=sid, safety=sid,
                     state=replace(state, choices=buttons, last_intent=sid))

    def _insult(self, state: ChatState, score: float, alts: tuple[Candidate, ...]) -> Reply:
        """A short human answer to abuse; a calm boundary when it goes on."""
        n = state.insults + 1
        if n == 1:
            text = ("Fair enough, I'm only a bot and I get things wrong. Tell me what you're "
                    "after and I'll try again.")
        else:
            text = ("I'm here to help, but I won't keep going with insults. When you're ready, "
                    "tell me what you need.")
        offered = (Button("Sport", "cat:sport"), Button("Music", "cat:music"),
                   Button("Talk to a person", "human"), Button("Menu", "menu"))
        buttons = tuple(b for b in offered if not b.action.startswith("cat:") or (
            self.cat and b.action[4:] in self.cat.categories))
        return Reply(text=text, kind="answer", intent="insult", buttons=buttons, score=score,
                     alternatives=alts, state=replace(state, insults=n, choices=buttons,
                                                      last_intent="insult"))

    def _event_kinds(self, categories: tuple[str, ...]) -> tuple[str, ...]:
        """Categories that events also belong to (music, sport...): 'what's on' in them."""
        assert self.cat is not None
        kinds = {c for cat_id in categories for s in self.cat.services_in(cat_id)
                 for c in s.categories}
        return tuple(c for c in self.cat.categories if c in kinds and c not in categories)

    def _intent_has_terms(self, intent_id: str, terms: tuple[str, ...]) -> bool:
        """Some service the intent would show lists one of the activity words."""
        assert self.cat is not None
        intent = self.cat.intents.get(intent_id)
        if intent is None:
            return False
        pool = [self.cat.services[i] for i in intent.service_ids if i in self.cat.services]
        for c in intent.service_categories:
            pool += self.cat.services_in(c)
        return any(t in svc.keywords for svc in pool for t in terms)

    def _intent_for_terms(self, terms: tuple[str, ...]) -> str | None:
        """The signposting intent that shows the services using these activity words."""
        assert self.cat is not None
        for svc in self.cat.services.values():
            if not svc.sample or not svc.categories or not any(t in svc.keywords for t in terms):
                continue  # national routes' words ("knife", "ring") don't choose a topic
            owners = [i for i in self.cat.intents.values() if i.kind == "signpost"
                      and svc.categories[0] in i.service_categories]
            if owners:  # the intent most about that category: the one with fewest others
                return min(owners, key=lambda i: len(i.service_categories)).id
        return None

    # ------------------------------------------------------------ services

    def _follow_ups(self, follow_ups: tuple[object, ...]) -> list[Button]:
        out: list[Button] = []
        for f in follow_ups:
            label = getattr(f, "label", "")
            if getattr(f, "intent", ""):
                target = f.intent  # type: ignore[attr-defined]
                out.append(Button(label, "human" if target == "human" else f"intent:{target}"))
            elif getattr(f, "category", ""):
                out.append(Button(label, f"cat:{f.category}"))  # type: ignore[attr-defined]
            elif getattr(f, "service", ""):
                out.append(Button(label, f"svc:{f.service}"))  # type: ignore[attr-defined]
        return out

    def _pick_services(self, categories: tuple[str, ...], ids: tuple[str, ...],
                       state: ChatState, now: dt.datetime, limit: int = MAX_SERVICES,
                       offset: int = 0) -> list[ServicePick]:
        """Relevant, listed services for this person (or whoever it's about), best first."""
        assert self.cat is not None
        return pick_services(self.cat, categories, ids, age=state.pick_age,
                             district=state.district, location=state.location, now=now,
                             terms=state.asked, when=state.when, limit=limit, offset=offset)


_ASK_DETAILS_RE = re.compile(r"\s*Tell me your age[^.?!]*[.?!]")


def _personalise(text: str, state: ChatState) -> str:
    """Once age or area is known, stop asking for it and say what the list is for."""
    bits = []
    if state.age is not None:
        bits.append(f"age {state.age}")
    if state.district:
        bits.append(state.district)
    if not bits:
        return text
    return _ASK_DETAILS_RE.sub("", text).rstrip() + f"\nPicked for {' in '.join(bits)}."


def _dedupe(buttons: list[Button]) -> list[Button]:
    seen: set[str] = set()
    out = []
    for b in buttons:
        if b.action not in seen:
            seen.add(b.action)
            out.append(b)
    return out


SUBJECT_THEM = {"friend": "your friend", "sibling": "them", "child": "your child",
                "pupil": "your pupil"}


def third_person_line(subject: str) -> str:
    """The worried-friend line added to a safety reply about someone else."""
    return (f"It's good that you're looking out for {SUBJECT_THEM.get(subject, 'them')}. "
            "These people can help them, and help you too.")
SUBJECT_WORDS = {"friend": "your friend", "sibling": "they", "child": "your child",
                 "pupil": "your pupil"}

def _nothing_fits(state: ChatState, picks: list[ServicePick]) -> str:
    """'No boxing for age 11 near E4 right now.' when nothing shown has what was asked."""
    if not state.asked or any(p.hits for p in picks):
        return ""
    bits = [f"No {state.asked[0]}"]
    if state.pick_age is not None:
        bits.append(f"for age {state.pick_age}")
    if state.district:
        bits.append(f"near {state.district}")
    if state.when is not None:
        bits.append(state.when.label)
    lead = " ".join(bits) + " that I know of right now."
    return f"{lead} Here's the closest:" if picks else lead


