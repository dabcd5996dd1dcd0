"""respond(text, state, catalogue) -> Reply: the one place decisions are made.

Channels (terminal, Telegram, a future web chat) call `Engine.respond` for free text,
`Engine.act` for a button press and `Engine.command` for /commands, then render the
Reply. Nothing here does I/O. `Engine.respond` never raises: a crash anywhere still
yields a reply with 999 and a 24/7 human route (and the safety floor's reply when the
message looks like a disclosure).

The decisions are here; the replies they lead to are built by bot.dialogue_replies
(Engine's base class), what a message says besides its topic is read by bot.reading, and
Reply, Button and ChatState live in bot.reply (importable from here too).
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from dataclasses import replace

from bot import followups, routes
from bot.catalogue import LONDON
from bot.catalogue_types import Catalogue
from bot.dialogue_replies import GENTLE_TURNS, MAX_SERVICES, NO_SERVICES, Replies
from bot.matcher import Candidate, Index, index_for
from bot.picking import ServicePick, distance
from bot.places import activity_terms, find_place, find_when
from bot.reading import (
    AGE_RE,
    FIRST_PERSON,
    NEAR_RE,
    POINTER_RE,
    WHATS_ON_RE,
    about_something_shown,
    asks,
    for_subject,
    fuzzy_only,
    new_topic,
    only_details,
    only_terms,
    remember_details,
    split_clauses,
    subject_of,
)
from bot.reply import Button as Button
from bot.reply import ChatState as ChatState
from bot.reply import Reply as Reply
from bot.safety import SafetyVerdict, Screen, floor_screen
from bot.text import Normalised, fold

log = logging.getLogger(__name__)

RECENT = 3  # messages kept in memory to screen a disclosure split over several
GENTLE_BREAK = 15.0  # a request this far above the threshold ends the gentle turns early
FOCUS_TURNS = 4  # turns a list of services stays the thing "it" refers to
LONG_MESSAGE = 12  # words: a message this long with no clear topic is read clause by clause
DETAIL_SLACK = 5.0  # a message with an age, place or day may score this much under threshold
MAX_CLAUSES = 4  # clauses of a disclosure ranked on their own to find a request in it

WELCOME = (
    "Hi, I'm Signpost, a bot (not a person) from the local youth partnership.\n"
    "Tell me what you're into or what you need, in your own words, and I'll point you to "
    "free local things: music, sport, mentors, college and jobs, youth clubs and more.\n"
    "Privacy: I don't keep your name or username. /privacy has the details.\n"
    f"{routes.EMERGENCY_LINE}"
)


def london_now() -> dt.datetime:
    return dt.datetime.now(LONDON)


class Engine(Replies):
    """The dialogue engine for one catalogue. Swap catalogues by building a new Engine."""

    def __init__(self, cat: Catalogue | None) -> None:
        super().__init__(cat)
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
        state = remember_details(folded, state, self.cat)
        if verdict.fired and fuzzy_only(verdict) and (only_details(norm, self.cat) or (
                state.focus and followups.looks_like_question(folded)
                and len(folded.split()) <= 8
                and (followups.question(folded) not in (None, "more", "none")
                     or POINTER_RE.search(folded)))):
            # "whats the address" after a list is close to "they posted my address", and
            # "hes 20" to "hes been shot": a short question about what was shown, or an age
            # or area alone, with no safety rule firing, is just that.
            verdict = SafetyVerdict(None, (), verdict.reasons, verdict.scores)
        if (verdict.fired and state.gentle and state.after_safety
                and verdict.intent not in (state.after_safety, "emergency")
                and fuzzy_only(verdict)):
            # "but i cant tell anyone" after a disclosure resembles several kinds of harm;
            # resemblance alone does not change the kind the young person already named.
            verdict = SafetyVerdict(state.after_safety, verdict.reasons, verdict.near,
                                    verdict.scores)
        if verdict.fired:
            assert verdict.intent is not None
            about = subject_of(folded)
            words = set(folded.split())
            first_person = bool(FIRST_PERSON & words)
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
        if state.focus and not new_topic(local, state, self.cat, folded):
            other = confident and kind_ == "signpost" and top is not None and \
                top.intent_id != state.last_intent
            follow = self._follow_up(folded, state, now, other)
            if follow is not None:
                return follow
        if not state.focus and not local and about_something_shown(folded):
            return self._which_one(state)
        subject = subject_of(folded)
        if subject is not None:
            state = replace(state, subject=subject)
        gave_details = only_details(norm, self.cat) and (
            (state.age, state.district, state.subject_age) != (None, None, None))
        if gave_details:
            return self._details_ack(state, now)
        if confident and top is not None and top.intent_id == "insult":
            return self._insult(state, top.score, alts)
        when = find_when(folded, now)
        runner_up = usable[1].score if len(usable) > 1 else 0.0
        if not confident and top is not None and top.score >= s.match_threshold - DETAIL_SLACK \
                and top.score - runner_up >= s.ambiguity_margin \
                and (when is not None or AGE_RE.search(folded) or find_place(folded, self.cat)):
            # Ages, places and days are words no example has; they dilute a clear request.
            confident = True
            kind_ = self.cat.intents[top.intent_id].kind if top.intent_id in \
                self.cat.intents else ""
        if local and kind_ == "chitchat":
            # "lol ok. any football": the activity is what they want.
            confident, kind_ = False, ""
        if terms or when is not None or confident:
            state = replace(state, asked=terms, when=when, near_me=bool(NEAR_RE.search(folded)))
        if not confident and not local and when is not None and ranked and \
                "events" in self.cat.intents and WHATS_ON_RE.search(folded):
            # "anything weekends?", "something on friday night": what's on then.
            reply = self._intent_reply("events", state, now)
            return replace(reply, score=top.score if top else 0.0, alternatives=alts)
        if not confident and local and ranked and (asks(folded) or only_terms(folded, local)):
            # "steel pan band chingford": no example is close, but the activity is known.
            guessed = self._intent_for_terms(terms)
            if guessed is not None:
                reply = self._intent_reply(guessed, state, now)
                return replace(reply, score=top.score if top else 0.0, alternatives=alts)
        if not confident and len(folded.split()) >= LONG_MESSAGE and self.index is not None:
            # A long, genuine message: one of its clauses often says what is needed.
            best = self._best_clause(text)
            if best is not None:
                reply = self._intent_reply(for_subject(best.intent_id, state.subject),
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
        intent_id = for_subject(top.intent_id, state.subject)
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
        clauses = split_clauses(text)
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
        for clause in split_clauses(text)[:MAX_CLAUSES]:
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
