"""bot.store when the disk fills up, another program holds the database, or the key is bad.

A full disk is made real with RLIMIT_FSIZE in a child process: every write past the limit
fails with EFBIG, as on a full disk, while the test process itself is unaffected.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.forget_journal import JOURNAL_NAME
from bot.store import FORGET_FAILED, Store, connect_existing
from tests.test_store import answer

SECRET = b"k" * 32
MARKER = "zebracrossingboxing"  # a word that is easy to find in the raw files


def raw(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data.iterdir()) if p.is_file())


def run_with_full_disk(code: str, data: Path, limit: int) -> subprocess.CompletedProcess[str]:
    """Run Python `code` in a child whose files cannot grow past `limit` bytes."""
    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "DATA": str(data)}
    env.pop("SIGNPOST_SECRET", None)
    return subprocess.run([sys.executable, "-c", code], env=env, text=True, capture_output=True,
                          preexec_fn=full_disk, timeout=60, check=False,
                          cwd=Path(__file__).resolve().parent.parent)


def test_forget_during_a_full_disk_is_finished_at_the_next_start(tmp_path: Path) -> None:
    """/forget on a full disk is written down (a reference, never text) and done at start."""
    data = tmp_path / "data"
    store = Store.open(data, SECRET)
    ref = store.conversation_ref("telegram", 42)
    other = store.conversation_ref("telegram", 43)
    store.log_turn(ref, "telegram", f"i love {MARKER}", answer())
    store.log_turn(other, "telegram", "football", answer())
    store.close()
    child = run_with_full_disk(
        "import os, pathlib\n"
        "from bot.store import Store\n"
        f"s = Store.open(pathlib.Path(os.environ['DATA']), {SECRET!r})\n"
        f"print(s.forget({ref!r}))\n", data, limit=4096)
    assert child.stdout.strip() == str(FORGET_FAILED), child.stderr[-2000:]
    journal = (data / JOURNAL_NAME).read_text()
    assert ref in journal and MARKER not in journal
    assert MARKER.encode() in raw(data), "nothing was erased while the disk was full"
    store = Store.open(data, SECRET)  # the next start
    assert store.pending_forgets() == []
    store.close()
    conn = connect_existing(data)
    texts = [r["text"] for r in conn.execute("SELECT text FROM turns")]
    conn.close()
    assert texts == ["football"]
    assert MARKER.encode() not in raw(data)
    assert ref not in (data / JOURNAL_NAME).read_text()


def test_busy_checkpoint_is_retried_until_the_wal_is_clean(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A reader holding the WAL: the erase is retried, an ERROR says so if it lasts, and
    the erased text leaves the -wal file as soon as the reader lets go."""
    store = Store.open(tmp_path, SECRET, checkpoint_retry=(0.05, 0.1), checkpoint_give_up=0.3)
    ref = store.conversation_ref("telegram", 1)
    store.log_turn(ref, "telegram", f"i love {MARKER}", answer())
    reader = sqlite3.connect(tmp_path / "signpost.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM turns").fetchone()
    caplog.set_level(logging.INFO, logger="bot.store")
    assert store.forget(ref) == 1
    assert store.checkpoint_pending
    time.sleep(0.8)
    assert MARKER.encode() in (tmp_path / "signpost.db-wal").read_bytes()
    assert any(r.levelno == logging.ERROR and "-wal" in r.getMessage() for r in caplog.records)
    reader.execute("COMMIT")
    reader.close()
    deadline = time.monotonic() + 5
    while store.checkpoint_pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not store.checkpoint_pending
    assert MARKER.encode() not in raw(tmp_path)
    store.close()


def test_full_disk_at_first_start_leaves_no_empty_key(tmp_path: Path) -> None:
    """The key cannot be written: no half-made file, an ERROR that says what to do, and the
    next start (with space) makes a whole key and logs again."""
    data = tmp_path / "data"
    child = run_with_full_disk(
        "import logging, os, pathlib\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from bot.store import Store\n"
        "s = Store.open(pathlib.Path(os.environ['DATA']))\n"
        "print(s.log_turn(s.conversation_ref('telegram', 1), 'telegram', 'hi', None))\n",
        data, limit=0)
    assert child.returncode == 0, child.stderr[-2000:]
    assert not (data / "secret.key").exists()
    assert [p.name for p in data.iterdir() if p.name.startswith(".secret")] == []
    assert "ERROR" in child.stderr and "secret.key" in child.stderr
    assert "free some disk space" in child.stderr
    store = Store.open(data)
    assert store.log_turn(store.conversation_ref("telegram", 1), "telegram", "hi", answer())
    store.close()
    assert len((data / "secret.key").read_text().strip()) == 64


def test_empty_key_is_treated_as_missing(tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    """An empty secret.key (left by an older version on a full disk) no longer stops all
    logging: a new key is made, with an ERROR explaining what that means."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "secret.key").write_text("")
    os.chmod(tmp_path / "secret.key", 0o600)
    caplog.set_level(logging.INFO, logger="bot.store")
    store = Store.open(tmp_path)
    assert store.log_turn(store.conversation_ref("telegram", 1), "telegram", "hi", answer())
    store.close()
    assert len((tmp_path / "secret.key").read_text().strip()) == 64
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("is empty" in m and "SIGNPOST_SECRET" in m for m in errors), errors


def test_key_from_a_systemd_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With LoadCredential=signpost-secret the key never sits beside the database."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "signpost-secret").write_text("ab" * 32 + "\n")
    monkeypatch.delenv("SIGNPOST_SECRET", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    store = Store.open(tmp_path / "data")
    ref = store.conversation_ref("telegram", 5)
    store.close()
    assert not (tmp_path / "data" / "secret.key").exists()
    assert ref == Store(tmp_path, bytes.fromhex("ab" * 32)).conversation_ref("telegram", 5)


def test_moderator_tools_need_no_key(tmp_path: Path) -> None:
    """The review tools read the log without the key: it can live elsewhere."""
    store = Store.open(tmp_path, SECRET)
    store.log_turn(store.conversation_ref("telegram", 1), "telegram", "boxing", answer())
    store.close()
    conn = connect_existing(tmp_path)
    assert [r["text"] for r in conn.execute("SELECT text FROM turns")] == ["boxing"]
    conn.close()


def test_unsafe_permissions_are_warned_about(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """A data folder others can write to, or a database others can read, is reported; the
    database is made owner-only."""
    data = tmp_path / "data"
    Store.open(data, SECRET).close()
    os.chmod(data, 0o777)
    os.chmod(data / "signpost.db", 0o644)
    caplog.set_level(logging.WARNING, logger="bot.store")
    Store.open(data, SECRET).close()
    text = caplog.text
    assert "can be changed by other users" in text and "chmod 700" in text
    assert "signpost.db could be read by other users" in text
    assert (data / "signpost.db").stat().st_mode & 0o777 == 0o600
