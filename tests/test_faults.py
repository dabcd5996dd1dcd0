"""Fault injection: what happens when things break, on loopback, with real processes where
it matters (`signpost run` against tests/fake_telegram.py on 127.0.0.1).

docs/operator.md ("What happens when…") lists each fault with the test that covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import session as session_module
from bot.channels import telegram_app as tga
from bot.logsafe import install
from bot.store import Store
from tests import test_telegram_e2e as e2e
from tests.conftest import REPO
from tests.fake_telegram import ApiError, FakeTelegram
from tests.test_telegram_e2e import KEZ_HANDLE, KEZ_ID, KEZ_NAME, TOKEN

# The end-to-end module's fixtures, shared: a fake Bot API and a bot running against it.
fake = e2e.fake
start_bot = e2e.start_bot

PHONE = "07700 900461"

# A poll as Telegram may send it after a Bot API change: python-telegram-bot 22.8 cannot
# read it (a field it requires is missing), so the whole batch used to fail, forever.
UNREADABLE_POLL = {"poll": {"id": "5", "question": "ok?", "options": [],
                            "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
                            "type": "regular", "allows_multiple_answers": False}}


def push_raw(fake: FakeTelegram, payload: dict[str, Any]) -> int:
    """Queue an update exactly as given (the fake's helpers only make well-formed ones)."""
    update_id = next(fake._update_ids)
    fake.updates.append({"update_id": update_id, **payload})
    asyncio.get_running_loop().create_task(fake._notify())
    return update_id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(fake: FakeTelegram, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, SIGNPOST_BOT_API_URL=fake.base_url,
               SIGNPOST_DATA_DIR=str(data), SIGNPOST_CATALOGUE=str(REPO),
               SIGNPOST_LOG_LEVEL="INFO", SIGNPOST_WEB_PORT=str(free_port()))
    env.update(extra)
    return env


async def start_process(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


@asynccontextmanager
async def process(env: dict[str, str], cwd: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await start_process(env, cwd)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()


# ---------------------------------------------------------------- unreadable updates


async def test_unreadable_update_is_skipped_and_the_rest_answered(
        start_bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    """One update the library cannot read: the rest of the batch is answered, the offset
    moves past it, and the log gets one line with its id and reason, never its content."""
    install()  # as `signpost run` does (bot.logsafe.setup_logging)
    caplog.set_level(logging.DEBUG)
    for name in ("telegram", "httpx"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    kez = {"id": KEZ_ID, "is_bot": False, "first_name": KEZ_NAME, "username": KEZ_HANDLE}
    try:
        async with start_bot() as bot:
            fake = bot.fake
            before = push_raw(fake, {"message": {
                "message_id": 1, "date": int(time.time()), "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                "chat": {"id": KEZ_ID, "type": "private"}, "from": kez}})
            bad = push_raw(fake, {**UNREADABLE_POLL, "from": kez, "note": f"call {PHONE}"})
            after = push_raw(fake, {"message": {
                "message_id": 2, "date": int(time.time()), "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": KEZ_ID, "type": "private"}, "from": kez}})
            got = await fake.replies(KEZ_ID, 2)
            await fake.wait_for(lambda: not fake.updates)  # everything was acknowledged
            await fake.quiet()
            fetches = len(fake.calls_of("getUpdates"))
            await asyncio.sleep(0.5)
            assert len(fake.calls_of("getUpdates")) - fetches < 10, "polling is not spinning"
    finally:
        for name in ("telegram", "httpx"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert len(got) == 2 and "999" in got[0]["text"]
    assert before < bad < after
    lines = [r.getMessage() for r in caplog.records]
    skipped = [line for line in lines if f"update {bad} skipped" in line]
    assert len(skipped) == 1 and "poll" in skipped[0], lines
    text = caplog.text
    for secret in (str(KEZ_ID), KEZ_NAME, KEZ_HANDLE, PHONE, "900461"):
        assert secret not in text, secret


def test_log_filter_withholds_the_exact_critical_record(
        caplog: pytest.LogCaptureFixture) -> None:
    """The record python-telegram-bot writes when it cannot parse a batch: every value is
    withheld, for any handler, while the logger and the wording stay readable."""
    install()
    received = [{"update_id": 1000, "message": {
        "message_id": 7, "date": 1764500000, "text": f"my number is {PHONE}",
        "chat": {"id": KEZ_ID, "type": "private", "first_name": KEZ_NAME},
        "from": {"id": KEZ_ID, "is_bot": False, "first_name": KEZ_NAME,
                 "username": KEZ_HANDLE}}}, {"update_id": 1001, **UNREADABLE_POLL}]
    caplog.set_level(logging.DEBUG)
    try:
        raise TypeError("`allows_revoting` is a required argument since Bot API 9.6")
    except TypeError as exc:
        logging.getLogger("telegram.Bot").critical(
            "Error while parsing updates! Received data was %r", received, exc_info=exc)
    logging.getLogger("telegram.ext.Updater").debug("Webhook received data: %s",
                                                    json.dumps(received[0]))
    [critical, debug] = caplog.records
    shown = caplog.text + critical.getMessage() + debug.getMessage()
    for secret in (str(KEZ_ID), KEZ_NAME, KEZ_HANDLE, PHONE, "my number"):
        assert secret not in shown, secret
    assert critical.getMessage().startswith("Error while parsing updates! Received data was")
    assert "withheld" in critical.getMessage() and "withheld" in debug.getMessage()
    assert "allows_revoting" in caplog.text, "the reason (not the data) is kept"


# ---------------------------------------------------------------- kill -9 mid-burst


class HoldingTelegram(FakeTelegram):
    """A fake Bot API that can stop accepting sendMessage: held calls are never delivered."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.hold = False
        self.held = 0
        self.delivered: list[tuple[int, str, float]] = []  # chat, text, when

    async def api_sendMessage(self, p: dict[str, Any]) -> Any:
        if self.hold:
            self.held += 1
            await asyncio.sleep(3600)  # the bot dies while waiting for this answer
            raise ApiError(500, "never delivered")
        result = await super().api_sendMessage(p)
        self.delivered.append((int(p["chat_id"]), result["text"], time.monotonic()))
        return result


SAFE_TEXTS = ("/start", "/help", "/privacy", "/human")
DISCLOSURE = "i want to kill myself"


async def test_kill_9_mid_burst_then_restart_answers_every_message_once(
        tmp_path: Path) -> None:
    """150 messages from 30 people; kill -9 while replies are going out; after a restart
    every message has been answered exactly once, the disclosures first."""
    fake = await HoldingTelegram(TOKEN).start()
    people = [fake.user(6_000_000 + n, f"Person{n}", f"person_{n}") for n in range(30)]
    for person in people:
        for text in (*SAFE_TEXTS, DISCLOSURE):
            fake.say(person, text)
    data = tmp_path / "data"
    env = bot_env(fake, data)
    try:
        async with process(env, tmp_path) as first:
            await fake.wait_for(lambda: len(fake.delivered) >= 40, timeout=30)
            fake.hold = True
            await fake.wait_for(lambda: fake.held >= 3, timeout=10)
            first.send_signal(signal.SIGKILL)
            await first.wait()
        answered_before = len(fake.delivered)
        assert answered_before < 150, "the kill came too late to test anything"
        fake.hold = False
        restart_at = time.monotonic()
        async with process(env, tmp_path) as second:
            await fake.wait_for(lambda: len(fake.delivered) >= 150, timeout=60)
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
            second.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(second.communicate(), 30)
    finally:
        await fake.stop()
    assert second.returncode == 0, err.decode()[-2000:]
    for person in people:
        replies = [text for chat, text, _ in fake.delivered if chat == person["id"]]
        assert len(replies) == 5, (person["id"], len(replies))
        assert sum("999" in r or "116 123" in r for r in replies) >= 1
    after = [text for _, text, at in fake.delivered if at >= restart_at]
    assert after, "some replies were only sent after the restart"
    disclosures_left = sum(1 for t in after if t.startswith("I'm really glad you told me"))
    if disclosures_left:
        assert after[0].startswith("I'm really glad you told me"), after[:3]
    log = err.decode()
    assert "answering" in log and "never answered" in log
    for person in people[:5]:
        assert str(person["id"]) not in log and person["first_name"] not in log
    with sqlite3.connect(data / "signpost.db") as conn:
        waiting = conn.execute("SELECT COUNT(*) FROM inbox WHERE payload IS NOT NULL")
        assert waiting.fetchone()[0] == 0, "answered updates keep no content"


# ---------------------------------------------------------------- a locked database


async def test_locked_database_first_replies_within_a_second(start_bot: Any) -> None:
    """Another process holds the write lock while five people chat (every log write waits
    for it): someone new still gets a first reply within 1 s (it used to be several)."""
    async with start_bot() as bot:
        await bot.ask("/start")  # the log is open and working
        locker = sqlite3.connect(bot.data / "signpost.db", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            busy = [bot.fake.user(7_100_000 + n, f"P{n}", None) for n in range(5)]
            for p in busy:
                for text in SAFE_TEXTS:
                    bot.fake.say(p, text)
            await bot.fake.wait_for(lambda: all(bot.fake.bot_messages(p["id"]) for p in busy))
            newcomer = bot.fake.user(7_199_999, "New", None)
            started = time.monotonic()
            bot.fake.say(newcomer, "/start")
            [welcome] = await bot.fake.replies(newcomer["id"], 1, timeout=15)
            waited = time.monotonic() - started
        finally:
            locker.execute("ROLLBACK")
            locker.close()
    assert "999" in welcome["text"]
    assert waited < 1.0, waited


# ---------------------------------------------------------------- slow redaction


async def test_slow_redaction_never_delays_another_persons_reply(
        start_bot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alerts are redacted in a thread: ten long safety messages whose redaction takes half
    a second each do not hold up someone else's reply (it used to wait for all of them)."""
    real = session_module._redact

    def slow(text: str) -> str:
        time.sleep(0.5)
        return real(text)

    monkeypatch.setattr(session_module, "_redact", slow)
    async with start_bot(alert_chat_id=-1001234500001) as bot:
        people = [bot.fake.user(7_200_000 + n, f"P{n}", None) for n in range(10)]
        for p in people:
            bot.fake.say(p, "i want to kill myself " + "please " * 500)
        await bot.fake.wait_for(lambda: all(bot.fake.bot_messages(p["id"]) for p in people[:1]))
        kez = bot.kez()
        started = time.monotonic()
        bot.fake.say(kez, "/start")
        [welcome] = await bot.fake.replies(KEZ_ID, 1, timeout=10)
        waited = time.monotonic() - started
        alerts = await bot.fake.replies(-1001234500001, 10, timeout=15)
    assert "999" in welcome["text"]
    assert waited < 1.0, waited
    assert len(alerts) == 10 and all("please please" in a["text"] for a in alerts)


# ---------------------------------------------------------------- a revoked token


async def test_revoked_token_exits_3_within_10_seconds(tmp_path: Path) -> None:
    """Telegram stops accepting the token while the bot runs: it stops within 10 s with a
    clear message and exit code 3, closing the conversation log cleanly."""
    fake = await FakeTelegram(TOKEN).start()
    try:
        async with process(bot_env(fake, tmp_path / "data"), tmp_path) as proc:
            kez = fake.user(KEZ_ID, KEZ_NAME, KEZ_HANDLE)
            await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=30)
            fake.say(kez, "/start")
            await fake.replies(KEZ_ID, 1, timeout=10)
            fake.token = "987654321:AAHrevokedRevokedRevokedRevoked_000"  # /revoke in BotFather
            revoked_at = time.monotonic()
            _, err_bytes = await asyncio.wait_for(proc.communicate(), 10)
            took = time.monotonic() - revoked_at
    finally:
        await fake.stop()
    err = err_bytes.decode()
    assert proc.returncode == 3, err[-2000:]
    assert took < 10
    assert "stopped accepting TELEGRAM_BOT_TOKEN" in err and "@BotFather" in err
    assert "stopped" in err.splitlines()[-2] or "INFO bot.channels.telegram: stopped" in err
    assert TOKEN not in err


# ---------------------------------------------------------------- a broken catalogue


async def test_broken_catalogue_at_start_serves_the_safety_floor(
        tmp_path: Path, make_catalogue: Any) -> None:
    """A catalogue with errors at start: the bot runs anyway, answers a disclosure with 999
    and the 24/7 routes, and tells the admin chat what is wrong (it used to exit 2)."""
    catalogue = make_catalogue("minimal", "bad_phone")
    admin_chat = -1001234500002
    fake = await FakeTelegram(TOKEN).start()
    env = bot_env(fake, tmp_path / "data", SIGNPOST_CATALOGUE=str(catalogue),
                  SIGNPOST_ADMIN_CHAT_ID=str(admin_chat))
    try:
        async with process(env, tmp_path) as proc:
            [report] = await fake.replies(admin_chat, 1, timeout=30)
            kez = fake.user(KEZ_ID, KEZ_NAME, KEZ_HANDLE)
            fake.say(kez, "i want to kill myself")
            [safety] = await fake.replies(KEZ_ID, 1, timeout=10)
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await fake.stop()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "safety floor" in report["text"] and "services.yaml" in report["text"]
    assert "999" in safety["text"] and "116 123" in safety["text"]
    assert b"safety floor" in err


# ---------------------------------------------------------------- webhook requests


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, float]:
    """Send a request by hand (headers may promise a body never sent); status, seconds."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head.encode() + b"\r\n\r\n" + body)
    await writer.drain()
    try:
        line = await asyncio.wait_for(reader.readline(), 3)
    finally:
        writer.close()
    return int(line.split()[1]), time.monotonic() - started


async def test_webhook_limits_bodies_and_rejects_bad_json(fake: FakeTelegram,
                                                          tmp_path: Path) -> None:
    """`signpost run` in webhook mode: unauthenticated or oversized bodies are refused
    before they are read; malformed JSON gets 400; an unreadable update gets 200 and is
    skipped; a good one is answered once, even when Telegram sends it twice."""
    env = bot_env(fake, tmp_path / "data", SIGNPOST_WEBHOOK_URL="http://127.0.0.1/tg-hook",
                  SIGNPOST_WEBHOOK_SECRET="s3cret-Hook_1")
    port = int(env["SIGNPOST_WEB_PORT"])
    url = f"http://127.0.0.1:{port}/tg-hook"
    good = {"update_id": 1, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        "chat": {"id": KEZ_ID, "type": "private"},
        "from": {"id": KEZ_ID, "is_bot": False, "first_name": KEZ_NAME}}}
    secret = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Hook_1"}
    async with process(env, tmp_path) as proc:
        await fake.wait_for(lambda: fake.webhook, timeout=30)
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # the web server starts just after the webhook is set
                with contextlib.suppress(httpx.TransportError):
                    await client.get(f"http://127.0.0.1:{port}/")
                    break
                await asyncio.sleep(0.1)
            unauthenticated = await raw_request(
                port, "POST /tg-hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      "\r\nContent-Length: 104857600")
            too_big = await raw_request(
                port, "POST /tg-hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      "\r\nX-Telegram-Bot-Api-Secret-Token: s3cret-Hook_1\r\n"
                      "Content-Length: 2000000")
            malformed = await client.post(url, content=b'{"update_id": 3, "message": {',
                                          headers={**secret,
                                                   "Content-Type": "application/json"})
            not_update = await client.post(url, json=[1, 2], headers=secret)
            unreadable = await client.post(url, json={"update_id": 2, **UNREADABLE_POLL},
                                           headers=secret)
            right = await client.post(url, json=good, headers=secret)
            again = await client.post(url, json=good, headers=secret)  # Telegram retrying
        [welcome] = await fake.replies(KEZ_ID, 1)
        await fake.quiet(0.5)
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    err = err_bytes.decode()
    assert unauthenticated[0] == 403 and unauthenticated[1] < 1.0
    assert too_big[0] == 413 and too_big[1] < 1.0
    assert (malformed.status_code, not_update.status_code) == (400, 400)
    assert (unreadable.status_code, right.status_code, again.status_code) == (200, 200, 200)
    assert "999" in welcome["text"] and len(fake.bot_messages(KEZ_ID)) == 1
    assert err.count("update 2 skipped") == 1, err[-3000:]
    assert str(KEZ_ID) not in err and KEZ_NAME not in err


# ---------------------------------------------------------------- smaller failures


async def test_buttons_outside_private_chats_are_answered(start_bot: Any) -> None:
    """A button pressed in a group, or on an inline message, still gets an answer (the
    spinner stops) and a pointer to private chat."""
    async with start_bot() as bot:
        group = {"message_id": 5, "date": int(time.time()), "text": "menu",
                 "chat": {"id": -100987654321, "type": "group", "title": "Youth club"}}
        bot.fake.press(bot.kez(), group, "1|cat:sport")
        push_raw(bot.fake, {"callback_query": {"id": "77", "from": bot.kez(),
                                               "inline_message_id": "abc",
                                               "chat_instance": "ci", "data": "1|human"}})
        await bot.fake.wait_for(lambda: len(bot.fake.callback_answers) >= 2)
    assert all("private" in a.get("text", "") for a in bot.fake.callback_answers)


async def test_channel_posts_get_no_reply(start_bot: Any) -> None:
    """A post in a channel the bot was added to is ignored: a reply there would be public.
    The bot does not even ask Telegram for channel posts."""
    async with start_bot() as bot:
        channel = -1001111111111
        push_raw(bot.fake, {"channel_post": {
            "message_id": 1, "date": int(time.time()), "text": "i want to kill myself",
            "chat": {"id": channel, "type": "channel", "title": "News"}}})
        await bot.fake.wait_for(lambda: not bot.fake.updates)
        await bot.fake.quiet(0.3)
    assert bot.fake.bot_messages(channel) == []
    assert "channel_post" not in tga.ALLOWED_UPDATES


async def test_hide_tells_the_truth_when_it_could_not_delete(start_bot: Any) -> None:
    """/hide with the log unreadable: no false "Done", but what was and was not done."""
    async with start_bot() as bot:
        await bot.ask("/start")
        store = bot.sp.session.store.store
        assert isinstance(store, Store)
        store.close()
        store._next_open = time.monotonic() + 60  # the disk has gone away for a minute
        [told] = await bot.ask("/hide")
    assert not told["text"].startswith("Done")
    assert "couldn't delete" in told["text"] and "delete it from your chat list" in told["text"]
