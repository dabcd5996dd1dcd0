"""bot.store: the conversation log keeps what moderators need and nothing that identifies."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.catalogue import load_or_raise
from bot.catalogue_types import Service
from bot.dialogue import ChatState, Engine, Reply
from bot.matcher import Candidate
from bot.picking import ServicePick
from bot.store import FORGET_FAILED, SCHEMA_VERSION, Store, StoreError, connect_existing

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 25, 18, 30, tzinfo=dt.UTC)


def service(sid: str) -> Service:
    """A minimal service to put on a reply."""
    return Service(id=sid, name=sid.title(), organisation="Sample Trust (sample)",
                   description="A sample.", categories=("sport",), status="active",
                   last_reviewed=dt.date(2026, 11, 1), sample=True)


def answer(intent: str = "sport", services: tuple[str, ...] = ("boxing-club",)) -> Reply:
    """A confident answer that showed services."""
    return Reply(text="Here you go", kind="answer", state=ChatState(), intent=intent,
                 score=81.234, services=tuple(ServicePick(service(s), True) for s in services),
                 alternatives=(Candidate(intent, 81.234, "boxing"), Candidate("arts", 40.0, "x")))


def fallback() -> Reply:
    """The bot did not understand."""
    return Reply(text="Sorry", kind="fallback", state=ChatState(), score=30.0,
                 alternatives=(Candidate("sport", 30.0, "boxing"),))


def safety_reply() -> Reply:
    """A safety reply that also answered the question."""
    then = answer("mentoring", ("step-up-mentoring",))
    return Reply(text="You did the right thing telling me", kind="safety", state=ChatState(),
                 intent="threatened", safety="threatened", score=73.0,
                 services=(ServicePick(service("police-101"), True),), then=then)


def rows(data_dir: Path) -> list[sqlite3.Row]:
    """Every stored turn, read the way a moderator's tool reads them."""
    conn = connect_existing(data_dir)
    try:
        return conn.execute("SELECT * FROM turns ORDER BY id").fetchall()
    finally:
        conn.close()


def raw_bytes(data_dir: Path) -> bytes:
    """The database, its WAL and shared-memory files, byte for byte."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("signpost.db*")))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store in a fresh data folder with a fixed secret."""
    s = Store.open(tmp_path / "data", b"k" * 32, retry_seconds=0)
    yield s
    s.close()


# ------------------------------------------------------------------ round trip


def test_round_trip(store: Store, tmp_path: Path) -> None:
    """A turn is stored with time, channel, ref, redacted text and how the bot answered."""
    ref = store.conversation_ref("telegram", 42)
    tid = store.log_turn(ref, "telegram", "boxing near E17 4QH?", answer(), at=NOW)
    assert tid == 1
    (row,) = rows(tmp_path / "data")
    assert row["at"] == "2026-11-25T18:30:00Z"
    assert (row["channel"], row["ref"], row["text"]) == ("telegram", ref, "boxing near E17 "
                                                                         "[postcode]?")
    assert (row["kind"], row["intent"], row["score"], row["safety"]) == ("answer", "sport",
                                                                         81.23, None)
    assert json.loads(row["services"]) == ["boxing-club"]
    assert json.loads(row["alternatives"]) == [{"intent": "sport", "score": 81.2},
                                               {"intent": "arts", "score": 40.0}]
    assert row["helpful"] is None and row["review"] is None


def test_unconfident_and_safety_turns(store: Store, tmp_path: Path) -> None:
    """No intent is stored without a confident answer; a safety turn keeps every service."""
    ref = store.conversation_ref("telegram", 1)
    store.log_turn(ref, "telegram", "blorp", fallback(), at=NOW)
    store.log_turn(ref, "telegram", "they will jump me, any mentors", safety_reply(), at=NOW)
    first, second = rows(tmp_path / "data")
    assert (first["kind"], first["intent"], first["score"]) == ("fallback", None, 30.0)
    assert (second["safety"], second["intent"]) == ("threatened", "threatened")
    assert json.loads(second["services"]) == ["police-101", "step-up-mentoring"]


def test_engine_replies_are_stored(tmp_path: Path) -> None:
    """Replies from the real engine and catalogue store their safety flag and services."""
    engine = Engine(load_or_raise(REPO))
    with Store.open(tmp_path, b"s" * 32) as s:
        ref = s.conversation_ref("telegram", 7)
        reply = engine.respond("i want to kill myself")
        assert s.log_turn(ref, "telegram", "i want to kill myself", reply) is not None
    (row,) = rows(tmp_path)
    assert row["safety"] == "self_harm" and row["kind"] == "safety"
    assert json.loads(row["services"]) == reply.service_ids


def test_schema_is_versioned_and_in_wal_mode(store: Store, tmp_path: Path) -> None:
    """The database records its schema version and runs in WAL mode."""
    conn = sqlite3.connect(tmp_path / "data" / "signpost.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == \
        SCHEMA_VERSION
    conn.close()
    Store.open(tmp_path / "data", b"k" * 32).close()  # opening again migrates nothing
    conn = sqlite3.connect(tmp_path / "data" / "signpost.db")
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_newer_schema_is_not_touched(tmp_path: Path) -> None:
    """A log written by a newer Signpost is left alone and the moderator is told why."""
    Store.open(tmp_path, b"k" * 32).close()
    conn = sqlite3.connect(tmp_path / "signpost.db")
    conn.execute("INSERT INTO schema_version VALUES (99, 'later')")
    conn.commit()
    conn.close()
    s = Store.open(tmp_path, b"k" * 32)
    assert s.log_turn("c-1", "telegram", "hi", fallback()) is None
    with pytest.raises(StoreError, match="newer version of Signpost"):
        connect_existing(tmp_path)


# ------------------------------------------------------------------ references and secret


def test_reference_is_short_stable_and_keyed(tmp_path: Path) -> None:
    """The ref is c- plus 12 hex, survives a restart, and depends on the secret key."""
    first = Store.open(tmp_path)
    ref = first.conversation_ref("telegram", 123456789)
    first.close()
    again = Store.open(tmp_path)
    assert again.conversation_ref("telegram", 123456789) == ref
    assert ref.startswith("c-") and len(ref) == 14 and int(ref[2:], 16) >= 0
    assert again.conversation_ref("telegram", 123456780) != ref
    assert again.conversation_ref("web", 123456789) != ref
    assert Store(tmp_path, b"other").conversation_ref("telegram", 123456789) != ref
    assert "123456789" not in ref
    again.close()


def test_secret_file_is_owner_only(tmp_path: Path) -> None:
    """The generated secret key can be read by its owner only."""
    Store.open(tmp_path).close()
    key = tmp_path / "secret.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert (tmp_path / "signpost.db").stat().st_mode & 0o777 == 0o600


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGNPOST_SECRET is used instead of a key file, as hex or as plain text."""
    monkeypatch.setenv("SIGNPOST_SECRET", "ab" * 32)
    s = Store.open(tmp_path)
    assert s.conversation_ref("telegram", 5) == Store(tmp_path, bytes.fromhex("ab" * 32)
                                                      ).conversation_ref("telegram", 5)
    assert not (tmp_path / "secret.key").exists()
    s.close()
    monkeypatch.setenv("SIGNPOST_SECRET", "a long passphrase from the operator")
    t = Store.open(tmp_path)
    assert t.conversation_ref("telegram", 5) == Store(
        tmp_path, b"a long passphrase from the operator").conversation_ref("telegram", 5)
    t.close()


# ------------------------------------------------------------------ privacy


def test_nothing_identifying_in_the_database_files(tmp_path: Path) -> None:
    """Phone numbers, emails, full postcodes, handles and the user id never reach the disk."""
    s = Store.open(tmp_path)  # left open, so the WAL still holds the latest pages
    user_id = 918273645
    ref = s.conversation_ref("telegram", user_id)
    for text in ("my num is 07700 900123 text me", "email kez.jones@example.com",
                 "im at 23 Hoe Street E17 4QH", "snap @kezzaa.x", "card 4111 1111 1111 1111"):
        assert s.log_turn(ref, "telegram", text, answer()) is not None
    s.remember_message(ref, 555)
    data = raw_bytes(tmp_path)
    assert b"[phone]" in data  # the scan does see the stored text
    for secret in (b"900123", b"07700", b"kez.jones", b"example.com", b"4QH", b"Hoe Street",
                   b"kezzaa", b"4111", str(user_id).encode()):
        assert secret not in data, secret
    s.close()


def test_forget_erases_the_conversation(store: Store, tmp_path: Path) -> None:
    """/forget deletes every turn and hide record of one conversation, and only that one."""
    mine, theirs = store.conversation_ref("telegram", 1), store.conversation_ref("telegram", 2)
    for text in ("zebracrossing boxing", "zebracrossing music", "zebracrossing again"):
        store.log_turn(mine, "telegram", text, answer())
    store.log_turn(theirs, "telegram", "football pls", answer())
    store.remember_message(mine, 10)
    assert store.forget(mine) == 3
    assert [r["text"] for r in rows(tmp_path / "data")] == ["football pls"]
    assert store.recent_messages(mine, NOW - dt.timedelta(days=30)) == []
    assert b"zebracrossing" not in raw_bytes(tmp_path / "data")
    assert store.forget(mine) == 0


def test_feedback_only_on_own_turn(store: Store, tmp_path: Path) -> None:
    """A 👍/👎 is stored on the turn only when it comes from that conversation."""
    mine, theirs = store.conversation_ref("telegram", 1), store.conversation_ref("telegram", 2)
    tid = store.log_turn(mine, "telegram", "boxing", answer())
    assert tid is not None
    assert store.set_feedback(tid, theirs, helpful=True) is False
    assert store.set_feedback(tid + 100, mine, helpful=True) is False
    assert store.set_feedback(tid, mine, helpful=False) is True
    assert rows(tmp_path / "data")[0]["helpful"] == 0
    assert store.set_feedback(tid, mine, helpful=True) is True  # changing one's mind
    assert rows(tmp_path / "data")[0]["helpful"] == 1


def test_hide_messages(store: Store) -> None:
    """Message ids for /hide are listed by time and dropped once deleted from the chat."""
    ref = store.conversation_ref("telegram", 1)
    for mid, hours in ((11, 50), (12, 3), (13, 1)):
        store.remember_message(ref, mid, NOW - dt.timedelta(hours=hours))
    store.remember_message(ref, 13, NOW)  # the same message twice is one record
    assert store.recent_messages(ref, NOW - dt.timedelta(hours=48)) == [12, 13]
    store.drop_messages(ref, [12])
    assert store.recent_messages(ref, NOW - dt.timedelta(hours=48)) == [13]
    assert store.recent_messages(store.conversation_ref("telegram", 2), NOW
                                 - dt.timedelta(hours=48)) == []


def test_hide_records_expire_after_48_hours(store: Store, tmp_path: Path) -> None:
    """A message id older than 48 hours is dropped as soon as a newer one is remembered."""
    ref = store.conversation_ref("telegram", 1)
    store.remember_message(ref, 1, NOW - dt.timedelta(hours=49))
    store.remember_message(ref, 2, NOW)
    conn = connect_existing(tmp_path / "data")
    assert [r[0] for r in conn.execute("SELECT message_id FROM hide_messages")] == [2]
    conn.close()


def test_retention_purge(store: Store, tmp_path: Path) -> None:
    """Turns older than the retention period and hide records older than 48 h are deleted."""
    ref = store.conversation_ref("telegram", 1)
    for days in (120, 91, 89, 1):
        store.log_turn(ref, "telegram", f"{days} days ago", answer(),
                       at=NOW - dt.timedelta(days=days))
    store.remember_message(ref, 1, NOW - dt.timedelta(hours=49))
    store.remember_message(ref, 2, NOW - dt.timedelta(hours=47))
    assert store.purge(90, now=NOW) == 2
    assert [r["text"] for r in rows(tmp_path / "data")] == ["89 days ago", "1 days ago"]
    assert store.recent_messages(ref, NOW - dt.timedelta(days=7)) == [2]
    assert store.purge(90, now=NOW) == 0


# ------------------------------------------------------------------ failure and concurrency


def test_concurrent_writers(tmp_path: Path) -> None:
    """Threads sharing a store, and two stores on one file, all get their turns written."""
    a = Store.open(tmp_path, b"k" * 32, busy_timeout=5)
    b = Store.open(tmp_path, b"k" * 32, busy_timeout=5)
    ids: list[int | None] = []
    feedback: list[bool] = []
    lock = threading.Lock()

    def write(s: Store, n: int) -> None:
        ref = s.conversation_ref("telegram", n)
        got = [s.log_turn(ref, "telegram", f"message {i}", answer()) for i in range(60)]
        liked = s.set_feedback(got[0] or 0, ref, True)
        with lock:
            ids.extend(got)
            feedback.append(liked)

    threads = [threading.Thread(target=write, args=(s, n))
               for n, s in enumerate((a, b, a, b, a, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = [i for i in ids if i]
    assert None not in ids and len(written) == len(set(written)) == 360
    assert feedback == [True] * 6
    assert len(rows(tmp_path)) == 360
    assert sum(r["helpful"] == 1 for r in rows(tmp_path)) == 6
    a.close()
    b.close()


def test_locked_database_skips_then_resumes(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """While another process holds the write lock, log_turn gives up fast; then resumes."""
    s = Store.open(tmp_path, b"k" * 32, busy_timeout=0.2, retry_seconds=0)
    ref = s.conversation_ref("telegram", 1)
    locker = sqlite3.connect(tmp_path / "signpost.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    caplog.set_level(logging.WARNING, logger="bot.store")
    started = time.monotonic()
    assert s.log_turn(ref, "telegram", "call me on 07700 900123", answer()) is None
    assert time.monotonic() - started < 1.5
    assert s.forget(ref) == FORGET_FAILED
    assert "locked" in caplog.text or "BUSY" in caplog.text
    assert "07700" not in caplog.text and "call me" not in caplog.text
    locker.execute("COMMIT")
    locker.close()
    assert s.log_turn(ref, "telegram", "boxing", answer()) is not None
    assert [r["text"] for r in rows(tmp_path)] == ["boxing"]
    s.close()


def test_delayed_forget_is_carried_out(tmp_path: Path) -> None:
    """A /forget that hit a locked database is done as soon as the database is free."""
    s = Store.open(tmp_path, b"k" * 32, busy_timeout=0.1, retry_seconds=0)
    ref = s.conversation_ref("telegram", 1)
    s.log_turn(ref, "telegram", "hello", answer())
    locker = sqlite3.connect(tmp_path / "signpost.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    assert s.forget(ref) == FORGET_FAILED
    locker.execute("COMMIT")
    locker.close()
    s.log_turn(s.conversation_ref("telegram", 2), "telegram", "football", answer())
    assert [r["text"] for r in rows(tmp_path)] == ["football"]
    s.close()


def test_unwritable_folder_then_recovery(tmp_path: Path) -> None:
    """If the data folder cannot be created the bot keeps going, and logs once it can."""
    blocker = tmp_path / "disk"
    blocker.write_text("not a folder")
    s = Store.open(blocker / "data", retry_seconds=0)
    ref = s.conversation_ref("telegram", 1)
    assert s.log_turn(ref, "telegram", "boxing", answer()) is None
    assert s.set_feedback(1, ref, True) is False
    assert s.recent_messages(ref, NOW) is None  # unknown, not 'none': /hide says so
    assert s.purge(90) == 0
    blocker.unlink()
    assert s.log_turn(ref, "telegram", "boxing", answer()) == 1
    assert s.conversation_ref("telegram", 1) == ref  # the in-memory key was saved, not lost
    s.close()
    assert Store.open(blocker / "data").conversation_ref("telegram", 1) == ref


def test_log_turn_never_raises(store: Store) -> None:
    """Even a malformed reply only means nothing is stored; the caller gets None."""
    assert store.log_turn("c-1", "telegram", "hi", None) is None  # type: ignore[arg-type]
