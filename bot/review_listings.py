"""The moderators' listings of the conversation log, as values and as terminal tables.

    unmatched     messages the bot could not answer confidently, similar ones grouped
    safety        safety-triggered turns, newest first, with the turns around them
    feedback      answers marked unhelpful and what they showed
    stats         one row per ISO week
    conversation  one conversation in order
    audit         who did what, and when
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import textwrap
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from bot.catalogue import LONDON
from bot.redact import PLACEHOLDERS
from bot.review_turns import Turn, Window, load_turns
from bot.store import (
    parse_stamp,
    select_audit,
)
from bot.text import STOPWORDS, fold

UNMATCHED_KINDS = ("fallback", "clarify")
SIMILAR = 80  # rapidfuzz score (0-100) at which two messages count as "the same question"
CONTEXT = 2  # turns shown before and after each safety turn
STATUS_WORDS = {None: "", "reviewed": "reviewed", "ignored": "ignored", "promoted": "promoted"}


# ------------------------------------------------------------------ unmatched


@dataclass(slots=True)
class Group:
    """Similar unmatched messages, counted together."""

    key: str
    turns: list[Turn] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The most common wording (ties: the most recent)."""
        counts = Counter(t.text for t in self.turns)
        latest = {t.text: t.at for t in self.turns}
        return max(counts, key=lambda s: (counts[s], latest[s]))

    @property
    def variants(self) -> list[str]:
        seen = dict.fromkeys(t.text for t in sorted(self.turns, key=lambda t: t.at,
                                                    reverse=True))
        return [s for s in seen if s != self.text]

    @property
    def people(self) -> int:
        return len({t.ref for t in self.turns})

    @property
    def last_seen(self) -> dt.datetime:
        return max(t.at for t in self.turns)

    @property
    def closest(self) -> tuple[str, float] | None:
        guesses = Counter(t.closest[0] for t in self.turns if t.closest)
        if not guesses:
            return None
        intent = guesses.most_common(1)[0][0]
        best = max(t.closest[1] for t in self.turns if t.closest and t.closest[0] == intent)
        return intent, best

    def as_dict(self) -> dict[str, Any]:
        closest = self.closest
        return {
            "count": len(self.turns), "people": self.people, "text": self.text,
            "variants": self.variants, "turn_ids": [t.id for t in self.turns],
            "closest": {"intent": closest[0], "score": closest[1]} if closest else None,
            "last_seen": self.last_seen.isoformat(),
        }


# Words that do not change what a message asks for ("any skate park near me" asks what
# "skatepark?" asks); dropped, with the usual stopwords, before messages are compared.
_FILLER_WORDS = ("near nearest me pls please plz wheres whats where there anywhere around here "
                 "local round find need want wanna know anyone someone thing things stuff")
_FILLER = frozenset(_FILLER_WORDS.split())


def similarity_key(text: str) -> str:
    """What two messages are compared on: their content words, placeholders dropped."""
    for p in PLACEHOLDERS:
        text = text.replace(p, " ")
    words = fold(text).split()
    content = [w for w in words if w not in STOPWORDS and w not in _FILLER]
    return " ".join(content or words)


def group_similar(turns: Iterable[Turn], threshold: float = SIMILAR) -> list[Group]:
    """Cluster messages by wording (most frequent wordings lead); biggest group first.

    Two messages are similar when their content words match in any order, or match once
    spaces are ignored ("skatepark" and "skate park").
    """
    by_key: dict[str, list[Turn]] = defaultdict(list)
    for t in turns:
        by_key[similarity_key(t.text)].append(t)
    groups: list[Group] = []
    leaders: list[str] = []
    joined: list[str] = []
    for key in sorted(by_key, key=lambda k: (-len(by_key[k]), k)):
        best: tuple[float, int] | None = None
        if key and leaders:
            for found in (process.extractOne(key, leaders, scorer=fuzz.token_sort_ratio,
                                             score_cutoff=threshold),
                          process.extractOne(key.replace(" ", ""), joined, scorer=fuzz.ratio,
                                             score_cutoff=threshold)):
                if found is not None and (best is None or found[1] > best[0]):
                    best = (found[1], found[2])
        if best is None:
            groups.append(Group(key, list(by_key[key])))
            leaders.append(key)
            joined.append(key.replace(" ", ""))
        else:
            groups[best[1]].turns.extend(by_key[key])
    for g in groups:
        g.turns.sort(key=lambda t: (t.at, t.id))
    groups.sort(key=lambda g: (-len(g.turns), -g.last_seen.timestamp()))
    return groups


def unmatched(conn: sqlite3.Connection, window: Window, show_all: bool = False) -> list[Group]:
    turns = load_turns(conn, window, unmatched_kinds=UNMATCHED_KINDS, unreviewed=not show_all)
    return group_similar(turns)


def show_unmatched(groups: list[Group], window: Window) -> str:
    if not groups:
        return f"Nothing to look at: every message{window.describe()} was answered " \
               "confidently (or has been reviewed)."
    rows = []
    for g in groups:
        ids = [str(t.id) for t in g.turns]
        shown = ", ".join(ids[:4]) + (f" +{len(ids) - 4}" if len(ids) > 4 else "")
        said = g.text + "".join(f"\n  also: {v}" for v in g.variants[:2])
        if len(g.variants) > 2:
            said += f"\n  and {len(g.variants) - 2} other wording(s)"
        closest = g.closest
        guess = f"{closest[0]} ({closest[1]:.0f})" if closest else "-"
        rows.append([str(len(g.turns)), str(g.people), said, guess, shown,
                     _when(g.last_seen)])
    total = sum(len(g.turns) for g in groups)
    head = (f"{total} message(s) the bot could not answer confidently{window.describe()}, "
            f"in {len(groups)} group(s), most frequent first.\n")
    foot = ("\nTo teach the bot: signpost review promote TURN_ID INTENT"
            "\nNot useful: signpost review ignore TURN_ID ...")
    return head + table(["Times", "People", "What they said", "Bot's best guess (score)",
                         "Turn ids", "Last seen"], rows, wrap=2) + foot


# ------------------------------------------------------------------ safety


@dataclass(frozen=True, slots=True)
class SafetyItem:
    turn: Turn
    before: tuple[Turn, ...]
    after: tuple[Turn, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.turn.as_dict(), "before": [t.as_dict() for t in self.before],
                "after": [t.as_dict() for t in self.after]}


def safety(conn: sqlite3.Connection, window: Window, show_all: bool = False,
           context: int = CONTEXT) -> list[SafetyItem]:
    flagged = load_turns(conn, window, safety=True, unreviewed=not show_all, order="newest")
    convs: dict[str, list[Turn]] = {}
    items = []
    for t in flagged:
        if t.ref not in convs:
            convs[t.ref] = load_turns(conn, Window(), ref=t.ref)
        conv = convs[t.ref]
        i = next(n for n, c in enumerate(conv) if c.id == t.id)
        items.append(SafetyItem(t, tuple(conv[max(0, i - context):i]),
                                tuple(conv[i + 1:i + 1 + context])))
    return items


def show_safety(items: list[SafetyItem], window: Window) -> str:
    if not items:
        return f"No safety-triggered messages to review{window.describe()}."
    out = [f"{len(items)} safety-triggered message(s){window.describe()}, newest first. "
           "Lines marked > are the safety message; the others are the same conversation "
           "just before and after.", ""]
    for item in items:
        t = item.turn
        status = f", {t.review}" if t.review else ""
        out.append(f"#{t.id}  {_when(t.at)}  {t.safety}  conversation {t.ref} "
                   f"({t.channel}{status})")
        rows = [_conv_row(c, marker=">" if c.id == t.id else "")
                for c in (*item.before, t, *item.after)]
        out.append(textwrap.indent(table([" ", "Turn", "Time", "They said", "Bot answered",
                                          "Services shown"], rows, wrap=3), "  "))
        out.append("")
    out.append("When you have dealt with one: signpost review mark-reviewed TURN_ID")
    return "\n".join(out)


def _conv_row(t: Turn, marker: str = "") -> list[str]:
    return [marker, f"#{t.id}", _when(t.at), t.text, t.answer, _services(t)]


# ------------------------------------------------------------------ feedback


def feedback(conn: sqlite3.Connection, window: Window, show_all: bool = False) -> list[Turn]:
    return load_turns(conn, window, unhelpful=True, unreviewed=not show_all, order="newest")


def show_feedback(turns: list[Turn], window: Window) -> str:
    if not turns:
        return f"No answers marked unhelpful{window.describe()}."
    rows = [[f"#{t.id}", _when(t.at), t.text, t.answer, _services(t),
             t.ref] for t in turns]
    return (f"{len(turns)} answer(s) marked unhelpful (👎){window.describe()}, newest first.\n"
            + table(["Turn", "Time", "They said", "Bot answered", "Services shown",
                     "Conversation"], rows, wrap=2)
            + "\nIf the bot picked the wrong topic: signpost review promote TURN_ID "
              "RIGHT_INTENT\nTo see the whole chat: signpost review conversation REF")


# ------------------------------------------------------------------ stats


@dataclass(frozen=True, slots=True)
class WeekStats:
    week: str  # ISO week, e.g. 2026-W48
    starts: dt.date
    conversations: int
    messages: int
    confident: int
    unmatched: int
    safety: int
    helpful: int
    unhelpful: int
    top_intents: tuple[tuple[str, int], ...]

    @property
    def confident_rate(self) -> float:
        return self.confident / self.messages if self.messages else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week, "starts": self.starts.isoformat(),
            "conversations": self.conversations, "messages": self.messages,
            "confident_rate": round(self.confident_rate, 3), "unmatched": self.unmatched,
            "safety": self.safety, "helpful": self.helpful, "unhelpful": self.unhelpful,
            "top_intents": [{"intent": i, "count": n} for i, n in self.top_intents],
        }


def stats(conn: sqlite3.Connection, window: Window) -> list[WeekStats]:
    weeks: dict[tuple[int, int], list[Turn]] = defaultdict(list)
    for t in load_turns(conn, window):
        year, week, _ = t.at.isocalendar()
        weeks[(year, week)].append(t)
    out = []
    for (year, week), turns in sorted(weeks.items()):
        intents = Counter(t.intent for t in turns if t.intent and not t.safety)
        out.append(WeekStats(
            week=f"{year}-W{week:02d}", starts=dt.date.fromisocalendar(year, week, 1),
            conversations=len({t.ref for t in turns}), messages=len(turns),
            confident=sum(t.intent is not None for t in turns),
            unmatched=sum(t.intent is None and t.kind in UNMATCHED_KINDS for t in turns),
            safety=sum(t.safety is not None for t in turns),
            helpful=sum(t.helpful is True for t in turns),
            unhelpful=sum(t.helpful is False for t in turns),
            top_intents=tuple(intents.most_common(3)),
        ))
    return out


def show_stats(weeks: list[WeekStats], window: Window) -> str:
    if not weeks:
        return f"No conversations stored{window.describe()}."
    rows = []
    for w in weeks:
        rated = w.helpful + w.unhelpful
        ratio = f"{w.helpful}/{w.unhelpful}" + (f" ({w.helpful / rated:.0%} 👍)" if rated else "")
        top = ", ".join(f"{i} {n}" for i, n in w.top_intents) or "-"
        rows.append([w.week, f"{w.starts:%d %b}", str(w.conversations), str(w.messages),
                     f"{w.confident_rate:.0%}", str(w.unmatched), str(w.safety), ratio, top])
    return (f"Week by week{window.describe()} (weeks start on Monday).\n"
            + table(["Week", "From", "Conversations", "Messages", "Answered", "Unmatched",
                     "Safety", "👍/👎", "Top topics"], rows, wrap=8)
            + "\nAnswered: share of messages the bot answered with a confident topic.")


# ------------------------------------------------------------------ conversation, audit


def conversation(conn: sqlite3.Connection, ref: str, window: Window) -> list[Turn]:
    return load_turns(conn, window, ref=ref.strip())


def show_conversation(turns: list[Turn], ref: str) -> str:
    rows = []
    for t in turns:
        notes = [x for x in (
            {True: "👍", False: "👎", None: ""}[t.helpful], STATUS_WORDS.get(t.review, "")) if x]
        rows.append([f"#{t.id}", _when(t.at), t.text, t.answer, _services(t),
                     " ".join(notes)])
    return (f"Conversation {ref}: {len(turns)} message(s), oldest first.\n"
            + table(["Turn", "Time", "They said", "Bot answered", "Services shown", "Notes"],
                    rows, wrap=2))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    moderator: str
    action: str
    turn_id: int | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "moderator": self.moderator,
                "action": self.action, "turn_id": self.turn_id, "detail": self.detail}


def audit(conn: sqlite3.Connection, window: Window) -> list[AuditEntry]:
    rows = select_audit(conn, *window.bounds())
    return [AuditEntry(int(r["id"]), parse_stamp(r["at"]).astimezone(LONDON), r["moderator"],
                       r["action"], r["turn_id"], r["detail"]) for r in rows]


def show_audit(entries: list[AuditEntry], window: Window) -> str:
    if not entries:
        return f"No review actions recorded{window.describe()}."
    rows = [[_when(e.at), e.moderator, e.action,
             f"#{e.turn_id}" if e.turn_id is not None else "-", e.detail] for e in entries]
    return (f"{len(entries)} review action(s){window.describe()}, oldest first.\n"
            + table(["Time", "Moderator", "Action", "Turn", "Details"], rows, wrap=4))



# ------------------------------------------------------------------ terminal output


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], wrap: int | None = None,
          width: int | None = None) -> str:
    """A plain-text table; column `wrap` is wrapped to fit the terminal width."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([_width(h), *(max(map(_width, r[i].splitlines() or [""])) for r in cells)])
              for i, h in enumerate(headers)]
    if wrap is not None:
        others = sum(w for i, w in enumerate(widths) if i != wrap) + 2 * (len(widths) - 1)
        widths[wrap] = max(24, min(widths[wrap], width - others))
    lines = [_line(headers, widths), _line(["-" * w for w in widths], widths)]
    for row in cells:
        split = [_wrap(c, widths[i]) if i == wrap else c.splitlines() or [""]
                 for i, c in enumerate(row)]
        for n in range(max(len(s) for s in split)):
            lines.append(_line([s[n] if n < len(s) else "" for s in split], widths))
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    out: list[str] = []
    for para in text.splitlines() or [""]:
        indent = " " * (len(para) - len(para.lstrip()))
        out.extend(textwrap.wrap(para, width, subsequent_indent=indent or "",
                                 break_long_words=True) or [""])
    return out


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c + " " * (w - _width(c))
                     for c, w in zip(cells, widths, strict=True)).rstrip()


def _width(text: str) -> int:
    """Columns a string takes in a terminal (emoji and CJK take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _services(t: Turn) -> str:
    return "\n".join(t.services) or "-"


def _when(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")

