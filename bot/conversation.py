"""One conversation as the session keeps it, what channels exchange with the session, and
the flood limit.

    Event           something a person did (text, button, command, location, other)
    Outgoing        a reply for a channel to show, with the logged turn's id
    Channel         what the session needs from a channel: a name and `send`
    Conversation    one conversation's memory (never written to disk)
    FloodPolicy     abuse, not fast typing; `within_limit` counts and decides

Nothing here does I/O except logging, and the log never sees a message or a channel's
key: `log_failure` masks both in a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot import routes
from bot.dialogue import ChatState, Reply

log = logging.getLogger(__name__)

SLOW_DOWN = ("You're sending a lot of messages very fast, so I'm skipping some for a "
             "minute. Send one message at a time and I'll answer it.\n"
             + routes.EMERGENCY_LINE)

EventKind = Literal["text", "button", "command", "location", "other"]
Status = Literal["answered", "held", "skipped"]

# Help-now buttons and commands are never limited.
UNLIMITED_BUTTONS = ("hide", "talknow", "human")
UNLIMITED_COMMANDS = ("hide", "human", "forget")


# ---------------------------------------------------------------- what channels see


@dataclass(frozen=True, slots=True)
class Event:
    """Something a person did: typed text, pressed a button, sent a command or a location."""

    kind: EventKind
    text: str = ""  # the message; a button's action; a command's name; "other": its kind
    location: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One reply for a channel to show, and the logged turn's id (for feedback buttons)."""

    reply: Reply
    turn: asyncio.Future[Any] | None = None  # resolves to the turn id, or None
    merged: int = 1  # how many messages this reply answers
    notice: bool = False  # about the chat itself (slow down, erased), not an answer


class Channel(Protocol):
    """What the session needs from a channel."""

    name: str  # "telegram", "web", "terminal": stored with each turn

    async def send(self, key: str, out: Outgoing) -> None: ...


def notice(text: str, state: ChatState, kind: str = "info") -> Reply:
    """A reply about the chat itself, not from the engine."""
    return Reply(text=text, kind=kind, state=state)


# ---------------------------------------------------------------- one conversation


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """Abuse, not fast typing: more than `per_minute` messages in 60 seconds."""

    per_minute: int = 20


DEFAULT_FLOOD = FloodPolicy()


@dataclass(slots=True)
class Conversation:
    """One conversation on one channel, in memory only (never written to disk)."""

    channel: str
    key: str
    ref: str
    state: ChatState = field(default_factory=ChatState)
    arrivals: deque[float] = field(default_factory=deque)  # times, last 60 s
    warned: bool = False  # told "slow down" in this flood
    skipped: int = 0  # messages skipped in this flood
    last_arrival: float = float("-inf")
    held: list[str] = field(default_factory=list)  # a burst waiting to be answered
    held_since: float = 0.0
    timer: asyncio.TimerHandle | None = None
    replies_to: Channel | None = None  # where a held burst will be answered
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    recent: list[tuple[int, float]] = field(default_factory=list)  # /hide, without a store
    last_seen: float = 0.0  # clock() of the last event


def within_limit(conv: Conversation, event: Event, now: float, flood: FloodPolicy) -> bool:
    """Count the message; False when the conversation is over the flood limit."""
    if event.kind == "button" and event.text in UNLIMITED_BUTTONS:
        return True
    if event.kind == "command" and event.text in UNLIMITED_COMMANDS:
        return True
    while conv.arrivals and now - conv.arrivals[0] >= 60.0:
        conv.arrivals.popleft()
    if len(conv.arrivals) >= flood.per_minute:
        return False
    conv.arrivals.append(now)
    if conv.warned and len(conv.arrivals) <= flood.per_minute // 2:
        log.info("conversation %s slowed down; %d message(s) were skipped", conv.ref,
                 conv.skipped)
        conv.warned, conv.skipped = False, 0
    return True


# ---------------------------------------------------------------- logging


def log_text(event: Event) -> str:
    """What the log stores for a non-text event (never a location)."""
    if event.kind == "button":
        return f"[button {event.text or 'out of date'}]"
    if event.kind == "command":
        return f"/{event.text}"
    if event.kind == "location":
        return "[shared a location]"
    return f"[{event.text or 'message'}]"


def mask(trace: str, secrets_: Iterable[tuple[str, str]]) -> str:
    """Replace each (value, mask) in a traceback, longest value first."""
    for value, masked in sorted(secrets_, key=lambda s: len(s[0]), reverse=True):
        trace = trace.replace(value, masked)
    return trace


def log_failure(what: str, conv: Conversation, text: str) -> None:
    """Log the exception being handled, its traceback scrubbed of the text and the key."""
    pairs = ((text, "[message text]"), (conv.key, "[conversation key]"))
    trace = mask(traceback.format_exc(), (p for p in pairs if len(p[0]) > 2))
    log.error("%s for %s:\n%s", what, conv.ref, trace)
