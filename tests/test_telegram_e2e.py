"""The Telegram channel end to end: a real PTB Application over real HTTP to a fake Bot API.

Nothing in PTB is mocked: the bot talks to tests/fake_telegram.py on 127.0.0.1 through
SIGNPOST_BOT_API_URL's setting, exactly as it would talk to a self-hosted Bot API server.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime as dt
import logging
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import routes
from bot.channels import telegram as tg
from bot.channels import telegram_app as tga
from bot.cli import main
from bot.config import Settings, TelegramSettings
from bot.dialogue import ChatState, Engine, Reply
from bot.live import LiveCatalogue
from bot.logsafe import forget_secrets, protect, protect_handlers
from bot.session import Session
from bot.store import AsyncStore
from bot.web.app import WebChat
from tests.conftest import REPO, broken_live, logged_turns
from tests.fake_telegram import FakeTelegram, buttons, text_of

TOKEN = "123456789:AAHfakeTokenForSignpostTests_0123456789"
KEZ_ID = 5550001234
KEZ_NAME = "Kezia"
KEZ_HANDLE = "kez_e17"
ALERT_CHAT = -1001234500001
ADMIN_CHAT = -1001234500002
ADMIN_ID = 5550009999

CLARIFY_CANDIDATES = ("music or sport", "sport or drama", "music or college", "sport or youth")


@dataclass
class Bot:
    fake: FakeTelegram
    app: Any
    sp: tg.Signpost
    data: Path

    def kez(self) -> dict[str, Any]:
        return self.fake.user(KEZ_ID, KEZ_NAME, KEZ_HANDLE)

    async def ask(self, text: str, count: int = 1, user: dict[str, Any] | None = None
                  ) -> list[dict[str, Any]]:
        """The person says `text`; wait for `count` messages back, then for quiet."""
        user = user or self.kez()
        sent = self.fake.say(user, text)
        got = await self.fake.replies(user["id"], count, after=sent["message_id"])
        await self.fake.quiet()
        return [m for m in self.fake.bot_messages(user["id"]) if m["message_id"] > sent[
            "message_id"]] or got

    async def press(self, message: dict[str, Any], data: str, count: int = 1,
                    user: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        user = user or self.kez()
        before = self.fake.last_id(user["id"])
        self.fake.press(user, message, data)
        if count:
            await self.fake.replies(user["id"], count, after=before)
        await self.fake.quiet()
        return [m for m in self.fake.bot_messages(user["id"]) if m["message_id"] > before]


def make_settings(fake: FakeTelegram, data: Path, *, data_dir: Path | None = None,
                  **telegram: Any) -> Settings:
    """Settings for the fake Bot API; `telegram` overrides TelegramSettings fields."""
    return Settings(catalogue_dir=REPO, data_dir=data_dir or data,
                    telegram=TelegramSettings(token=TOKEN, bot_api_url=fake.base_url,
                                              **telegram))


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """What Application.run_polling does, minus the signal handling."""
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.updater.start_polling(poll_interval=0, timeout=1,
                                    allowed_updates=tga.ALLOWED_UPDATES)
    await app.start()
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    f = await FakeTelegram(TOKEN).start()
    yield f
    await f.stop()
    # Every button the bot ever sent fits Telegram's 64 bytes and is versioned.
    for chat in f.messages.values():
        for m in chat.values():
            for _, data in buttons(m):
                assert len(data.encode()) <= 64 and data.startswith("1|"), data


@pytest.fixture
def start_bot(fake: FakeTelegram, tmp_path: Path, live: LiveCatalogue
              ) -> Callable[..., Any]:
    """start_bot(**settings) -> async context manager yielding a running Bot."""

    @asynccontextmanager
    async def start(live_: LiveCatalogue | None = None, flood: tg.FloodPolicy | None = None,
                    clock: Callable[[], float] | None = None, burst_window: float = 0.0,
                    **over: Any) -> AsyncIterator[Bot]:
        settings = make_settings(fake, tmp_path / "data", **over)
        # People in these tests wait for each answer; the burst test sets its own window.
        kwargs: dict[str, Any] = {"burst_window": burst_window}
        if flood is not None:
            kwargs["flood"] = flood
        if clock is not None:
            kwargs["clock"] = clock
        app = tga.build_application(settings, live_ or live, **kwargs)
        async with running(app):
            yield Bot(fake, app, tga.signpost_of(app), tmp_path / "data")

    return start


# ---------------------------------------------------------------- conversation


async def test_start_registers_commands_and_welcomes(start_bot: Any) -> None:
    """/start: commands registered; a welcome that says it's a bot, privacy, 999, a menu."""
    async with start_bot() as bot:
        [welcome] = await bot.ask("/start")
        assert bot.fake.commands is not None
        assert [c["command"] for c in bot.fake.commands] == [
            "start", "help", "services", "privacy", "human", "hide", "forget"]
    assert "bot" in welcome["text"] and "999" in welcome["text"]
    assert "/privacy" in welcome["text"]
    data = [d for _, d in buttons(welcome)]
    assert any(d.startswith("1|cat:") for d in data) and "1|human" in data


async def test_free_text_gets_cards_and_feedback_is_stored(start_bot: Any) -> None:
    """A question gets service cards in HTML, then 👍 is stored against that turn."""
    async with start_bot() as bot:
        [answer] = await bot.ask("any football near me")
        assert "<b>" in answer["html"] and "When:" in answer["text"]
        assert "Did this help?" in answer["text"]
        fb = [(label, d) for label, d in buttons(answer) if d.startswith("1|fb:")]
        assert [label for label, _ in fb] == ["👍", "👎"]
        await bot.press(answer, fb[0][1], count=0)
        await bot.fake.wait_for(lambda: bot.fake.callback_answers)
        await bot.fake.quiet()
        edited = bot.fake.messages[KEZ_ID][answer["message_id"]]
        assert not any(d.startswith("1|fb:") for _, d in buttons(edited))
        assert bot.fake.callback_answers[-1].get("text") == tg.FEEDBACK_THANKS
    rows = logged_turns(bot.data)
    assert rows[-1]["helpful"] == 1 and rows[-1]["intent"] == "sport"


async def test_button_press_and_old_buttons(start_bot: Any) -> None:
    """A category button lists services; an old or unknown button still gets the menu."""
    async with start_bot() as bot:
        [welcome] = await bot.ask("/start")
        cat = next(d for _, d in buttons(welcome) if d.startswith("1|cat:"))
        got = await bot.press(welcome, cat)
        assert bot.fake.callback_answers, "the button spinner must be stopped"
        assert "<b>" in got[0]["html"]
        old = await bot.press(welcome, "0|cat:music")
        gone = await bot.press(welcome, "1|svc:a-service-that-was-retired")
    for reply in (old, gone):
        assert "out of date" in reply[0]["text"]
        assert any(d.startswith("1|cat:") for _, d in buttons(reply[0]))


async def test_did_you_mean_choice(start_bot: Any, live: LiveCatalogue) -> None:
    """A did-you-mean question: the choice is shown on the question, then answered."""
    text = next((t for t in CLARIFY_CANDIDATES if live.engine.respond(t).kind == "clarify"),
                None)
    assert text is not None, "no candidate message makes the shipped catalogue ask"
    async with start_bot() as bot:
        [question] = await bot.ask(text)
        assert question["text"].startswith("Did you mean")
        label, data = buttons(question)[0]
        assert data.endswith("|c")
        answer = await bot.press(question, data)
        edited = bot.fake.messages[KEZ_ID][question["message_id"]]
    assert edited["text"].endswith(f"→ {label}") and "reply_markup" not in edited
    assert answer and answer[0]["message_id"] > question["message_id"]


async def test_location_gives_nearest_and_is_never_stored(start_bot: Any) -> None:
    """A shared location gets the nearest services; the coordinates are stored nowhere."""
    async with start_bot() as bot:
        user = bot.kez()
        sent = bot.fake.send(user, location={"latitude": 51.58341, "longitude": -0.01977})
        [reply] = await bot.fake.replies(KEZ_ID, 1, after=sent["message_id"])
        await bot.fake.quiet()
        conv = bot.sp.conversation(KEZ_ID)
        assert conv.state.location is None
        # A live location moving sends edits; they are not answered again.
        bot.fake.send(user, edited_of=sent, location={"latitude": 51.5835, "longitude": -0.02})
        await bot.fake.quiet(0.3)
        assert len(bot.fake.bot_messages(KEZ_ID)) == 1
    assert "nearest" in reply["text"] and " km)" in reply["text"]
    blob = b"".join(p.read_bytes() for p in bot.data.iterdir() if p.is_file())
    assert b"51.58" not in blob and b"-0.019" not in blob and b"0.0197" not in blob


async def test_sticker_and_other_media_get_please_type(start_bot: Any) -> None:
    """A sticker or voice note: a kind 'please type' reply with the menu."""
    async with start_bot() as bot:
        user = bot.kez()
        s = bot.fake.send(user, sticker={"file_id": "s1", "file_unique_id": "u1", "width": 512,
                                         "height": 512, "is_animated": False,
                                         "is_video": False, "type": "regular"})
        [reply] = await bot.fake.replies(KEZ_ID, 1, after=s["message_id"])
        v = bot.fake.send(user, voice={"file_id": "v1", "file_unique_id": "u2", "duration": 3})
        [reply2] = await bot.fake.replies(KEZ_ID, 1, after=v["message_id"])
    for r in (reply, reply2):
        assert r["text"].startswith("I can only read typed messages") and "999" in r["text"]
        assert any(d.startswith("1|cat:") for _, d in buttons(r))


async def test_photo_caption_is_read_like_text(start_bot: Any) -> None:
    """A photo captioned with a disclosure gets the safety reply, not 'please type'."""
    async with start_bot() as bot:
        p = bot.fake.send(bot.kez(), caption="they stabbed me im bleeding",
                          photo=[{"file_id": "p1", "file_unique_id": "u3", "width": 90,
                                  "height": 90}])
        [reply] = await bot.fake.replies(KEZ_ID, 1, after=p["message_id"])
    assert "999" in reply["text"].split("\n")[0]


async def test_edited_message_is_answered_like_new(start_bot: Any) -> None:
    """Editing a message gets an answer to the new text."""
    async with start_bot() as bot:
        user = bot.kez()
        original = bot.fake.say(user, "hello")
        first = await bot.fake.replies(KEZ_ID, 1, after=original["message_id"])
        await bot.fake.quiet()
        before = bot.fake.last_id(KEZ_ID)
        bot.fake.send(user, edited_of=original, text="any football near me")
        [again] = await bot.fake.replies(KEZ_ID, 1, after=before)
    assert first and "When:" in again["text"]


async def test_group_chat_answered_once_then_ignored(start_bot: Any) -> None:
    """In a group the bot says once that it works in private chat, then stays quiet."""
    group = -100987654321
    async with start_bot() as bot:
        user = bot.kez()
        bot.fake.group_say(user, group, "/start")
        await bot.fake.replies(group, 1)
        bot.fake.group_say(user, group, "any football?")
        bot.fake.group_say(user, group, "i want to kill myself")
        await bot.fake.quiet(0.3)
        said = bot.fake.bot_messages(group)
    assert len(said) == 1 and "private" in said[0]["text"]


async def test_a_burst_is_answered_as_one_turn(start_bot: Any) -> None:
    """Messages sent together after a first one: one answer for all of them, one log row."""
    async with start_bot(burst_window=0.5) as bot:
        user = bot.kez()
        first = bot.fake.say(user, "hello")
        await bot.fake.replies(KEZ_ID, 1, after=first["message_id"])
        bot.fake.say(user, "any football")
        bot.fake.say(user, "near me")
        await bot.fake.wait_for(lambda: len(bot.fake.bot_messages(KEZ_ID)) >= 2)
        await bot.fake.quiet(0.6)
        said = bot.fake.bot_messages(KEZ_ID)
    assert len(said) == 2 and "When:" in said[1]["text"]
    assert [t["text"] for t in logged_turns(bot.data)] == ["hello", "any football\nnear me"]


async def test_flood_slows_down_but_never_drops_safety(start_bot: Any, live: LiveCatalogue
                                                      ) -> None:
    """Thirty messages at once (real abuse): one calm note about skipping, the burst before
    the limit answered as one turn, and the disclosure answered safety first."""
    danger = "they stabbed my friend hes bleeding"
    async with start_bot(clock=lambda: 0.0, burst_window=1.0) as bot:
        user = bot.kez()
        first = bot.fake.say(user, "hello")
        await bot.fake.replies(KEZ_ID, 1, after=first["message_id"])
        for n in range(25):
            bot.fake.say(user, f"hello again {n}")
        bot.fake.say(user, danger)
        for _ in range(3):
            bot.fake.say(user, "hello?")
        await bot.fake.wait_for(lambda: any(
            "999" in m["text"].split("\n")[0] for m in bot.fake.bot_messages(KEZ_ID)[1:]))
        await bot.fake.quiet(1.2)
        said = [m["text"] for m in bot.fake.bot_messages(KEZ_ID)]
    assert said.count(tg.SLOW_DOWN) == 1 and "skipping" in tg.SLOW_DOWN
    at = next(n for n, t in enumerate(said) if n and "999" in t.split("\n")[0])
    assert said.index(tg.SLOW_DOWN) < at, "told about skipping before the safety reply"
    assert len(said) - at <= 2, "nothing answered after the safety reply and its follow-on"
    logged = [t["text"] for t in logged_turns(bot.data)]
    assert logged[0] == "hello" and len(logged) == 2
    assert "hello again 18" in logged[1] and danger in logged[1]
    assert "hello again 19" not in logged[1], "messages over 20 a minute were skipped"


async def test_engine_crash_still_answers_with_999(start_bot: Any, live: LiveCatalogue,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """An engine that raises: the person still gets 999, or the floor's safety reply; the
    logged traceback does not quote the message."""

    broken = broken_live(live)
    async with start_bot(live_=broken) as bot:
        [plain] = await bot.ask("any football near me")
        [danger] = await bot.ask("i want to kill myself")
    assert plain["text"] == routes.ERROR_REPLY
    assert "116 123" in danger["text"] and "999" in danger["text"]
    assert "boom on [message text]" in caplog.text
    assert "any football" not in caplog.text and "kill myself" not in caplog.text


async def test_broken_conversation_log_never_breaks_a_reply(start_bot: Any, tmp_path: Path
                                                            ) -> None:
    """A data folder that cannot be created: answers still arrive (without feedback)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    async with start_bot(data_dir=blocker / "data") as bot:
        [answer] = await bot.ask("any football near me")
        [done] = await bot.ask("/forget")
    assert "When:" in answer["text"]
    assert done["text"]


async def test_crash_outside_the_engine_still_answers(start_bot: Any) -> None:
    """A failure after the engine (here: sending) goes to the error handler, which replies."""
    async with start_bot() as bot:
        async def explode(*args: Any, **kwargs: Any) -> None:
            raise ValueError("delivery broke")

        bot.sp.send = explode  # type: ignore[method-assign]
        [reply] = await bot.ask("any football near me")
    assert reply["text"] == routes.ERROR_REPLY and "999" in reply["text"]


async def test_long_and_unsafe_text_is_split_and_escaped(start_bot: Any,
                                                         live: LiveCatalogue) -> None:
    """Over-long replies are split under 4096 characters; <, > and & arrive as written."""

    class Wordy(Engine):
        def respond(self, text: str, state: ChatState | None = None,
                    now: dt.datetime | None = None) -> Reply:
            body = "\n".join(f"line {n}: Q&A <b>not bold</b> & more " + "x" * 60
                             for n in range(120))
            return Reply(text=body, kind="info", state=state or ChatState())

    lc = copy.copy(live)
    lc.engine = Wordy(None)
    async with start_bot(live_=lc) as bot:
        got = await bot.ask("tell me everything", count=3)
        rejected = [c for c in bot.fake.calls_of("sendMessage") if c.status != 200]
    assert not rejected and len(got) >= 3
    assert all(len(m["text"]) <= 4096 for m in got)
    assert "Q&A <b>not bold</b>" in got[0]["text"]
    assert text_of(got).count("line ") == 120


# ---------------------------------------------------------------- safeguarding


async def test_hide_deletes_messages_also_after_restart(start_bot: Any) -> None:
    """/hide deletes both sides of the chat, even messages from before a restart."""
    async with start_bot() as bot:
        await bot.ask("/start")
        await bot.ask("any football near me")
    before = bot.fake.visible(KEZ_ID)
    assert len(before) >= 4
    async with start_bot() as bot:
        [done] = await bot.ask("/hide")
        await bot.fake.quiet()
        left = bot.fake.visible(KEZ_ID)
    assert [m["message_id"] for m in left] == [done["message_id"]]
    assert done["text"] == tg.HIDE_DONE
    assert not any(k in done["text"].lower() for k in ("safety", "signpost", "999"))


async def test_hide_button_on_a_safety_reply(start_bot: Any) -> None:
    """The Hide this chat button under a safety reply clears the chat too."""
    async with start_bot() as bot:
        replies = await bot.ask("someone pulled a knife on me outside school")
        safety = replies[0]
        assert "999" in safety["text"].split("\n")[0]
        hide = next(d for label, d in buttons(safety) if label == "Hide this chat")
        talk = next(d for label, d in buttons(safety) if label == "Talk to someone now")
        now = await bot.press(safety, talk)
        assert "right now" in now[0]["text"] and "999" in text_of(now)
        await bot.press(safety, hide)
        left = bot.fake.visible(KEZ_ID)
    assert [m["text"] for m in left] == [tg.HIDE_DONE]


async def test_forget_erases_the_log(start_bot: Any) -> None:
    """/forget erases every stored turn and says how many."""
    async with start_bot() as bot:
        await bot.ask("any football near me")
        await bot.ask("what about music")
        assert len(logged_turns(bot.data)) == 2
        [done] = await bot.ask("/forget")
    assert "erased 2 message(s)" in done["text"]
    assert logged_turns(bot.data) == []


async def test_safety_alert_reaches_staff_without_identifiers(start_bot: Any) -> None:
    """A safety trigger posts one alert with ref, intent, time, redacted text; no ids."""
    async with start_bot(alert_chat_id=ALERT_CHAT) as bot:
        await bot.ask("i want to kill myself, ring me on 07700 900123", count=1)
        await bot.fake.wait_for(lambda: bot.fake.bot_messages(ALERT_CHAT))
        await bot.ask("i really want to end it all")
        await bot.fake.quiet(0.3)
        alerts = bot.fake.bot_messages(ALERT_CHAT)
        ref = bot.sp.conversation(KEZ_ID).ref
    assert len(alerts) == 1, "one alert per conversation per 10 minutes"
    text = alerts[0]["text"]
    assert ref in text and "self_harm" in text and "Time:" in text
    assert "kill myself" in text
    for secret in (str(KEZ_ID), KEZ_NAME, KEZ_HANDLE, "07700 900123", "07700900123"):
        assert secret not in text


async def test_admin_commands_only_for_admins(start_bot: Any, make_catalogue: Any) -> None:
    """/catalogue and /reload answer admins; others get the unknown-command fallback;
    a broken save is reported to the admin chat with file:line."""
    root = make_catalogue("shipped")
    lc = LiveCatalogue(root)
    admin = {"id": ADMIN_ID, "is_bot": False, "first_name": "Staff"}
    async with start_bot(live_=lc, admin_ids=frozenset({ADMIN_ID}),
                         admin_chat_id=ADMIN_CHAT) as bot:
        [info] = await bot.ask("/catalogue", user=admin)
        [reloaded] = await bot.ask("/reload", user=admin)
        [not_admin] = await bot.ask("/reload")
        [unknown] = await bot.ask("/xyzzy")
        services = root / "services.yaml"
        services.write_text(services.read_text() + "\n  - id: [broken\n")
        report = await bot.fake.wait_for(lambda: bot.fake.bot_messages(ADMIN_CHAT), 6)
        still = await bot.ask("any football near me")
    assert info["text"].startswith("Catalogue version") and "services" in info["text"]
    assert reloaded["text"].startswith("Catalogue reloaded")
    assert not_admin["text"] == unknown["text"]
    assert "Catalogue" not in not_admin["text"]
    assert "rejected" in report[0]["text"]
    assert re.search(r"services\.yaml:\d+:\d+", report[0]["text"])
    assert "When:" in still[0]["text"], "the previous catalogue keeps serving"


# ---------------------------------------------------------------- Telegram's limits


async def test_blocked_user_is_not_retried(start_bot: Any) -> None:
    """A person who blocked the bot gets one attempt, no retries, no error reply."""
    async with start_bot() as bot:
        bot.fake.blocked.add(KEZ_ID)
        bot.fake.say(bot.kez(), "any football near me")
        await bot.fake.wait_for(lambda: bot.fake.calls_of("sendMessage"))
        await bot.fake.quiet(0.3)
    attempts = [c for c in bot.fake.calls_of("sendMessage")
                if str(c.params.get("chat_id")) == str(KEZ_ID)]
    assert len(attempts) == 1 and attempts[0].status == 403


async def test_retry_after_is_respected(start_bot: Any) -> None:
    """A 429 with retry_after is waited out and the message still arrives."""
    async with start_bot() as bot:
        bot.fake.fail_next["sendMessage"] = 1
        start = time.monotonic()
        [welcome] = await bot.ask("/start")
    assert "999" in welcome["text"] and time.monotonic() - start >= 1.0
    assert [c.status for c in bot.fake.calls_of("sendMessage")][:2] == [429, 200]


async def test_webhook_checks_the_secret(fake: FakeTelegram, tmp_path: Path,
                                         live: LiveCatalogue, unused_tcp_port: int) -> None:
    """Webhook mode: the right secret is answered; a wrong or missing one gets 403."""
    settings = make_settings(fake, tmp_path / "data",
                             webhook_url=f"http://127.0.0.1:{unused_tcp_port}/tg-hook",
                             webhook_port=unused_tcp_port, webhook_secret="s3cret-Hook_1")
    app = tga.build_application(settings, live)
    await app.initialize()
    await app.post_init(app)
    opts = tga.webhook_options(settings)
    await app.updater.start_webhook(**opts)
    await app.start()
    try:
        assert fake.webhook and fake.webhook["secret_token"] == "s3cret-Hook_1"
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            "chat": {"id": KEZ_ID, "type": "private"},
            "from": {"id": KEZ_ID, "is_bot": False, "first_name": KEZ_NAME}}}
        url = f"http://127.0.0.1:{unused_tcp_port}/tg-hook"
        async with httpx.AsyncClient() as client:
            wrong = await client.post(url, json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            missing = await client.post(url, json=update)
            right = await client.post(url, json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token":
                                               "s3cret-Hook_1"})
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        [welcome] = await fake.replies(KEZ_ID, 1)
        assert "999" in welcome["text"]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.post_stop(app)
        await app.shutdown()
        await app.post_shutdown(app)
    assert len(fake.bot_messages(KEZ_ID)) == 1, "rejected posts were not processed"


async def test_webhook_route_in_the_web_app(fake: FakeTelegram, tmp_path: Path,
                                           live: LiveCatalogue) -> None:
    """`signpost run`'s webhook: a route of the web chat's ASGI app (updater None), checking
    the secret; the web chat and Telegram share one session and one log."""
    settings = make_settings(fake, tmp_path / "data",
                             webhook_url="https://bot.example.org/tg-hook",
                             webhook_secret="s3cret-Hook_1")
    store = await AsyncStore.open(settings.data_dir)
    session = Session(live, store, burst_window=0.0)
    app = tga.build_application(settings, live, session=session, updater=False)
    assert app.updater is None
    web = WebChat(session, settings, extra_routes=[tga.webhook_route(app, settings)])
    await tga.start(app, settings)
    update = {"update_id": 7, "message": {
        "message_id": 1, "date": int(time.time()), "text": "any football near me",
        "chat": {"id": KEZ_ID, "type": "private"},
        "from": {"id": KEZ_ID, "is_bot": False, "first_name": KEZ_NAME}}}
    try:
        assert fake.webhook and fake.webhook["secret_token"] == "s3cret-Hook_1"
        transport = httpx.ASGITransport(app=web.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            wrong = await client.post("/tg-hook", json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
            huge = await client.post("/tg-hook", content=b"{" + b" " * 300_000 + b"}",
                                     headers={"X-Telegram-Bot-Api-Secret-Token":
                                              "s3cret-Hook_1"})
            right = await client.post("/tg-hook", json=update,
                                      headers={"X-Telegram-Bot-Api-Secret-Token":
                                               "s3cret-Hook_1"})
            [answer] = await fake.replies(KEZ_ID, 1)
            page = await client.post("/api/start", json={}, headers={"Origin": "http://t"})
    finally:
        await tga.stop(app)
        await session.close()
    assert (wrong.status_code, huge.status_code, right.status_code) == (403, 413, 200)
    assert "When:" in answer["text"] and page.status_code == 200
    assert [r["channel"] for r in logged_turns(tmp_path / "data")] == ["telegram", "web"]


# ---------------------------------------------------------------- secrets and privacy


async def test_token_never_logged_and_logs_carry_no_ids(
        start_bot: Any, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    """At DEBUG everywhere (httpx too), no log line or stderr output shows the token, and
    the bot's own logs carry no message text and no Telegram ids."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    protect(TOKEN)
    protect_handlers()
    try:
        async with start_bot(alert_chat_id=ALERT_CHAT) as bot:
            await bot.ask("/start")
            await bot.ask("any football near me")
            await bot.ask("i want to kill myself")
            bot.sp.send = None  # type: ignore[assignment]  # force the error handler
            await bot.ask("hello")
            logging.getLogger("bot.test").error("the token is %s", TOKEN)
    finally:
        for name in ("httpx", "httpcore", "telegram"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        forget_secrets()
    err = capfd.readouterr().err
    assert "HTTP Request" in caplog.text, "httpx was logging, so redaction was exercised"
    assert TOKEN not in caplog.text and TOKEN not in err
    assert all(TOKEN not in (r.exc_text or "") for r in caplog.records)
    own = [r for r in caplog.records if r.name.startswith("bot.") and r.name != "bot.test"]
    assert own
    for r in own:
        line = r.getMessage() + (r.exc_text or "")
        for secret in (str(KEZ_ID), KEZ_NAME, KEZ_HANDLE, "football", "kill myself"):
            assert secret not in line, (secret, line)


async def test_database_holds_no_identifiers(start_bot: Any) -> None:
    """After a conversation the SQLite files hold no id, username, name or phone number."""
    async with start_bot(alert_chat_id=ALERT_CHAT) as bot:
        await bot.ask("/start")
        await bot.ask("im 17 in e17, any boxing? my number is 07700 900461")
        await bot.ask("i want to kill myself, call +44 7700 900461")
        await bot.ask(f"add me on insta @{KEZ_HANDLE}")
        assert len(logged_turns(bot.data)) == 4
    files = [p for p in bot.data.iterdir() if p.is_file()]
    assert any(p.name.endswith(".db") for p in files)
    blob = b"".join(p.read_bytes() for p in files)
    for secret in (str(KEZ_ID), KEZ_HANDLE, KEZ_NAME, "07700 900461", "07700900461",
                   "7700 900461", "900461"):
        assert secret.encode() not in blob, secret
        assert secret.encode("utf-16-le") not in blob, secret


# ---------------------------------------------------------------- signpost run


async def test_run_without_token_serves_the_web_chat(tmp_path: Path,
                                                     unused_tcp_port: int) -> None:
    """`signpost run` with no token: the web chat answers; SIGTERM stops it with exit 0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
    env.update(SIGNPOST_CATALOGUE=str(REPO), SIGNPOST_DATA_DIR=str(tmp_path / "data"),
               SIGNPOST_WEB_PORT=str(unused_tcp_port))
    base = f"http://127.0.0.1:{unused_tcp_port}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        async with httpx.AsyncClient(base_url=base, headers={"Origin": base}) as client:
            for _ in range(150):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            start = (await client.post("/api/start", json={})).json()
            answer = await client.post("/api/send", json={"token": start["token"],
                                                          "text": "any football near me"})
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 0, err[-2000:]
    assert answer.status_code == 200 and answer.json()["messages"][0]["parts"][0]["services"]
    assert "web chat on http://127.0.0.1" in err and "stopped" in err
    assert "127.0.0.1:" not in err.split("web chat on")[0], "no client address is logged"
    rows = logged_turns(tmp_path / "data")
    assert [r["channel"] for r in rows] == ["web", "web"]


def test_webhook_without_secret_exits_2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Webhook mode refuses to start without SIGNPOST_WEBHOOK_SECRET."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SIGNPOST_WEBHOOK_URL", "https://bot.example.org/hook")
    monkeypatch.delenv("SIGNPOST_WEBHOOK_SECRET", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "SIGNPOST_WEBHOOK_SECRET is required" in err and TOKEN not in err


async def test_signpost_run_answers_and_stops_cleanly_on_sigterm(
        fake: FakeTelegram, tmp_path: Path, unused_tcp_port: int) -> None:
    """The real command: answers /start over the Bot API and serves the web chat from the
    same process; exits 0 on SIGTERM, no token printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, SIGNPOST_BOT_API_URL=fake.base_url,
               SIGNPOST_DATA_DIR=str(tmp_path / "data"), SIGNPOST_CATALOGUE=str(REPO),
               SIGNPOST_LOG_LEVEL="DEBUG", SIGNPOST_WEB_PORT=str(unused_tcp_port))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for(lambda: fake.calls_of("getUpdates"), timeout=30)
        fake.say(fake.user(KEZ_ID, KEZ_NAME, KEZ_HANDLE), "/start")
        [welcome] = await fake.replies(KEZ_ID, 1, timeout=10)
        base = f"http://127.0.0.1:{unused_tcp_port}"
        async with httpx.AsyncClient(base_url=base, headers={"Origin": base}) as client:
            web = await client.post("/api/start", json={})
        proc.send_signal(signal.SIGTERM)
        out, err_bytes = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 0, err[-2000:]
    assert "999" in welcome["text"] and "999" in web.text
    assert TOKEN not in err and TOKEN not in out.decode()
    assert "stopped" in err and str(KEZ_ID) not in err
    assert (tmp_path / "data" / "signpost.db").exists()


async def test_signpost_run_rejected_token(tmp_path: Path, unused_tcp_port: int) -> None:
    """A token Telegram rejects: exit 2 with advice, and the token is not printed."""
    other = await FakeTelegram("987654321:AAHsomeOtherBotsTokenNotOurs_987654").start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN=TOKEN, SIGNPOST_CATALOGUE=str(REPO),
               SIGNPOST_BOT_API_URL=other.base_url, SIGNPOST_DATA_DIR=str(tmp_path / "data"),
               SIGNPOST_WEB_PORT=str(unused_tcp_port))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await other.stop()
    assert proc.returncode == 2, err.decode()[-2000:]
    assert b"rejected TELEGRAM_BOT_TOKEN" in err
    assert TOKEN.encode() not in err + out
