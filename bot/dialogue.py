"""respond(text, state, catalogue) -> Reply: the one place decisions are made.

Channels (terminal, Telegram, a future web chat) call `Engine.respond` for free text,
`Engine.act` for a button press and `Engine.command` for /commands, then render the
Reply. Nothing here does I/O. `Engine.respond` never raises: a crash anywhere still
yields a reply with 999 and a 24/7 human route (and the safety floor's reply when the
message looks like a disclosure).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import traceback
from dataclasses import dataclass, field, replace

from bot import followups, routes
from bot.catalogue import LONDON
from bot.catalogue_types import Catalogue, Service
from bot.matcher import Candidate, Index, index_for
from bot.picking import ServicePick as ServicePick
from bot.picking import distance, pick_services
from bot.places import When, activity_terms, find_place, find_when
from bot.safety import SafetyVerdict, Screen, floor_screen
from bot.text import Normalised, fold

log = logging.getLogger(__name__)

MAX_SERVICES = 3
RECENT = 3  # messages kept in memory to screen a disclosure split over several
GENTLE_TURNS = 3  # turns after a safety reply that stay gentle
GENTLE_BREAK = 15.0  # ...unless a request scores this far above the threshold
FOCUS_TURNS = 4  # turns a list of services stays the thing "it" refers to
LONG_MESSAGE = 12  # words: a message this long with no clear topic is read clause by clause
DETAIL_SLACK = 5.0  # a message with an age, place or day may score this much under threshold
MAX_CLAUSES = 4  # clauses of a disclosure ranked on their own to find a request in it
TALK_NOW_LOCAL = 1  # partnership services open now shown under "Talk to someone now"
TALK_NOW_MAX = 4

# London postcode areas: an "e17" is a district, an "m8" is usually "mate".
LONDON_AREAS = ("E", "EC", "N", "NW", "SE", "SW", "W", "WC", "IG", "RM", "EN", "HA", "UB",
                "TW", "KT", "SM", "CR", "BR", "DA")
_AGE_RE = re.compile(
    r"\b(?:i am|im|i m|am|age|aged|just turned|turning)\s+(\d{1,2})\b"
    r"|\b(\d{1,2})\s*(?:yo|y o|yrs? olds?|years? olds?|yrs|years of age)\b"
)
_DISTRICT_RE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?)(?:\s*\d[a-z]{2})?\b")


@dataclass(frozen=True, slots=True)
class Button:
    """A choice under a reply. `action` is short and stable (see `act`)."""

    label: str
    action: str


@dataclass(frozen=True, slots=True)
class ChatState:
    """What the conversation remembers. Lives in memory only, never on disk."""

    age: int | None = None
    district: str | None = None
    location: tuple[float, float] | None = None
    last_intent: str | None = None
    choices: tuple[Button, ...] = ()  # the buttons of the last reply, for typed numbers
    # What was asked: activity words and a time, re-used when details arrive later.
    asked: tuple[str, ...] = ()
    when: When | None = None
    # Focus: the services last shown (ids), for "is it free", "the first one"...
    focus: tuple[str, ...] = ()
    focus_lead: bool = False  # the first one was picked by the person's own words
    focus_age: int = 0  # turns since the focus was set
    # Who it's about: me | friend | sibling | child | pupil, and their age if not me.
    subject: str = "me"
    subject_age: int | None = None
    recent: tuple[str, ...] = ()  # the last three messages, to screen a split disclosure
    after_safety: str | None = None  # the last safety intent, for a few gentle turns
    gentle: int = 0  # gentle turns left
    insults: int = 0
    last_card: str | None = None  # the service whose whole card the last reply showed
    near_me: bool = False  # the last request said "near me" without an area

    @property
    def pick_age(self) -> int | None:
        """The age to choose services by: the person's, or whoever it's about."""
        return self.subject_age if self.subject != "me" else self.age


@dataclass(frozen=True, slots=True)
class Reply:
    """What a channel shows. `then` is a second message shown after this one."""

    text: str
    kind: str  # safety | answer | clarify | fallback | menu | category | info | error
    state: ChatState
    services: tuple[ServicePick, ...] = ()
    buttons: tuple[Button, ...] = ()
    intent: str | None = None
    score: float = 0.0
    safety: str | None = None
    alternatives: tuple[Candidate, ...] = ()
    then: Reply | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # decisions, for explain

    def all_parts(self) -> list[Reply]:
        parts: list[Reply] = []
        r: Reply | None = self
        while r is not None:
            parts.append(r)
            r = r.then
        return parts

    @property
    def service_ids(self) -> list[str]:
        return [p.service.id for r in self.all_parts() for p in r.services]


WELCOME = (
    "Hi, I'm Signpost, a bot (not a person) from the local youth partnership.\n"
    "Tell me what you're into or what you need, in your own words, and I'll point you to "
    "free local things: music, sport, mentors, college and jobs, youth clubs and more.\n"
    "Privacy: I don't keep your name or username. /privacy has the details.\n"
    f"{routes.EMERGENCY_LINE}"
)

FALLBACK = (
    "Sorry, I'm not sure I got that. You can say it another way, or tap Menu to see "
    "everything.\nTo talk to a real person, tap Talk to a person. "
    f"{routes.EMERGENCY_LINE}"
)

WHICH_ONE = ("Which one do you mean? Tell me what you're looking for, like boxing or a "
             "youth club, and I'll show you what's on.")
NEAR_ME = "Where are you? Tell me an area, like Leyton or E17, or share your location."
_NEAR_RE = re.compile(r"\b(?:near me|nearby|round here|around here|near here|close to me|"
                      r"in my area|my ends)\b")

NO_SERVICES = (
    "I couldn't find anything that fits right now. Tap Talk to a person and someone can "
    "help you look."
)


def london_now() -> dt.datetime:
    return dt.datetime.now(LONDON)


class Engine:
    """The dialogue engine for one catalogue. Swap catalogues by building a new Engine."""

    def __init__(self, cat: Catalogue | None) -> None:
        self.cat = cat
        self.screen_ = Screen.build(cat)
        self.index: Index | None = index_for(cat) if cat is not None else None

    # ------------------------------------------------------------ entry points

    def respond(self, text: str, state: ChatState | None = None,
                now: dt.datetime | None = None) -> Reply:
        """Answer free text. Never raises; never returns an empty reply."""
        state = state or ChatState()
        try:
            return _no_card_twice(state, self._respond(text, state, now or london_now()))
        except Exception as exc:
            _log_failure("a message", exc)
            return self._crash(text, state)

    def act(self, action: str, state: ChatState | None = None,
            now: dt.datetime | None = None) -> Reply:
        """Answer a button press (action strings from Button.action)."""
        state = state or ChatState()
        try:
            return _no_card_twice(state, self._act(action, state, now or london_now()))
        except Exception as exc:
            _log_failure("a button", exc)
            return crash_reply("", state)

    def command(self, name: str, state: ChatState | None = None,
                now: dt.datetime | None = None) -> Reply:
        """Answer /start, /help, /services, /privacy, /human (others are channel jobs)."""
        state = state or ChatState()
        try:
            return _no_card_twice(state, self._command(name, state, now or london_now()))
        except Exception as exc:
            _log_failure("a command", exc)
            return crash_reply("", state)

    # ------------------------------------------------------------ free text

    def analyse(self, text: str) -> tuple[Normalised | None, list[Candidate], SafetyVerdict]:
        """Normalise, rank and screen a message (shared by respond, match and explain)."""
        if self.index is None:
            return None, [], self.screen_.screen(text)
        norm = self.index.normaliser.normalise(text)
        try:
            ranked = self.index.rank(norm)
        except Exception as exc:  # the screen's rules must still run without the matcher
            _log_failure("matching", exc)
            ranked = []
        return norm, ranked, self.screen_.screen(text, norm, ranked)

    def _crash(self, text: str, state: ChatState) -> Reply:
        """After a failure: the catalogue's safety reply if its rules fire, else the floor's."""
        try:
            verdict = self.screen_.screen(text) if text else SafetyVerdict(None)
            if verdict.intent is not None:
                return self._safety_reply(verdict.intent, state, london_now())
        except Exception as exc:
            _log_failure("the safety reply after a failure", exc)
        return crash_reply(text, state)

    def _respond(self, text: str, state: ChatState, now: dt.datetime) -> Reply:
        norm, ranked, verdict = self.analyse(text)
        folded = norm.text if norm else text.lower()
        state = replace(state, recent=(*state.recent, text[:1000])[-RECENT:])
        if not verdict.fired and len(state.recent) > 1:
            # A disclosure split over short messages: screen the last ones together.
            joined = " . ".join(state.recent)
            verdict = self.screen_.screen(joined)
            if verdict.fired and self.screen_.screen(" . ".join(state.recent[:-1])).fired:
                # The earlier messages fire on their own, read this way, though each was
                # judged harmless when it came ("got shot in fortnite"): the new message adds
                # nothing, so this is not a disclosure split over messages.
                verdict = SafetyVerdict(None, (), verdict.reasons, verdict.scores)
        state = _remember_details(folded, state, self.cat)
        if verdict.fired and _fuzzy_only(verdict) and (_only_details(norm, self.cat) or (
                state.focus and followups.looks_like_question(folded)
                and len(folded.split()) <= 8
                and (followups.question(folded) not in (None, "more", "none")
                     or _POINTER_RE.search(folded)))):
            # "whats the address" after a list is close to "they posted my address", and
            # "hes 20" to "hes been shot": a short question about what was shown, or an age
            # or area alone, with no safety rule firing, is just that.
            verdict = SafetyVerdict(None, (), verdict.reasons, verdict.scores)
        if (verdict.fired and state.gentle and state.after_safety
                and verdict.intent not in (state.after_safety, "emergency")
                and _fuzzy_only(verdict)):
            # "but i cant tell anyone" after a disclosure resembles several kinds of harm;
            # resemblance alone does not change the kind the young person already named.
            verdict = SafetyVerdict(state.after_safety, verdict.reasons, verdict.near,
                                    verdict.scores)
        if verdict.fired:
            assert verdict.intent is not None
            about = _subject(folded)
            words = set(folded.split())
            first_person = bool(_FIRST_PERSON & words)
            if about in ("friend", "sibling") and (first_person
                                                   or verdict.intent == "hurting_others"):
                about = None  # "my dad hits me and my sister", "im going to stab ...": theirs
            if about in ("child", "pupil") and words & {"me", "myself"}:
                about = None  # "my son hits me": it is happening to the writer
            if about is None and not first_person and state.subject in ("child", "pupil"):
                about = state.subject  # a parent or teacher who said so earlier still is
            state = replace(state, subject=about or "me")
            reply = self._safety_reply(verdict.intent, state, now, ranked, verdict)
            try:
                # The rest of the message is answered by what it asked for ("report ... a
                # knife without them knowing": Fearless first).
                asked = replace(reply.state, asked=activity_terms((folded, fold(text)), self.cat),
                                when=find_when(folded, now))
                answer = self._answer_rest(text, ranked, asked, now)
            except Exception as exc:  # the safety reply must go out whatever happens next
                _log_failure("the rest of a safety message", exc)
                answer = None
            if answer is None:
                return reply
            shown = {p.service.id for p in reply.services}
            answer = replace(answer, services=tuple(p for p in answer.services
                                                    if p.service.id not in shown))
            state = replace(answer.state, last_intent=reply.intent, after_safety=reply.safety,
                            gentle=GENTLE_TURNS)
            return replace(reply, then=answer, state=state)
        if self.cat is None:
            return replace(crash_reply(text, state), kind="error")
        choice = self._typed_choice(text, state)
        if choice is not None:
            return self._act(choice.action, state, now)
        return self._decide(text, ranked, state, now, norm)

    def _decide(self, text: str, ranked: list[Candidate], state: ChatState,
                now: dt.datetime, norm: Normalised | None) -> Reply:
        assert self.cat is not None
        s = self.cat.settings
        folded = norm.text if norm else text.lower()
        usable = [c for c in ranked if c.intent_id not in routes.SAFETY_INTENTS]
        top = usable[0] if usable else None
        alts = tuple(usable[:3])
        gentle_left = state.gentle
        aged = state.focus_age + 1
        state = replace(state, focus=state.focus if aged <= FOCUS_TURNS else (),
                        focus_age=aged, gentle=max(0, state.gentle - 1))
        terms = activity_terms((folded, fold(text)), self.cat)
        local = tuple(t for t in terms if any(
            t in v.keywords for v in self.cat.services.values() if v.sample))
        confident = top is not None and top.score >= s.match_threshold
        kind_ = self.cat.intents[top.intent_id].kind if confident and top and \
            top.intent_id in self.cat.intents else ""
        clear_request = bool(local) or (kind_ == "signpost" and top is not None
                                         and top.score >= s.match_threshold + GENTLE_BREAK)
        if gentle_left and state.after_safety and not clear_request:
            return self._gentle(state, now, top.intent_id if confident and top else None)
        if state.focus and not _new_topic(local, state, self.cat, folded):
            other = confident and kind_ == "signpost" and top is not None and \
                top.intent_id != state.last_intent
            follow = self._follow_up(folded, state, now, other)
            if follow is not None:
                return follow
        if not state.focus and not local and _about_something_shown(folded):
            return self._which_one(state)
        subject = _subject(folded)
        if subject is not None:
            state = replace(state, subject=subject)
        gave_details = _only_details(norm, self.cat) and (
            (state.age, state.district, state.subject_age) != (None, None, None))
        if gave_details:
            return self._details_ack(state, now)
        if confident and top is not None and top.intent_id == "insult":
            return self._insult(state, top.score, alts)
        when = find_when(folded, now)
        runner_up = usable[1].score if len(usable) > 1 else 0.0
        if not confident and top is not None and top.score >= s.match_threshold - DETAIL_SLACK \
                and top.score - runner_up >= s.ambiguity_margin \
                and (when is not None or _AGE_RE.search(folded) or find_place(folded, self.cat)):
            # Ages, places and days are words no example has; they dilute a clear request.
            confident = True
            kind_ = self.cat.intents[top.intent_id].kind if top.intent_id in \
                self.cat.intents else ""
        if local and kind_ == "chitchat":
            # "lol ok. any football": the activity is what they want.
            confident, kind_ = False, ""
        if terms or when is not None or confident:
            state = replace(state, asked=terms, when=when, near_me=bool(_NEAR_RE.search(folded)))
        if not confident and not local and when is not None and ranked and \
                "events" in self.cat.intents and _WHATS_ON_RE.search(folded):
            # "anything weekends?", "something on friday night": what's on then.
            reply = self._intent_reply("events", state, now)
            return replace(reply, score=top.score if top else 0.0, alternatives=alts)
        if not confident and local and ranked and (_asks(folded) or _only_terms(folded, local)):
            # "steel pan band chingford": no example is close, but the activity is known.
            guessed = self._intent_for_terms(terms)
            if guessed is not None:
                reply = self._intent_reply(guessed, state, now)
                return replace(reply, score=top.score if top else 0.0, alternatives=alts)
        if not confident and len(folded.split()) >= LONG_MESSAGE and self.index is not None:
            # A long, genuine message: one of its clauses often says what is needed.
            best = self._best_clause(text)
            if best is not None:
                reply = self._intent_reply(_for_subject(best.intent_id, state.subject),
                                           state, now)
                return replace(reply, score=best.score, alternatives=alts)
        if top is None or not confident:
            return self._fallback(state, alts)
        second = usable[1] if len(usable) > 1 else None
        if (state.subject in ("friend", "sibling") and top.intent_id == "worried_friend") or \
                (state.subject in ("child", "pupil") and top.intent_id == "parent"):
            # Who it's about settles "my friend seems down": the friend answer, no question.
            second = None
        if (second is not None and second.score >= s.match_threshold
                and top.score - second.score < s.ambiguity_margin):
            return self._clarify(top, second, state, alts)
        intent_id = _for_subject(top.intent_id, state.subject)
        reply = self._intent_reply(intent_id, state, now)
        return replace(reply, score=top.score, alternatives=alts)

    def _answer_rest(self, text: str, ranked: list[Candidate], state: ChatState,
                     now: dt.datetime) -> Reply | None:
        """After a safety reply, still answer a clear request in the same message.

        The disclosure usually dominates the whole message, so when the message has several
        clauses ("..., can u help me find a job") each is ranked on its own as well, and the
        best signposting intent is answered.
        """
        if self.cat is None or self.index is None:
            return None
        rankings = [ranked]
        clauses = _clauses(text)
        if len(clauses) > 1:
            rankings += [self.index.rank(self.index.normaliser.normalise(c))
                         for c in clauses[:MAX_CLAUSES]]
        best: Candidate | None = None
        for candidates in rankings:
            for c in candidates:
                intent = self.cat.intents.get(c.intent_id)
                if intent is None or intent.is_safety:
                    continue
                if intent.kind == "signpost" and (best is None or c.score > best.score):
                    best = c
                break  # only the top non-safety intent of each ranking counts
        if best is None or best.score < self.cat.settings.match_threshold + 5:
            return None
        return replace(self._intent_reply(best.intent_id, state, now), score=best.score)

    def _best_clause(self, text: str) -> Candidate | None:
        """The clearest signposting intent among a long message's clauses, if clear enough."""
        assert self.cat is not None and self.index is not None
        best: Candidate | None = None
        for clause in _clauses(text)[:MAX_CLAUSES]:
            ranked = [c for c in self.index.rank(self.index.normaliser.normalise(clause))
                      if c.intent_id not in routes.SAFETY_INTENTS]
            if not ranked:
                continue
            top = ranked[0]
            intent = self.cat.intents.get(top.intent_id)
            runner_up = ranked[1].score if len(ranked) > 1 else 0.0
            if intent is not None and intent.kind == "signpost" and \
                    top.score - runner_up >= self.cat.settings.ambiguity_margin and \
                    (best is None or top.score > best.score):
                best = top
        if best is None or best.score < self.cat.settings.match_threshold:
            return None
        return best

    def _typed_choice(self, text: str, state: ChatState) -> Button | None:
        t = text.strip().rstrip(".)")
        if t.isdigit() and state.choices and 1 <= int(t) <= len(state.choices):
            return state.choices[int(t) - 1]
        return None

    # ------------------------------------------------------------ replies

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

    # ------------------------------------------------------------ buttons, commands

    def _act(self, action: str, state: ChatState, now: dt.datetime) -> Reply:
        if self.cat is None:
            return crash_reply("", state)
        kind, _, arg = action.partition(":")
        if kind == "intent" and arg in self.cat.intents:
            return self._intent_reply(arg, state, now)
        if kind == "intent" and arg in routes.SAFETY_INTENTS:
            return self._safety_reply(arg, state, now)
        if kind == "cat":
            return self._category(arg, state, now)
        if kind in ("more", "morecat"):
            target, _, off = arg.partition(":")
            offset = int(off) if off.isdigit() else 0
            if kind == "more" and target in self.cat.intents:
                return self._intent_reply(target, state, now, offset)
            return self._category(target, state, now, offset)
        if kind == "svc" and arg in self.cat.services:
            svc = self.cat.services[arg]
            pick = ServicePick(svc, svc.is_open(now), distance(svc, state.location), full=True)
            buttons = (Button("Menu", "menu"),)
            return Reply(text="Here's everything about it:", kind="category",
                         state=replace(state, choices=buttons, focus=(svc.id,), focus_lead=True,
                                       focus_age=0),
                         services=(pick,), buttons=buttons)
        if kind == "menu":
            return self._menu(state)
        if kind == "human":
            return self._command("human", state, now)
        if kind == "talknow":
            return self._talk_now(state, now)
        # An old or unknown button (e.g. after a catalogue change): never a dead end.
        return self._menu(state, "That button is out of date. Here's the menu.")

    def _command(self, name: str, state: ChatState, now: dt.datetime) -> Reply:
        if name == "start":
            m = self._menu(state, WELCOME)
            return replace(m, kind="info")
        if name == "services":
            return self._menu(state, "Pick a category:")
        if name in ("help", "privacy", "human") and self.cat and name in self.cat.intents:
            reply = self._intent_reply(name, state, now)
            if name == "human":
                talk = self._talk_now(state, now)
                return replace(reply, services=talk.services or reply.services,
                               buttons=(Button("Talk to someone now", "talknow"),
                                        *reply.buttons))
            if name == "help":
                return replace(reply, buttons=(*self._menu_buttons(),
                                               Button("Talk to a person", "human")))
            return reply
        if name == "human":
            return self._talk_now(state, now)
        return self._menu(state)

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

    def nearest(self, state: ChatState, now: dt.datetime | None = None) -> Reply:
        """Services nearest a shared location (the location itself is never stored)."""
        try:
            return self._nearest(state, now or london_now())
        except Exception as exc:
            _log_failure("a location", exc)
            return crash_reply("", state)

    def _nearest(self, state: ChatState, now: dt.datetime) -> Reply:
        if self.cat is None or state.location is None:
            return self._menu(state)
        cats = self.cat.settings.menu
        intent = self.cat.intents.get(state.last_intent or "")
        if intent is not None and intent.kind == "signpost":
            cats = intent.service_categories or cats
        picks = self._pick_services(tuple(cats), (), state, now, limit=200)
        picks = sorted((p for p in picks if p.distance_km is not None),
                       key=lambda p: p.distance_km or 0.0)[:MAX_SERVICES]
        text = "Here's what's nearest to you:" if picks else NO_SERVICES
        buttons = (Button("Menu", "menu"), Button("Talk to a person", "human"))
        return Reply(text=text, kind="category", services=tuple(picks), buttons=buttons,
                     state=replace(state, choices=buttons))


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


_SUBJECT_AGE_RE = re.compile(r"\b(?:he|she|they)\s*(?:s|is|are|re)?\s+(\d{1,2})\b"
                             r"|\b(?:hes|shes|theyre)\s+(\d{1,2})\b")


def _remember_details(text: str, state: ChatState, cat: Catalogue | None) -> ChatState:
    """Pick up an age ("im 15", or "hes 15" about a friend) or an area ("e17", "leyton")."""
    age, subject_age = state.age, state.subject_age
    m = _AGE_RE.search(text)
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
    for m2 in _DISTRICT_RE.finditer(text):
        cand = m2.group(1).upper()
        letters = re.match(r"[A-Z]+", cand)
        if cand in known or (letters and letters.group(0) in LONDON_AREAS and
                             re.fullmatch(r"[A-Z]{1,2}\d{1,2}[A-Z]?", cand)):
            district = cand
            break
    if (age, district, subject_age) == (state.age, state.district, state.subject_age):
        return state
    return replace(state, age=age, district=district, subject_age=subject_age)


SUBJECT_THEM = {"friend": "your friend", "sibling": "them", "child": "your child",
                "pupil": "your pupil"}


def third_person_line(subject: str) -> str:
    """The worried-friend line added to a safety reply about someone else."""
    return (f"It's good that you're looking out for {SUBJECT_THEM.get(subject, 'them')}. "
            "These people can help them, and help you too.")
SUBJECT_WORDS = {"friend": "your friend", "sibling": "they", "child": "your child",
                 "pupil": "your pupil"}
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


_WHATS_ON_RE = re.compile(r"\b(?:on|happening|going on|to do|open|any|anything|something)\b")
_ASK_RE = re.compile(
    r"\b(?:any|anything|something|where|wanna|want|looking|club|clubs|class|classes|session|sessions|"
    r"somewhere|lessons|near|join|is there|are there|can i|how do i|help with)\b")


def _asks(text: str) -> bool:
    """The message asks for something, or gives an age, a place or a time with it."""
    return bool(_ASK_RE.search(text) or _AGE_RE.search(text) or _DISTRICT_RE.search(text))


def _only_terms(text: str, terms: tuple[str, ...]) -> bool:
    """The message is just the activity ("graffiti 🎨", "steel pan")."""
    rest = text
    for t in terms:
        rest = re.sub(rf"(?<!\w){re.escape(t)}s?(?!\w)", " ", rest)
    return len(rest.split()) <= 1


def _subject(text: str) -> str | None:
    """Who a message is about, when it says: child, pupil, sibling or friend."""
    for name, pattern in _SUBJECTS:
        if pattern.search(text):
            return name
    return None


def _for_subject(intent_id: str, subject: str) -> str:
    """Details about a child go to the parent answer; about a friend, to the friend one."""
    if subject in ("child", "pupil") and intent_id == "worried_friend":
        return "parent"
    if subject in ("friend", "sibling") and intent_id == "parent":
        return "worried_friend"
    return intent_id


_POINTER_RE = re.compile(r"\b(?:it|its|they|them|their|theyre|that one|this one)\b")


def _about_something_shown(text: str) -> bool:
    """A question that only makes sense about a service ("is it free", "how much")."""
    kind = followups.question(text)
    if kind in (None, "more", "none") or not followups.looks_like_question(text):
        return False
    if kind in ("friend", "bring", "join") and len(text.split()) <= 6:
        return True  # "can i bring my mate", "do i need to book": to something
    return bool(_POINTER_RE.search(text)) or (len(text.split()) <= 4 and kind != "when")


_FIRST_PERSON = frozenset("i im me myself ive id ill am".split())
_STATISTICAL = ("close to the example", "learned layer")


def _fuzzy_only(verdict: SafetyVerdict) -> bool:
    """The screen fired only on resemblance (similar examples, the learned layer), no rule."""
    return bool(verdict.reasons) and all(any(k in r for k in _STATISTICAL)
                                         for r in verdict.reasons)


def _new_topic(terms: tuple[str, ...], state: ChatState, cat: Catalogue | None,
               text: str = "") -> bool:
    """The message names an activity none of the shown services has: a new question."""
    if not terms or cat is None or _POINTER_RE.search(text):
        return False
    shown = [cat.services[i] for i in state.focus if i in cat.services]
    return not any(t in s.keywords for s in shown for t in terms)


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


_DETAIL_WORDS = frozenset(
    "i am im age aged years year old yo yrs in from live at the area my postcode is and "
    "just turned turning ends he she they hes shes theyre s is are re tho though now "
    "ok okay near round around".split()
)


def _only_details(norm: Normalised | None, cat: Catalogue | None = None) -> bool:
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


def _clauses(text: str) -> list[str]:
    """The message split into clauses at punctuation and joining words."""
    parts = [p.strip() for p in _CLAUSE_RE.split(text[:4096]) if p and p.strip()]
    return [p for p in parts if len(p.split()) >= 2]


def _no_card_twice(before: ChatState, reply: Reply) -> Reply:
    """A whole card just shown is not shown again in the next reply; remember this one's."""
    parts = []
    for part in reply.all_parts():
        keep = tuple(p for p in part.services
                     if not (p.full and p.service.id == before.last_card))
        if len(keep) < len(part.services):
            note = "That's the card just above."
            part = replace(part, services=keep, text=note if not keep else part.text)
        parts.append(part)
    full = next((p.service.id for part in parts for p in part.services if p.full), None)
    out: Reply | None = None
    for part in reversed(parts):
        out = replace(part, then=out)
    assert out is not None
    return replace(out, state=replace(out.state, last_card=full))


def _log_failure(what: str, exc: BaseException) -> None:
    """Log where the engine failed: exception type and stack frames, never the message.

    The exception's own text is left out because it can quote what the young person wrote.
    """
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("engine failed on %s (%s); sent the safe fallback\n%s", what,
              type(exc).__name__, frames)


def crash_reply(text: str, state: ChatState) -> Reply:
    """The reply when something broke: the floor's safety reply, else 999 + a human."""
    try:
        verdict = floor_screen(text) if text else SafetyVerdict(None)
    except Exception:  # the floor itself must never stop us answering
        verdict = SafetyVerdict(None)
    if verdict.intent is not None:
        return Reply(text=routes.FLOOR_REPLIES[verdict.intent], kind="safety", state=state,
                     intent=verdict.intent, safety=verdict.intent, score=100.0,
                     buttons=(Button("Hide this chat", "hide"),))
    return Reply(text=routes.ERROR_REPLY, kind="error", state=state)
