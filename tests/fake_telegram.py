"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests (tornado, real HTTP).

It keeps every chat's messages (the user's and the bot's), serves getUpdates with long
polling, and answers like Telegram does when something is wrong:

    400 Bad Request: message is too long           text over 4096 characters (as shown)
    400 Bad Request: can't parse entities: ...     HTML that Telegram would not accept
    400 Bad Request: message to delete not found   deleting twice, or a message never sent
    403 Forbidden: bot was blocked by the user     a chat the test marked as blocked
    429 Too Many Requests: retry after N           when the test asks (`fail_next`)
    401 Unauthorized                               a token other than the bot's

Tests act as the young person through `say`, `send`, `press` and `group_say`, then wait
for the bot with `wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import tornado.httpserver
import tornado.netutil
import tornado.web

MAX_TEXT = 4096
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code",
                "pre", "span", "tg-spoiler", "blockquote", "tg-emoji"}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TOKEN_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)([^<>]*)>|&(#x[0-9A-Fa-f]+|#\d+|[A-Za-z]+);"
                       r"|[<>&]")


class ApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


def parse_html(text: str) -> str:
    """The visible text of Telegram-style HTML, or ApiError as Telegram would reply."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        offset = len(text[:m.start()].encode())
        token = m.group(0)
        if m.group(2):
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag not in ALLOWED_TAGS:
                raise ApiError(400, "Bad Request: can't parse entities: Unsupported start tag "
                                    f'"{tag}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != tag:
                    expected = f'expected "</{stack[-1]}>"' if stack else "no tag is open"
                    raise ApiError(400, "Bad Request: can't parse entities: Unmatched end tag "
                                        f'at byte offset {offset}, {expected}, found "</{tag}>"')
                stack.pop()
            else:
                stack.append(tag)
        elif m.group(4):
            name = m.group(4)
            if name.startswith("#x"):
                out.append(chr(int(name[2:], 16)))
            elif name.startswith("#"):
                out.append(chr(int(name[1:])))
            elif name in NAMED_ENTITIES:
                out.append(NAMED_ENTITIES[name])
            else:
                raise ApiError(400, "Bad Request: can't parse entities: Unsupported HTML "
                                    f'entity "&{name};" at byte offset {offset}')
        elif token == "<":
            raise ApiError(400, "Bad Request: can't parse entities: Unexpected \"<\" at byte "
                                f"offset {offset}; use &lt;")
        elif token == "&":
            raise ApiError(400, "Bad Request: can't parse entities: Character \"&\" is reserved"
                                f" at byte offset {offset}; use &amp;")
        else:
            out.append(token)
    out.append(text[pos:])
    if stack:
        raise ApiError(400, "Bad Request: can't parse entities: Can't find end tag "
                            f'corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One Bot API request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200


@dataclass
class FakeTelegram:
    """State of the fake Bot API; `start()` serves it on a free port of 127.0.0.1."""

    token: str
    bot_id: int = 7_000_000_001
    bot_username: str = "SignpostTestBot"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[int, set[int]] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    fail_next: dict[str, int] = field(default_factory=dict)  # method -> retry_after seconds
    commands: list[dict[str, Any]] | None = None
    webhook: dict[str, Any] | None = None
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._changed = asyncio.Condition()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._query_ids = itertools.count(1)

    # ------------------------------------------------------------------ server

    async def start(self) -> FakeTelegram:
        # No access log: its lines would carry the token in the URL (and are just noise).
        app = tornado.web.Application([(r"/bot([^/]+)/(\w+)", _Handler, {"fake": self})],
                                      log_function=lambda handler: None)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = sockets[0].getsockname()[1]
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ------------------------------------------------------------------ the young person

    def user(self, user_id: int, first_name: str = "Kezia", username: str | None = "kez_e17"
             ) -> dict[str, Any]:
        u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            u["username"] = username
        return u

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _store(self, chat_id: int, message: dict[str, Any]) -> None:
        self.messages.setdefault(chat_id, {})[message["message_id"]] = message

    def send(self, user: dict[str, Any], chat: dict[str, Any] | None = None,
             edited_of: dict[str, Any] | None = None, **content: Any) -> dict[str, Any]:
        """The person sends a message with any content (text=..., sticker=..., ...)."""
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if edited_of is not None:
            message = {**edited_of, **content, "edit_date": int(time.time())}
            self._store(chat["id"], message)
            self._push({"edited_message": message})
            return message
        message = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time()),
                   "chat": chat, "from": user, **content}
        if isinstance(content.get("text"), str) and content["text"].startswith("/"):
            command = content["text"].split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_len(command)}]
        self._store(chat["id"], message)
        self._push({"message": message})
        return message

    def say(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        return self.send(user, text=text)

    def group_say(self, user: dict[str, Any], chat_id: int, text: str,
                  chat_type: str = "group") -> dict[str, Any]:
        return self.send(user, chat={"id": chat_id, "type": chat_type, "title": "Youth club"},
                         text=text)

    def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> str:
        """The person taps an inline button carrying `data` under `message`."""
        qid = str(next(self._query_ids))
        self._push({"callback_query": {"id": qid, "from": user, "message": message,
                                       "chat_instance": "ci-1", "data": data}})
        return qid

    def _push(self, payload: dict[str, Any]) -> None:
        self.updates.append({"update_id": next(self._update_ids), **payload})
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ looking

    def bot_messages(self, chat_id: int, include_deleted: bool = False) -> list[dict[str, Any]]:
        gone = self.deleted.get(chat_id, set())
        return [m for mid, m in sorted(self.messages.get(chat_id, {}).items())
                if m.get("from", {}).get("id") == self.bot_id
                and (include_deleted or mid not in gone)]

    def visible(self, chat_id: int) -> list[dict[str, Any]]:
        gone = self.deleted.get(chat_id, set())
        return [m for mid, m in sorted(self.messages.get(chat_id, {}).items())
                if mid not in gone]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate()` is truthy (checked whenever the bot calls the API)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for the bot")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    async def replies(self, chat_id: int, count: int, after: int = 0,
                      timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait for at least `count` bot messages with message_id > `after`."""

        def new() -> list[dict[str, Any]]:
            found = [m for m in self.bot_messages(chat_id, include_deleted=True)
                     if m["message_id"] > after]
            return found if len(found) >= count else []

        result: list[dict[str, Any]] = await self.wait_for(new, timeout)
        return result

    async def quiet(self, seconds: float = 0.2, timeout: float = 5.0) -> None:
        """Wait until the bot has made no API call (other than polling) for `seconds`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            busy = [c for c in self.calls if c.method != "getUpdates"]
            last = busy[-1].at if busy else 0.0
            if time.monotonic() - last >= seconds:
                return
            await asyncio.sleep(seconds / 4)

    def last_id(self, chat_id: int) -> int:
        return max(self.messages.get(chat_id, {0: {}}), default=0)

    # ------------------------------------------------------------------ the Bot API

    async def call(self, method: str, p: dict[str, Any]) -> Any:
        if method in self.fail_next:
            retry = self.fail_next.pop(method)
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(p)

    def _chat(self, p: dict[str, Any]) -> int:
        chat_id = int(p["chat_id"])
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        m = self.messages.get(chat_id, {}).get(message_id)
        if m is None or message_id in self.deleted.get(chat_id, set()):
            raise ApiError(400, "Bad Request: message to edit not found")
        return m

    def _text(self, p: dict[str, Any]) -> str:
        text = str(p.get("text", ""))
        shown = parse_html(text) if p.get("parse_mode") == "HTML" else text
        if not shown.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(shown) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return shown

    async def api_getMe(self, p: dict[str, Any]) -> Any:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Signpost",
                "username": self.bot_username, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def api_getUpdates(self, p: dict[str, Any]) -> Any:
        offset = int(p.get("offset", 0) or 0)
        limit = int(p.get("limit", 100) or 100)
        timeout = float(p.get("timeout", 0) or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates)),
                                           timeout)
        return self.updates[:limit]

    async def api_sendMessage(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat(p)
        shown = self._text(p)
        chat_type = "private" if chat_id > 0 else "group"
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id), "date": int(time.time()),
            "chat": {"id": chat_id, "type": chat_type},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "Signpost",
                     "username": self.bot_username},
            "text": shown, "html": str(p.get("text", ""))}
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        self._store(chat_id, message)
        return {k: v for k, v in message.items() if k != "html"}

    async def api_editMessageText(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat(p)
        m = self._message(chat_id, int(p["message_id"]))
        shown = self._text(p)
        if shown == m.get("text") and p.get("reply_markup") == m.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        m.update(text=shown, html=str(p.get("text", "")), edit_date=int(time.time()))
        if p.get("reply_markup"):
            m["reply_markup"] = p["reply_markup"]
        else:
            m.pop("reply_markup", None)
        return {k: v for k, v in m.items() if k != "html"}

    async def api_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat(p)
        m = self._message(chat_id, int(p["message_id"]))
        if p.get("reply_markup"):
            m["reply_markup"] = p["reply_markup"]
        else:
            m.pop("reply_markup", None)
        return {k: v for k, v in m.items() if k != "html"}

    async def api_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        self.callback_answers.append(p)
        return True

    async def api_setMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands = p.get("commands")
        return True

    async def api_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = None
        return True

    async def api_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = p
        return True

    async def api_deleteMessage(self, p: dict[str, Any]) -> Any:
        chat_id = self._chat(p)
        mid = int(p["message_id"])
        if mid not in self.messages.get(chat_id, {}) or mid in self.deleted.get(chat_id, set()):
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted.setdefault(chat_id, set()).add(mid)
        return True

    async def api_sendChatAction(self, p: dict[str, Any]) -> Any:
        self._chat(p)
        return True

    async def api_close(self, p: dict[str, Any]) -> Any:
        return True


class _Handler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def get(self, token: str, method: str) -> None:
        await self.post(token, method)

    async def post(self, token: str, method: str) -> None:
        fake = self.fake
        params = self._params()
        call = Call(method, params)
        fake.calls.append(call)
        self.set_header("Content-Type", "application/json")
        try:
            if token != fake.token:
                raise ApiError(401, "Unauthorized")
            result = await fake.call(method, params)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status = exc.code
            self.set_status(exc.code)
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        self.finish(json.dumps(body))
        await fake._notify()

    def _params(self) -> dict[str, Any]:
        body = self.request.body or b""
        ctype = self.request.headers.get("Content-Type", "")
        raw: dict[str, Any]
        if "json" in ctype:
            raw = json.loads(body or b"{}")
        elif "multipart" in ctype:
            raw = {k: v[0].decode() for k, v in self.request.body_arguments.items()}
        else:
            raw = dict(parse_qsl(body.decode(), keep_blank_values=True))
        out: dict[str, Any] = {}
        for k, v in raw.items():
            if isinstance(v, str) and v[:1] in "[{":
                with contextlib.suppress(ValueError):
                    v = json.loads(v)
            out[k] = v
        return out


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button under a message."""
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]


def text_of(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


__all__ = ["ApiError", "FakeTelegram", "buttons", "parse_html", "text_of"]
