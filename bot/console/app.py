"""The console's ASGI app: the route table, sessions, CSRF, roles and page rendering.

Every route is declared once in `PAGES` (console.pages) with the permission it needs
(bot.console.auth.ALLOWED maps permissions to roles), and `build_console` wraps each one in
`Console.guard`, which is the only way a route is added: so no route can skip the checks.

    guard:  console off (no accounts yet)          -> 404
            public page (login, setup, static)     -> POST needs the form cookie's token
            no live session                        -> 303 to the login page
            role lacks the permission              -> 403
            POST without the session's CSRF token  -> 403
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import bot.console.auth as auth  # not `from bot.console`: that package imports this module
from bot import store as db
from bot.catalogue import LONDON
from bot.review_listings import UNMATCHED_KINDS

T = TypeVar("T")

COOKIE = "signpost_console"
FORM_COOKIE = "signpost_console_form"  # double-submit token for forms shown before login
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = [(k.encode(), v.encode()) for k, v in (
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("cache-control", "no-store"),
)]
STALE_FORM = ("This form has expired or did not come from the console, so nothing was done. "
              "Go back, reload the page and try again.")
INBOX_DAYS = 30  # the inbox shows messages of the last 30 days
REPLAY_SETS = ("tests/data/eval.yaml", "tests/data/safety.yaml")  # inside the catalogue

Endpoint = Callable[["Console", Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Page:
    """One console route and the permission it needs (None: public)."""

    path: str
    endpoint: Endpoint
    permission: str | None
    methods: tuple[str, ...] = ("GET",)


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    csrf: str

    def can(self, permission: str) -> bool:
        return auth.can(self.role, permission)


class Refused(Exception):
    """A request is answered with an error page; the message is for the member of staff."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Console:
    """What the pages share: settings, the live catalogue, the database and the templates."""

    settings: Any
    live: Any  # bot.live.LiveCatalogue
    data_dir: Path
    root: Path  # the catalogue folder staff edit
    replay_sets: tuple[Path, ...]
    clock: Callable[[], dt.datetime]
    idle: dt.timedelta = auth.IDLE
    poll_seconds: int = 20  # how often an open page asks whether a new safety alert came
    throttle: auth.AddressThrottle = field(default_factory=auth.AddressThrottle)
    env: jinja2.Environment = field(init=False)
    _conn: sqlite3.Connection | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _has_users: bool = field(default=False, init=False)
    _flash_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), init=False)

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.console", "templates"),
            autoescape=True, undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True)
        self.env.filters["when"] = when
        self.env.filters["urlq"] = lambda v: quote(str(v), safe="")

    # ------------------------------------------------------------ database

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = db.connect_existing(self.data_dir)
        return self._conn

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(conn, *args) on a worker thread, one at a time (sqlite connection)."""
        def call() -> T:
            with self._lock:
                return fn(self._connection(), *args)
        return await run_in_threadpool(call)

    async def work(self, fn: Callable[..., T], *args: Any) -> T:
        """Run slow, blocking work (loading catalogues, replays) off the event loop."""
        return await run_in_threadpool(fn, *args)

    async def audit(self, who: str, action: str, turn_id: int | None = None,
                    detail: str = "") -> None:
        await self.db(db.add_audit, who, action, turn_id, detail[:20_000])

    def flash_url(self, request: Request, path: str, message: str) -> str:
        """A redirect address that shows `message` once there (signed: links cannot
        put words of their own on a console page)."""
        message = message[:300]
        sig = hmac.new(self._flash_key, message.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{base(request)}{path}?done={quote(message, safe='')}&sig={sig}"

    def flash(self, request: Request) -> str:
        message = request.query_params.get("done", "")[:300]
        sig = hmac.new(self._flash_key, message.encode(), hashlib.sha256).hexdigest()[:32]
        return message if auth.same(request.query_params.get("sig"), sig) else ""

    def now(self) -> dt.datetime:
        return self.clock()

    async def enabled(self) -> bool:
        """The console is off until the first account exists."""
        if not self._has_users:
            try:
                self._has_users = await self.db(db.count_users) > 0
            except db.StoreError:
                return False
        return self._has_users

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ------------------------------------------------------------ pages

    def render(self, request: Request, template: str, *, status: int = 200,
               **context: Any) -> HTMLResponse:
        user: User | None = getattr(request.state, "user", None)
        values = {"base": base(request), "user": user, "title": "", "banner": None,
                  "alerts": getattr(request.state, "alerts", None), "nav": _nav(user),
                  "inbox_count": getattr(request.state, "inbox", None),
                  "form_token": getattr(request.state, "form_token", ""),
                  "poll": self.poll_seconds, **context}
        html = self.env.get_template(template).render(**values)
        response = HTMLResponse(html, status_code=status)
        token = getattr(request.state, "new_form_token", None)
        if token:
            set_cookie(request, response, FORM_COOKIE, token)
        return response

    def error(self, request: Request, status: int, message: str) -> HTMLResponse:
        titles = {403: "Not allowed", 404: "Not found", 429: "Too many attempts"}
        return self.render(request, "error.html", status=status,
                           title=titles.get(status, "Something went wrong"), message=message)

    # ------------------------------------------------------------ the guard

    def guard(self, page: Page) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not await self.enabled():
                return HTMLResponse(
                    "The console is off: there are no console accounts yet. An operator "
                    "creates the first one with: signpost users add NAME --role admin",
                    status_code=404)
            try:
                if page.permission is None:
                    await self._public(request)
                else:
                    user = await self._session(request)
                    if user is None:
                        if request.method == "POST":
                            raise Refused(401, "Your session has ended (30 minutes without "
                                               "using the console, or you logged out). Log "
                                               "in again; what you were doing was not saved.")
                        target = request.url.path + (f"?{request.url.query}"
                                                     if request.url.query else "")
                        return RedirectResponse(
                            f"{base(request)}/login?next={quote(target, safe='')}&ended=1",
                            status_code=303)
                    request.state.user = user
                    if not user.can(page.permission):
                        raise Refused(403, f"Your role ({user.role}) cannot open this page. "
                                           "Ask an admin if you need it.")
                    if request.method == "POST":
                        form = await request.form()
                        sent = form.get("csrf")
                        if not auth.same(sent if isinstance(sent, str) else None, user.csrf):
                            raise Refused(403, STALE_FORM)
                    if user.can("safety"):
                        request.state.alerts = await self.db(db.unreviewed_alerts)
                    if user.can("inbox"):
                        request.state.inbox = await self.db(
                            db.unmatched_count, UNMATCHED_KINDS,
                            self.now() - dt.timedelta(days=INBOX_DAYS))
                return await page.endpoint(self, request)
            except Refused as exc:
                return self.error(request, exc.status, exc.message)
        endpoint.__name__ = page.endpoint.__name__
        return endpoint

    async def _public(self, request: Request) -> None:
        """Pages before login: a POST must echo the token of the form cookie."""
        sent_cookie = request.cookies.get(FORM_COOKIE)
        if request.method == "POST":
            form = await request.form()
            sent = form.get("csrf")
            if not auth.same(sent if isinstance(sent, str) else None, sent_cookie):
                raise Refused(403, STALE_FORM)
        if sent_cookie and len(sent_cookie) >= 32:
            request.state.form_token = sent_cookie
        else:
            request.state.form_token = request.state.new_form_token = auth.new_token()

    async def _session(self, request: Request) -> User | None:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 100:
            return None
        found = await self.db(db.touch_session, token, self.idle, self.now())
        return None if found is None else User(*found)


# ---------------------------------------------------------------- helpers


def base(request: Request) -> str:
    """Where the console is mounted ("/console"), for links and the cookie path."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    console: Console = request.app.state.console
    secure = auth.is_https(request.url.scheme, request.client.host if request.client else "",
                           request.headers.get("x-forwarded-proto"),
                           getattr(console.settings, "trusted_proxies", ()))
    response.set_cookie(name, value, path=base(request) or "/", httponly=True,
                        samesite="strict", secure=secure)


def csv_cell(value: object) -> str:
    """A spreadsheet cell that cannot run as a formula (= + - @ at the start)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def when(value: dt.datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = db.parse_stamp(value)
    return value.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")


def _nav(user: User | None) -> list[tuple[str, str]]:
    if user is None:
        return []
    items = [("inbox", "Inbox"), ("safety", "Safety queue"), ("feedback", "Feedback"),
             ("stats", "Stats"), ("catalogue", "Services"), ("users", "Users"),
             ("audit", "Audit log")]
    return [(path, label) for path, label in items if user.can(path)]


class SecurityHeaders:
    """ASGI middleware: the web chat's strict headers on every console response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", [])
                        if not k.lower().startswith(b"access-control-")]
                message["headers"] = kept + HEADERS
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def build_console(settings: Any, live: Any, store: Any = None, *,
                  replay_sets: Sequence[Path] | None = None,
                  clock: Callable[[], dt.datetime] | None = None,
                  idle: dt.timedelta = auth.IDLE, poll_seconds: int = 20) -> Starlette:
    """The console as a Starlette app, to be mounted at /console in the web app.

    `store` is accepted for symmetry with the web chat; the console opens its own
    connection to the same signpost.db (in settings.data_dir), as the review tools do.
    """
    from bot.console.pages import PAGES

    inner = getattr(store, "store", store)  # an AsyncStore wraps the Store
    data_dir = Path(getattr(inner, "data_dir", None) or settings.data_dir)
    root = Path(settings.catalogue_dir)
    sets = tuple(replay_sets) if replay_sets is not None else tuple(
        root / s for s in REPLAY_SETS if (root / s).is_file())
    console = Console(settings, live, data_dir, root, sets,
                      clock or (lambda: dt.datetime.now(dt.UTC)), idle, poll_seconds)
    routes = [Route(p.path, console.guard(p), methods=list(p.methods)) for p in PAGES]
    app = Starlette(routes=routes)
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    return app
