"""The web chat's ASGI app: the page, the JSON API and the web Channel over bot.session.

    GET  /                 the page (static HTML with this deployment's exit page filled in)
    GET  /static/...       app.css, app.js (nothing else is served; no third-party request)
    GET  /healthz          "ok", for the operator's monitoring
    POST /api/start        a new conversation token and the welcome
    POST /api/send         {token, text} or {token, action}: the replies
    POST /api/feedback     {token, turn, helpful}
    POST /api/forget       {token}: "Delete this chat" (what /forget does on Telegram)

A conversation token is random, lives in the page's sessionStorage, and is the only thing
that ties requests together: no cookies. Every response carries a strict
Content-Security-Policy and the other security headers; no response carries CORS headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import secrets
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import routes
from bot.config import Settings
from bot.dialogue import ChatState
from bot.session import Event, Outgoing, Session, notice
from bot.web.guard import Limiter, Rejected, client_address, networks, read_json, same_origin
from bot.web.render import reply_json

log = logging.getLogger(__name__)

CHANNEL = "web"
MAX_CHARS = 2000
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
FEEDBACK_WAIT = 0.3  # seconds to wait for the turn id before answering without feedback
MAX_BOXES = 10_000
ENGINE_COMMANDS = ("start", "help", "services", "privacy", "human")
STATIC = {"app.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8"}

TOO_LONG = (f"That message is too long for me: {MAX_CHARS:,} characters at most. Could you "
            "send it in shorter parts?\n" + routes.EMERGENCY_LINE)
TOO_FAST = ("There are too many messages coming from here right now, so I'm pausing for a "
            "moment. Try again in a minute.\n" + routes.EMERGENCY_LINE + "\n"
            + routes.HUMAN_LINE)
NO_TOKEN = "This chat has ended. Reload the page to start a new one."
DELETED = "This chat has been deleted from this page."


# ---------------------------------------------------------------- the channel


@dataclass(slots=True)
class Outbox:
    """Replies waiting for the next response to this conversation."""

    items: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: int = 0  # replies ever put here

    def put(self, item: dict[str, Any]) -> None:
        self.items.append(item)
        self.delivered += 1
        self.changed.set()

    def take(self) -> list[dict[str, Any]]:
        items, self.items = self.items, []
        self.changed.clear()
        return items

    async def wait_past(self, count: int, seconds: float) -> None:
        """Wait (at most `seconds`) until more than `count` replies have been put here."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while self.delivered <= count:
            left = deadline - loop.time()
            if left <= 0:
                return
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)


class WebChannel:
    """The session's Channel for the web: replies go to the conversation's outbox."""

    name = CHANNEL

    def __init__(self) -> None:
        self._boxes: OrderedDict[str, Outbox] = OrderedDict()

    def box(self, key: str) -> Outbox:
        box = self._boxes.get(key)
        if box is None:
            box = self._boxes[key] = Outbox()
            while len(self._boxes) > MAX_BOXES:
                self._boxes.popitem(last=False)
        else:
            self._boxes.move_to_end(key)
        return box

    def drop(self, key: str) -> None:
        self._boxes.pop(key, None)

    async def send(self, key: str, out: Outgoing) -> None:
        turn: int | None = None
        if out.turn is not None and any(p.services for p in out.reply.all_parts()):
            turn = await _result_within(out.turn, FEEDBACK_WAIT)
        item = reply_json(out.reply, turn)
        item["notice"] = out.notice
        self.box(key).put(item)


async def _result_within(fut: asyncio.Future[Any], seconds: float) -> int | None:
    done, _ = await asyncio.wait({fut}, timeout=seconds)
    if not done or fut.exception() is not None:
        return None
    result = fut.result()
    return result if isinstance(result, int) else None


# ---------------------------------------------------------------- security headers


def security_headers(embed_origins: Sequence[str]) -> list[tuple[bytes, bytes]]:
    ancestors = " ".join(embed_origins) if embed_origins else "'none'"
    csp = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
           "connect-src 'self'; form-action 'self'; base-uri 'none'; "
           f"frame-ancestors {ancestors}")
    headers = [
        ("content-security-policy", csp),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cache-control", "no-store"),  # Back must not bring the chat back from a cache
    ]
    if not embed_origins:
        headers.append(("x-frame-options", "DENY"))
    return [(k.encode(), v.encode()) for k, v in headers]


class SecurityHeaders:
    """ASGI middleware: every response gets the security headers, none gets CORS."""

    def __init__(self, app: ASGIApp, embed_origins: Sequence[str]) -> None:
        self.app = app
        self.headers = security_headers(embed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [(k, v) for k, v in message.get("headers", [])
                       if not k.lower().startswith(b"access-control-")]
                message["headers"] = raw + self.headers
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception as exc:
            # Starlette has already answered with `crashed` (999 and a human route); log
            # the failure here without its message, which could quote what was typed.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("the web chat failed on %s %s (%s); answered with the error reply\n%s",
                      scope.get("method"), scope.get("path"), type(exc).__name__, frames)


# ---------------------------------------------------------------- the app


class WebChat:
    """The routes, over one Session; `app` is the ASGI app to serve."""

    def __init__(self, session: Session, settings: Settings, *,
                 extra_routes: Sequence[BaseRoute] = (),
                 clock: Callable[[], float] = time.monotonic,
                 ip_limit: Limiter | None = None,
                 conversation_limit: Limiter | None = None) -> None:
        self.session = session
        self.settings = settings
        self.channel = WebChannel()
        self.clock = clock
        self.proxies = networks(settings.web.trusted_proxies)
        # A school shares one address: generous per address, tighter per conversation.
        self.ip_limit = ip_limit or Limiter(burst=200, rate=10.0)
        self.conversation_limit = conversation_limit or Limiter(burst=30, rate=1.0)
        self.page = render_page(settings)
        routes_: list[BaseRoute] = [
            Route("/", self.index, methods=["GET", "HEAD"]),
            Route("/static/{name}", self.static, methods=["GET", "HEAD"]),
            Route("/healthz", self.health, methods=["GET"]),
            Route("/api/start", self.start, methods=["POST"]),
            Route("/api/send", self.send, methods=["POST"]),
            Route("/api/feedback", self.feedback, methods=["POST"]),
            Route("/api/forget", self.forget, methods=["POST"]),
            *extra_routes,
        ]
        starlette = Starlette(routes=routes_, exception_handlers={Exception: crashed})
        self.app: ASGIApp = SecurityHeaders(starlette, settings.web.embed_origins)

    # ------------------------------------------------------------ pages

    async def index(self, request: Request) -> Response:
        return Response(self.page, media_type="text/html; charset=utf-8")

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("Not found.", status_code=404)
        return Response(static_text(name), media_type=STATIC[name])

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    # ------------------------------------------------------------ the API

    async def _guarded(self, request: Request) -> tuple[dict[str, Any], str]:
        """Origin, size and JSON checks; the body and the (never stored) client address."""
        same_origin(request)
        data = await read_json(request)
        peer = request.client.host if request.client else ""
        return data, client_address(peer, request.headers.get("x-forwarded-for"),
                                    self.proxies)

    def _token(self, data: dict[str, Any]) -> str:
        token = data.get("token")
        if not isinstance(token, str) or not TOKEN_RE.fullmatch(token):
            raise Rejected(400, "The conversation token is missing or malformed; reload the "
                                "page to start a new chat.")
        return token

    def _limited(self, address: str, token: str | None, text: str = "") -> bool:
        """Over a rate limit, unless the message is one the safety screen flags."""
        now = self.clock()
        ok = self.ip_limit.take(address, now)
        ok = (token is None or self.conversation_limit.take(token, now)) and ok
        return not ok and not (text and self.session.is_safety(text))

    async def start(self, request: Request) -> Response:
        """A new conversation: a fresh random token and the welcome."""
        try:
            _, address = await self._guarded(request)
            if self._limited(address, None):
                return _too_fast()
            token = secrets.token_urlsafe(32)
            box = self.channel.box(token)
            await self.session.handle(self.channel, token, Event("command", "start"))
            return JSONResponse({"token": token, "messages": box.take()})
        except Rejected as exc:
            return _rejected(exc)

    async def send(self, request: Request) -> Response:
        """A typed message or a pressed button; answers with the replies (or merged)."""
        try:
            data, address = await self._guarded(request)
            token = self._token(data)
            event = self._event(data)
        except Rejected as exc:
            return _rejected(exc)
        if self._limited(address, token, event.text if event.kind == "text" else ""):
            return _too_fast()
        box = self.channel.box(token)
        if event.kind == "command" and event.text == "forget":
            return await self._forget(token)
        before = box.delivered
        status = await self.session.handle(self.channel, token, event)
        if status == "held":  # wait for the burst's answer (or let another request carry it)
            await box.wait_past(before, self.session.burst_window + self.session.max_hold + 2)
        messages = box.take()
        # Held but nothing here: another request of the same burst carries the answer.
        status_out = "merged" if status == "held" and not messages else status
        return JSONResponse({"status": status_out, "messages": messages})

    def _event(self, data: dict[str, Any]) -> Event:
        text, action = data.get("text"), data.get("action")
        if isinstance(action, str) and action and text is None:
            if len(action) > 200:
                raise Rejected(400, "That button is not one of mine.")
            return Event("button", _LONE_SURROGATE.sub("\ufffd", action))
        if not isinstance(text, str):
            raise Rejected(400, 'Send {"token": ..., "text": "your message"} or '
                                '{"token": ..., "action": "..."}.')
        # JSON can carry a lone UTF-16 surrogate, which no file or database can store.
        text = _LONE_SURROGATE.sub("\ufffd", text)
        if len(text) > MAX_CHARS:
            # Too long to answer, unless it is a disclosure: that is never turned away.
            if not self.session.is_safety(text[:MAX_CHARS]):
                raise Rejected(413, TOO_LONG)
            text = text[:MAX_CHARS]
        if not text.strip():
            raise Rejected(400, "That message is empty. Type something, or pick a button.")
        command = text.strip()[1:].split(maxsplit=1)[0].lower() if text.startswith("/") \
            and len(text.strip()) > 1 else ""
        if command in (*ENGINE_COMMANDS, "forget"):
            return Event("command", command)
        return Event("text", text)

    async def feedback(self, request: Request) -> Response:
        try:
            data, address = await self._guarded(request)
            token = self._token(data)
        except Rejected as exc:
            return _rejected(exc)
        if self._limited(address, token):
            return _too_fast()
        turn, helpful = data.get("turn"), data.get("helpful")
        if not isinstance(turn, int) or isinstance(turn, bool) or not isinstance(helpful, bool):
            return _rejected(Rejected(400, 'Send {"token": ..., "turn": 12, "helpful": true}.'))
        conv = self.session.find(CHANNEL, token)
        stored = conv is not None and await self.session.feedback(conv, turn, helpful)
        return JSONResponse({"stored": stored, "text": "Thanks for telling me."})

    async def forget(self, request: Request) -> Response:
        try:
            data, _ = await self._guarded(request)
            token = self._token(data)
        except Rejected as exc:
            return _rejected(exc)
        return await self._forget(token)  # "Delete this chat" is never rate-limited

    async def _forget(self, token: str) -> Response:
        conv = self.session.conversation(CHANNEL, token)
        text = await self.session.forget(conv)
        self.session.drop(CHANNEL, token)
        self.channel.drop(token)
        item = reply_json(notice(text, ChatState()))
        item["notice"] = True
        return JSONResponse({"status": "forgotten", "messages": [item]})


def _rejected(exc: Rejected) -> Response:
    item = reply_json(notice(exc.message, ChatState(), kind="error"))
    item["notice"] = True
    return JSONResponse({"error": exc.message, "messages": [item]}, status_code=exc.status)


async def crashed(request: Request, exc: Exception) -> Response:
    """Any failure inside the app: the error reply, with 999 and a 24/7 human route."""
    item = reply_json(notice(routes.ERROR_REPLY, ChatState(), kind="error"))
    item["notice"] = True
    return JSONResponse({"error": "Something went wrong on our side.", "messages": [item]},
                        status_code=500)


def _too_fast() -> Response:
    item = reply_json(notice(TOO_FAST, ChatState(), kind="error"))
    item["notice"] = True
    return JSONResponse({"error": TOO_FAST, "messages": [item]}, status_code=429,
                        headers={"retry-after": "60"})


# ---------------------------------------------------------------- the page


def static_text(name: str) -> str:
    return resources.files("bot.web").joinpath("static", name).read_text(encoding="utf-8")


def render_page(settings: Settings) -> str:
    """index.html with this deployment's exit page and retention filled in (escaped)."""
    page = static_text("index.html")
    values = {"EXIT_URL": settings.web.exit_url, "RETENTION_DAYS": str(settings.retention_days)}
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value, quote=True))
    return page
