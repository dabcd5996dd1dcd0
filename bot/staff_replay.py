"""Which answers an edit to the catalogue would change: old engine vs new, message by message.

`replay(old, new, messages, now)` returns a ReplayReport of the differences, grouped by
kind; messages come from a file (`file_messages`) or the conversation log (`log_messages`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import ChatState, Engine, Reply, london_now
from bot.yamlfile import parse_yaml


@dataclass(frozen=True, slots=True)
class Answer:
    """What the bot does with one message, in the terms staff compare."""

    label: str  # intent id, "ask: a or b", "no answer", ...
    safety: str | None
    services: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Difference:
    text: str
    count: int  # how many times the message occurs in the input
    old: Answer
    new: Answer
    expected: str | None = None  # the label in an eval file, if any


@dataclass
class ReplayReport:
    messages: int = 0
    distinct: int = 0
    groups: dict[str, list[Difference]] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(d.count for ds in self.groups.values() for d in ds)

    @property
    def safety_changed(self) -> int:
        return sum(d.count for ds in self.groups.values() for d in ds
                   if d.old.safety != d.new.safety)

    def ordered(self) -> list[tuple[str, list[Difference]]]:
        """Safety changes first, then the biggest groups."""
        def key(item: tuple[str, list[Difference]]) -> tuple[int, int, str]:
            name, ds = item
            safety = any(d.old.safety != d.new.safety for d in ds)
            return (0 if safety else 1, -sum(d.count for d in ds), name)
        return sorted(self.groups.items(), key=key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "changed": self.changed,
            "safety_changed": self.safety_changed,
            "groups": [
                {"change": name, "safety": any(d.old.safety != d.new.safety for d in ds),
                 "count": sum(d.count for d in ds),
                 "messages": [{"text": d.text, "count": d.count, "expected": d.expected,
                               "old": asdict(d.old), "new": asdict(d.new)} for d in ds]}
                for name, ds in self.ordered()
            ],
        }


def answer_of(reply: Reply) -> Answer:
    label = {"fallback": "no answer", "error": "error"}.get(reply.kind, reply.intent or "")
    if reply.safety:
        label = f"{reply.safety} (safety)"
    elif reply.kind == "clarify":
        label = "ask: " + " or ".join(a.intent_id for a in reply.alternatives[:2])
    elif not label:
        label = reply.kind
    return Answer(label, reply.safety, tuple(reply.service_ids),
                  tuple(p.text for p in reply.all_parts()))


def _group_name(old: Answer, new: Answer) -> str:
    if old.label != new.label:
        return f"{old.label} -> {new.label}"
    what = []
    if old.texts != new.texts:
        what.append("reply text")
    if old.services != new.services:
        what.append("services")
    return f"{old.label} -> {new.label} (same intent, different {' and '.join(what)})"


def replay(old: Engine, new: Engine, messages: Iterable[tuple[str, str | None]],
           now: dt.datetime | None = None) -> ReplayReport:
    """Answer each message with both versions; keep the ones whose answer changes."""
    now = now or london_now()
    report = ReplayReport()
    counts: Counter[str] = Counter()
    labels: dict[str, str | None] = {}
    for text, expected in messages:
        report.messages += 1
        counts[text] += 1
        labels.setdefault(text, expected)
    report.distinct = len(counts)
    for text, count in counts.items():
        a = answer_of(old.respond(text, ChatState(), now))
        b = answer_of(new.respond(text, ChatState(), now))
        if a != b:
            report.groups.setdefault(_group_name(a, b), []).append(
                Difference(text, count, a, b, labels[text]))
    return report


def replay_text(r: ReplayReport, limit: int = 20) -> str:
    if r.messages == 0:
        return "No messages to replay."
    out = [f"{r.changed} of {r.messages} messages would be answered differently "
           f"({r.safety_changed} safety change(s))."]
    if r.safety_changed:
        out.append("!!! SAFETY REPLIES CHANGE: check every message below marked SAFETY before "
                   "publishing. A message that loses its safety reply can cost a life. !!!")
    for name, ds in r.ordered():
        safety = any(d.old.safety != d.new.safety for d in ds)
        total = sum(d.count for d in ds)
        out.append("")
        out.append(f"{'SAFETY  ' if safety else ''}{name}: {total}")
        for d in ds[:limit]:
            times = f" (x{d.count})" if d.count > 1 else ""
            exp = ""
            if d.expected:
                was = d.old.label.split(" ")[0] == d.expected
                now = d.new.label.split(" ")[0] == d.expected
                mark = {(False, True): ": now right", (True, False): ": NOW WRONG"}.get(
                    (was, now), "")
                exp = f"  [labelled {d.expected}{mark}]"
            out.append(f"  - \"{d.text}\"{times}{exp}")
            if d.old.services != d.new.services and d.old.label == d.new.label:
                out.append(f"      services: {', '.join(d.old.services) or '(none)'} -> "
                           f"{', '.join(d.new.services) or '(none)'}")
        if len(ds) > limit:
            out.append(f"  ... and {len(ds) - limit} more (use --all to see them)")
    return "\n".join(out)


_LOGGED_EVENT = re.compile(r"^\[[^\]]*\]$")  # "[button menu]", "[shared a location]", ...


def log_messages(data_dir: Path, limit: int | None = None,
                 since: dt.datetime | None = None) -> list[str]:
    """Redacted messages from the conversation log, oldest first (read-only)."""
    from bot.store import recent_texts

    texts = recent_texts(data_dir, limit, since)
    return [t for t in texts if t.strip() and not t.startswith("/")
            and not _LOGGED_EVENT.match(t.strip())]


def file_messages(path: Path) -> list[tuple[str, str | None]]:
    """An eval-style YAML list ({text, intent} or plain strings), or one message a line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in (".yaml", ".yml"):
        return [(line, None) for line in text.splitlines() if line.strip()]
    doc, problems = parse_yaml(text, str(path))
    if doc is None or problems:
        raise ValueError("\n".join(str(p) for p in problems))
    if not isinstance(doc.data, list):
        raise ValueError(f"{path}:1: should be a list of messages "
                         "(write lines like: - {text: any boxing, intent: sport})")
    out: list[tuple[str, str | None]] = []
    for i, row in enumerate(doc.data):
        if isinstance(row, str):
            out.append((row, None))
        elif isinstance(row, dict) and isinstance(row.get("text"), str):
            intent = row.get("intent")
            out.append((row["text"], str(intent) if intent is not None else None))
        else:
            line = doc.pos((i,))[0]
            raise ValueError(f"{path}:{line}: needs text (write it as "
                             "- {text: ..., intent: ...})")
    return out


