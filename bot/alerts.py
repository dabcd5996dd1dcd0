"""Staff alerts for safety triggers: who may be told what, and how often. Pure, no I/O.

A channel calls `AlertLimiter.trigger` for every message the safety screen flags. The
first trigger in a conversation gives an `Alert` to post; further triggers within the
window are counted instead, and reported with the next alert or by `flush` once the
window has closed. An alert carries only the pseudonymous conversation reference, the
safety intent, the time and the already-redacted message: `format_alert` has no way to
include a name, a username or a Telegram id because it is never given one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from bot.catalogue import LONDON
from bot.routes import SAFETY_TITLES

WINDOW = dt.timedelta(minutes=10)
MAX_MESSAGE_CHARS = 600


@dataclass(frozen=True, slots=True)
class Alert:
    """One post to the staff alert chat."""

    ref: str  # pseudonymous conversation reference, e.g. "c-3f9a1b"
    intent: str  # emergency | self_harm | exploitation | threatened
    at: dt.datetime
    message: str = ""  # redacted before it gets here; empty for a summary
    further: int = 0  # triggers not alerted on since the previous alert
    summary: bool = False  # only reports further triggers; no new message


@dataclass(slots=True)
class _Window:
    started: dt.datetime
    last: dt.datetime
    intent: str
    suppressed: int = 0
    intents: set[str] = field(default_factory=set)


class AlertLimiter:
    """At most one alert per conversation per `window`, counting the triggers in between."""

    def __init__(self, window: dt.timedelta = WINDOW) -> None:
        self.window = window
        self._open: dict[str, _Window] = {}

    def trigger(self, ref: str, intent: str, at: dt.datetime, message: str) -> Alert | None:
        """Record a safety trigger; return the alert to post, or None if rate-limited."""
        w = self._open.get(ref)
        if w is not None and at - w.started < self.window:
            w.suppressed += 1
            w.last = at
            w.intent = intent
            w.intents.add(intent)
            return None
        further = w.suppressed if w is not None else 0
        self._open[ref] = _Window(started=at, last=at, intent=intent)
        return Alert(ref, intent, at, message, further=further)

    def flush(self, now: dt.datetime) -> list[Alert]:
        """Summaries for closed windows that counted further triggers; forgets closed ones."""
        out: list[Alert] = []
        for ref, w in list(self._open.items()):
            if now - w.started < self.window:
                continue
            if w.suppressed:
                out.append(Alert(ref, w.intent, w.last, "", further=w.suppressed, summary=True))
            del self._open[ref]
        return out

    def forget(self, ref: str) -> None:
        """Drop what is known about a conversation (after /forget)."""
        self._open.pop(ref, None)


OVERFLOW_REF = "several"  # the summary of alerts a route's full queue could not hold


def format_alert(alert: Alert, tz: dt.tzinfo | None = None) -> str:
    """The plain-text alert staff read (the channel escapes it for its markup)."""
    at = alert.at.astimezone(tz) if tz is not None else alert.at
    when = f"{at:%H:%M} on {at:%a %d %b %Y}"
    title = SAFETY_TITLES.get(alert.intent, alert.intent)
    if alert.ref == OVERFLOW_REF:
        return "\n".join([
            "Signpost safety alerts: too many at once for this route",
            f"{alert.further} more safety alert(s) came in faster than this route could "
            f"deliver them, the latest at {when}. {alert.message}",
            "None is lost: every one is in the console's safety queue, and in "
            "'signpost review'.",
        ])
    if alert.summary:
        lines = [
            "Signpost safety alert (follow-up)",
            f"Conversation: {alert.ref}",
            f"{alert.further} further safety message(s) in the 10 minutes after the last "
            f"alert, the latest ({alert.intent}: {title}) at {when}.",
        ]
    else:
        message = " ".join(alert.message.split())
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1].rstrip() + "…"
        lines = [
            "Signpost safety alert",
            f"Conversation: {alert.ref}",
            f"Safety intent: {alert.intent} ({title})",
            f"Time: {when}",
            f"Message (personal details removed): {message or '(not shown)'}",
            "The young person has been given 999 and 24/7 routes to help.",
        ]
        if alert.further:
            lines.append(f"Also {alert.further} further safety message(s) since the previous "
                         "alert for this conversation.")
    lines.append(f"To read the conversation: signpost review conversation {alert.ref}")
    return "\n".join(lines)


def staff_text(alert: Alert) -> str:
    """The alert as every sink shows it: `format_alert` in London time."""
    return format_alert(alert, LONDON)


class AlertSink(Protocol):
    """Somewhere staff are told about a disclosure (the Telegram staff group is one)."""

    name: str  # for the operator's log and `signpost check`, e.g. "telegram staff group"

    async def post(self, alert: Alert) -> None:
        """Deliver one alert; raise if it could not be delivered (the router logs it)."""
        ...
