"""Safety alerts by email, received by a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from bot.alert_email import OUTBOX, EmailSink, SmtpConfig, SomeRefused, email_sink
from bot.alert_router import make_test_alert
from bot.alerts import OVERFLOW_REF, Alert
from bot.config import ConfigError, load_settings
from bot.redact import redact
from tests.smtp_server import Mailbox, free_port, start_server

RAW = ("my name is Jamie Smith, i'm on insta @jamie_e17x, email jamie.smith@example.com or "
       "ring 07700 900123, i live at 23 Hoe Street E17 4QH and my stepdad hits me")
AT = dt.datetime(2026, 3, 14, 16, 5, tzinfo=dt.UTC)


def config(port: int, **kw: object) -> SmtpConfig:
    base: dict[str, object] = dict(host="127.0.0.1", port=port, security="none",
                                   to=("safeguarding@example.org", "duty@example.org"),
                                   sender="signpost@example.org")
    base.update(kw)
    return SmtpConfig(**base)  # type: ignore[arg-type]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    yield box, port
    server.stop()


async def test_email_has_exactly_these_headers_and_only_the_redacted_text(
        mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    """The email names the intent in its subject and holds nothing that identifies anyone."""
    box, port = mailbox
    sink = EmailSink(config(port, console_url="https://signpost.example.org/console/"), tmp_path)
    await sink.post(Alert("c-3f9a1b2c4d5e", "abuse_at_home", AT, redact(RAW), further=2))
    (got,) = await box.wait_for(1)
    await sink.close()
    msg = got.message
    assert sorted(msg.keys()) == sorted(["From", "To", "Subject", "Date", "Message-ID",
                                         "Auto-Submitted", "Content-Type",
                                         "Content-Transfer-Encoding", "MIME-Version"])
    assert msg["From"] == "signpost@example.org"
    assert msg["To"] == "safeguarding@example.org, duty@example.org"
    assert got.rcpt_tos == ["safeguarding@example.org", "duty@example.org"]
    assert got.mail_from == "signpost@example.org"
    assert msg["Subject"] == "Signpost safety alert: Not safe at home (abuse_at_home)"
    assert msg["Date"] == "Sat, 14 Mar 2026 16:05:00 +0000"
    assert re.fullmatch(r"<signpost-alert-[0-9a-f]{32}@example\.org>", msg["Message-ID"])
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "text/plain"
    text = msg.get_content()
    assert "Conversation: c-3f9a1b2c4d5e" in text
    assert "Safety intent: abuse_at_home (Not safe at home)" in text
    assert "Time: 16:05 on Sat 14 Mar 2026" in text
    assert "my stepdad hits me" in text
    assert "[handle]" in text and "[phone]" in text and "[email]" in text
    assert "Also 2 further safety message(s)" in text
    assert ("In the console: https://signpost.example.org/console/safety/conversation/c-3f9a1b2c4d5e"
            in text)
    raw = got.raw.decode("utf-8", "replace")
    assert "[name]" in text
    for secret in ("jamie", "smith", "07700", "900123", "Hoe Street", "4QH", RAW):
        assert secret.lower() not in raw.lower(), secret
    assert not list((tmp_path / OUTBOX).glob("*.json")), "sent alerts leave the outbox"


async def test_without_a_console_url_there_is_no_link(mailbox: tuple[Mailbox, int],
                                                      tmp_path: Path) -> None:
    """No console configured: the email says how to read the conversation, with no link."""
    box, port = mailbox
    sink = EmailSink(config(port), tmp_path)
    await sink.post(Alert("c-1", "self_harm", AT, "i want to die"))
    (got,) = await box.wait_for(1)
    await sink.close()
    text = got.message.get_content()
    assert "console" not in text.lower()
    assert "signpost review conversation c-1" in text
    assert got.message["Subject"] == "Signpost safety alert: Feeling unsafe (self_harm)"


async def test_alert_raised_while_the_server_is_down_arrives_once_when_it_is_back(
        tmp_path: Path) -> None:
    """Down at first, then back: the alert arrives, exactly once, and leaves the outbox."""
    port = free_port()
    sink = EmailSink(config(port), tmp_path, first_backoff=0.05, max_backoff=0.2)
    await sink.post(Alert("c-down", "emergency", AT, "they have a knife"))
    for _ in range(200):
        if sink.failing:
            break
        await asyncio.sleep(0.01)
    assert sink.failing, "the first attempt should have failed"
    assert len(list((tmp_path / OUTBOX).glob("*.json"))) == 1, "kept on disk meanwhile"
    box = Mailbox()
    server = start_server(box, port)
    try:
        (got,) = await box.wait_for(1)
        await asyncio.sleep(0.6)  # several back-off periods: nothing is sent twice
        assert box.count() == 1
        assert got.message["Subject"] == "Signpost safety alert: Emergency (emergency)"
        assert not sink.failing
        assert not list((tmp_path / OUTBOX).glob("*.json"))
    finally:
        await sink.close()
        server.stop()


async def test_alert_left_on_disk_by_a_stopped_process_is_sent_after_restart(
        tmp_path: Path) -> None:
    """The outbox survives a restart: a new sink on the same data folder sends it, once."""
    port = free_port()
    first = EmailSink(config(port), tmp_path, first_backoff=5.0)
    await first.post(Alert("c-restart", "threatened", AT, "they said they'd jump me"))
    await first.close()
    assert len(list((tmp_path / OUTBOX).glob("*.json"))) == 1
    box = Mailbox()
    server = start_server(box, port)
    try:
        second = EmailSink(config(port), tmp_path)
        await second.start()
        (got,) = await box.wait_for(1)
        await asyncio.sleep(0.3)
        assert box.count() == 1
        assert "Conversation: c-restart" in got.message.get_content()
        await second.close()
    finally:
        server.stop()


async def test_full_outbox_drops_the_oldest(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    """The disk queue is bounded: beyond it the oldest alert goes, with an ERROR."""
    sink = EmailSink(config(free_port()), tmp_path, max_queued=2, first_backoff=30.0)
    for n in range(3):
        await sink.post(Alert(f"c-{n}", "emergency", AT, ""))
    await sink.close()
    refs = sorted(q.alert.ref for q in sink.outbox.waiting())
    assert refs == ["c-1", "c-2"]
    assert any("outbox is full" in r.message and r.levelname == "ERROR" for r in caplog.records)


async def test_unreadable_outbox_file_is_set_aside(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A damaged file in the outbox is renamed .bad with an ERROR; the rest still go."""
    sink = EmailSink(config(free_port()), tmp_path)
    (tmp_path / OUTBOX).mkdir()
    (tmp_path / OUTBOX / "00000000000000000001-broken.json").write_text("{not json")
    await asyncio.to_thread(sink.outbox.put, Alert("c-ok", "emergency", AT, ""))
    assert [q.alert.ref for q in sink.outbox.waiting()] == ["c-ok"]
    assert (tmp_path / OUTBOX / "00000000000000000001-broken.bad").exists()
    assert any("cannot be read" in r.message for r in caplog.records)


async def test_outbox_files_are_owner_only(tmp_path: Path) -> None:
    """Alerts waiting on disk can be read by the bot's own user only."""
    sink = EmailSink(config(free_port()), tmp_path)
    path = await asyncio.to_thread(sink.outbox.put, Alert("c-x", "emergency", AT, "help"))
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / OUTBOX).stat().st_mode & 0o777 == 0o700


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def test_starttls_and_login(ca: trustme.CA, tmp_path: Path) -> None:
    """STARTTLS by default, then a login: the server sees an encrypted, logged-in session."""
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    box, port = Mailbox(), free_port()
    server = start_server(box, port, tls=server_ctx, users={"signpost": "s3cret-pass"})
    try:
        cfg = config(port, security="starttls", user="signpost", password="s3cret-pass")
        sink = EmailSink(cfg, tmp_path, tls_context=client_ctx)
        await sink.send_now(make_test_alert(AT))
        (got,) = await box.wait_for(1)
        assert got.tls
        assert got.login == "signpost"
        assert got.message["Subject"] == "Signpost TEST alert (no action needed)"
        assert "Nobody needs help" in got.message.get_content()
        assert "s3cret-pass" not in repr(cfg)
    finally:
        server.stop()


async def test_starttls_refuses_a_server_without_it(mailbox: tuple[Mailbox, int],
                                                    tmp_path: Path) -> None:
    """With STARTTLS (the default) a server that cannot encrypt gets nothing."""
    box, port = mailbox
    sink = EmailSink(config(port, security="starttls"), tmp_path)
    with pytest.raises(Exception, match=r"(?i)starttls"):
        await sink.send_now(make_test_alert(AT))
    assert box.count() == 0


def test_settings_make_the_sink(tmp_path: Path) -> None:
    """SIGNPOST_ALERT_EMAIL_TO and SIGNPOST_SMTP_* give one email sink; without them, none."""
    env = {"SIGNPOST_ALERT_EMAIL_TO": "a@example.org, b@example.org",
           "SIGNPOST_SMTP_HOST": "smtp.example.org", "SIGNPOST_SMTP_USER": "bot@example.org",
           "SIGNPOST_SMTP_PASSWORD": "pw-123456"}
    sink = email_sink(load_settings(env, cwd=tmp_path, need_token=False))
    assert sink is not None
    assert sink.name == "email to a@example.org, b@example.org"
    assert sink.cfg.port == 587 and sink.cfg.security == "starttls"
    assert sink.cfg.sender == "bot@example.org"
    assert email_sink(load_settings({}, cwd=tmp_path, need_token=False)) is None


async def test_an_address_the_server_refuses_is_an_error_and_the_rest_get_it_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One address refused: the others get the alert once (no resend), with an ERROR."""
    box, port = Mailbox(refuse={"duty@example.org"}), free_port()
    server = start_server(box, port)
    try:
        sink = EmailSink(config(port), tmp_path, first_backoff=0.05)
        await sink.post(Alert("c-r", "emergency", AT, ""))
        (got,) = await box.wait_for(1)
        await asyncio.sleep(0.3)
        assert box.count() == 1
        assert got.rcpt_tos == ["safeguarding@example.org"]
        assert ("the mail server refused the safety alert for c-r for duty@example.org"
                in caplog.text)
        with pytest.raises(SomeRefused, match=r"refused duty@example\.org"):
            await sink.send_now(make_test_alert(AT))
        await sink.close()
    finally:
        server.stop()


async def test_disk_cannot_take_the_alert_so_it_is_sent_straight_away(
        mailbox: tuple[Mailbox, int], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The outbox cannot be written (here a file stands where its folder should be): the
    alert is emailed at once instead, with an ERROR saying so."""
    box, port = mailbox
    (tmp_path / OUTBOX).write_text("not a folder")
    sink = EmailSink(config(port), tmp_path)
    await sink.post(Alert("c-disk", "emergency", AT, "help"))
    (got,) = await box.wait_for(1)
    assert "Conversation: c-disk" in got.message.get_content()
    assert "cannot keep the safety alert for c-disk" in caplog.text
    await sink.close()


async def test_follow_up_email_counts_further_messages(mailbox: tuple[Mailbox, int],
                                                       tmp_path: Path) -> None:
    """A follow-up (the 10-minute window closed with more messages) says so in its subject."""
    box, port = mailbox
    sink = EmailSink(config(port), tmp_path)
    await sink.post(Alert("c-f", "threatened", AT, "", further=3, summary=True))
    (got,) = await box.wait_for(1)
    await sink.close()
    assert got.message["Subject"] == ("Signpost safety alert (follow-up): Being threatened "
                                      "(threatened)")
    assert "3 further safety message(s) in the 10 minutes" in got.message.get_content()


@pytest.mark.parametrize(("env", "problem"), [
    ({"SIGNPOST_ALERT_EMAIL_TO": "safeguarding@example.org"},
     "SIGNPOST_ALERT_EMAIL_TO is set but SIGNPOST_SMTP_HOST is not"),
    ({"SIGNPOST_ALERT_EMAIL_TO": "safeguarding@example.org, not an address",
      "SIGNPOST_SMTP_HOST": "smtp.example.org", "SIGNPOST_SMTP_FROM": "sp@example.org"},
     "'not an address' is not one"),
    ({"SIGNPOST_ALERT_EMAIL_TO": "a@example.org", "SIGNPOST_SMTP_HOST": "smtp.example.org"},
     "SIGNPOST_SMTP_FROM is not set"),
    ({"SIGNPOST_ALERT_EMAIL_TO": "a@example.org", "SIGNPOST_SMTP_HOST": "smtp.example.org",
      "SIGNPOST_SMTP_FROM": "sp@example.org", "SIGNPOST_SMTP_USER": "sp"},
     "SIGNPOST_SMTP_USER and SIGNPOST_SMTP_PASSWORD go together"),
    ({"SIGNPOST_ALERT_EMAIL_TO": "a@example.org", "SIGNPOST_SMTP_HOST": "smtp.example.org",
      "SIGNPOST_SMTP_FROM": "sp@example.org", "SIGNPOST_SMTP_SECURITY": "none"},
     "SIGNPOST_SMTP_SECURITY=none would send alerts unencrypted to smtp.example.org"),
    ({"SIGNPOST_SMTP_SECURITY": "ssl"}, "SIGNPOST_SMTP_SECURITY should be starttls, tls or "
                                        "none, not 'ssl'"),
    ({"SIGNPOST_CONSOLE_URL": "console.example.org"},
     "SIGNPOST_CONSOLE_URL should be the console's address"),
])
def test_email_settings_problems_are_explained(tmp_path: Path, env: dict[str, str],
                                               problem: str) -> None:
    """Each wrong email setting stops `signpost run` with a sentence saying how to fix it."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env, cwd=tmp_path, need_token=False)
    assert problem in str(caught.value)


def test_smtp_password_is_kept_out_of_repr(tmp_path: Path) -> None:
    """The password never shows in a printed Settings."""
    settings = load_settings({"SIGNPOST_ALERT_EMAIL_TO": "a@example.org",
                              "SIGNPOST_SMTP_HOST": "smtp.example.org",
                              "SIGNPOST_SMTP_USER": "a@example.org",
                              "SIGNPOST_SMTP_PASSWORD": "pw-very-secret",
                              "SIGNPOST_SMTP_SECURITY": "tls"}, cwd=tmp_path, need_token=False)
    assert "pw-very-secret" not in repr(settings)
    assert settings.email.smtp_port == 465


async def test_an_overflow_summary_links_to_the_safety_queue_and_names_danger_first(
        mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    """When a route fell behind, the summary email points to the whole safety queue (not a
    conversation called "several") and its subject says if danger right now is among them."""
    box, port = mailbox
    sink = EmailSink(config(port, console_url="https://signpost.example.org/console/"), tmp_path)
    await sink.post(Alert(OVERFLOW_REF, "emergency", AT, "By kind: 2 emergency, 5 self_harm.",
                          further=7, summary=True))
    (got,) = await box.wait_for(1)
    await sink.close()
    text = got.message.get_content()
    assert got.message["Subject"] == ("Signpost safety alerts: too many at once, including "
                                      "danger right now (see the console)")
    assert "7 more safety alert(s) came in faster than this route could deliver" in text
    assert "By kind: 2 emergency, 5 self_harm." in text
    assert "In the console: https://signpost.example.org/console/safety\r\n" in text
    assert "several" not in text
