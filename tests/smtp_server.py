"""A real SMTP server on 127.0.0.1 for the alert email tests (aiosmtpd, its own thread).

`Mailbox` keeps every message the server accepted, as bytes and parsed, with whether it
came over STARTTLS and who logged in. `free_port()` gives a port nobody listens on, so a
test can start the server later ("the mail server is down, then comes back").
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    raw: bytes
    message: EmailMessage
    mail_from: str
    rcpt_tos: list[str]
    tls: bool
    login: str | None


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: set[str] = field(default_factory=set)  # addresses answered "550 no such user"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        data = getattr(session, "auth_data", None)
        login = data.decode() if isinstance(data, bytes) else None
        with self.lock:
            self.messages.append(Received(raw, msg, envelope.mail_from,
                                          list(envelope.rcpt_tos), session.ssl is not None,
                                          login))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    async def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least `n` messages have arrived; fail the test if they do not."""
        deadline = time.monotonic() + timeout
        while self.count() < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} email(s), got {self.count()}")
            await asyncio.sleep(0.02)
        with self.lock:
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(mailbox: Mailbox, port: int, *, tls: ssl.SSLContext | None = None,
                 users: dict[str, str] | None = None) -> Controller:
    """Start the server; with `tls` it requires STARTTLS, with `users` it requires a login."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     data: Any) -> AuthResult:
        ok = (isinstance(data, LoginPassword) and users is not None
              and users.get(data.login.decode()) == data.password.decode())
        return AuthResult(success=ok, auth_data=data.login if ok else None)

    kwargs: dict[str, Any] = {}
    if tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    if users is not None:
        kwargs.update(authenticator=authenticate, auth_required=True,
                      auth_require_tls=tls is not None)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port,
                            server_hostname="127.0.0.1", **kwargs)
    controller.start()
    return controller
