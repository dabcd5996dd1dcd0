"""Alert routes end to end: the web chat's API, the session, and a real SMTP server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.alert_email import EmailSink, SmtpConfig
from bot.alerts import Alert, AlertSink
from bot.config import EmailSettings, Settings
from bot.live import LiveCatalogue
from bot.session import Session
from bot.store import AsyncStore
from bot.web.app import WebChat
from tests.conftest import REPO
from tests.fake_telegram import FakeTelegram
from tests.smtp_server import Mailbox, free_port, start_server

ORIGIN = "http://testserver"
CLIENT = ("203.0.113.7", 5000)
DISCLOSURE = ("im Kezia. my stepdad hits me and i'm scared to go home. text me on 07700 900123 or "
              "snap @kez_e17")


@pytest.fixture(scope="module")
def live() -> LiveCatalogue:
    lc = LiveCatalogue(REPO)
    assert lc.catalogue is not None
    return lc


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.got: list[Alert] = []

    async def post(self, alert: Alert) -> None:
        self.got.append(alert)


class Hanging:
    name = "hanging route"

    async def post(self, alert: Alert) -> None:
        await asyncio.sleep(3600)


class Failing:
    name = "failing route"

    async def post(self, alert: Alert) -> None:
        raise ConnectionError("refused")


@dataclass
class Web:
    client: httpx.AsyncClient
    session: Session

    token: str = ""

    async def say(self, text: str) -> tuple[httpx.Response, float]:
        """Start a conversation, send one message; the response and how long it took."""
        r = await self.client.post("/api/start", json={}, headers={"Origin": ORIGIN})
        token = self.token = r.json()["token"]
        started = time.monotonic()
        r = await self.client.post("/api/send", json={"token": token, "text": text},
                                   headers={"Origin": ORIGIN})
        return r, time.monotonic() - started


@pytest.fixture
def web(live: LiveCatalogue, tmp_path: Path) -> Callable[..., Any]:
    """web(sinks) -> a web-only deployment (no Telegram token) with these alert sinks."""

    @asynccontextmanager
    async def make(sinks: list[AlertSink]) -> AsyncIterator[Web]:
        settings = Settings(catalogue_dir=REPO, data_dir=tmp_path / "data")
        store = await AsyncStore.open(settings.data_dir, "k" * 32)
        session = Session(live, store, sinks=sinks, burst_window=0.0)
        await session.router.start()
        chat = WebChat(session, settings)
        transport = httpx.ASGITransport(app=chat.app, client=CLIENT)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
            yield Web(c, session)
        await session.close(grace=0.5)

    return make


def smtp_config(port: int) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, security="none",
                      to=("safeguarding@example.org",), sender="signpost@example.org",
                      console_url="https://signpost.example.org/console")


async def test_web_only_deployment_emails_the_alert(web: Any, tmp_path: Path) -> None:
    """No Telegram: a disclosure in the web chat is emailed, naming nobody."""
    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    try:
        async with web([EmailSink(smtp_config(port), tmp_path / "data")]) as w:
            r, _ = await w.say(DISCLOSURE)
            assert r.status_code == 200 and "999" in r.text
            assert [s.name for s in w.session.sinks] == ["email to safeguarding@example.org"]
            token = w.token
            (got,) = await box.wait_for(1)
        raw = got.raw.decode("utf-8", "replace")
        assert got.message["Subject"] == "Signpost safety alert: Not safe at home (abuse_at_home)"
        text = got.message.get_content()
        assert "my stepdad hits me" in text
        ref = text.split("Conversation: ", 1)[1].split("\n", 1)[0]
        assert ref.startswith("c-")
        assert f"https://signpost.example.org/console/safety/conversation/{ref}" in text
        for secret in (token, "203.0.113.7", "Kezia", "07700", "900123", "kez_e17", DISCLOSURE):
            assert secret not in raw, secret
    finally:
        server.stop()


async def test_failing_and_hanging_routes_delay_neither_the_reply_nor_the_email(
        web: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Beside a route that hangs and one that fails, the email still goes and the young
    person's reply takes no longer than with no alert route at all."""
    async with web([]) as w:
        baseline = min([(await w.say(DISCLOSURE))[1] for _ in range(3)])
    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    try:
        good = Recording()
        sinks: list[AlertSink] = [Hanging(), Failing(), good,
                                  EmailSink(smtp_config(port), tmp_path / "data")]
        async with web(sinks) as w:
            timings = []
            for _ in range(3):
                r, took = await w.say(DISCLOSURE)
                assert r.status_code == 200 and "999" in r.text
                timings.append(took)
            await box.wait_for(3)
            assert len(good.got) == 3
        assert min(timings) < baseline + 0.25, (timings, baseline)
        assert max(timings) < 2.0, timings
        assert "through failing route (ConnectionError)" in caplog.text
    finally:
        server.stop()


async def test_rate_limit_is_applied_once_before_fan_out(web: Any) -> None:
    """Two disclosures in one conversation within 10 minutes: each sink gets one alert."""
    a, b = Recording(), Recording()
    async with web([a, b]) as w:
        start = await w.client.post("/api/start", json={}, headers={"Origin": ORIGIN})
        token = start.json()["token"]
        for text in (DISCLOSURE, "he said he'll hurt me again tonight"):
            r = await w.client.post("/api/send", json={"token": token, "text": text},
                                    headers={"Origin": ORIGIN})
            assert r.status_code == 200
        assert await w.session.router.drain(2)
    assert len(a.got) == 1 and len(b.got) == 1
    assert a.got[0] is b.got[0]


async def test_signpost_run_says_alerts_go_nowhere(live: LiveCatalogue, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """signpost run with no alert route logs the ERROR at start (and then every hour)."""
    from bot.runner import listen_socket, serve

    settings = Settings(catalogue_dir=REPO, data_dir=tmp_path / "data", secret="k" * 32)
    sock = listen_socket("127.0.0.1", 0)
    task = asyncio.create_task(serve(settings, live, sock=sock))
    try:
        for _ in range(300):
            if "safety alerts go nowhere" in caplog.text:
                break
            await asyncio.sleep(0.02)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert [r.getMessage() for r in errors] == [
            "safety alerts go nowhere: set SIGNPOST_ALERT_CHAT_ID or SIGNPOST_ALERT_EMAIL_TO"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_signpost_run_with_email_is_quiet_and_sends(live: LiveCatalogue, tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    """signpost run with email configured: no ERROR, and an email left by an earlier run
    (the server was down) is sent at start."""
    from bot.runner import listen_socket, serve

    box, port = Mailbox(), free_port()
    data = tmp_path / "data"
    settings = Settings(catalogue_dir=REPO, data_dir=data, secret="k" * 32,
                        email=EmailSettings(to=("safeguarding@example.org",),
                                            smtp_host="127.0.0.1", smtp_port=port,
                                            smtp_security="none",
                                            smtp_from="signpost@example.org"))
    earlier = EmailSink(smtp_config(port), data, first_backoff=60)
    await earlier.post(Alert("c-earlier", "emergency", _now(), "they have a knife"))
    await earlier.close()
    server = start_server(box, port)
    task = asyncio.create_task(serve(settings, live, sock=listen_socket("127.0.0.1", 0)))
    try:
        (got,) = await box.wait_for(1)
        assert "Conversation: c-earlier" in got.message.get_content()
        assert "go nowhere" not in caplog.text
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        server.stop()


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- Telegram and email together


@asynccontextmanager
async def telegram_and_email(live: LiveCatalogue, tmp_path: Path, smtp_port: int
                             ) -> AsyncIterator[tuple[Any, Session, FakeTelegram]]:
    """Telegram (fake Bot API) with the staff group, and email, sharing one session."""
    import tests.test_telegram_e2e as e2e
    from bot.channels import telegram_app as tga

    fake = await FakeTelegram(e2e.TOKEN).start()
    data = tmp_path / "data"
    store = await AsyncStore.open(data, "k" * 32)
    email = EmailSink(smtp_config(smtp_port), data, first_backoff=60)
    session = Session(live, store, sinks=[email], burst_window=0.0)
    settings = e2e.make_settings(fake, data, alert_chat_id=e2e.ALERT_CHAT)
    app = tga.build_application(settings, live, session=session)
    try:
        async with e2e.running(app):
            yield e2e.Bot(fake, app, tga.signpost_of(app), data), session, fake
    finally:
        await session.close(grace=0.5)
        await fake.stop()


async def test_telegram_disclosure_reaches_the_group_and_the_inbox(
        live: LiveCatalogue, tmp_path: Path) -> None:
    """Both routes on: the staff group and the mailbox each get one alert, neither holding
    the young person's Telegram id, name or username."""
    import tests.test_telegram_e2e as e2e

    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    try:
        async with telegram_and_email(live, tmp_path, port) as (bot, session, fake):
            assert [s.name for s in session.sinks] == ["email to safeguarding@example.org",
                                                       "telegram staff group"]
            await bot.ask(DISCLOSURE)
            await fake.wait_for(lambda: fake.bot_messages(e2e.ALERT_CHAT))
            (got,) = await box.wait_for(1)
            ref = bot.sp.conversation(e2e.KEZ_ID).ref
        group = fake.bot_messages(e2e.ALERT_CHAT)[0]["text"]
        mail = got.raw.decode("utf-8", "replace")
        assert f"Conversation: {ref}" in group and f"Conversation: {ref}" in mail
        for secret in (str(e2e.KEZ_ID), e2e.KEZ_NAME, e2e.KEZ_HANDLE, "07700", DISCLOSURE):
            assert secret not in group and secret not in mail, secret
    finally:
        server.stop()


async def test_mail_server_down_the_group_is_told_at_once_and_the_email_follows(
        live: LiveCatalogue, tmp_path: Path) -> None:
    """Email failing: the reply and the staff group's alert come as fast as ever; the email
    arrives once the mail server is back."""
    import tests.test_telegram_e2e as e2e

    port = free_port()
    async with telegram_and_email(live, tmp_path, port) as (bot, session, fake):
        started = time.monotonic()
        await bot.ask(DISCLOSURE)
        replied = time.monotonic() - started
        await fake.wait_for(lambda: fake.bot_messages(e2e.ALERT_CHAT), timeout=2)
        told = time.monotonic() - started
        email = session.sinks[0]
        assert isinstance(email, EmailSink)
        for _ in range(200):
            if email.failing:
                break
            await asyncio.sleep(0.01)
        assert email.failing
        box = Mailbox()
        server = start_server(box, port)
        try:
            await email.start()  # as the next alert would: try again now
            (got,) = await box.wait_for(1)
            await asyncio.sleep(0.3)
            assert box.count() == 1
            assert "Not safe at home" in got.message["Subject"]
        finally:
            server.stop()
    assert replied < 2.0 and told < 2.0, (replied, told)
