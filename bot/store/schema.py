"""The conversation log's schema, its migrations and connection helpers (see bot.store)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import stat
from pathlib import Path

log = logging.getLogger("bot.store")

DB_NAME = "signpost.db"


BUSY_TIMEOUT = 0.2  # seconds a write waits for a lock before giving up
RETRY_SECONDS = 5.0  # after a broken connection, wait this long before reopening
FORGET_FAILED = -1  # forget() could not erase now; it will retry when the disk recovers
CHECKPOINT_RETRY = (0.5, 60.0)  # first and longest wait between checkpoint attempts
CHECKPOINT_GIVE_UP = 600.0  # seconds of failed checkpoints before an ERROR is logged
INBOX_DONE_KEEP = dt.timedelta(days=2)  # answered update ids are kept (without content)



class StoreError(Exception):
    """The conversation log cannot be used; the message says why, for a person."""


# ------------------------------------------------------------------ schema

# Each migration is (version, statements), applied in order inside one transaction.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, (
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,                  -- UTC, YYYY-MM-DDTHH:MM:SSZ
            channel TEXT NOT NULL,
            ref TEXT NOT NULL,                 -- pseudonymous conversation reference
            text TEXT NOT NULL,                -- the message after redaction
            kind TEXT NOT NULL,                -- answer | safety | clarify | fallback | ...
            intent TEXT,                       -- NULL when there was no confident answer
            score REAL NOT NULL DEFAULT 0,
            alternatives TEXT NOT NULL DEFAULT '[]',
            safety TEXT,                       -- the safety intent that fired, if any
            services TEXT NOT NULL DEFAULT '[]',
            helpful INTEGER,                   -- NULL no answer, 1 thumbs up, 0 thumbs down
            feedback_at TEXT,
            review TEXT,                       -- NULL | reviewed | ignored | promoted
            reviewed_at TEXT
        )""",
        "CREATE INDEX turns_at ON turns(at)",
        "CREATE INDEX turns_ref ON turns(ref, at)",
        """CREATE TABLE hide_messages (
            ref TEXT NOT NULL,
            message_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (ref, message_id)
        )""",
        "CREATE INDEX hide_messages_at ON hide_messages(at)",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            moderator TEXT NOT NULL,
            action TEXT NOT NULL,              -- promote | ignore | mark-reviewed | export
            turn_id INTEGER,
            detail TEXT NOT NULL DEFAULT ''    -- never message text
        )""",
    )),
    (2, (
        """CREATE TABLE inbox (
            channel TEXT NOT NULL,
            update_id INTEGER NOT NULL,        -- the channel's own number for the update
            at TEXT NOT NULL,
            payload BLOB,                      -- the update, sealed (bot.seal); NULL once answered
            done_at TEXT,
            PRIMARY KEY (channel, update_id)
        ) WITHOUT ROWID""",
    )),
    # The web console (issue 14): accounts, server-side sessions, safety review state; the
    # audit table becomes append-only. Queries: bot.store.console.
    (3, (
        """CREATE TABLE IF NOT EXISTS console_users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL,                -- moderator | safeguarding | editor | admin
            password TEXT,                     -- argon2 hash; NULL until the setup link is used
            totp TEXT,                         -- base32 TOTP secret; NULL when not set up
            state TEXT NOT NULL,               -- setup | active | disabled
            setup_hash TEXT,                   -- sha256 of the one-time setup link's token
            setup_until TEXT,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            last_login TEXT,
            last_code TEXT                     -- the last TOTP time step used (no replays)
        )""",
        """CREATE TABLE IF NOT EXISTS console_sessions (
            id_hash TEXT PRIMARY KEY,          -- sha256 of the cookie value
            user TEXT NOT NULL,
            csrf TEXT NOT NULL,
            created_at TEXT NOT NULL,
            seen_at TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS safety_reviews (
            turn_id INTEGER PRIMARY KEY,
            reviewer TEXT NOT NULL,
            outcome TEXT NOT NULL,             -- seen | handled | escalated | false-alarm
            notes TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        )""",
        # /forget and the retention purge delete turns: their review notes go with them.
        """CREATE TRIGGER IF NOT EXISTS turns_drop_review AFTER DELETE ON turns
            BEGIN DELETE FROM safety_reviews WHERE turn_id = OLD.id; END""",
        """CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def schema_version(conn: sqlite3.Connection) -> int:
    """The version this database is at (0 for a new, empty file)."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                 "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; safe when several processes start at once."""
    if schema_version(conn) >= SCHEMA_VERSION:
        return _check_not_newer(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = schema_version(conn)  # again, inside the lock: another process may have won
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for sql in statements:
                conn.execute(sql)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, stamp(None)))
        conn.execute("COMMIT")
    except BaseException:
        conn.rollback()
        raise
    return _check_not_newer(conn)


def _check_not_newer(conn: sqlite3.Connection) -> int:
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise StoreError(f"the conversation log was written by a newer version of Signpost "
                         f"(schema {version}, this one knows {SCHEMA_VERSION}); update Signpost")
    return version


# ------------------------------------------------------------------ helpers


def stamp(at: dt.datetime | None) -> str:
    """A UTC timestamp as stored (naive datetimes are taken to be UTC)."""
    at = at or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def _warn_if_open_to_others(data_dir: Path, db: Path) -> None:
    """Warn about a data folder others can write to; make the database owner-only."""
    with contextlib.suppress(OSError):
        mode = data_dir.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            log.warning("the data folder %s can be changed by other users (mode %o); run: "
                        "chmod 700 %s", data_dir, mode & 0o777, data_dir)
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(OSError):
            mode = path.stat().st_mode & 0o777
            if mode & 0o077:
                log.warning("%s could be read by other users (mode %o); making it owner-only",
                            path, mode)
                path.chmod(0o600)


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None,
                           check_same_thread=False)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("conversation log: WAL mode unavailable (%s); writes may wait longer",
                        mode)
        conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (purge, /forget) are overwritten, not left in free pages.
        conn.execute("PRAGMA secure_delete=ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.rollback()


def _describe(exc: BaseException) -> str:
    """An error for the log: its class and SQLite code, never any value from a message."""
    name = getattr(exc, "sqlite_errorname", None)
    if isinstance(exc, OSError):
        return f"{type(exc).__name__} ({exc.strerror or exc.errno})"
    return f"{type(exc).__name__} ({name or exc})"


def _is_transient(exc: BaseException) -> bool:
    """A lock held by someone else: keep the connection, just skip this write."""
    code = getattr(exc, "sqlite_errorcode", None)
    busy = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return (code is not None and code & 0xFF in busy) or "locked" in str(exc)


