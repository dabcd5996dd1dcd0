"""The conversation log's SQL as plain functions, for the Store and the review tools."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bot.redact import redact
from bot.store.schema import DB_NAME, StoreError, _connect, _describe, stamp

if TYPE_CHECKING:
    from bot.dialogue import Reply

log = logging.getLogger("bot.store")

HIDE_WINDOW = dt.timedelta(hours=48)  # Telegram lets a bot delete messages this recent

# ------------------------------------------------------------------ SQL, as plain functions


def turn_row(ref: str, channel: str, text: str, reply: Reply,
             at: dt.datetime | None) -> dict[str, object]:
    """The values stored for one turn; the only place message text enters the database."""
    confident = reply.kind in ("answer", "safety") and reply.intent is not None
    return {
        "at": stamp(at),
        "channel": channel,
        "ref": ref,
        "text": redact(text),
        "kind": reply.kind,
        "intent": reply.intent if confident else None,
        "score": round(float(reply.score), 2),
        "alternatives": json.dumps([{"intent": c.intent_id, "score": round(float(c.score), 1)}
                                    for c in reply.alternatives]),
        "safety": reply.safety,
        "services": json.dumps(reply.service_ids),
    }


def insert_turn(conn: sqlite3.Connection, row: dict[str, object]) -> int:
    cur = conn.execute(
        "INSERT INTO turns (at, channel, ref, text, kind, intent, score, alternatives, safety,"
        " services) VALUES (:at, :channel, :ref, :text, :kind, :intent, :score, :alternatives,"
        " :safety, :services)", row)
    assert cur.lastrowid is not None
    return int(cur.lastrowid)


def erase_conversation(conn: sqlite3.Connection, ref: str) -> int:
    """Delete a conversation's turns and hide records in one transaction; turns deleted."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = conn.execute("DELETE FROM turns WHERE ref = ?", (ref,)).rowcount
        conn.execute("DELETE FROM hide_messages WHERE ref = ?", (ref,))
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return int(n)


def purge_old(conn: sqlite3.Connection, retention_days: int, now: dt.datetime) -> int:
    cutoff = stamp(now - dt.timedelta(days=retention_days))
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = conn.execute("DELETE FROM turns WHERE at < ?", (cutoff,)).rowcount
        conn.execute("DELETE FROM hide_messages WHERE at < ?", (stamp(now - HIDE_WINDOW),))
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return int(n)


def checkpoint(conn: sqlite3.Connection) -> bool:
    """Copy the WAL into the database and empty it, so erased rows leave no old copy there.

    False when another connection's read kept it from finishing (the caller retries).
    """
    try:
        row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        log.info("conversation log: checkpoint postponed: %s", _describe(exc))
        return False
    return row is None or int(row[0]) == 0


def connect_existing(data_dir: Path, busy_timeout: float = 5.0) -> sqlite3.Connection:
    """A connection for the moderators' tools; StoreError if there is no log there yet."""
    path = Path(data_dir) / DB_NAME
    if not path.is_file():
        raise StoreError(f"there is no conversation log at {path}")
    try:
        conn = _connect(path, busy_timeout)
    except sqlite3.Error as exc:
        raise StoreError(f"the conversation log at {path} cannot be opened ({exc})") from exc
    conn.row_factory = sqlite3.Row
    return conn


def mark_turns(conn: sqlite3.Connection, turn_ids: Iterable[int], status: str,
               at: dt.datetime | None = None) -> list[int]:
    """Set the review status of turns; returns the ids that exist."""
    done: list[int] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for tid in turn_ids:
            cur = conn.execute("UPDATE turns SET review = ?, reviewed_at = ? WHERE id = ?",
                               (status, stamp(at), int(tid)))
            if cur.rowcount:
                done.append(int(tid))
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return done


def add_audit(conn: sqlite3.Connection, moderator: str, action: str, turn_id: int | None,
              detail: str = "", at: dt.datetime | None = None) -> int:
    """Record who did what (never any message text)."""
    cur = conn.execute("INSERT INTO audit (at, moderator, action, turn_id, detail) "
                       "VALUES (?, ?, ?, ?, ?)", (stamp(at), moderator, action, turn_id, detail))
    assert cur.lastrowid is not None
    return int(cur.lastrowid)

