"""A console site for tests: a catalogue copy, a real signpost.db with a few conversations,
accounts of every role, and the console mounted at /console in a tiny Starlette app."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyotp
from starlette.applications import Starlette
from starlette.routing import Mount

from bot import store as db
from bot.console import build_console
from bot.console.auth import hash_password, new_token
from bot.live import LiveCatalogue

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
ROLES = ("moderator", "safeguarding", "editor", "admin")

# Conversations stored before the console opens: (conversation, message).
SEEDED = [
    (1, "hi"),
    (1, "where can i get my nails done"),
    (2, "nail salon near me"),
    (2, "any boxing near me"),
    (2, "hit pads after school"),
    (2, "fighting lessons"),
    (3, "call me on 07700 900123"),
    (4, "hello"),
    (4, "my mum keeps going on about school"),
    (4, "i want to kill myself"),
    (4, "ok"),
    (5, "how do i get there"),
    (6, "wheres the bus stop"),
]


class Clock:
    """A clock the test moves by hand (UTC)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class Site:
    root: Path
    data: Path
    live: LiveCatalogue
    console: Starlette
    app: Starlette
    clock: Clock
    secrets: dict[str, str | None] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)

    def conn(self) -> Any:
        return db.connect_existing(self.data)

    def add_user(self, name: str, role: str, totp: bool | None = None) -> str | None:
        """An active account with PASSWORD (and a TOTP secret unless it is an editor)."""
        secret = pyotp.random_base32() if (role != "editor" if totp is None else totp) \
            else None
        conn = self.conn()
        try:
            db.add_user(conn, name, role, "t-" + name, self.clock() + dt.timedelta(days=1))
            db.finish_setup(conn, name, "t-" + name, hash_password(PASSWORD), secret)
        finally:
            conn.close()
        self.secrets[name] = secret
        return secret

    def session(self, name: str) -> tuple[str, str]:
        """(cookie, csrf) of a fresh session for this account, made without logging in."""
        token, csrf = new_token(), new_token()
        conn = self.conn()
        try:
            db.create_session(conn, token, name, csrf, self.clock())
        finally:
            conn.close()
        return token, csrf

    def code(self, name: str, steps: int = 0) -> str:
        secret = self.secrets[name]
        assert secret is not None
        at = self.clock() + dt.timedelta(seconds=30 * steps)
        return pyotp.TOTP(secret).at(at)

    def log(self, who: int, text: str) -> int:
        """Store one more message of conversation `who`, answered by the live engine."""
        store = db.Store.open(self.data)
        try:
            tid = store.log_turn(store.conversation_ref("web", who), "web", text,
                                 self.live.engine.respond(text))
        finally:
            store.close()
        assert tid is not None
        return tid

    def audit(self) -> list[tuple[str, str, str]]:
        conn = self.conn()
        try:
            return [(r["moderator"], r["action"], r["detail"]) for r in
                    conn.execute("SELECT * FROM audit ORDER BY id")]
        finally:
            conn.close()


def make_site(tmp: Path, *, users: bool = True, seed: bool = True) -> Site:
    root = tmp / "catalogue"
    root.mkdir()
    for name in ("settings.yaml", "services.yaml", "lexicon.yaml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "intents", root / "intents")
    (root / "tests" / "data").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "data" / "eval.yaml", root / "tests" / "data" / "eval.yaml")
    data = tmp / "data"
    live = LiveCatalogue(root)
    clock = Clock()
    store = db.Store.open(data)
    turns: dict[str, int] = {}
    if seed:
        for who, text in SEEDED:
            ref = store.conversation_ref("web", who)
            tid = store.log_turn(ref, "web", text, live.engine.respond(text))
            assert tid is not None
            turns[text] = tid
    store.close()
    settings = SimpleNamespace(data_dir=data, catalogue_dir=root, alert_chat_id=None)
    console = build_console(settings, live, None, clock=clock, poll_seconds=1)
    app = Starlette(routes=[Mount("/console", app=console)])
    site = Site(root, data, live, console, app, clock, turns=turns)
    if users:
        for role in ROLES:
            site.add_user(role, role)
    return site


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
