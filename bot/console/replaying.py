"""What a change to the catalogue would do: replay the replay sets and the last 30 days.

Blocking work (loading catalogues, building engines, answering hundreds of messages): the
pages run these functions on a worker thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from pathlib import Path

from bot.dialogue import Engine
from bot.redact import PLACEHOLDERS
from bot.review_actions import Draft, draft_example
from bot.staff_replay import ReplayReport, file_messages, log_messages, replay

LOG_DAYS = 30
# The redactor's placeholders, and any other "[word]" it may learn to write ([name], ...).
_PLACEHOLDER_RE = re.compile(r"\[[a-z][a-z ]{0,20}\]")


def placeholders_in(text: str) -> list[str]:
    """Redaction placeholders left in a message, e.g. ["[phone]"]."""
    found = [p for p in PLACEHOLDERS if p in text]
    found += [m for m in _PLACEHOLDER_RE.findall(text) if m not in found]
    return found


def replay_messages(sets: tuple[Path, ...], data_dir: Path, now: dt.datetime
                    ) -> list[tuple[str, str | None]]:
    """The replay sets (labelled) and the log's last 30 days of messages (already redacted)."""
    messages: list[tuple[str, str | None]] = []
    for path in sets:
        try:
            messages += file_messages(path)
        except (OSError, ValueError):
            continue  # a broken replay set must not stop a preview; the log still counts
    with contextlib.suppress(FileNotFoundError, sqlite3.Error):  # no log yet: sets only
        messages += [(t, None) for t in log_messages(data_dir,
                                                     since=now - dt.timedelta(days=LOG_DAYS))]
    return messages


def preview_example(root: Path, intent: str, text: str, old: Engine,
                    messages: list[tuple[str, str | None]]) -> tuple[Draft, ReplayReport]:
    """The checked draft of adding `text` to `intent`, and what it would change.

    Raises bot.review_turns.Refused (with a message for staff) when it cannot be added.
    """
    draft = draft_example(root, intent, text)
    return draft, replay(old, Engine(draft.catalogue), messages)


def report_groups(report: ReplayReport, limit: int = 25) -> list[dict[str, object]]:
    """The report as the preview templates show it.

    First the safety changes (a safety reply starts or stops: these need the safeguarding
    role), then safety replies whose wording or services change, then everything else.
    """
    out: list[dict[str, object]] = []
    for name, diffs in report.ordered():
        out.append({
            "name": name,
            "safety": any(d.old.safety != d.new.safety for d in diffs),
            "safety_wording": any(d.old.safety or d.new.safety for d in diffs),
            "count": sum(d.count for d in diffs),
            "messages": [{"text": d.text, "count": d.count, "expected": d.expected,
                          "old": d.old.label, "new": d.new.label} for d in diffs[:limit]],
            "more": max(0, len(diffs) - limit),
        })
    out.sort(key=lambda g: 0 if g["safety"] else 1 if g["safety_wording"] else 2)
    return out


def blocks(report: ReplayReport, may_change_safety: bool) -> bool:
    """A change that starts or stops a safety reply needs the safeguarding role."""
    return report.safety_changed > 0 and not may_change_safety
