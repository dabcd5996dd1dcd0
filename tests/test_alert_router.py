"""The alert router: every alert to every sink, a failing or slow sink delaying no one."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from pathlib import Path

import pytest

from bot.alert_email import EmailSink, SmtpConfig
from bot.alert_router import NO_ROUTE, AlertRouter, make_test_alert, no_route_job
from bot.alerts import OVERFLOW_REF, Alert, format_alert
from tests.smtp_server import Mailbox, free_port, start_server

AT = dt.datetime(2026, 3, 14, 16, 5, tzinfo=dt.UTC)


class Recording:
    """A sink that keeps what it was given."""

    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.got: list[Alert] = []
        self.arrived = asyncio.Event()

    async def post(self, alert: Alert) -> None:
        self.got.append(alert)
        self.arrived.set()


class Failing:
    name = "broken route"

    def __init__(self) -> None:
        self.calls = 0

    async def post(self, alert: Alert) -> None:
        self.calls += 1
        raise ConnectionError("mail server unreachable")


class Hanging:
    name = "slow route"

    async def post(self, alert: Alert) -> None:
        await asyncio.sleep(3600)


async def test_every_sink_gets_every_alert_even_when_one_fails(
        caplog: pytest.LogCaptureFixture) -> None:
    """One sink raising: the other still gets the alert, and the failure is an ERROR."""
    good, bad = Recording(), Failing()
    router = AlertRouter([bad, good])
    alert = Alert("c-1", "emergency", AT, "they have a knife")
    await router.post(alert)
    await asyncio.wait_for(good.arrived.wait(), 2)
    assert await router.drain(2)
    assert good.got == [alert]
    assert bad.calls == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["could not post a safety alert for c-1 through broken route "
                      "(ConnectionError)"]
    assert "knife" not in caplog.text
    await router.close()


async def test_a_hanging_sink_delays_neither_the_caller_nor_another_sink(
        caplog: pytest.LogCaptureFixture) -> None:
    """post() returns at once; the other sink gets the alert; the slow one times out."""
    good = Recording()
    router = AlertRouter([Hanging(), good], timeout=0.3)
    started = time.monotonic()
    await router.post(Alert("c-2", "self_harm", AT, "i want to die"))
    assert time.monotonic() - started < 0.05
    await asyncio.wait_for(good.arrived.wait(), 1)
    assert time.monotonic() - started < 0.2, "the good sink did not wait for the slow one"
    assert await router.drain(2)
    assert "through slow route: no answer within 0 s" in caplog.text
    await router.close()


async def test_alerts_keep_their_order_per_sink() -> None:
    """A sink gets the alerts in the order they were raised."""
    sink = Recording()
    router = AlertRouter([sink])
    for n in range(5):
        router.send(Alert(f"c-{n}", "emergency", AT, ""))
    assert await router.drain(2)
    assert [a.ref for a in sink.got] == [f"c-{n}" for n in range(5)]
    await router.close()


class Gate:
    """A sink that holds each delivery until the test opens the gate."""

    name = "slow route"

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.got: list[Alert] = []

    async def post(self, alert: Alert) -> None:
        await self.open.wait()
        self.got.append(alert)


async def test_a_full_queue_sends_what_it_cannot_hold_as_one_summary(
        caplog: pytest.LogCaptureFixture) -> None:
    """Bounded memory without losing count: alerts beyond a full queue reach the route as
    one summary that points to the console, and the operator's log says so once."""
    sink = Gate()
    router = AlertRouter([sink], queue_size=2, timeout=60)
    for n in range(6):
        router.send(Alert(f"c-{n}", "self_harm" if n == 5 else "emergency", AT, "x"))
    await asyncio.sleep(0)
    assert caplog.text.count("queue of safety alerts for slow route is full") == 1
    assert "more will be sent as one summary" in caplog.text
    sink.open.set()
    assert await router.drain(2)
    assert [a.ref for a in sink.got] == ["c-0", "c-1", OVERFLOW_REF]
    summary = sink.got[-1]
    assert (summary.further, summary.intent, summary.summary) == (4, "emergency", True)
    text = format_alert(summary)
    assert "4 more safety alert(s) came in faster than this route could deliver" in text
    assert "By kind: 3 emergency, 1 self_harm." in text  # danger now named first
    assert "every one is in the console's safety queue" in text
    await router.close()


async def test_a_route_that_never_answers_is_reported_at_shutdown(
        caplog: pytest.LogCaptureFixture) -> None:
    router = AlertRouter([Hanging()], queue_size=2, timeout=60)
    for n in range(4):
        router.send(Alert(f"c-{n}", "emergency", AT, ""))
    await asyncio.sleep(0)
    await router.close(grace=0.1)
    assert "stopping with 2 safety alert(s) not handed to their route" in caplog.text


async def test_web_only_deployment_emails_through_a_real_smtp_server(tmp_path: Path) -> None:
    """No Telegram at all, an email address set: the alert reaches the SMTP server once,
    even with a broken route beside it."""
    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=port, security="none",
                         to=("safeguarding@example.org",), sender="signpost@example.org")
        router = AlertRouter([Failing(), EmailSink(cfg, tmp_path)])
        await router.start()
        router.send(Alert("c-web", "sexual_harm", AT, "he sent me pics"))
        (got,) = await box.wait_for(1)
        assert got.message["Subject"] == ("Signpost safety alert: Sexual abuse or nudes "
                                          "(sexual_harm)")
        await router.close()
    finally:
        server.stop()


async def test_send_test_alert_reports_each_sink() -> None:
    """The test alert goes through every sink; each result says sent or why not."""
    good = Recording("Telegram staff group")
    router = AlertRouter([good, Failing()])
    outcomes = await router.test(make_test_alert(AT), timeout=1)
    assert [(o.sink, o.ok, o.detail) for o in outcomes] == [
        ("Telegram staff group", True, "sent"),
        ("broken route", False, "ConnectionError: mail server unreachable")]
    assert good.got[0].intent == "test"


async def test_no_route_is_an_error_at_start_and_again(
        caplog: pytest.LogCaptureFixture) -> None:
    """With no sink, the exact ERROR is logged at once and then every interval."""
    router = AlertRouter()
    job = asyncio.create_task(no_route_job(router, every=0.05))
    await asyncio.sleep(0.12)
    job.cancel()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(messages) >= 2
    assert set(messages) == {"safety alerts go nowhere: set SIGNPOST_ALERT_CHAT_ID or "
                             "SIGNPOST_ALERT_EMAIL_TO"}
    assert messages[0] == NO_ROUTE


async def test_no_route_job_is_quiet_once_a_sink_exists(
        caplog: pytest.LogCaptureFixture) -> None:
    """A configured sink: nothing is logged."""
    router = AlertRouter([Recording()])
    job = asyncio.create_task(no_route_job(router, every=0.02))
    await asyncio.sleep(0.08)
    job.cancel()
    assert "go nowhere" not in caplog.text
