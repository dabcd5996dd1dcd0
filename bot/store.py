"""The conversation log: the only module that writes conversation data.

One SQLite file, `<data_dir>/signpost.db`, in WAL mode. What is stored per turn: time,
channel, a pseudonymous conversation reference, the message after `bot.redact.redact`,
how the bot answered (kind, confident intent, score, alternatives, safety intent, services
shown), the young person's feedback and the moderators' review status. Never names,
usernames, raw user ids, phone numbers or locations.

Failure model: a young person's reply must never wait on or break because of this file.
Every public `Store` method catches database and disk errors, logs a warning (never the
message text or a raw id) and returns None / False / [] / 0. A locked database gives up
after a short busy timeout; a broken connection (disk full, read-only, folder gone) is
closed and reopened on a later call, so writing resumes when the disk recovers.

    sqlite3.Error, OSError   caught inside every Store method, never raised to the channel
    StoreError               raised only by the moderators' helpers (connect_existing):
                             the database is missing or newer than this code

The review tools (bot.review) read with their own connection and write review marks and
audit entries through the plain functions at the bottom of this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot.redact import redact

if TYPE_CHECKING:
    from bot.dialogue import Reply

log = logging.getLogger(__name__)

DB_NAME = "signpost.db"
SECRET_NAME = "secret.key"
HIDE_WINDOW = dt.timedelta(hours=48)  # Telegram lets a bot delete messages this recent
BUSY_TIMEOUT = 0.2  # seconds a write waits for a lock before giving up
RETRY_SECONDS = 5.0  # after a broken connection, wait this long before reopening
FORGET_FAILED = -1  # forget() could not erase now; it will retry when the disk recovers

T = TypeVar("T")


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


def parse_secret(value: str) -> bytes:
    """SIGNPOST_SECRET / secret.key content: hex if it looks like hex, else the text itself."""
    value = value.strip()
    if len(value) >= 32 and len(value) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", value):
        return bytes.fromhex(value)
    return value.encode("utf-8")


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


# ------------------------------------------------------------------ the store


class Store:
    """The conversation log as the bot sees it. Methods are synchronous and never raise."""

    def __init__(self, data_dir: Path, secret: bytes | None, *,
                 busy_timeout: float = BUSY_TIMEOUT, retry_seconds: float = RETRY_SECONDS
                 ) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.busy_timeout = busy_timeout
        self.retry_seconds = retry_seconds
        # Until secret.key can be read or written, refs use a key that lives in memory.
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._secret_saved = secret is not None  # a given secret is never written to disk
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._next_open = 0.0
        self._failures = 0
        self._pending_forget: set[str] = set()

    @classmethod
    def open(cls, data_dir: Path, secret: bytes | None = None, *,
             busy_timeout: float = BUSY_TIMEOUT, retry_seconds: float = RETRY_SECONDS
             ) -> Store:
        """Open (creating if needed) the log in data_dir. Never raises on a broken disk."""
        if secret is None and os.environ.get("SIGNPOST_SECRET"):
            secret = parse_secret(os.environ["SIGNPOST_SECRET"])
            if len(secret) < 16:
                log.warning("SIGNPOST_SECRET is short; use at least 32 random characters")
        store = cls(data_dir, secret, busy_timeout=busy_timeout, retry_seconds=retry_seconds)
        with store._lock:
            store._connection()
        return store

    # -------------------------------------------------------------- connection

    def _connection(self) -> sqlite3.Connection | None:
        """The writer connection, reopening a broken one when it is time to retry."""
        if self._conn is not None:
            return self._conn
        if time.monotonic() < self._next_open:
            return None
        try:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._load_secret()
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self._conn = _connect(self.path, self.busy_timeout)
        except (sqlite3.Error, OSError, StoreError) as exc:
            self._broken(exc, "cannot open")
            return None
        return self._conn

    def _load_secret(self) -> None:
        if self._secret_saved:
            return
        key = self.data_dir / SECRET_NAME
        try:
            fd = os.open(key, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            fd = -1
        if fd < 0:
            mode = key.stat().st_mode & 0o777
            if mode & 0o077:
                log.warning("%s could be read by other users (mode %o); making it "
                            "owner-only", key, mode)
                key.chmod(0o600)
            content = key.read_text(encoding="utf-8").strip()
            if not content:
                raise StoreError(f"{key} is empty; restore it from a backup or delete it "
                                 "(old conversations then cannot be found by /forget)")
            self._secret = parse_secret(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self._secret.hex() + "\n")
                f.flush()
                os.fsync(f.fileno())
            log.info("conversation log: created a new secret key in %s", key)
        self._secret_saved = True

    def _broken(self, exc: BaseException, doing: str) -> None:
        """Note a failure; drop the connection unless it was only a lock."""
        self._failures += 1
        level = logging.WARNING if self._failures == 1 else logging.DEBUG
        if self._conn is not None and not _is_transient(exc):
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        if self._conn is None:
            self._next_open = time.monotonic() + self.retry_seconds
        log.log(level, "conversation log: %s %s: %s; the bot keeps answering, nothing is "
                "stored until this clears", doing, self.path, _describe(exc))

    def _run(self, doing: str, fn: Callable[[sqlite3.Connection], T], failed: T) -> T:
        """Run fn with the writer connection under the lock; on any db error return failed."""
        with self._lock:
            conn = self._connection()
            if conn is None:
                return failed
            try:
                if self._pending_forget:
                    self._apply_pending_forget(conn)
                result = fn(conn)
            except (sqlite3.Error, OSError) as exc:
                _rollback(conn)
                self._broken(exc, doing)
                return failed
            except Exception:  # a bug, not the disk: still never break the reply
                _rollback(conn)
                log.exception("conversation log: unexpected error (%s)", doing)
                return failed
            if self._failures:
                log.info("conversation log: working again after %d failed attempt(s)",
                         self._failures)
                self._failures = 0
            return result

    # -------------------------------------------------------------- references

    def conversation_ref(self, channel: str, user_id: int | str) -> str:
        """A stable pseudonym for one person on one channel: c- and 12 hex characters."""
        msg = f"{channel}\x1f{user_id}".encode()
        return "c-" + hmac.new(self._secret, msg, hashlib.sha256).hexdigest()[:12]

    # -------------------------------------------------------------- turns

    def log_turn(self, ref: str, channel: str, text: str, reply: Reply,
                 at: dt.datetime | None = None) -> int | None:
        """Store one message (redacted) and how the bot answered; the turn id or None."""
        try:
            row = turn_row(ref, channel, text, reply, at)
        except Exception:  # a bug here must not cost the young person their reply
            log.exception("conversation log: could not prepare a turn for storing")
            return None
        return self._run("cannot write to", lambda conn: insert_turn(conn, row), None)

    def set_feedback(self, turn_id: int, ref: str, helpful: bool) -> bool:
        """Record 👍/👎 on a turn, only if that turn belongs to this conversation."""
        def update(conn: sqlite3.Connection) -> bool:
            cur = conn.execute("UPDATE turns SET helpful = ?, feedback_at = ? "
                               "WHERE id = ? AND ref = ?",
                               (int(bool(helpful)), stamp(None), int(turn_id), ref))
            return cur.rowcount == 1
        return self._run("cannot record feedback in", update, False)

    def forget(self, ref: str) -> int:
        """Erase every turn and hide record of a conversation; how many turns were erased.

        Returns FORGET_FAILED (-1) when the database cannot be written right now; the erase
        is then retried as soon as the database can be opened again (while this process
        runs), so the channel should tell the young person it will happen shortly.
        """
        def erase(conn: sqlite3.Connection) -> int:
            n = erase_conversation(conn, ref)
            self._pending_forget.discard(ref)
            return n
        result = self._run("cannot erase a conversation in", erase, FORGET_FAILED)
        if result == FORGET_FAILED:
            with self._lock:
                self._pending_forget.add(ref)
        return result

    def _apply_pending_forget(self, conn: sqlite3.Connection) -> None:
        for ref in sorted(self._pending_forget):
            erase_conversation(conn, ref)
            self._pending_forget.discard(ref)
            log.info("conversation log: carried out a delayed /forget for %s", ref)

    # -------------------------------------------------------------- /hide support

    def remember_message(self, ref: str, message_id: int, at: dt.datetime | None = None
                         ) -> None:
        """Keep a message id of this chat (for /hide); records last 48 hours."""
        row = (ref, int(message_id), stamp(at))
        expired = stamp((at or dt.datetime.now(dt.UTC)) - HIDE_WINDOW)

        def insert(conn: sqlite3.Connection) -> None:
            # Expired records go now, not at the daily purge: they are kept 48 hours only.
            conn.execute("DELETE FROM hide_messages WHERE at < ?", (expired,))
            conn.execute("INSERT OR IGNORE INTO hide_messages (ref, message_id, at) "
                         "VALUES (?, ?, ?)", row)
        self._run("cannot write to", insert, None)

    def recent_messages(self, ref: str, since: dt.datetime) -> list[int]:
        """Message ids of this chat remembered since `since`, oldest first."""
        def read(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute("SELECT message_id FROM hide_messages WHERE ref = ? AND at >= ?"
                                " ORDER BY message_id", (ref, stamp(since))).fetchall()
            return [int(r[0]) for r in rows]
        return self._run("read", read, [])

    def drop_messages(self, ref: str, message_ids: list[int]) -> None:
        """Forget these message ids (they were deleted from the chat)."""
        ids = [int(i) for i in message_ids]

        def drop(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM hide_messages WHERE ref = ? AND message_id = ?",
                             [(ref, i) for i in ids])
        self._run("cannot write to", drop, None)

    # -------------------------------------------------------------- retention

    def purge(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """Delete turns older than retention_days and hide records older than 48 hours."""
        now = now or dt.datetime.now(dt.UTC)
        return self._run("cannot purge old turns from",
                         lambda conn: purge_old(conn, retention_days, now), 0)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the main file)."""
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except sqlite3.Error as exc:
                    log.warning("conversation log: closing %s: %s", self.path, _describe(exc))
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
    _checkpoint(conn)
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
    if n:
        _checkpoint(conn)
    return int(n)


def _checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the WAL into the database and empty it, so erased rows leave no old copy there."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error as exc:  # a reader may hold the WAL; the next checkpoint clears it
        log.debug("conversation log: checkpoint postponed: %s", _describe(exc))


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


# ------------------------------------------------------------------ async access
# (Added for the session layer, issue 13. No SQL here: it runs Store's methods above on the
# store's one writer thread, so asyncio code never blocks and writes keep their order.)


class AsyncStore:
    """One Store and its one writer thread, for asyncio code. Never raises, like Store.

    `call` waits for the result; `submit` queues a write now (keeping its order with later
    calls) and returns a future the caller may wait on or ignore. When the store could not
    be opened at all, `store` is None and every call gives None.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signpost-store")

    @classmethod
    async def open(cls, data_dir: Path, secret: str | None = None) -> AsyncStore:
        """Open the log on the writer thread; without one (logged) if it cannot be opened."""
        def opener() -> Store | None:
            try:
                return Store.open(data_dir, secret=parse_secret(secret) if secret else None)
            except Exception:
                log.exception("could not open the conversation log in %s; answering "
                              "without it", data_dir)
                return None

        self = cls(None)
        self.store = await asyncio.get_running_loop().run_in_executor(self._io, opener)
        return self

    @staticmethod
    def _safe(fn: Callable[..., T], args: tuple[object, ...]) -> T | None:
        try:
            return fn(*args)
        except Exception as exc:  # a failing store never breaks a reply
            log.warning("conversation log: %s failed (%s)", getattr(fn, "__name__", "call"),
                        type(exc).__name__)
            return None

    def submit(self, name: str, *args: object) -> asyncio.Future[Any]:
        """Queue Store.<name>(*args) on the writer thread; a future of its result."""
        loop = asyncio.get_running_loop()
        if self.store is None:
            done: asyncio.Future[Any] = loop.create_future()
            done.set_result(None)
            return done
        return loop.run_in_executor(self._io, self._safe, getattr(self.store, name), args)

    async def call(self, name: str, *args: object) -> Any:
        """Store.<name>(*args) on the writer thread; None if it failed or there is no log."""
        return await self.submit(name, *args)

    def conversation_ref(self, channel: str, key: str) -> str | None:
        """The pseudonymous reference (a keyed hash, no I/O), or None without a store."""
        return self.store.conversation_ref(channel, key) if self.store is not None else None

    async def close(self) -> None:
        """Run every queued write, close the database and stop the writer thread."""
        store, self.store = self.store, None
        if store is not None:
            await asyncio.get_running_loop().run_in_executor(self._io, self._safe,
                                                             store.close, ())
        self._io.shutdown(wait=True)
