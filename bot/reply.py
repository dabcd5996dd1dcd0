"""What the engine hands a channel, and what a conversation remembers between messages.

Reply (text, services, buttons, and perhaps a second message after it), Button (a choice
under a reply) and ChatState (kept in memory only, never on disk): frozen values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.matcher import Candidate
from bot.picking import ServicePick
from bot.places import When


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

