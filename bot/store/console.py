"""The web console's queries (issue 14): accounts, server-side sessions, safety reviews.

Tables (created by migration 3 in bot.store.schema):
    console_users      accounts: role, argon2 hash, TOTP secret, setup link, lockout
    console_sessions   server-side sessions (only a hash of the cookie is stored)
    safety_reviews     who reviewed a safety alert, the outcome and notes
Console actions (logins, failed logins, views of conversations, promotions, edits) go in the
`audit` table (bot.store.sql.add_audit), which migration 3 makes append-only with triggers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable

from bot.store.schema import stamp


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def count_users(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM console_users").fetchone()[0])


def get_user(conn: sqlite3.Connection, name: str) -> dict[str, object] | None:
    cur = conn.execute("SELECT * FROM console_users WHERE name = ?", (name,))
    row = cur.fetchone()
    return None if row is None else dict(zip([c[0] for c in cur.description], row, strict=True))


def list_users(conn: sqlite3.Connection) -> list[dict[str, object]]:
    cur = conn.execute("SELECT * FROM console_users ORDER BY name")
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def add_user(conn: sqlite3.Connection, name: str, role: str, setup_token: str,
             setup_until: dt.datetime) -> bool:
    """A new account waiting for its setup link; False if the name is taken."""
    cur = conn.execute(
        "INSERT OR IGNORE INTO console_users (name, role, state, setup_hash, setup_until,"
        " created_at) VALUES (?, ?, 'setup', ?, ?, ?)",
        (name, role, _sha(setup_token), stamp(setup_until), stamp(None)))
    return cur.rowcount == 1


def reset_user(conn: sqlite3.Connection, name: str, setup_token: str,
               setup_until: dt.datetime) -> bool:
    """Clear password and TOTP, issue a new setup link and end the user's sessions."""
    cur = conn.execute(
        "UPDATE console_users SET password = NULL, totp = NULL, state = 'setup', "
        "setup_hash = ?, setup_until = ?, failures = 0, locked_until = NULL, last_code = NULL"
        " WHERE name = ?", (_sha(setup_token), stamp(setup_until), name))
    conn.execute("DELETE FROM console_sessions WHERE user = ?", (name,))
    return cur.rowcount == 1


def disable_user(conn: sqlite3.Connection, name: str) -> bool:
    cur = conn.execute("UPDATE console_users SET state = 'disabled', setup_hash = NULL "
                       "WHERE name = ?", (name,))
    conn.execute("DELETE FROM console_sessions WHERE user = ?", (name,))
    return cur.rowcount == 1


def user_for_setup(conn: sqlite3.Connection, token: str, now: dt.datetime
                   ) -> dict[str, object] | None:
    """The account a setup link belongs to, if the link is unused and in date."""
    row = conn.execute("SELECT name FROM console_users WHERE setup_hash = ? AND state = 'setup'"
                       " AND setup_until > ?", (_sha(token), stamp(now))).fetchone()
    return None if row is None else get_user(conn, str(row[0]))


def finish_setup(conn: sqlite3.Connection, name: str, token: str, password_hash: str,
                 totp: str | None) -> bool:
    cur = conn.execute(
        "UPDATE console_users SET password = ?, totp = ?, state = 'active', setup_hash = NULL,"
        " setup_until = NULL WHERE name = ? AND setup_hash = ? AND state = 'setup'",
        (password_hash, totp, name, _sha(token)))
    return cur.rowcount == 1


def record_login_failure(conn: sqlite3.Connection, name: str, max_failures: int,
                         lock_for: dt.timedelta, now: dt.datetime) -> bool:
    """Count a failed login; True when this failure locks the account."""
    conn.execute("UPDATE console_users SET failures = failures + 1 WHERE name = ?", (name,))
    row = conn.execute("SELECT failures FROM console_users WHERE name = ?", (name,)).fetchone()
    if row is None or int(row[0]) < max_failures:
        return False
    conn.execute("UPDATE console_users SET locked_until = ?, failures = 0 WHERE name = ?",
                 (stamp(now + lock_for), name))
    return True


def record_login(conn: sqlite3.Connection, name: str, code_step: str | None,
                 now: dt.datetime) -> None:
    conn.execute("UPDATE console_users SET failures = 0, locked_until = NULL, last_login = ?,"
                 " last_code = COALESCE(?, last_code) WHERE name = ?",
                 (stamp(now), code_step, name))


def create_session(conn: sqlite3.Connection, token: str, user: str, csrf: str,
                   now: dt.datetime) -> None:
    conn.execute("INSERT INTO console_sessions (id_hash, user, csrf, created_at, seen_at) "
                 "VALUES (?, ?, ?, ?, ?)", (_sha(token), user, csrf, stamp(now), stamp(now)))


def touch_session(conn: sqlite3.Connection, token: str, idle: dt.timedelta, now: dt.datetime
                  ) -> tuple[str, str, str] | None:
    """(user, role, csrf) of a live session, refreshing its idle clock; None if expired."""
    conn.execute("DELETE FROM console_sessions WHERE seen_at < ?", (stamp(now - idle),))
    row = conn.execute(
        "SELECT s.user, u.role, s.csrf FROM console_sessions s JOIN console_users u "
        "ON u.name = s.user WHERE s.id_hash = ? AND u.state = 'active'",
        (_sha(token),)).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE console_sessions SET seen_at = ? WHERE id_hash = ?",
                 (stamp(now), _sha(token)))
    return str(row[0]), str(row[1]), str(row[2])


def end_session(conn: sqlite3.Connection, token: str) -> None:
    conn.execute("DELETE FROM console_sessions WHERE id_hash = ?", (_sha(token),))


def safety_reviews(conn: sqlite3.Connection) -> dict[int, dict[str, str]]:
    """Review state of every safety alert that has one, by turn id."""
    rows = conn.execute("SELECT turn_id, reviewer, outcome, notes, at FROM safety_reviews")
    return {int(r[0]): {"reviewer": r[1], "outcome": r[2], "notes": r[3], "at": r[4]}
            for r in rows}


def save_safety_review(conn: sqlite3.Connection, turn_id: int, reviewer: str, outcome: str,
                       notes: str, now: dt.datetime | None = None) -> bool:
    """Record (or update) the review of a safety alert; False if the turn is gone."""
    exists = conn.execute("SELECT 1 FROM turns WHERE id = ? AND safety IS NOT NULL",
                          (turn_id,)).fetchone()
    if exists is None:
        return False
    conn.execute("INSERT INTO safety_reviews (turn_id, reviewer, outcome, notes, at) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT(turn_id) DO UPDATE SET "
                 "reviewer = excluded.reviewer, outcome = excluded.outcome, "
                 "notes = excluded.notes, at = excluded.at",
                 (turn_id, reviewer, outcome, notes, stamp(now)))
    return True


def unreviewed_alerts(conn: sqlite3.Connection) -> int:
    """Safety alerts no one has reviewed yet (the console's unread count)."""
    row = conn.execute("SELECT COUNT(*) FROM turns t LEFT JOIN safety_reviews r "
                       "ON r.turn_id = t.id WHERE t.safety IS NOT NULL AND r.turn_id IS NULL"
                       ).fetchone()
    return int(row[0])


def unmatched_count(conn: sqlite3.Connection, kinds: Iterable[str], since: dt.datetime) -> int:
    """Messages not answered confidently and not dealt with yet (the inbox's count)."""
    kinds = list(kinds)
    row = conn.execute(
        f"SELECT COUNT(*) FROM turns WHERE intent IS NULL AND review IS NULL AND at >= ? "
        f"AND kind IN ({','.join('?' * len(kinds))})", (stamp(since), *kinds)).fetchone()
    return int(row[0])
