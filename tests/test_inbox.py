"""The pieces behind "no message lost": sealing, the inbox's choices, the forget journal."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from bot import seal
from bot.channels.telegram_updates import Inbox, parse_problem, safety_first
from bot.forget_journal import SLOT, SLOTS, ForgetJournal
from bot.logsafe import holds_update_data
from bot.store import Store
from tests import test_telegram_e2e as e2e
from tests.test_faults import UNREADABLE_POLL

fake = e2e.fake
start_bot = e2e.start_bot


def message(update_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1764500000, "text": text,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Kezia"}}}


def test_seal_opens_only_with_the_same_key_and_name() -> None:
    """A sealed row opens with its key and name; any other key or name is refused."""
    key = seal.derive(b"k" * 32, "inbox")
    blob = seal.seal(key, b"i want to kill myself", "telegram:7")
    assert b"kill" not in blob
    assert seal.unseal(key, blob, "telegram:7") == b"i want to kill myself"
    with pytest.raises(ValueError):
        seal.unseal(key, blob, "telegram:8")
    with pytest.raises(ValueError):
        seal.unseal(seal.derive(b"j" * 32, "inbox"), blob, "telegram:7")


def test_parse_problem_names_the_kind_never_a_value() -> None:
    """The reason logged for an unreadable update carries no value from it."""
    problem = parse_problem({"update_id": 9, **UNREADABLE_POLL, "from": {"first_name": "Kez"}})
    assert problem is not None and "poll" in problem and "allows_revoting" in problem
    assert "Kez" not in problem and "ok?" not in problem
    assert parse_problem(message(1, "hello")) is None


def test_replay_order_is_safety_first_then_oldest_first() -> None:
    """Disclosures are answered first after a crash; within each group, oldest first."""
    pending = [(1, message(1, "football")), (2, message(2, "i want to die")),
               (3, message(3, "boxing")), (4, message(4, "he has a knife"))]
    flagged = {"i want to die", "he has a knife"}
    order = [i for i, _ in safety_first(pending, lambda t: t in flagged)]
    assert order == [2, 4, 1, 3]


async def test_accept_without_a_store_still_never_answers_twice() -> None:
    """No store: updates are answered (not durably) and a repeat becomes a stand-in."""
    inbox = Inbox()
    first = await inbox.accept([message(1, "hi"), {"update_id": 2, **UNREADABLE_POLL}])
    again = await inbox.accept([message(1, "hi")])
    inbox.shutdown()
    assert first == [message(1, "hi"), {"update_id": 2}]
    assert again == [{"update_id": 1}]


async def test_accept_keeps_sealed_rows_until_done(tmp_path: Path) -> None:
    """Accepted updates sit sealed in the store until handled; repeats are not new."""
    store = Store.open(tmp_path, b"k" * 32)
    inbox = Inbox()
    inbox.attach(store)
    got = await inbox.accept([message(5, "i love zebrafootball")])
    assert got == [message(5, "i love zebrafootball")]
    assert await inbox.accept([message(5, "i love zebrafootball")]) == [{"update_id": 5}]
    assert [i for i, _ in store.inbox_pending("telegram")] == [5]
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("signpost.db*"))
    assert b"zebrafootball" not in raw and b"Kezia" not in raw
    await inbox.done_id(5)
    await inbox.drain()
    inbox.shutdown()
    assert store.inbox_pending("telegram") == []
    store.close()


async def test_a_held_burst_stays_in_the_inbox_until_answered(start_bot: Any) -> None:
    """Messages merged into a burst are cleared from the inbox only once the burst's reply
    has gone out, so a crash while they are held loses nothing."""
    async with start_bot(burst_window=2.0) as bot:
        kez = bot.kez()
        first = bot.fake.say(kez, "hello")
        await bot.fake.replies(e2e.KEZ_ID, 1, after=first["message_id"])
        second = bot.fake.say(kez, "any football")
        bot.fake.say(kez, "near me")
        await asyncio.sleep(0.8)  # received and held, not yet answered

        def waiting() -> int:
            with sqlite3.connect(bot.data / "signpost.db") as conn:
                row = conn.execute("SELECT COUNT(*) FROM inbox WHERE payload IS NOT NULL")
                return int(row.fetchone()[0])

        held = waiting()
        answered_early = len(bot.fake.bot_messages(e2e.KEZ_ID))
        await bot.fake.replies(e2e.KEZ_ID, 1, after=second["message_id"], timeout=10)
        deadline = time.monotonic() + 5
        while waiting() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert answered_early == 1, "the burst was still held"
        assert held == 2, held
        assert waiting() == 0


def test_forget_journal_reuses_its_slots(tmp_path: Path) -> None:
    """The journal is made at full size; adding and clearing never grows it."""
    journal = ForgetJournal(tmp_path)
    journal.prepare()
    size = journal.path.stat().st_size
    assert size == SLOT * SLOTS
    for n in range(10):
        assert journal.add(f"c-{n:012x}")
    journal.remove("c-000000000003")
    assert journal.add("c-0000000000aa")
    assert journal.path.stat().st_size == size
    assert "c-000000000003" not in journal.pending() and len(journal.pending()) == 10


@pytest.mark.parametrize(("line", "withheld"), [
    ("update 1001 skipped: the library cannot read it (TypeError in a 'poll' update)", False),
    ("conversation c-1a2b3c4d5e6f has blocked the bot; not retrying", False),
    ("Received data was [{'update_id': 1, 'message': {'chat': {'id': 5}}}]", True),
    ('Webhook received data: {"update_id": 1, "message": {}}', True),
    ("Update(callback_query=CallbackQuery(from_user=User(first_name='K')))", True),
    ("Calling Bot API endpoint `sendMessage` with parameters `{'chat_id': 5}`", True),
])
def test_update_data_is_recognised(line: str, withheld: bool) -> None:
    """Update data is recognised in JSON, dict and object form; our own lines are not."""
    assert holds_update_data(line) is withheld


def test_purge_clears_old_inbox_rows(tmp_path: Path) -> None:
    """Answered ids go after two days; an update never answered goes after the retention
    period, so no message text is kept longer than the log itself keeps it."""
    store = Store.open(tmp_path, b"k" * 32)
    then = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    store.inbox_accept("telegram", [(1, b'{"a": 1}'), (2, b'{"b": 2}')], at=then)
    store.inbox_done("telegram", [1], at=then)
    store.purge(90, now=then + dt.timedelta(days=3))
    assert [i for i, _ in store.inbox_pending("telegram")] == [2]
    store.purge(90, now=then + dt.timedelta(days=91))
    assert store.inbox_pending("telegram") == []
    with sqlite3.connect(tmp_path / "signpost.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0
    store.close()
