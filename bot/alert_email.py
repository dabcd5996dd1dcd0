"""Safety alerts by email over SMTP (aiosmtplib), kept on disk until the server takes them.

    EmailSink.post(alert)   writes the alert to <data folder>/alert-outbox/ and returns
    EmailSink._run()        one task: sends the oldest waiting alert, deletes its file once
                            the server has accepted it; on failure waits (1 s, 2 s, 4 s, ...
                            at most `max_backoff`) or until a new alert arrives, then retries
    EmailSink.send_now()    sends at once and raises on failure (`signpost check`)

So an alert raised while the mail server is down is sent when it comes back, once, even
across a restart. (If the process dies in the instant between the server accepting the
mail and the file being deleted, it is sent again after the restart with the same
Message-ID; every other case sends it exactly once.) The outbox holds at most
`max_queued` alerts; beyond that the oldest is dropped with an ERROR.

An email holds only the pseudonymous conversation reference, the safety intent, the time,
the already-redacted message, and a link to the conversation in the console when
SIGNPOST_CONSOLE_URL is set. The subject names the intent, never the text. No name,
username, phone number or account id is ever given to this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import ssl
import time
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import aiosmtplib

from bot.alert_router import format_test, is_test
from bot.alerts import OVERFLOW_REF, Alert, staff_text
from bot.config import Settings
from bot.routes import SAFETY_TITLES

log = logging.getLogger(__name__)

OUTBOX = "alert-outbox"
MAX_QUEUED = 500
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 120.0
SEND_TIMEOUT = 30.0
FOOTER = ("This email names nobody: the conversation is identified only by its reference. "
          "Keep it within the safeguarding team.")


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how alert emails are sent. The password is kept out of repr()."""

    host: str
    to: tuple[str, ...]
    sender: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    console_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The email route, or None when SIGNPOST_ALERT_EMAIL_TO / SMTP_HOST are not set."""
        email = settings.email
        if not email.on or email.smtp_host is None:
            return None
        return cls(host=email.smtp_host, to=email.to, sender=email.smtp_from or "",
                   port=email.smtp_port, security=email.smtp_security, user=email.smtp_user,
                   password=email.smtp_password, console_url=email.console_url)


# ---------------------------------------------------------------- the message


def console_link(console_url: str, ref: str) -> str:
    """The console page of one conversation (bot/console: /safety/conversation/<ref>)."""
    return f"{console_url.rstrip('/')}/safety/conversation/{ref}"


def subject(alert: Alert) -> str:
    """Names the kind of alert and the intent, never the message."""
    if is_test(alert):
        return "Signpost TEST alert (no action needed)"
    if alert.ref == OVERFLOW_REF:
        now = ", including danger right now" if alert.intent == "emergency" else ""
        return f"Signpost safety alerts: too many at once{now} (see the console)"
    title = SAFETY_TITLES.get(alert.intent, alert.intent)
    kind = "safety alert (follow-up)" if alert.summary else "safety alert"
    return f"Signpost {kind}: {title} ({alert.intent})"


def body(alert: Alert, console_url: str | None) -> str:
    if is_test(alert):
        text = format_test(alert)
    else:
        text = staff_text(alert)
        if console_url and alert.ref == OVERFLOW_REF:  # several conversations: the queue
            text += f"\nIn the console: {console_url.rstrip('/')}/safety"
        elif console_url:
            text += f"\nIn the console: {console_link(console_url, alert.ref)}"
    return f"{text}\n\n-- \n{FOOTER}\n"


def build_message(alert: Alert, cfg: SmtpConfig, alert_id: str) -> EmailMessage:
    """The email for one alert. `alert_id` makes the Message-ID (stable across retries)."""
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(cfg.to)
    msg["Subject"] = subject(alert)
    msg["Date"] = format_datetime(alert.at.astimezone(dt.UTC))
    domain = cfg.sender.rpartition("@")[2] or "signpost.invalid"
    msg["Message-ID"] = f"<signpost-alert-{alert_id}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg.set_content(body(alert, cfg.console_url))
    return msg


async def send(msg: EmailMessage, cfg: SmtpConfig, tls_context: ssl.SSLContext | None = None,
               timeout: float = SEND_TIMEOUT) -> list[str]:
    """Hand one email to the mail server; the addresses it refused (if it took the rest).

    Raises aiosmtplib's errors (or OSError) when nothing was accepted.
    """
    refused, _ = await aiosmtplib.send(
        msg, hostname=cfg.host, port=cfg.port, username=cfg.user, password=cfg.password,
        use_tls=cfg.security == "tls", start_tls=cfg.security == "starttls",
        tls_context=tls_context, timeout=timeout)
    return sorted(refused)


class SomeRefused(Exception):
    """The mail server took the alert for some addresses and refused others."""


# ---------------------------------------------------------------- the outbox on disk


@dataclass(frozen=True, slots=True)
class Queued:
    path: Path
    alert_id: str
    alert: Alert


class Outbox:
    """Alerts waiting to be emailed: one JSON file each, written atomically, owner-only."""

    def __init__(self, folder: Path, max_queued: int = MAX_QUEUED) -> None:
        self.folder = folder
        self.max_queued = max_queued

    def put(self, alert: Alert) -> Path:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        waiting = self._files()
        for old in waiting[: max(0, len(waiting) - self.max_queued + 1)]:
            log.error("the email outbox is full (%d alerts waiting): dropped the oldest, %s",
                      len(waiting), old.name)
            old.unlink(missing_ok=True)
        alert_id = uuid.uuid4().hex
        record = {"id": alert_id, "ref": alert.ref, "intent": alert.intent,
                  "at": alert.at.isoformat(), "message": alert.message,
                  "further": alert.further, "summary": alert.summary}
        path = self.folder / f"{time.time_ns():020d}-{alert_id[:8]}.json"
        tmp = self.folder / f".{path.name}.tmp"
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            dir_fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return path

    def _files(self) -> list[Path]:
        try:
            return sorted(p for p in self.folder.iterdir()
                          if p.suffix == ".json" and not p.name.startswith("."))
        except FileNotFoundError:
            return []

    def waiting(self) -> list[Queued]:
        """Every readable alert, oldest first; unreadable files are set aside, with an ERROR."""
        out: list[Queued] = []
        for path in self._files():
            try:
                r = json.loads(path.read_text(encoding="utf-8"))
                alert = Alert(str(r["ref"]), str(r["intent"]), dt.datetime.fromisoformat(r["at"]),
                              str(r.get("message", "")), int(r.get("further", 0)),
                              bool(r.get("summary", False)))
                out.append(Queued(path, str(r["id"]), alert))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.error("the email outbox file %s cannot be read (%s); it is renamed to "
                          "%s.bad and will not be sent", path, type(exc).__name__, path.name)
                with contextlib.suppress(OSError):
                    path.rename(path.with_suffix(".bad"))
        return out

    def done(self, item: Queued) -> None:
        item.path.unlink(missing_ok=True)


# ---------------------------------------------------------------- the sink


class EmailSink:
    """The AlertSink that emails safety alerts to the safeguarding team's addresses."""

    def __init__(self, cfg: SmtpConfig, data_dir: Path, *,
                 tls_context: ssl.SSLContext | None = None,
                 first_backoff: float = FIRST_BACKOFF, max_backoff: float = MAX_BACKOFF,
                 max_queued: int = MAX_QUEUED, timeout: float = SEND_TIMEOUT) -> None:
        self.cfg = cfg
        self.name = "email to " + ", ".join(cfg.to)
        self.outbox = Outbox(data_dir / OUTBOX, max_queued)
        self.tls_context = tls_context
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.failing = False

    async def post(self, alert: Alert) -> None:
        """Keep the alert on disk, then let the sender take it (returns before sending).

        If the disk cannot take it (full, read-only), the alert is sent straight away
        instead, once; if that fails too, the error is raised for the router to log.
        """
        try:
            await asyncio.to_thread(self.outbox.put, alert)
        except OSError as exc:
            log.error("cannot keep the safety alert for %s in %s (%s); emailing it straight "
                      "away without a retry", alert.ref, self.outbox.folder,
                      exc.strerror or type(exc).__name__)
            await self.send_now(alert)
            return
        await self.start()

    async def start(self) -> None:
        """Start the sender (it first sends whatever an earlier run left in the outbox)."""
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="signpost-alert-email")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def send_now(self, alert: Alert) -> None:
        """Send one alert at once, not through the outbox; raises if the server refuses."""
        refused = await send(build_message(alert, self.cfg, uuid.uuid4().hex), self.cfg,
                             self.tls_context, self.timeout)
        if refused:
            raise SomeRefused(f"the mail server refused {', '.join(refused)} (the others "
                              "got it)")

    async def _run(self) -> None:
        assert self._wake is not None
        delay = self.first_backoff
        while True:
            self._wake.clear()
            try:
                waiting = await asyncio.to_thread(self.outbox.waiting)
            except OSError as exc:
                log.error("cannot read the email outbox %s (%s); trying again in %.0f s",
                          self.outbox.folder, exc.strerror or type(exc).__name__, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            if not waiting:
                await self._wake.wait()
                continue
            for item in waiting:
                try:
                    refused = await send(build_message(item.alert, self.cfg, item.alert_id),
                                         self.cfg, self.tls_context, self.timeout)
                except Exception as exc:  # any failure: keep it on disk, retry later
                    task = asyncio.current_task()
                    if task is not None and task.cancelling():
                        raise asyncio.CancelledError from None  # the client swallowed it
                    if not self.failing:
                        log.error("could not email a safety alert for %s to %s (%s); it is "
                                  "kept on disk and will be retried", item.alert.ref,
                                  self.cfg.host, type(exc).__name__)
                    else:
                        log.warning("still cannot email safety alerts via %s (%s); %d waiting",
                                    self.cfg.host, type(exc).__name__, len(waiting))
                    self.failing = True
                    # A new alert wakes the sender early: the server may be back by then.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), delay)
                    delay = min(delay * 2, self.max_backoff)
                    break
                await asyncio.to_thread(self.outbox.done, item)
                log.info("emailed a safety alert for %s", item.alert.ref)
                if refused:  # retrying would send the others a second copy
                    log.error("the mail server refused the safety alert for %s for %s; the "
                              "other addresses got it. Check SIGNPOST_ALERT_EMAIL_TO.",
                              item.alert.ref, ", ".join(refused))
                if self.failing:
                    log.warning("alert emails are going through again via %s", self.cfg.host)
                self.failing = False
                delay = self.first_backoff


def email_sink(settings: Settings, tls_context: ssl.SSLContext | None = None
               ) -> EmailSink | None:
    """The email sink these settings ask for, or None."""
    cfg = SmtpConfig.from_settings(settings)
    if cfg is None:
        return None
    return EmailSink(cfg, settings.data_dir, tls_context=tls_context)
