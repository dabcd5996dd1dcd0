"""The moderators' actions on the log: export turns, promote a message to an intent's
examples (re-validating the catalogue first), and mark turns reviewed or ignored.
"""

from __future__ import annotations

import copy
import csv
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from bot.catalogue import load
from bot.review_turns import Refused, Turn
from bot.store import (
    add_audit,
    mark_turns,
    select_turn,
)
from bot.text import fold
from bot.yamledit import dump, load_changed, replace_file, round_trip

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
    new_cat, problems = load_changed(root, {f"intents/{path.name}": updated},
                                     "signpost-promote-")
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
        raise Refused(no_turn_message(turn_id))
    turn = Turn.from_row(row)
    text = " ".join((turn.text if text is None else text).split())
    if not text:
        raise Refused(f"Turn #{turn_id} has no text to add.")
    draft = draft_example(root, intent, text)
    path, new_cat = draft.file, draft.catalogue
    if path.read_bytes() != draft.original:
        raise Refused(f"{path} changed while this was being checked (someone else is "
                      "editing it?). Nothing was changed; run the command again.")
    replace_file(path, draft.updated)
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
    from ruamel.yaml.comments import CommentedSeq

    yaml = round_trip(source)
    data = yaml.load(source)
    if dump(yaml, data) != source:
        raise Refused(f"{path} cannot be changed without reformatting it, so nothing was "
                      f'changed. Add this line under examples: by hand:\n  - "{text}"')
    examples = data.get("examples") if hasattr(data, "get") else None
    if not isinstance(examples, CommentedSeq):
        raise Refused(f"{path} has no examples: list to add to; nothing was changed.")
    last = len(examples) - 1
    examples.append(text)
    _move_trailing_comment(examples, last)
    return dump(yaml, data)


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


def set_status(conn: sqlite3.Connection, turn_ids: list[int], status: str, action: str,
               moderator: str) -> tuple[list[int], list[int]]:
    """Mark turns and audit each; returns (done, not found)."""
    done = mark_turns(conn, turn_ids, status)
    for tid in done:
        add_audit(conn, moderator, action, tid)
    return done, [t for t in turn_ids if t not in done]


def no_turn_message(turn_id: int) -> str:
    return (f"There is no turn #{turn_id}. It may have been erased (the young person used "
            "/forget, or it was older than the retention period), or the number is mistyped.")

