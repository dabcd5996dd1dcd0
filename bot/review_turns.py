"""Logged turns as values, the date window every review tool filters by, and the review
tools' two exceptions (Refused: not done, exit 1; CannotRun: cannot start, exit 2).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from bot.catalogue import LONDON
from bot.store import (
    parse_stamp,
    select_turns,
)


class Refused(Exception):
    """An action was not done; the message tells the moderator why (exit 1)."""


class CannotRun(Exception):
    """The command cannot run at all; the message says what to do (exit 2)."""



# ------------------------------------------------------------------ turns as values


@dataclass(frozen=True, slots=True)
class Turn:
    """One stored message and how the bot answered it."""

    id: int
    at: dt.datetime  # Europe/London
    channel: str
    ref: str
    text: str  # already redacted
    kind: str
    intent: str | None
    score: float
    alternatives: tuple[tuple[str, float], ...]
    safety: str | None
    services: tuple[str, ...]
    helpful: bool | None
    review: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Turn:
        alts = tuple((a["intent"], float(a["score"])) for a in json.loads(row["alternatives"]))
        helpful = None if row["helpful"] is None else bool(row["helpful"])
        return cls(int(row["id"]), parse_stamp(row["at"]).astimezone(LONDON), row["channel"],
                   row["ref"], row["text"], row["kind"], row["intent"], float(row["score"]),
                   alts, row["safety"], tuple(json.loads(row["services"])), helpful,
                   row["review"])

    @property
    def answer(self) -> str:
        """How the bot answered, in a few words."""
        if self.safety:
            return f"SAFETY: {self.safety}"
        if self.intent:
            return self.intent
        if self.kind == "clarify" and len(self.alternatives) >= 2:
            return f"asked: {self.alternatives[0][0]} or {self.alternatives[1][0]}?"
        if self.kind == "fallback":
            return "(not understood)"
        return f"({self.kind})"

    @property
    def closest(self) -> tuple[str, float] | None:
        return self.alternatives[0] if self.alternatives else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "channel": self.channel,
            "conversation": self.ref, "text": self.text, "kind": self.kind,
            "intent": self.intent, "score": self.score,
            "alternatives": [{"intent": i, "score": s} for i, s in self.alternatives],
            "safety": self.safety, "services": list(self.services),
            "helpful": self.helpful, "review": self.review,
        }


@dataclass(frozen=True, slots=True)
class Window:
    """--since / --until as stored UTC bounds (dates are London days, both inclusive)."""

    since: dt.date | None = None
    until: dt.date | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The window as [start, end) instants (London midnights)."""
        start = _london_midnight(self.since) if self.since else None
        end = _london_midnight(self.until + dt.timedelta(days=1)) if self.until else None
        return start, end

    def describe(self) -> str:
        if self.since and self.until:
            return f" from {self.since} to {self.until}"
        if self.since:
            return f" since {self.since}"
        if self.until:
            return f" up to {self.until}"
        return ""


def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON)


def load_turns(conn: sqlite3.Connection, window: Window, **filters: Any) -> list[Turn]:
    """Turns in the window; `filters` as bot.store.select_turns takes them."""
    return [Turn.from_row(r) for r in select_turns(conn, *window.bounds(), **filters)]

