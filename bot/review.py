"""`signpost review ...`: the moderators' view of the conversation log.

Listings (each takes --json, --since, --until):
    unmatched        messages the bot could not answer confidently, similar ones grouped
    safety           safety-triggered turns, newest first, with the turns around them
    feedback         answers marked unhelpful (👎) and what they showed
    stats            one row per ISO week
    conversation     one conversation in order
    audit            who did what, and when
Actions (each needs a moderator name: --as NAME or SIGNPOST_MODERATOR; each is audited):
    export --csv F   the filtered turns as a spreadsheet
    promote ID INT   add a message as an example of an intent, after re-validating
    ignore ID...     take turns off the queues as not useful
    mark-reviewed    take turns off the queues as dealt with

Exit codes: 0 done; 1 refused or not found (the message says why); 2 cannot run (no
conversation log, no moderator name, bad arguments).
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import textwrap
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.catalogue import LONDON, find_root, load
from bot.redact import PLACEHOLDERS
from bot.store import (
    DB_NAME,
    StoreError,
    add_audit,
    connect_existing,
    mark_turns,
    parse_stamp,
    select_audit,
    select_turn,
    select_turns,
)
from bot.text import STOPWORDS, fold

UNMATCHED_KINDS = ("fallback", "clarify")
SIMILAR = 80  # rapidfuzz score (0-100) at which two messages count as "the same question"
CONTEXT = 2  # turns shown before and after each safety turn
STATUS_WORDS = {None: "", "reviewed": "reviewed", "ignored": "ignored", "promoted": "promoted"}


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


# ------------------------------------------------------------------ actions


EXPORT_COLUMNS = ("turn_id", "time", "channel", "conversation", "message", "answer_kind",
                  "intent", "score", "safety", "services", "helpful", "review")


def export_csv(turns: list[Turn], path: Path) -> None:
    """Write turns as CSV (owner-only file; cells that a spreadsheet would run are defused)."""
    buf = StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_COLUMNS)
    for t in turns:
        helpful = {True: "yes", False: "no", None: ""}[t.helpful]
        w.writerow([t.id, t.at.strftime("%Y-%m-%d %H:%M"), t.channel, t.ref, _cell(t.text),
                    t.kind, t.intent or "", f"{t.score:.1f}", t.safety or "",
                    " ".join(t.services), helpful, t.review or ""])
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # an older export may have been readable by others
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
        f.write(buf.getvalue())


def _cell(text: str) -> str:
    # A message starting with = + - @ would run as a formula when opened in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True, slots=True)
class Promoted:
    file: Path
    text: str
    intent: str
    now_answers: str | None  # the intent the updated catalogue answers this text with
    score: float


@dataclass(frozen=True, slots=True)
class Draft:
    """An intent file with one more example, checked: what promote would write."""

    file: Path
    original: bytes
    updated: str
    catalogue: Any  # the Catalogue as it would be, already validated


def draft_example(root: Path, intent: str, text: str) -> Draft:
    """Add `text` to intents/INTENT.yaml in memory and validate a copy; Refused if not OK."""
    text = " ".join(text.split())
    if not text:
        raise Refused("There is no text to add.")
    path = _intent_file(root, intent)
    original = path.read_bytes()
    cat, problems = load(root)
    if cat is None:
        errors = "\n".join(f"  {p}" for p in problems if p.severity == "error")
        raise Refused(f"The catalogue in {root} already has errors, so nothing was changed. "
                      f"Fix these first (then check with 'signpost validate'):\n{errors}")
    if intent in cat.intents and fold(text) in {fold(e) for e in cat.intents[intent].examples}:
        raise Refused(f'"{text}" is already an example of {intent}; nothing to add.')
    updated = _with_example(original.decode("utf-8"), text, path)
    new_cat, problems = _validate_copy(root, path, updated)
    if new_cat is None:
        errors = "\n".join(f"  {p}" for p in problems if p.severity == "error")
        raise Refused(f'Not promoted: adding "{text}" to {intent} would break the catalogue, '
                      f"so {path} was left as it was.\n{errors}")
    return Draft(path, original, updated, new_cat)


def promote(conn: sqlite3.Connection, turn_id: int, intent: str, root: Path,
            moderator: str, text: str | None = None,
            also: Sequence[int] = ()) -> Promoted:
    """Add a turn's (redacted) text to intents/INTENT.yaml if the result validates.

    `text` replaces the stored wording (the console lets a moderator edit it first);
    `also` are further turns of the same group, marked promoted with this one.
    """
    row = select_turn(conn, turn_id)
    if row is None:
        raise Refused(_no_turn(turn_id))
    turn = Turn.from_row(row)
    text = " ".join((turn.text if text is None else text).split())
    if not text:
        raise Refused(f"Turn #{turn_id} has no text to add.")
    draft = draft_example(root, intent, text)
    path, new_cat = draft.file, draft.catalogue
    if path.read_bytes() != draft.original:
        raise Refused(f"{path} changed while this was being checked (someone else is "
                      "editing it?). Nothing was changed; run the command again.")
    _replace_file(path, draft.updated)
    mark_turns(conn, [turn_id, *also], "promoted")
    add_audit(conn, moderator, "promote", turn_id, f"added as an example of {intent}")
    from bot.dialogue import Engine  # here: the engine is only needed after a promotion

    reply = Engine(new_cat).respond(text)
    answered = reply.intent if reply.kind in ("answer", "safety") else None
    return Promoted(path, text, intent, answered, reply.score)


def _intent_file(root: Path, intent: str) -> Path:
    folder = root / "intents"
    for ext in (".yaml", ".yml"):
        if (folder / f"{intent}{ext}").is_file():
            return folder / f"{intent}{ext}"
    known = sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    if not known:
        raise Refused(f"There is no intents folder in {root}. Point --catalogue (or "
                      "SIGNPOST_CATALOGUE) at the catalogue folder.")
    close = process.extractOne(intent, known, scorer=fuzz.WRatio, score_cutoff=70)
    hint = f' Did you mean "{close[0]}"?' if close else ""
    raise Refused(f'There is no intent called "{intent}" in {folder}.{hint} '
                  f"Intents: {', '.join(known)}.")


def _with_example(source: str, text: str, path: Path) -> str:
    """The intent file with one more example, keeping its comments and layout."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    offset = _sequence_offset(source)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)

    def dump(data: Any) -> str:
        out = StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    data = yaml.load(source)
    if dump(data) != source:
        raise Refused(f"{path} cannot be changed without reformatting it, so nothing was "
                      f'changed. Add this line under examples: by hand:\n  - "{text}"')
    examples = data.get("examples") if hasattr(data, "get") else None
    if not isinstance(examples, CommentedSeq):
        raise Refused(f"{path} has no examples: list to add to; nothing was changed.")
    last = len(examples) - 1
    examples.append(text)
    _move_trailing_comment(examples, last)
    return dump(data)


def _move_trailing_comment(seq: Any, last: int) -> None:
    """Comment lines after the old last example stay below the list, under the new one.

    ruamel keeps "- b  # inline" and the full comment lines after it in one token on b;
    the inline part stays with b, the lines below move to the new last item.
    """
    token = seq.ca.items.get(last, [None])[0] if last >= 0 else None
    if token is None or "\n" not in token.value:
        return
    cut = token.value.index("\n") + 1
    head, tail = token.value[:cut], token.value[cut:]
    if not tail.strip():
        return
    moved = copy.copy(token)
    moved.value = "\n" + tail
    if head.strip():
        token.value = head
    else:
        seq.ca.items.pop(last)
    seq.ca.items[last + 1] = [moved, None, None, None]


def _sequence_offset(source: str) -> int:
    """How far list dashes are indented under their key in this file (0 or 2 usually)."""
    lines = source.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.rstrip().endswith(":") and not line.lstrip().startswith("#"):
            nxt = lines[i + 1]
            if nxt.lstrip().startswith("- "):
                return (len(nxt) - len(nxt.lstrip())) - (len(line) - len(line.lstrip()))
    return 2


def _validate_copy(root: Path, path: Path, updated: str) -> tuple[Any, list[Any]]:
    """Load the catalogue as it would be with the change, from a temporary copy."""
    with tempfile.TemporaryDirectory(prefix="signpost-promote-") as tmp:
        copy = Path(tmp)
        for name in ("settings.yaml", "services.yaml", "lexicon.yaml"):
            if (root / name).exists():
                shutil.copy2(root / name, copy / name)
        shutil.copytree(root / "intents", copy / "intents")
        (copy / "intents" / path.name).write_text(updated, encoding="utf-8")
        return load(copy)


def _replace_file(path: Path, text: str) -> None:
    """Write next to the file, then swap it in, so the bot never reads half a file."""
    tmp = path.with_name(f".{path.name}.promote")
    tmp.write_text(text, encoding="utf-8")
    shutil.copymode(path, tmp)
    os.replace(tmp, path)


def set_status(conn: sqlite3.Connection, turn_ids: list[int], status: str, action: str,
               moderator: str) -> tuple[list[int], list[int]]:
    """Mark turns and audit each; returns (done, not found)."""
    done = mark_turns(conn, turn_ids, status)
    for tid in done:
        add_audit(conn, moderator, action, tid)
    return done, [t for t in turn_ids if t not in done]


def _no_turn(turn_id: int) -> str:
    return (f"There is no turn #{turn_id}. It may have been erased (the young person used "
            "/forget, or it was older than the retention period), or the number is mistyped.")


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


# ------------------------------------------------------------------ command line


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01') from None


def _turn_id(value: str) -> int:
    try:
        return int(value.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a turn id; use the number shown as #123 in the listings'
        ) from None


def review_args(p: argparse.ArgumentParser) -> None:
    """Add the review sub-commands to `signpost review`."""
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument("--data-dir", metavar="DIR",
                      help="the bot's data folder (default: $SIGNPOST_DATA_DIR or ./data)")
    span = argparse.ArgumentParser(add_help=False)
    span.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                      help="only messages from this day on")
    span.add_argument("--until", type=_date, metavar="YYYY-MM-DD",
                      help="only messages up to and including this day")
    listing = argparse.ArgumentParser(add_help=False, parents=[base, span])
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    queue = argparse.ArgumentParser(add_help=False)
    queue.add_argument("--all", action="store_true",
                       help="include turns already reviewed, ignored or promoted")
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--as", dest="moderator", metavar="NAME",
                     help="your name for the audit log (default: $SIGNPOST_MODERATOR)")

    sub = p.add_subparsers(dest="review_command", metavar="WHAT")

    def add(name: str, help_: str, parents: list[argparse.ArgumentParser]
            ) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=parents)

    add("unmatched", "messages the bot could not answer, similar ones grouped, most "
        "frequent first", [listing, queue])
    s = add("safety", "every safety-triggered message, newest first, with the messages "
            "around it", [listing, queue])
    s.add_argument("--context", type=int, default=CONTEXT, metavar="N",
                   help=f"messages shown before and after each one (default {CONTEXT})")
    add("feedback", "answers marked unhelpful, with what was shown", [listing, queue])
    add("stats", "week by week: conversations, messages, answered rate, top topics, "
        "unmatched, safety, 👍/👎", [listing])
    c = add("conversation", "one conversation in order", [listing])
    c.add_argument("ref", metavar="REF", help="the conversation reference, e.g. c-1a2b3c4d5e6f")
    e = add("export", "save the turns (filtered by --since/--until) as a CSV spreadsheet",
            [base, span, who])
    e.add_argument("--csv", type=Path, required=True, metavar="FILE", help="file to write")
    pr = add("promote", "add a message as a new example of an intent, so the bot learns it",
             [base, who])
    pr.add_argument("turn_id", type=_turn_id, metavar="TURN_ID")
    pr.add_argument("intent", metavar="INTENT", help="intent id, e.g. sport")
    pr.add_argument("--catalogue", metavar="DIR",
                    help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")
    for name, help_ in (("ignore", "take messages off the review lists as not useful"),
                        ("mark-reviewed", "take messages off the review lists as dealt with")):
        a = add(name, help_, [base, who])
        a.add_argument("turn_ids", type=_turn_id, nargs="+", metavar="TURN_ID")
    add("audit", "who promoted, ignored, reviewed or exported what, and when", [listing])
    p.set_defaults(review_parser=p)


def review_run(args: argparse.Namespace) -> int:
    """Run one review sub-command; exit code 0, 1 (refused) or 2 (cannot run)."""
    if not args.review_command:
        args.review_parser.print_help()
        return 2
    try:
        return _dispatch(args)
    except CannotRun as exc:
        print(f"signpost review: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    cmd: str = args.review_command
    moderator = _moderator(args) if cmd in ACTIONS else ""
    data_dir = Path(args.data_dir or os.environ.get("SIGNPOST_DATA_DIR") or "data")
    try:
        conn = connect_existing(data_dir)
    except StoreError as exc:
        raise CannotRun(
            f"{exc}.\nThere is nothing to review yet, or this is not the bot's data folder: "
            f"give the folder holding {DB_NAME} with --data-dir DIR (or set "
            "SIGNPOST_DATA_DIR)."
        ) from None
    try:
        if cmd in ACTIONS:
            return ACTIONS[cmd](conn, args, moderator)
        return _listing(conn, args)
    finally:
        conn.close()


def _moderator(args: argparse.Namespace) -> str:
    name = (args.moderator or os.environ.get("SIGNPOST_MODERATOR") or "").strip()
    if not name:
        raise CannotRun("every review action is recorded with the name of the person who did "
                        "it, and no name was given. Add --as \"YOUR NAME\" to the command, or "
                        "set SIGNPOST_MODERATOR=\"YOUR NAME\" before running it.")
    return name


def _listing(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    window = Window(args.since, args.until)
    show_all = getattr(args, "all", False)
    cmd = args.review_command
    data: Sequence[Any]
    render: Callable[[], str]
    if cmd == "unmatched":
        groups = unmatched(conn, window, show_all)
        data, render = groups, lambda: show_unmatched(groups, window)
    elif cmd == "safety":
        items = safety(conn, window, show_all, max(0, args.context))
        data, render = items, lambda: show_safety(items, window)
    elif cmd == "feedback":
        turns = feedback(conn, window, show_all)
        data, render = turns, lambda: show_feedback(turns, window)
    elif cmd == "stats":
        weeks = stats(conn, window)
        data, render = weeks, lambda: show_stats(weeks, window)
    elif cmd == "conversation":
        turns = conversation(conn, args.ref, window)
        if not turns:
            raise Refused(f"No messages stored for conversation {args.ref}{window.describe()}. "
                          "It may have been erased with /forget or be older than the "
                          "retention period; check the reference (it looks like c-1a2b3c4d5e6f).")
        data, render = turns, lambda: show_conversation(turns, args.ref)
    else:
        entries = audit(conn, window)
        data, render = entries, lambda: show_audit(entries, window)
    if args.json:
        print(json.dumps([d.as_dict() for d in data], ensure_ascii=False, indent=2))
    else:
        print(render())
    return 0


def _export(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
    window = Window(args.since, args.until)
    turns = load_turns(conn, window)
    try:
        export_csv(turns, args.csv)
    except OSError as exc:
        raise Refused(f"Could not write {args.csv}: {exc.strerror}. Check the folder exists "
                      "and you can write to it.") from None
    add_audit(conn, moderator, "export", None,
              f"{len(turns)} turns{window.describe()} to {args.csv.name}")
    print(f"Saved {len(turns)} message(s){window.describe()} to {args.csv}.\n"
          "This file is outside the bot's 90-day deletion and /forget: keep it somewhere "
          "safe and delete it when the report is done.")
    return 0


def _promote(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
    root = find_root(args.catalogue)
    result = promote(conn, args.turn_id, args.intent, root, moderator)
    print(f'Added "{result.text}" as an example of {result.intent} in {result.file}.')
    if result.now_answers == result.intent:
        print(f"The bot now answers this message with {result.intent} "
              f"(score {result.score:.0f}).")
    elif result.now_answers:
        print(f"Note: the bot still answers this message with {result.now_answers} "
              f"(score {result.score:.0f}); promoting a few more similar messages helps.")
    else:
        print("Note: the bot is still not confident about this message on its own; "
              "promoting a few more similar messages helps.")
    print("A running bot picks up the change within a few seconds.")
    return 0


def _mark(status: str, action: str) -> Callable[[sqlite3.Connection, argparse.Namespace, str],
                                                int]:
    def run(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
        done, missing = set_status(conn, list(dict.fromkeys(args.turn_ids)), status, action,
                                   moderator)
        if done:
            ids = ", ".join(f"#{t}" for t in done)
            print(f"Marked {ids} as {status}; they are off the review lists.")
        for tid in missing:
            print(_no_turn(tid), file=sys.stderr)
        return 1 if missing else 0
    return run


ACTIONS: dict[str, Callable[[sqlite3.Connection, argparse.Namespace, str], int]] = {
    "export": _export,
    "promote": _promote,
    "ignore": _mark("ignored", "ignore"),
    "mark-reviewed": _mark("reviewed", "mark-reviewed"),
}
