"""The Telegram channel: a thin adapter over bot.session.

Updates become `Session.handle` calls; a `Reply` becomes HTML messages and inline
keyboards. Everything else that is about Telegram itself lives here too: HTML escaping
and message splitting, button callback data, /hide (deleting recent messages), feedback
buttons, the staff group as an alert sink, admin commands, group chats, and never leaving
a young person without a reply when a handler crashes.

Handler order (PTB handler groups):

    -1  gate          groups/channels answered once then ignored; every private message
                      remembered for /hide
     0  commands, location, text, captions, anything else, button presses
    error handler     logs without message text, token or ids; still replies with 999

Conversations, bursts, the flood limit, the engine, the log, alerts and /forget are the
session's (bot/session.py); the catalogue poll and the purge are bot/jobs.py's. How updates
arrive (kept in a sealed inbox until answered, unreadable ones skipped, replay after a
crash, a revoked token noticed) is bot/channels/telegram_updates.py's.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import time
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
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
from telegram.request import HTTPXRequest

from bot import routes
from bot.alerts import Alert, format_alert
from bot.catalogue import LONDON
from bot.channels.telegram_html import escape, pack, plain, render_part, text_lines
from bot.channels.telegram_updates import Inbox, UpdatesRequest
from bot.config import Settings
from bot.dialogue import Button, ChatState, Engine, Reply, crash_reply
from bot.jobs import Jobs, catalogue_report, reload_report
from bot.jobs import stop as stop_jobs
from bot.live import LiveCatalogue
from bot.session import (
    BURST_WINDOW,
    DEFAULT_FLOOD,
    FORGET_DONE,
    FORGET_LATER,
    FORGET_NOTHING,
    MAX_CONVERSATIONS,
    NOT_TEXT,
    SLOW_DOWN,
    Conversation,
    Event,
    FloodPolicy,
    Outgoing,
    Session,
)
from bot.store import AsyncStore
from bot.web.guard import Rejected, read_json

__all__ = ["FORGET_DONE", "FORGET_LATER", "FORGET_NOTHING", "NOT_TEXT", "SLOW_DOWN",
           "FloodPolicy", "Signpost", "build_application", "catalogue_report", "escape",
           "pack", "reload_report", "render_part", "text_lines"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
CALLBACK_VERSION = "1"
MAX_CALLBACK_BYTES = 64
FEEDBACK_WAIT = 0.3  # seconds to wait for the turn id before sending without feedback
MAX_UPDATE_BYTES = 256 * 1024  # a webhook body larger than this is refused unread
POLL_TIMEOUT = 3  # seconds each getUpdates long poll waits for news

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
# No channel posts: the bot never answers in a channel (its reply would be public).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query",
                   "my_chat_member"]

# Texts about the channel itself (not content decisions), so they live here.
GROUP_REPLY = ("Hi! I only talk in private chats, so nobody else sees what you ask. Tap my "
               "name and then Message to talk to me on your own.\n" + routes.EMERGENCY_LINE)
HIDE_PARTLY = ("I couldn't delete all my recent messages just now, so some may still be in "
               "this chat. Try /hide again in a few minutes. To hide this chat completely "
               "now, delete it from your chat list (press and hold it, then Delete) and mute "
               "it (open the chat, tap the name at the top, then Mute).")
PRIVATE_ONLY_TOAST = "I only work in private chats: tap my name, then Message."
HIDE_DONE = ("Done. To hide this chat completely, delete it from your chat list (press and "
             "hold it, then Delete) and mute it so nothing pops up on your screen (open the "
             "chat, tap the name at the top, then Mute). You can come back any time.")
FEEDBACK_PROMPT = "Did this help?"
FEEDBACK_THANKS = "Thanks for telling me."
SLOW_DOWN_TOAST = "Slow down a little, then try again."


# ---------------------------------------------------------------- one chat at a time


class PerChatProcessor(BaseUpdateProcessor):
    """Different chats are handled concurrently; one chat's updates strictly in order."""

    def __init__(self, max_concurrent_updates: int = 64,
                 on_done: Callable[[object], Awaitable[None]] | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.on_done = on_done  # called once an update has been handled (the inbox)

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
        if self.on_done is not None:
            await self.on_done(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


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
    """The Telegram channel: updates become session calls; a Reply becomes HTML + keyboards.

    Everything that is not about Telegram itself (conversations, bursts, the flood limit,
    the engine, the log, alerts, /forget, feedback) is `bot.session.Session`'s job.
    """

    name = CHANNEL

    def __init__(self, settings: Settings, live: LiveCatalogue, *,
                 session: Session | None = None,
                 flood: FloodPolicy = DEFAULT_FLOOD,
                 burst_window: float = BURST_WINDOW,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.settings = settings
        self.live = live
        self.flood = flood
        self.clock = clock
        self.now = now
        self._owns_session = session is None  # built by the tests; `signpost run` passes one
        self.session = session or Session(live, flood=flood, burst_window=burst_window,
                                          clock=clock, now=now)
        self.jobs = Jobs(self.session, settings.retention_days, self.tell_admins)
        self.sink: TelegramStaffGroup | None = None
        self._groups_told: set[int] = set()
        self._answered: OrderedDict[int, None] = OrderedDict()
        # chat id -> the update being handled (one at a time per chat), for the error
        # handler's "was this one answered?"; bounded like the session's conversations.
        self._current: OrderedDict[int, int] = OrderedDict()
        self._aliases: dict[str, str] = {}
        self._jobs: list[asyncio.Task[None]] = []
        self.inbox = Inbox(CHANNEL)
        self._held: dict[int, list[int]] = {}  # chat id -> update ids held in a burst
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None

    def conversation(self, chat_id: int) -> Conversation:
        return self.session.conversation(CHANNEL, str(chat_id))

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

    async def send_text(self, conv: Conversation | None, chat_id: int, text_html: str,
                        markup: InlineKeyboardMarkup | None = None) -> Message | None:
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
        update_id = self._current.get(chat_id)
        if update_id is not None:
            self._answered[update_id] = None
            while len(self._answered) > 1000:
                self._answered.popitem(last=False)
        if conv is not None:
            self.session.remember_message(conv, msg.message_id)
        return msg

    async def send(self, key: str, out: Outgoing) -> None:
        """The session's Channel.send: every part of a reply in order, safety first."""
        chat_id = int(key)
        conv = self.conversation(chat_id)
        if out.notice:
            with contextlib.suppress(Forbidden):
                await self.send_text(conv, chat_id, "\n".join(text_lines(out.reply.text)))
            return
        try:
            await self.send_reply(conv, chat_id, out.reply, out.turn)
        except Forbidden:
            log.info("conversation %s has blocked the bot; not retrying", conv.ref)
        for update_id in self._held.pop(chat_id, []):  # a held burst has been answered
            await self.inbox.done_id(update_id)

    async def handled(self, update: object) -> None:
        """The processor's hook: clear a handled update from the inbox, unless its message
        is held in a burst (cleared in `send` once the burst is answered)."""
        update_id = getattr(update, "update_id", None)
        if any(update_id in ids for ids in self._held.values()):
            return
        await self.inbox.done(update)

    async def send_reply(self, conv: Conversation, chat_id: int, reply: Reply,
                         turn: asyncio.Future[Any] | None = None) -> None:
        """Send every part of a reply in order; the safety part (always first) first."""
        feedback_done = False
        for part in reply.all_parts():
            try:
                chunks = render_part(part)
            except Exception:  # a broken card must not cost the person their answer
                log.error("could not render a reply for %s; sending its text only",
                          conv.ref)
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
                await self.send_text(conv, chat_id, chunk, markup if last else None)

    # ------------------------------------------------------------ handlers

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups: answer once, then ignore. Private: remember the message for /hide."""
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            await _answer_stray_button(update)  # every button press is answered
        if chat is None or chat.type == ChatType.CHANNEL or update.channel_post is not None \
                or update.edited_channel_post is not None:
            raise ApplicationHandlerStop  # channels: never a (public) reply
        if chat.type != ChatType.PRIVATE:
            if chat.id not in self._groups_told and update.effective_message is not None:
                self._groups_told.add(chat.id)
                with contextlib.suppress(TelegramError):
                    await self.send_text(None, chat.id, escape(GROUP_REPLY))
            raise ApplicationHandlerStop
        if update.effective_user is None:
            raise ApplicationHandlerStop
        if update.edited_message is not None and update.edited_message.location is not None:
            raise ApplicationHandlerStop  # a live location moving: answered once, when shared
        self._current[chat.id] = update.update_id
        self._current.move_to_end(chat.id)
        while len(self._current) > MAX_CONVERSATIONS:
            self._current.popitem(last=False)
        if update.message is not None:
            self.session.remember_message(self.conversation(chat.id),
                                          update.message.message_id)

    async def handle(self, update: Update, event: Event) -> str:
        """Hand one event to the session; tell a pressed button when it was skipped."""
        status = await self.session.handle(self, str(_chat_id(update)), event)
        if status == "held":  # answered with the burst: keep it in the inbox until then
            self._held.setdefault(_chat_id(update), []).append(update.update_id)
        if status == "skipped" and update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(SLOW_DOWN_TOAST)
        return status

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start, /help, /services, /privacy, /human: the engine answers."""
        msg = update.effective_message
        assert msg is not None
        await self.handle(update, Event("command", _command_name(msg.text or "")))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Free text (or a caption, or an unknown /command): the engine answers."""
        msg = update.effective_message
        assert msg is not None
        await self.handle(update, Event("text", msg.text or msg.caption or ""))

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A shared location: nearest services. The location is never kept or logged."""
        msg = update.effective_message
        assert msg is not None and msg.location is not None
        where = (msg.location.latitude, msg.location.longitude)
        await self.handle(update, Event("location", location=where))

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice notes...: ask them to type, and show the menu."""
        msg = update.effective_message
        assert msg is not None
        await self.handle(update, Event("other", _kind_of(msg)))

    async def on_hide(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/hide: delete this chat's recent messages, then one neutral message."""
        await self.hide(update)

    async def hide(self, update: Update) -> None:
        assert self.app is not None
        chat_id = _chat_id(update)
        conv = self.conversation(chat_id)
        found = await self.session.recent_messages(conv)
        complete = found is not None
        ids = found or []
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
        complete = complete and len(gone) == len(ids)
        self.session.hidden(conv, gone)
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        if not complete:
            log.warning("hide for %s was incomplete (the log could not be read or a delete "
                        "failed); the person was told", conv.ref)
        with contextlib.suppress(Forbidden):
            await self.send_text(conv, chat_id, escape(HIDE_DONE if complete else HIDE_PARTLY))

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/forget: erase this conversation's log and what the bot remembers."""
        chat_id = _chat_id(update)
        conv = self.conversation(chat_id)
        text = await self.session.forget(conv)
        with contextlib.suppress(Forbidden):
            await self.send_text(conv, chat_id, escape(text))

    async def on_admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/reload and /catalogue for admins; for anyone else, as if they did not exist."""
        user = update.effective_user
        if user is None or user.id not in self.settings.admin_ids:
            await self.on_text(update, context)
            return
        msg = update.effective_message
        assert msg is not None
        name = _command_name(msg.text or "")
        if name == "reload":
            result = await self.jobs.reload()
            text = reload_report(result, self.live)
        else:
            text = catalogue_report(self.live)
        log.info("admin command /%s", name)
        conv = self.conversation(_chat_id(update))
        for chunk in pack(text_lines(text)):
            await self.send_text(conv, _chat_id(update), chunk)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: feedback, hide, or an engine action (old buttons get the menu)."""
        query = update.callback_query
        assert query is not None
        _, raw_action, flags = unpack(query.data)
        action = self.resolve(raw_action)
        if action.startswith("fb:"):
            await self.feedback(update, action)
            return
        if action == "hide":
            await self.hide(update)
            return
        with contextlib.suppress(TelegramError):
            await query.answer()
        if "c" in flags and isinstance(query.message, Message):
            label = _pressed_label(query.message, query.data)
            with contextlib.suppress(TelegramError):
                await query.edit_message_text(
                    f"{query.message.text_html}\n→ {escape(label)}" if label
                    else query.message.text_html, parse_mode=ParseMode.HTML)
        await self.handle(update, Event("button", action))

    async def feedback(self, update: Update, action: str) -> None:
        query = update.callback_query
        assert query is not None
        _, turn, verdict = action.split(":", 2) if action.count(":") == 2 else ("", "", "")
        if turn.isdigit():
            conv = self.conversation(_chat_id(update))
            await self.session.feedback(conv, int(turn), verdict == "y")
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
            conv = self.session.find(CHANNEL, str(update.effective_chat.id)) if \
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
            await self.send_text(None, update.effective_chat.id, body)
        except TelegramError as exc:
            log.error("could not send the error reply (%s)", type(exc).__name__)

    # ------------------------------------------------------------ staff

    async def tell_admins(self, text: str) -> None:
        chat = self.settings.admin_chat_id
        if chat is None:
            log.warning("%s", text)
            return
        try:
            for chunk in pack(text_lines(text)):
                await self.send_text(None, chat, chunk)
        except TelegramError as exc:
            log.error("could not post to the admin chat (%s)", type(exc).__name__)

    # ------------------------------------------------------------ lifecycle

    async def post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Open the log (unless the server did), register commands, add the alert sink."""
        self.app = app
        if self._owns_session and self.session.store.store is None:
            self.session.store = await AsyncStore.open(self.settings.data_dir,
                                                       self.settings.secret)
        self.inbox.attach(self.session.store.store)
        await self.inbox.replay(app.update_queue, app.bot, self.session.is_safety)
        if getattr(self.live, "catalogue", True) is None:  # broken at start: say what
            await self.tell_admins(catalogue_report(self.live) + "\n" + "\n".join(
                str(p) for p in self.live.last_problems if p.severity == "error"))
        if self.settings.alert_chat_id is not None and self.sink is None:
            self.sink = TelegramStaffGroup(self, self.settings.alert_chat_id)
            self.session.add_sink(self.sink)
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in BOT_COMMANDS])
        except TelegramError as exc:
            log.warning("could not register the command list with Telegram (%s)",
                        type(exc).__name__)
        if self._owns_session:
            self._jobs = self.jobs.start()

    async def post_stop(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Stop the background jobs (when this channel started them)."""
        await stop_jobs(self._jobs)
        self._jobs = []

    async def post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Close the conversation log (after every queued write has run), if it is ours."""
        await self.inbox.drain()
        self.inbox.shutdown()
        if self.sink is not None:
            self.session.remove_sink(self.sink)
            self.sink = None
        if self._owns_session:
            await self.session.close()
            log.info("stopped")


class TelegramStaffGroup:
    """The AlertSink that posts safety alerts to the trained staff's private Telegram group."""

    name = "telegram staff group"

    def __init__(self, channel: Signpost, chat_id: int) -> None:
        self.channel = channel
        self.chat_id = chat_id

    async def post(self, alert: Alert) -> None:
        await self.channel.send_text(None, self.chat_id, "\n".join(text_lines(
            format_alert(alert, LONDON))))


# ---------------------------------------------------------------- helpers


async def _result_within(fut: asyncio.Future[Any], seconds: float) -> Any:
    done, _ = await asyncio.wait({fut}, timeout=seconds)
    if not done:
        return None
    try:
        return fut.result()
    except Exception:
        return None


async def _answer_stray_button(update: Update) -> None:
    """A button pressed outside a private chat: stop its spinner and say where to talk."""
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer(PRIVATE_ONLY_TOAST)


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
                      session: Session | None = None,
                      flood: FloodPolicy = DEFAULT_FLOOD,
                      burst_window: float = BURST_WINDOW,
                      clock: Callable[[], float] = time.monotonic,
                      updater: bool = True,
                      ) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB Application with every handler wired; `signpost run` and the tests use it.

    `signpost run` passes its one Session (shared with the web chat) and, in webhook mode,
    updater=False: updates then arrive through `webhook_route` in the server's ASGI app,
    as in python-telegram-bot's custom-webhook example.
    """
    sp = Signpost(settings, live, session=session, flood=flood, burst_window=burst_window,
                  clock=clock)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # A small pool measured faster than PTB's default of 256 (docs/performance.md).
        .request(UpdatesRequest(HTTPXRequest(connection_pool_size=8), sp.inbox))
        .get_updates_request(UpdatesRequest(HTTPXRequest(), sp.inbox))
        .concurrent_updates(PerChatProcessor(on_done=sp.handled))
        .post_init(sp.post_init)
        .post_stop(sp.post_stop)
        .post_shutdown(sp.post_shutdown)
    )
    if not updater:
        builder = builder.updater(None)
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


def webhook_route(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings
                  ) -> Route:
    """The webhook as a route of the server's ASGI app (PTB's custom-webhook example)."""
    secret = (settings.webhook_secret or "").encode()

    async def telegram_update(request: Request) -> Response:
        """Check Telegram's secret header, then queue the update for the handlers."""
        given = request.headers.get("x-telegram-bot-api-secret-token", "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        try:
            data = await read_json(request, MAX_UPDATE_BYTES)
        except Rejected as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        # Kept in the inbox before the 200; unreadable or repeated updates come back as
        # empty stand-ins (logged once, answered 200 so Telegram does not resend them).
        for raw in await signpost_of(app).inbox.accept([data]):
            if len(raw) > 1:
                await app.update_queue.put(Update.de_json(raw, app.bot))
        return Response()

    return Route("/" + settings.webhook_path, telegram_update, methods=["POST"])


async def start(app: Application[Any, Any, Any, Any, Any, Any], settings: Settings) -> None:
    """Start Telegram inside a running server: polling, or the webhook registered."""
    sp = signpost_of(app)
    await app.initialize()
    await sp.post_init(app)
    if settings.webhook:
        await app.bot.set_webhook(settings.webhook_url or "",
                                  secret_token=settings.webhook_secret,
                                  allowed_updates=ALLOWED_UPDATES)
        log.info("Telegram: webhook mode, updates arrive at /%s", settings.webhook_path)
    else:
        assert app.updater is not None
        # Short long polls: a revoked token is noticed within about POLL_TIMEOUT seconds.
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT)
        log.info("Telegram: polling mode")
    await app.start()


async def stop(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Stop Telegram in the order PTB's run_polling uses."""
    sp = signpost_of(app)
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await sp.post_stop(app)
    await app.shutdown()
    await sp.post_shutdown(app)
