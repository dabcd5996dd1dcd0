"""The Telegram channel: Update -> engine -> Reply -> Telegram messages, nothing else.

Content decisions live in `bot.dialogue`; this module only translates, plus the things
that are about Telegram itself: HTML escaping and message splitting, button callback
data, flood protection, /hide (deleting recent messages), /forget, feedback buttons,
staff alerts, admin commands, and never leaving a young person without a reply.

Handler order (PTB handler groups):

    -1  gate          groups/channels answered once then ignored; every private message
                      remembered for /hide; flood protection (safety messages always pass)
     0  commands, location, text, captions, anything else, button presses
    error handler     logs without message text, token or ids; still replies with 999

The conversation log is reached only through one worker thread, so a slow or locked
database never delays a reply and a failing store never breaks one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import html
import logging
import re
import secrets
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import routes
from bot.alerts import Alert, AlertLimiter, format_alert
from bot.catalogue import LONDON
from bot.config import Settings
from bot.dialogue import Button, ChatState, Engine, Reply, ServicePick, crash_reply
from bot.live import LiveCatalogue, ReloadResult
from bot.render import card_fields, card_title
from bot.safety import floor_screen

log = logging.getLogger(__name__)

T = TypeVar("T")

CHANNEL = "telegram"
CALLBACK_VERSION = "1"
MAX_CALLBACK_BYTES = 64
MAX_CHARS = 4000  # Telegram's limit is 4096; the margin covers the feedback line
MAX_RAW_LINE = 600  # a raw line this long stays under MAX_CHARS even fully escaped
HIDE_WINDOW = dt.timedelta(hours=48)  # how far back Telegram lets a bot delete
FEEDBACK_WAIT = 0.3  # seconds to wait for the turn id before sending without feedback
POLL_SECONDS = 2.0
PURGE_SECONDS = 24 * 3600.0
MAX_CONVERSATIONS = 20_000

BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What I can do, and the menu"),
    ("help", "How to use me"),
    ("services", "Browse by category"),
    ("privacy", "What I keep and who can see it"),
    ("human", "Talk to a real person"),
    ("hide", "Hide this chat: delete recent messages"),
    ("forget", "Erase what I logged from this chat"),
)
ENGINE_COMMANDS = ("start", "help", "services", "privacy", "human")
ADMIN_COMMANDS = ("reload", "catalogue")
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post",
                   "my_chat_member"]

# Texts about the channel itself (not content decisions), so they live here.
NOT_TEXT = ("I can only read typed messages. Could you type what you're looking for, in "
            "your own words? Or pick from the menu below.\n" + routes.EMERGENCY_LINE)
GROUP_REPLY = ("Hi! I only talk in private chats, so nobody else sees what you ask. Tap my "
               "name and then Message to talk to me on your own.\n" + routes.EMERGENCY_LINE)
SLOW_DOWN = ("You're sending messages faster than I can read them. Take a moment and send "
             "one message at a time, I'm still here.\n" + routes.EMERGENCY_LINE)
HIDE_DONE = ("Done. To hide this chat completely, delete it from your chat list (press and "
             "hold it, then Delete) and mute it so nothing pops up on your screen (open the "
             "chat, tap the name at the top, then Mute). You can come back any time.")
FORGET_DONE = ("Done: I erased {n} message(s) from this chat's log, and forgot the age and "
               "area you told me. /privacy explains what is kept.")
FORGET_NOTHING = ("Nothing from this chat is stored in my log, so there is nothing to erase. "
                  "I've forgotten the age and area you told me. /privacy has the details.")
FORGET_LATER = ("I couldn't erase the log this very moment, so it will be erased "
                "automatically as soon as possible. You don't need to do anything else.")
FEEDBACK_PROMPT = "Did this help?"
FEEDBACK_THANKS = "Thanks for telling me."
SLOW_DOWN_TOAST = "Slow down a little, then try again."


# ---------------------------------------------------------------- the conversation log


class ConversationLog(Protocol):
    """What the channel needs from bot.store.Store (see that module)."""

    def conversation_ref(self, channel: str, user_id: int | str) -> str: ...
    def log_turn(self, ref: str, channel: str, text: str, reply: Reply,
                 at: dt.datetime | None = None) -> int | None: ...
    def set_feedback(self, turn_id: int, ref: str, helpful: bool) -> bool: ...
    def forget(self, ref: str) -> int: ...
    def remember_message(self, ref: str, message_id: int,
                         at: dt.datetime | None = None) -> None: ...
    def recent_messages(self, ref: str, since: dt.datetime) -> list[int]: ...
    def drop_messages(self, ref: str, message_ids: list[int]) -> None: ...
    def purge(self, retention_days: int, now: dt.datetime | None = None) -> int: ...
    def close(self) -> None: ...


def open_store(data_dir: Path, secret: str | None) -> ConversationLog | None:
    """Open the conversation log, or None (logged) if it cannot be opened."""
    try:
        from bot.store import Store, parse_secret
    except ImportError:
        log.error("the conversation log (bot.store) is not installed; nothing will be logged")
        return None
    try:
        key = parse_secret(secret) if secret else None
        store: ConversationLog = Store.open(data_dir, secret=key)
    except Exception:
        log.exception("could not open the conversation log in %s; answering without it",
                      data_dir)
        return None
    return store


def _redact(text: str) -> str:
    try:
        from bot.redact import redact
    except ImportError:
        return ""  # without the redactor no message text may leave the conversation
    try:
        return redact(text)
    except Exception as exc:  # no traceback: it could quote the message
        log.error("redaction failed (%s); leaving the message out of the alert",
                  type(exc).__name__)
        return ""


# ---------------------------------------------------------------- flood protection


@dataclass(frozen=True, slots=True)
class FloodPolicy:
    """A token bucket per person: `burst` messages at once, then one per `refill` seconds."""

    burst: float = 5.0
    refill: float = 1.5


@dataclass(slots=True)
class TokenBucket:
    capacity: float
    refill: float
    tokens: float
    last: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.last) / self.refill)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass(slots=True)
class Conversation:
    """One private chat, in memory only (never written to disk)."""

    ref: str
    bucket: TokenBucket
    state: ChatState = field(default_factory=ChatState)
    warned: bool = False  # the "slow down" note was sent for this burst
    recent: list[tuple[int, float]] = field(default_factory=list)  # only if no store


class PerChatProcessor(BaseUpdateProcessor):
    """Different chats are handled concurrently; one chat's updates strictly in order."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object,
                                coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else 0
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


# ---------------------------------------------------------------- rendering


def escape(text: str) -> str:
    """Escape user or catalogue text for Telegram's HTML mode."""
    return html.escape(text, quote=False)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _raw_pieces(line: str) -> list[str]:
    """Split an over-long raw line at spaces so each piece stays safely short."""
    out: list[str] = []
    while len(line) > MAX_RAW_LINE:
        cut = line.rfind(" ", 0, MAX_RAW_LINE)
        cut = cut if cut > MAX_RAW_LINE // 2 else MAX_RAW_LINE
        out.append(line[:cut])
        line = line[cut:].lstrip(" ")
    out.append(line)
    return out


def text_lines(text: str) -> list[str]:
    """Plain text -> escaped HTML lines, each short enough to send on its own."""
    return [escape(piece) for line in text.split("\n") for piece in _raw_pieces(line)]


def card_html(pick: ServicePick) -> list[str]:
    """A compact service card: bold name, then what/when/where/who/cost/join/contact."""
    lines = [f"<b>{escape(piece)}</b>" for piece in _raw_pieces(card_title(pick))]
    for label, value in card_fields(pick):
        pieces = _raw_pieces(value)
        first = f"<i>{escape(label)}:</i> " if label else ""
        lines.append(first + escape(pieces[0]))
        lines.extend(escape(p) for p in pieces[1:])
    return lines


def pack(lines: list[str], limit: int = MAX_CHARS) -> list[str]:
    """Join HTML lines into messages under `limit`, breaking only between lines."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = _utf16_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
            if not line:
                continue
            extra = _utf16_len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [c for c in chunks if c.strip()] or [""]


def render_part(part: Reply) -> list[str]:
    """One reply part as HTML messages: its text, then a card per service."""
    lines = text_lines(part.text)
    for pick in part.services:
        lines.append("")
        lines.extend(card_html(pick))
    return pack(lines)


def plain(html_text: str) -> str:
    """The visible text of our HTML, for resending when Telegram rejects the markup."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", html_text))


# ---------------------------------------------------------------- callback data


def unpack(data: str | None) -> tuple[str, str, set[str]]:
    """Callback data -> (version, action, flags); unknown versions give action ""."""
    parts = (data or "").split("|")
    version = parts[0]
    if version != CALLBACK_VERSION or len(parts) < 2:
        return version, "", set()
    return version, parts[1], set(parts[2:])


# ---------------------------------------------------------------- the channel


class Signpost:
    """What every handler shares: live catalogue, conversation log, limits and alerts."""

    def __init__(self, settings: Settings, live: LiveCatalogue, *,
                 flood: FloodPolicy = FloodPolicy(),
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.settings = settings
        self.live = live
        self.flood = flood
        self.clock = clock
        self.now = now
        self.store: ConversationLog | None = None
        self.alerts = AlertLimiter()
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signpost-store")
        self._conversations: OrderedDict[int, Conversation] = OrderedDict()
        self._groups_told: set[int] = set()
        self._answered: OrderedDict[int, None] = OrderedDict()
        self._aliases: dict[str, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._jobs: list[asyncio.Task[None]] = []
        self._reload_lock = asyncio.Lock()
        self._ref_key = secrets.token_bytes(32)  # only used when there is no store
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None

    # ------------------------------------------------------------ store access

    async def _call(self, fn: Callable[..., T], *args: Any) -> T | None:
        """Run a store method on the store thread; None (logged) if it fails."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, self._safe, fn, args)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """Queue a store call now (keeps order with later calls) without waiting for it."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._io, self._safe, fn, args)

    @staticmethod
    def _safe(fn: Callable[..., T], args: tuple[Any, ...]) -> T | None:
        try:
            return fn(*args)
        except Exception as exc:  # a failing store never breaks a reply
            log.warning("conversation log: %s failed (%s)", getattr(fn, "__name__", "call"),
                        type(exc).__name__)
            return None

    def _background(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ conversations

    def _fallback_ref(self, user_id: int) -> str:
        digest = hmac.new(self._ref_key, str(user_id).encode(), hashlib.sha256).hexdigest()
        return f"c-{digest[:10]}"

    async def conversation(self, chat_id: int, user_id: int) -> Conversation:
        conv = self._conversations.get(chat_id)
        if conv is not None:
            self._conversations.move_to_end(chat_id)
            return conv
        ref: str | None = None
        if self.store is not None:
            ref = await self._call(self.store.conversation_ref, CHANNEL, user_id)
        ref = ref or self._fallback_ref(user_id)
        conv = Conversation(ref=ref, bucket=TokenBucket(self.flood.burst, self.flood.refill,
                                                        self.flood.burst, self.clock()))
        self._conversations[chat_id] = conv
        while len(self._conversations) > MAX_CONVERSATIONS:
            self._conversations.popitem(last=False)
        return conv

    def remember(self, conv: Conversation, message_id: int) -> None:
        """Note a message id for /hide (in the store, so it survives a restart)."""
        if self.store is not None:
            self._submit(self.store.remember_message, conv.ref, message_id, self.now())
        else:
            cutoff = self.clock() - HIDE_WINDOW.total_seconds()
            conv.recent = [(m, t) for m, t in conv.recent if t >= cutoff]
            conv.recent.append((message_id, self.clock()))

    def engine(self) -> Engine:
        return self.live.engine

    # ------------------------------------------------------------ sending

    def pack_action(self, action: str, flag: str = "") -> str:
        data = f"{CALLBACK_VERSION}|{action}" + (f"|{flag}" if flag else "")
        if len(data.encode()) <= MAX_CALLBACK_BYTES:
            return data
        key = hashlib.sha256(action.encode()).hexdigest()[:12]
        self._aliases[key] = action  # in memory: after a restart this button is "old"
        return f"{CALLBACK_VERSION}|~{key}" + (f"|{flag}" if flag else "")

    def resolve(self, action: str) -> str:
        return self._aliases.get(action[1:], "") if action.startswith("~") else action

    def keyboard(self, buttons: Iterable[Button], flag: str = "",
                 extra: list[list[InlineKeyboardButton]] | None = None
                 ) -> InlineKeyboardMarkup | None:
        rows: list[list[InlineKeyboardButton]] = []
        pending: InlineKeyboardButton | None = None
        for b in buttons:
            btn = InlineKeyboardButton(b.label, callback_data=self.pack_action(b.action, flag))
            if len(b.label) <= 16:
                if pending is not None:
                    rows.append([pending, btn])
                    pending = None
                else:
                    pending = btn
                continue
            if pending is not None:
                rows.append([pending])
                pending = None
            rows.append([btn])
        if pending is not None:
            rows.append([pending])
        rows.extend(extra or [])
        return InlineKeyboardMarkup(rows) if rows else None

    async def send_text(self, update: Update | None, conv: Conversation | None, chat_id: int,
                        text_html: str, markup: InlineKeyboardMarkup | None = None
                        ) -> Message | None:
        """Send one message; fall back to plain text if Telegram rejects the HTML.

        Retries a timeout or network failure twice (RetryAfter is AIORateLimiter's job);
        raises Forbidden (the person blocked the bot) so the caller stops at once.
        """
        assert self.app is not None
        bot = self.app.bot
        parse_mode: str | None = ParseMode.HTML
        body = text_html
        attempt = 0
        while True:
            try:
                msg: Message = await bot.send_message(chat_id, body, parse_mode=parse_mode,
                                             reply_markup=markup)
                break
            except Forbidden:
                raise
            except BadRequest as exc:
                if parse_mode is None or "parse entities" not in str(exc).lower():
                    raise
                log.error("Telegram rejected a message's HTML; resending it as plain text")
                parse_mode, body = None, plain(text_html)
            except NetworkError:  # timeouts, dropped connections; RetryAfter is the limiter's
                attempt += 1
                if attempt > 2:
                    raise
                await asyncio.sleep(0.5 * attempt)
        if update is not None:
            self._answered[update.update_id] = None
            while len(self._answered) > 1000:
                self._answered.popitem(last=False)
        if conv is not None:
            self.remember(conv, msg.message_id)
        return msg

    async def send_reply(self, update: Update, conv: Conversation, reply: Reply,
                         turn: asyncio.Future[Any] | None = None) -> None:
        """Send every part of a reply in order; the safety part (always first) first."""
        chat_id = _chat_id(update)
        feedback_done = False
        for part in reply.all_parts():
            try:
                chunks = render_part(part)
            except Exception:  # a broken card must not cost the person their answer
                log_failure("could not render a reply; sending its text only", conv.ref,
                            update)
                chunks = pack(text_lines(part.text or routes.ERROR_REPLY))
            extra: list[list[InlineKeyboardButton]] = []
            wants_feedback = (not feedback_done and turn is not None and bool(part.services)
                              and part.kind in ("answer", "category"))
            if wants_feedback and turn is not None:
                feedback_done = True
                turn_id = await _result_within(turn, FEEDBACK_WAIT)
                if isinstance(turn_id, int):
                    extra = [[
                        InlineKeyboardButton("👍", callback_data=self.pack_action(
                            f"fb:{turn_id}:y")),
                        InlineKeyboardButton("👎", callback_data=self.pack_action(
                            f"fb:{turn_id}:n")),
                    ]]
                    chunks[-1] += f"\n\n<i>{escape(FEEDBACK_PROMPT)}</i>"
            flag = "c" if part.kind == "clarify" else ""
            markup = self.keyboard(part.buttons, flag, extra)
            for n, chunk in enumerate(chunks):
                last = n == len(chunks) - 1
                await self.send_text(update, conv, chat_id, chunk, markup if last else None)

    async def deliver(self, update: Update, conv: Conversation, reply: Reply, text: str,
                      *, log_turn: bool = True, alert: bool = False) -> None:
        """Remember the new state, log the turn, alert staff if needed, send the reply."""
        conv.state = replace(reply.state, location=None)
        turn: asyncio.Future[Any] | None = None
        if log_turn and self.store is not None:
            stored = replace(reply, state=conv.state)
            turn = self._submit(self.store.log_turn, conv.ref, CHANNEL, text, stored,
                                self.now())
        safety = next((p.safety for p in reply.all_parts() if p.safety), None)
        if alert and safety is not None:
            self.raise_alert(conv.ref, safety, text)
        try:
            await self.send_reply(update, conv, reply, turn)
        except Forbidden:
            log.info("conversation %s has blocked the bot; not retrying", conv.ref)

    # ------------------------------------------------------------ alerts

    def raise_alert(self, ref: str, intent: str, text: str) -> None:
        if self.settings.alert_chat_id is None:
            return
        alert = self.alerts.trigger(ref, intent, self.now(), _redact(text))
        if alert is not None:
            self._background(self.post_alert(alert))

    async def post_alert(self, alert: Alert) -> None:
        chat = self.settings.alert_chat_id
        if chat is None:
            return
        try:
            await self.send_text(None, None, chat, "\n".join(text_lines(
                format_alert(alert, LONDON))))
        except TelegramError as exc:
            log.error("could not post a safety alert for %s to the alert chat (%s)",
                      alert.ref, type(exc).__name__)

    # ------------------------------------------------------------ handlers

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups: answer once, then ignore. Private: remember for /hide, limit floods."""
        chat = update.effective_chat
        if chat is None:
            raise ApplicationHandlerStop
        if chat.type != ChatType.PRIVATE:
            if chat.id not in self._groups_told and update.effective_message is not None:
                self._groups_told.add(chat.id)
                with contextlib.suppress(TelegramError):
                    await self.send_text(None, None, chat.id, escape(GROUP_REPLY))
            raise ApplicationHandlerStop
        user = update.effective_user
        if user is None:
            raise ApplicationHandlerStop
        if update.edited_message is not None and update.edited_message.location is not None:
            raise ApplicationHandlerStop  # a live location moving: answered once, when shared
        conv = await self.conversation(chat.id, user.id)
        msg = update.message or update.edited_message
        if update.message is not None:
            self.remember(conv, update.message.message_id)
        if self._exempt(update):
            return
        if conv.bucket.take(self.clock()):
            conv.warned = False
            return
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(SLOW_DOWN_TOAST)
            raise ApplicationHandlerStop
        text = (msg.text or msg.caption or "") if msg is not None else ""
        if text and self.is_safety(text):
            return  # safety messages are never dropped
        if not conv.warned:
            conv.warned = True
            log.info("conversation %s is sending too fast; ignoring the excess", conv.ref)
            with contextlib.suppress(Forbidden):
                await self.send_text(update, conv, chat.id, escape(SLOW_DOWN))
        raise ApplicationHandlerStop

    def _exempt(self, update: Update) -> bool:
        """/hide and the help-now buttons are never rate-limited."""
        if update.callback_query is not None:
            action = unpack(update.callback_query.data)[1]
            return action in ("hide", "talknow", "human")
        msg = update.effective_message
        text = (msg.text or "") if msg is not None else ""
        return _command_name(text) in ("hide", "human")

    def is_safety(self, text: str) -> bool:
        """Whether the safety screen flags a message; True when in doubt."""
        try:
            return self.engine().analyse(text)[2].fired
        except Exception:
            try:
                return floor_screen(text).fired
            except Exception:
                return True

    def ask(self, what: str, update: Update, conv: Conversation, call: Callable[[], Reply],
            text: str = "") -> Reply:
        """The engine's reply; if even that fails, the crash reply (999, or the floor's)."""
        try:
            return call()
        except Exception:
            log_failure(f"engine failed on {what}", conv.ref, update)
            return crash_reply(text, conv.state)

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /help, /services, /privacy, /human: the engine answers."""
        msg, conv = await self._private(update)
        name = _command_name(msg.text or "")
        reply = self.ask("a command", update, conv,
                         lambda: self.engine().command(name, conv.state))
        await self.deliver(update, conv, reply, f"/{name}")

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Free text (or a caption, or an unknown /command): the engine answers."""
        msg, conv = await self._private(update)
        text = msg.text or msg.caption or ""
        reply = self.ask("a message", update, conv,
                         lambda: self.engine().respond(text, conv.state), text)
        await self.deliver(update, conv, reply, text, alert=True)

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared location: nearest services. The location is never kept or logged."""
        msg, conv = await self._private(update)
        assert msg.location is not None
        here = replace(conv.state, location=(msg.location.latitude, msg.location.longitude))
        reply = self.ask("a location", update, conv, lambda: self.engine().nearest(here))
        cleared = replace(reply.state, location=None)
        await self.deliver(update, conv, replace(reply, state=cleared), "[shared a location]")

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice notes...: ask them to type, and show the menu."""
        msg, conv = await self._private(update)
        reply = self.ask("a non-text message", update, conv, lambda: replace(
            self.engine().act("menu", conv.state), text=NOT_TEXT, kind="menu"))
        await self.deliver(update, conv, reply, f"[{_kind_of(msg)}]")

    async def on_hide(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/hide: delete this chat's recent messages, then one neutral message."""
        _, conv = await self._private(update)
        await self.hide(update, conv)

    async def hide(self, update: Update, conv: Conversation) -> None:
        assert self.app is not None
        chat_id = _chat_id(update)
        since = self.now() - HIDE_WINDOW
        if self.store is not None:
            ids = await self._call(self.store.recent_messages, conv.ref, since) or []
        else:
            cutoff = self.clock() - HIDE_WINDOW.total_seconds()
            ids = [m for m, t in conv.recent if t >= cutoff]
            conv.recent = []
        if update.callback_query is not None and update.callback_query.message is not None:
            ids.append(update.callback_query.message.message_id)
        ids = sorted(set(ids), reverse=True)
        gone: list[int] = []

        async def delete(mid: int) -> None:
            assert self.app is not None
            try:
                await self.app.bot.delete_message(chat_id, mid)
                gone.append(mid)
            except BadRequest:
                gone.append(mid)  # already deleted or too old: nothing left to do
            except Forbidden:
                pass
            except TelegramError as exc:
                log.warning("could not delete a message for %s (%s)", conv.ref,
                            type(exc).__name__)

        for start in range(0, len(ids), 20):
            await asyncio.gather(*(delete(m) for m in ids[start:start + 20]))
        if self.store is not None and gone:
            self._submit(self.store.drop_messages, conv.ref, gone)
        log.info("hid %d message(s) for %s", len(gone), conv.ref)
        conv.state = ChatState()
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        with contextlib.suppress(Forbidden):
            await self.send_text(update, conv, chat_id, escape(HIDE_DONE))

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: erase this conversation's log and what the bot remembers."""
        _, conv = await self._private(update)
        if self.store is None:
            text = FORGET_NOTHING
        else:
            erased = await self._call(self.store.forget, conv.ref)
            if erased is None or erased < 0:  # the store retries the erase itself
                text = FORGET_LATER
            elif erased == 0:
                text = FORGET_NOTHING
            else:
                text = FORGET_DONE.format(n=erased)
        conv.state = ChatState()
        self.alerts.forget(conv.ref)
        log.info("forget for %s", conv.ref)
        with contextlib.suppress(Forbidden):
            await self.send_text(update, conv, _chat_id(update), escape(text))

    async def on_admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload and /catalogue for admins; for anyone else, as if they did not exist."""
        user = update.effective_user
        if user is None or user.id not in self.settings.admin_ids:
            await self.on_text(update, context)
            return
        msg, conv = await self._private(update)
        name = _command_name(msg.text or "")
        if name == "reload":
            result = await self.reload()
            text = reload_report(result, self.live)
        else:
            text = catalogue_report(self.live)
        log.info("admin command /%s", name)
        for chunk in pack(text_lines(text)):
            await self.send_text(update, conv, _chat_id(update), chunk)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: feedback, hide, or an engine action (old buttons get the menu)."""
        query = update.callback_query
        assert query is not None
        chat_id = _chat_id(update)
        user = update.effective_user
        assert user is not None
        conv = await self.conversation(chat_id, user.id)
        _, raw_action, flags = unpack(query.data)
        action = self.resolve(raw_action)
        if action.startswith("fb:"):
            await self.feedback(query, conv, action)
            return
        if action == "hide":
            await self.hide(update, conv)
            return
        with contextlib.suppress(TelegramError):
            await query.answer()
        if "c" in flags and isinstance(query.message, Message):
            label = _pressed_label(query.message, query.data)
            with contextlib.suppress(TelegramError):
                await query.edit_message_text(
                    f"{query.message.text_html}\n→ {escape(label)}" if label
                    else query.message.text_html, parse_mode=ParseMode.HTML)
        reply = self.ask("a button", update, conv, lambda: self.engine().act(action, conv.state))
        await self.deliver(update, conv, reply, f"[button {action or 'out of date'}]")

    async def feedback(self, query: Any, conv: Conversation, action: str) -> None:
        _, turn, verdict = action.split(":", 2) if action.count(":") == 2 else ("", "", "")
        if turn.isdigit() and self.store is not None:
            await self._call(self.store.set_feedback, int(turn), conv.ref, verdict == "y")
        with contextlib.suppress(TelegramError):
            await query.answer(FEEDBACK_THANKS)
        message = query.message
        if isinstance(message, Message) and message.reply_markup is not None:
            rows = [[b for b in row if not str(b.callback_data or "").startswith(
                f"{CALLBACK_VERSION}|fb:")] for row in message.reply_markup.inline_keyboard]
            rows = [r for r in rows if r]
            with contextlib.suppress(TelegramError):
                await query.edit_message_reply_markup(
                    InlineKeyboardMarkup(rows) if rows else None)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the failure (no text, token or ids) and still answer, with 999."""
        err = context.error
        if isinstance(err, Forbidden):
            log.info("a person has blocked the bot; not retrying")
            return
        who = "an update"
        text = ""
        if isinstance(update, Update):
            conv = self._conversations.get(update.effective_chat.id) if \
                update.effective_chat else None
            who = conv.ref if conv else f"update of type {_update_kind(update)}"
            msg = update.effective_message
            text = (msg.text or msg.caption or "") if msg is not None else ""
        trace = "".join(traceback.format_exception(err)) if err is not None else ""
        log.error("failed while handling %s:\n%s", who, scrub_trace(trace, update))
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        if update.effective_chat.type != ChatType.PRIVATE:
            return
        if update.update_id in self._answered:
            return
        reply = crash_reply(text, ChatState())
        try:
            body = "\n".join(line for p in reply.all_parts() for line in text_lines(p.text))
            await self.send_text(update, None, update.effective_chat.id, body)
        except TelegramError as exc:
            log.error("could not send the error reply (%s)", type(exc).__name__)

    async def _private(self, update: Update) -> tuple[Message, Conversation]:
        msg = update.effective_message
        user = update.effective_user
        assert msg is not None and user is not None
        return msg, await self.conversation(msg.chat_id, user.id)

    # ------------------------------------------------------------ catalogue and jobs

    async def reload(self) -> ReloadResult:
        async with self._reload_lock:
            return await asyncio.to_thread(self.live.reload)

    async def poll_once(self) -> None:
        """Pick up saved catalogue edits; report a rejected edit; post alert follow-ups."""
        async with self._reload_lock:
            result = await asyncio.to_thread(self.live.poll)
        if result is not None and not result.changed:
            await self.tell_admins(reload_report(result, self.live))
        for alert in self.alerts.flush(self.now()):
            await self.post_alert(alert)

    async def tell_admins(self, text: str) -> None:
        chat = self.settings.admin_chat_id
        if chat is None:
            return
        try:
            for chunk in pack(text_lines(text)):
                await self.send_text(None, None, chat, chunk)
        except TelegramError as exc:
            log.error("could not post to the admin chat (%s)", type(exc).__name__)

    async def _every(self, seconds: float, job: Callable[[], Awaitable[None]],
                     name: str) -> None:
        while True:
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background job %s failed; it will run again", name)
            await asyncio.sleep(seconds)

    async def purge(self) -> None:
        if self.store is None:
            return
        removed = await self._call(self.store.purge, self.settings.retention_days, self.now())
        if removed:
            log.info("retention: deleted %d turn(s) older than %d days", removed,
                     self.settings.retention_days)

    # ------------------------------------------------------------ lifecycle

    async def post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open the log, register commands, start the reload/alert and purge jobs."""
        self.app = app
        if self.store is None:
            loop = asyncio.get_running_loop()
            self.store = await loop.run_in_executor(
                self._io, open_store, self.settings.data_dir, self.settings.secret)
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in BOT_COMMANDS])
        except TelegramError as exc:
            log.warning("could not register the command list with Telegram (%s)",
                        type(exc).__name__)
        self._jobs = [
            asyncio.create_task(self._every(POLL_SECONDS, self.poll_once, "catalogue poll"),
                                name="signpost-poll"),
            asyncio.create_task(self._every(PURGE_SECONDS, self.purge, "retention purge"),
                                name="signpost-purge"),
        ]

    async def post_stop(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Stop the background jobs."""
        for task in self._jobs:
            task.cancel()
        for task in [*self._jobs, *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._jobs = []

    async def post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Close the conversation log (after every queued write has run)."""
        store, self.store = self.store, None
        if store is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._io, self._safe, store.close, ())
        self._io.shutdown(wait=True)
        log.info("stopped")


# ---------------------------------------------------------------- reports for staff


def reload_report(result: ReloadResult, live: LiveCatalogue) -> str:
    cat = live.catalogue
    if result.changed and cat is not None:
        return (f"Catalogue reloaded: version {cat.version} is live ({len(cat.services)} "
                f"services, {len(cat.intents)} intents, {len(cat.warnings)} warning(s)).")
    version = cat.version if cat is not None else "none (safety floor only)"
    lines = [f"Catalogue edit rejected: still serving version {version}. Fix these and save "
             "again:"]
    lines += [str(p) for p in result.errors] or ["(no details)"]
    return "\n".join(lines)


def catalogue_report(live: LiveCatalogue) -> str:
    cat = live.catalogue
    if cat is None:
        return "No catalogue is loaded: the bot is answering with the safety floor only."
    when = (f"{live.last_reload.astimezone(LONDON):%H:%M:%S on %a %d %b}"
            if live.last_reload else "never")
    lines = [
        f"Catalogue version {cat.version}, loaded {when} from {live.root}",
        f"{len(cat.services)} services, {len(cat.categories)} categories, "
        f"{len(cat.intents)} intents, "
        f"{sum(len(i.examples) for i in cat.intents.values())} examples",
        f"{len(cat.warnings)} warning(s)" + (":" if cat.warnings else ""),
    ]
    lines += [str(w) for w in cat.warnings[:20]]
    if len(cat.warnings) > 20:
        lines.append(f"... and {len(cat.warnings) - 20} more (run: signpost validate)")
    return "\n".join(lines)


# ---------------------------------------------------------------- helpers


async def _result_within(fut: asyncio.Future[Any], seconds: float) -> Any:
    done, _ = await asyncio.wait({fut}, timeout=seconds)
    if not done:
        return None
    try:
        return fut.result()
    except Exception:
        return None


def _chat_id(update: Update) -> int:
    chat = update.effective_chat
    assert chat is not None
    return chat.id


def _command_name(text: str) -> str:
    if not text.startswith("/"):
        return ""
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


_KINDS = ("sticker", "photo", "voice", "video_note", "video", "animation", "audio",
          "document", "contact", "poll", "dice", "venue", "game", "story", "invoice")


def _kind_of(msg: Message) -> str:
    for kind in _KINDS:
        if getattr(msg, kind, None):
            return kind
    return "message"


def _update_kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "channel_post"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


def _pressed_label(message: Message, data: str | None) -> str:
    markup = message.reply_markup
    if markup is None:
        return ""
    for row in markup.inline_keyboard:
        for b in row:
            if b.callback_data == data:
                return b.text
    return ""


def log_failure(what: str, ref: str, update: object) -> None:
    """Log the exception being handled, its traceback scrubbed of text, ids and names."""
    trace = traceback.format_exc()
    log.error("%s for %s:\n%s", what, ref, scrub_trace(trace, update))


def scrub_trace(trace: str, update: object) -> str:
    """Remove the message text and any ids or names from a traceback before logging."""
    if not isinstance(update, Update):
        return trace
    secrets_: list[tuple[str, str]] = []
    msg = update.effective_message
    if msg is not None:
        for t in (msg.text, msg.caption):
            if t:
                secrets_.append((t, "[message text]"))
    user = update.effective_user
    if user is not None:
        secrets_ += [(str(user.id), "[user id]")]
        secrets_ += [(x, "[name]") for x in (user.username, user.first_name, user.last_name)
                     if x and len(x) > 2]
    if update.effective_chat is not None:
        secrets_.append((str(update.effective_chat.id), "[chat id]"))
    for value, mask in sorted(secrets_, key=lambda s: len(s[0]), reverse=True):
        trace = trace.replace(value, mask)
    return trace


# ---------------------------------------------------------------- building and running


def build_application(settings: Settings, live: LiveCatalogue, *,
                      flood: FloodPolicy = FloodPolicy(),
                      clock: Callable[[], float] = time.monotonic,
                      ) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with every handler wired; `signpost run` and the tests use it."""
    sp = Signpost(settings, live, flood=flood, clock=clock)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # A small pool measured faster than PTB's default of 256 (docs/performance.md).
        .connection_pool_size(8)
        .concurrent_updates(PerChatProcessor())
        .post_init(sp.post_init)
        .post_stop(sp.post_stop)
        .post_shutdown(sp.post_shutdown)
    )
    if settings.bot_api_url:
        builder = builder.base_url(settings.bot_api_url)
        if settings.base_file_url:
            builder = builder.base_file_url(settings.base_file_url)
    app = builder.build()
    sp.app = app
    app.bot_data["signpost"] = sp

    app.add_handler(TypeHandler(Update, sp.gate), group=-1)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(list(ENGINE_COMMANDS), sp.on_command, filters=private))
    app.add_handler(CommandHandler("hide", sp.on_hide, filters=private))
    app.add_handler(CommandHandler("forget", sp.on_forget, filters=private))
    app.add_handler(CommandHandler(list(ADMIN_COMMANDS), sp.on_admin, filters=private))
    app.add_handler(MessageHandler(private & filters.LOCATION, sp.on_location))
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.CAPTION), sp.on_text))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, sp.on_other))
    app.add_handler(CallbackQueryHandler(sp.on_button))
    app.add_error_handler(sp.on_error)
    return app


def signpost_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Signpost:
    sp = app.bot_data["signpost"]
    assert isinstance(sp, Signpost)
    return sp


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for Application.run_webhook / Updater.start_webhook."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": settings.webhook_path,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


def run_bot(settings: Settings, live: LiveCatalogue) -> None:
    """Run until SIGINT/SIGTERM (PTB handles the signals and the shutdown order)."""
    app = build_application(settings, live)
    if settings.webhook:
        log.info("starting in webhook mode, listening on %s:%d", settings.webhook_listen,
                 settings.webhook_port)
        app.run_webhook(**webhook_options(settings))
    else:
        log.info("starting in polling mode")
        app.run_polling(allowed_updates=ALLOWED_UPDATES)
