"""Reading the log for the moderators' and staff tools (issue 13: their SQL lives here).

Each function takes a connection from `connect_existing` (or opens a read-only one) and
returns rows; bot.review_turns and bot.staff_replay turn rows into their own objects, so no module
outside bot.store speaks SQL.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bot.store.schema import DB_NAME, stamp

TURN_ORDERS = {"oldest": "at, id", "newest": "at DESC, id DESC"}


def _span(since: dt.datetime | None, until: dt.datetime | None
          ) -> tuple[list[str], list[object]]:
    """WHERE conditions and parameters for at >= since and at < until (either may be open)."""
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append("at >= ?")
        params.append(stamp(since))
    if until is not None:
        where.append("at < ?")
        params.append(stamp(until))
    return where, params


def select_turns(conn: sqlite3.Connection, since: dt.datetime | None = None,
                 until: dt.datetime | None = None, *, ref: str | None = None,
                 unmatched_kinds: Iterable[str] = (), safety: bool = False,
                 unhelpful: bool = False, unreviewed: bool = False,
                 order: str = "oldest") -> list[sqlite3.Row]:
    """Turns at or after `since` and before `until` (UTC), filtered, oldest or newest first.

    unmatched_kinds: only turns with no confident intent whose kind is one of these;
    safety: only turns the safety screen flagged; unhelpful: only thumbs-down turns;
    unreviewed: only turns no moderator has marked; ref: one conversation.
    """
    where, params = _span(since, until)
    if ref is not None:
        where.append("ref = ?")
        params.append(ref)
    kinds = list(unmatched_kinds)
    if kinds:
        where.append(f"intent IS NULL AND kind IN ({','.join('?' * len(kinds))})")
        params.extend(kinds)
    if safety:
        where.append("safety IS NOT NULL")
    if unhelpful:
        where.append("helpful = 0")
    if unreviewed:
        where.append("review IS NULL")
    sql = (f"SELECT * FROM turns WHERE {' AND '.join(where) or '1'} "
           f"ORDER BY {TURN_ORDERS[order]}")
    return list(conn.execute(sql, params).fetchall())


def select_turn(conn: sqlite3.Connection, turn_id: int) -> sqlite3.Row | None:
    """One turn by id, or None."""
    row: sqlite3.Row | None = conn.execute("SELECT * FROM turns WHERE id = ?",
                                           (int(turn_id),)).fetchone()
    return row


def select_audit(conn: sqlite3.Connection, since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> list[sqlite3.Row]:
    """Audit entries in the window, oldest first."""
    where, params = _span(since, until)
    return list(conn.execute(f"SELECT * FROM audit WHERE {' AND '.join(where) or '1'} "
                             "ORDER BY at, id", params).fetchall())


def recent_texts(data_dir: Path, limit: int | None = None,
                 since: dt.datetime | None = None) -> list[str]:
    """The stored (redacted) message texts, oldest first, read-only; the newest `limit`,
    only from `since` on when given (the console's replay preview reads 30 days)."""
    path = Path(data_dir) / DB_NAME
    if not path.is_file():
        raise FileNotFoundError(path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    params: list[object] = [stamp(since) if since else ""]
    if limit:
        params.append(limit)
    try:
        rows = conn.execute("SELECT text FROM turns WHERE at >= ? ORDER BY id DESC"
                            + (" LIMIT ?" if limit else ""), params).fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in reversed(rows)]
