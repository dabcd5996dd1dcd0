"""The Store: the conversation log as a channel sees it (see bot.store)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bot import seal
from bot.forget_journal import ForgetJournal
from bot.secretkey import KeyUnavailable, load_or_create, parse_secret
from bot.store.schema import (
    BUSY_TIMEOUT,
    CHECKPOINT_GIVE_UP,
    CHECKPOINT_RETRY,
    DB_NAME,
    FORGET_FAILED,
    INBOX_DONE_KEEP,
    RETRY_SECONDS,
    StoreError,
    _connect,
    _describe,
    _is_transient,
    _rollback,
    _warn_if_open_to_others,
    stamp,
)
from bot.store.sql import (
    HIDE_WINDOW,
    checkpoint,
    erase_conversation,
    insert_turn,
    purge_old,
    turn_row,
)

if TYPE_CHECKING:
    from bot.dialogue import Reply

log = logging.getLogger("bot.store")

T = TypeVar("T")

# ------------------------------------------------------------------ the store


class Store:
    """The conversation log as the bot sees it. Methods are synchronous and never raise."""

    def __init__(self, data_dir: Path, secret: bytes | None, *,
                 busy_timeout: float = BUSY_TIMEOUT, retry_seconds: float = RETRY_SECONDS,
                 checkpoint_retry: tuple[float, float] = CHECKPOINT_RETRY,
                 checkpoint_give_up: float = CHECKPOINT_GIVE_UP) -> None:
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
        self._journal = ForgetJournal(self.data_dir)
        self._journal_read = False
        self.checkpoint_retry = checkpoint_retry
        self.checkpoint_give_up = checkpoint_give_up
        self._checkpoint_since: float | None = None  # when an erase's checkpoint first failed
        self._checkpoint_timer: threading.Timer | None = None
        self._checkpoint_complained = False
        self._closed = False

    @classmethod
    def open(cls, data_dir: Path, secret: bytes | None = None, *,
             busy_timeout: float = BUSY_TIMEOUT, retry_seconds: float = RETRY_SECONDS,
             **options: Any) -> Store:
        """Open (creating if needed) the log in data_dir. Never raises on a broken disk."""
        if secret is None:
            from bot.secretkey import credential_secret

            value = os.environ.get("SIGNPOST_SECRET") or credential_secret()
            if value:
                secret = parse_secret(value)
                if len(secret) < 16:
                    log.warning("SIGNPOST_SECRET is short; use at least 32 random characters")
        store = cls(data_dir, secret, busy_timeout=busy_timeout, retry_seconds=retry_seconds,
                    **options)
        # Opening also finishes any /forget left over from before a crash or a full disk.
        store._run("cannot open", lambda conn: None, None)
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
            _warn_if_open_to_others(self.data_dir, self.path)
            self._conn = _connect(self.path, self.busy_timeout)
        except (sqlite3.Error, OSError, StoreError) as exc:
            self._broken(exc, "cannot open")
            return None
        if not self._journal_read:
            self._journal_read = True
            self._pending_forget.update(self._journal.pending())
            with contextlib.suppress(OSError):
                self._journal.prepare()
        return self._conn

    def _load_secret(self) -> None:
        if self._secret_saved:
            return
        try:
            self._secret = load_or_create(self.data_dir, self._secret)
        except KeyUnavailable:
            raise  # logged at ERROR already; refs keep using the key in memory
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
        if isinstance(exc, KeyUnavailable):
            return  # bot.secretkey has logged an ERROR that says what to do
        log.log(level, "conversation log: %s %s: %s; the bot keeps answering, nothing is "
                "stored until this clears", doing, self.path, _describe(exc))

    def _run(self, doing: str, fn: Callable[[sqlite3.Connection], T], failed: T, *,
             wait: float = -1) -> T:
        """Run fn with the writer connection under the lock; on any db error return failed.

        `wait` (seconds) bounds how long to wait for another store call to finish first.
        """
        if not self._lock.acquire(timeout=wait):
            log.info("conversation log: busy; skipped a call (%s)", doing)
            return failed
        try:
            return self._run_locked(doing, fn, failed)
        finally:
            self._lock.release()

    def _run_locked(self, doing: str, fn: Callable[[sqlite3.Connection], T], failed: T) -> T:
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
        """A stable pseudonym for one person on one channel: c- and 12 hex characters.

        Worked out in memory (an HMAC with the key read at open), never waiting on the
        database: channels may call it directly from the event loop.
        """
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
            self._erased(conn, ref)
            return n
        result = self._run("cannot erase a conversation in", erase, FORGET_FAILED)
        if result == FORGET_FAILED:
            with self._lock:
                self._pending_forget.add(ref)
            self._journal.add(ref)
        return result

    def pending_forgets(self) -> list[str]:
        """References whose /forget is still to be done (in memory or written down)."""
        with self._lock:
            return sorted(self._pending_forget | set(self._journal.pending()))

    def _apply_pending_forget(self, conn: sqlite3.Connection) -> None:
        for ref in sorted(self._pending_forget):
            erase_conversation(conn, ref)
            self._erased(conn, ref)
            log.info("conversation log: carried out a delayed /forget for %s", ref)

    def _erased(self, conn: sqlite3.Connection, ref: str) -> None:
        """The rows are gone: clear the note, then make sure no copy stays in the WAL."""
        self._pending_forget.discard(ref)
        self._journal.remove(ref)
        if not checkpoint(conn):
            self._checkpoint_later()

    # -------------------------------------------------------------- WAL checkpoint

    def _checkpoint_later(self) -> None:
        """Retry the checkpoint with growing waits until it succeeds (called under the lock)."""
        now = time.monotonic()
        if self._checkpoint_since is None:
            self._checkpoint_since = now
        elif (not self._checkpoint_complained
              and now - self._checkpoint_since >= self.checkpoint_give_up):
            self._checkpoint_complained = True
            log.error("conversation log: erased messages may still be in %s-wal: another "
                      "program has kept the database open for %d minutes (a moderator's "
                      "'signpost review'?). Close it; the bot keeps trying.", self.path,
                      (now - self._checkpoint_since) // 60)
        if self._checkpoint_timer is not None or self._closed:
            return
        first, longest = self.checkpoint_retry
        wait = min(longest, max(first, (now - self._checkpoint_since) / 2))
        timer = threading.Timer(wait, self._retry_checkpoint)
        timer.daemon = True
        self._checkpoint_timer = timer
        timer.start()

    def _retry_checkpoint(self) -> None:
        with self._lock:
            self._checkpoint_timer = None
            conn = self._connection()
            if conn is None or self._closed:
                if not self._closed:
                    self._checkpoint_later()
                return
            if checkpoint(conn):
                log.info("conversation log: the delayed checkpoint is done; erased messages "
                         "are gone from the WAL file")
                self._checkpoint_since = None
                self._checkpoint_complained = False
            else:
                self._checkpoint_later()

    @property
    def checkpoint_pending(self) -> bool:
        return self._checkpoint_since is not None

    # -------------------------------------------------------------- the inbox

    def _inbox_key(self) -> bytes:
        return seal.derive(self._secret, "inbox")

    def inbox_accept(self, channel: str, updates: list[tuple[int, bytes]],
                     at: dt.datetime | None = None) -> set[int] | None:
        """Keep these updates (sealed) until answered; the ids not seen before.

        None means they could not be kept (the caller answers them anyway). An id already
        in the inbox, answered or not, is not new: it must not be answered again.
        """
        key = self._inbox_key()
        when = stamp(at)

        def insert(conn: sqlite3.Connection) -> set[int]:
            fresh: set[int] = set()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for update_id, raw in updates:
                    sealed = seal.seal(key, raw, f"{channel}:{update_id}")
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO inbox (channel, update_id, at, payload) "
                        "VALUES (?, ?, ?, ?)", (channel, int(update_id), when, sealed))
                    if cur.rowcount:
                        fresh.add(int(update_id))
                conn.execute("COMMIT")
            except BaseException:
                conn.rollback()
                raise
            return fresh
        return self._run("cannot keep incoming messages in", insert, None,
                         wait=self.busy_timeout)

    def inbox_done(self, channel: str, update_ids: Iterable[int],
                   at: dt.datetime | None = None) -> bool:
        """These updates were answered: drop their content, keep their ids (not redone)."""
        rows = [(stamp(at), channel, int(i)) for i in update_ids]

        def done(conn: sqlite3.Connection) -> bool:
            conn.executemany("UPDATE inbox SET payload = NULL, done_at = ? "
                             "WHERE channel = ? AND update_id = ?", rows)
            return True
        return self._run("cannot update the inbox in", done, False, wait=self.busy_timeout)

    def inbox_pending(self, channel: str) -> list[tuple[int, bytes]]:
        """Updates accepted but never answered, oldest first, opened (unsealed)."""
        key = self._inbox_key()

        def read(conn: sqlite3.Connection) -> list[tuple[int, bytes]]:
            rows = conn.execute("SELECT update_id, payload FROM inbox WHERE channel = ? "
                                "AND payload IS NOT NULL ORDER BY update_id",
                                (channel,)).fetchall()
            out: list[tuple[int, bytes]] = []
            unreadable = 0
            for update_id, payload in rows:
                try:
                    out.append((int(update_id),
                                seal.unseal(key, bytes(payload), f"{channel}:{update_id}")))
                except ValueError:
                    unreadable += 1
                    conn.execute("UPDATE inbox SET payload = NULL, done_at = ? WHERE "
                                 "channel = ? AND update_id = ?",
                                 (stamp(None), channel, update_id))
            if unreadable:
                log.error("conversation log: %d unanswered message(s) in the inbox cannot be "
                          "opened (the key changed since they arrived); they are dropped",
                          unreadable)
            return out
        return self._run("cannot read the inbox in", read, [])

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

    def recent_messages(self, ref: str, since: dt.datetime) -> list[int] | None:
        """Message ids of this chat remembered since `since`, oldest first.

        None when the log cannot be read now (so /hide can say it could not delete them).
        """
        def read(conn: sqlite3.Connection) -> list[int] | None:
            rows = conn.execute("SELECT message_id FROM hide_messages WHERE ref = ? AND at >= ?"
                                " ORDER BY message_id", (ref, stamp(since))).fetchall()
            return [int(r[0]) for r in rows]
        return self._run("read", read, None)

    def drop_messages(self, ref: str, message_ids: list[int]) -> None:
        """Forget these message ids (they were deleted from the chat)."""
        ids = [int(i) for i in message_ids]

        def drop(conn: sqlite3.Connection) -> None:
            conn.executemany("DELETE FROM hide_messages WHERE ref = ? AND message_id = ?",
                             [(ref, i) for i in ids])
        self._run("cannot write to", drop, None)

    # -------------------------------------------------------------- retention

    def purge(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """Delete turns older than retention_days and hide records older than 48 hours.

        The inbox keeps answered update ids for two days (no content), and an update that
        was never answered no longer than the retention period either.
        """
        now = now or dt.datetime.now(dt.UTC)

        def purge(conn: sqlite3.Connection) -> int:
            n = purge_old(conn, retention_days, now)
            conn.execute("DELETE FROM inbox WHERE payload IS NULL AND done_at < ?",
                         (stamp(now - INBOX_DONE_KEEP),))
            stale = conn.execute("DELETE FROM inbox WHERE payload IS NOT NULL AND at < ?",
                                 (stamp(now - dt.timedelta(days=retention_days)),)).rowcount
            if stale:
                log.warning("conversation log: %d update(s) never answered within %d days "
                            "were deleted unanswered", stale, retention_days)
            if n and not checkpoint(conn):
                self._checkpoint_later()
            return n
        return self._run("cannot purge old turns from", purge, 0)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the main file)."""
        with self._lock:
            self._closed = True
            if self._checkpoint_timer is not None:
                self._checkpoint_timer.cancel()
                self._checkpoint_timer = None
            if self._conn is not None:
                if self._checkpoint_since is not None and not checkpoint(self._conn):
                    log.error("conversation log: closing while another program keeps the "
                              "database open; erased messages may remain in %s-wal until "
                              "the next start", self.path)
                try:
                    self._conn.close()
                except sqlite3.Error as exc:
                    log.warning("conversation log: closing %s: %s", self.path, _describe(exc))
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


