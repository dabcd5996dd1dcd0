"""The Telegram channel: Telegram updates become session calls.

`Signpost` receives: each handler turns an update into an `Event` for `Session.handle`
(bot/session.py), which decides what to answer and hands the reply back through `send`.
The sending half (a `Reply` as HTML messages and inline keyboards) is `TelegramOut` in
bot/channels/telegram_send.py; building and running python-telegram-bot's Application
(polling or webhook, handler order, the lifecycle) is bot/channels/telegram_app.py's; how
updates arrive (a sealed inbox, replay after a crash, a revoked token noticed) is
bot/channels/telegram_updates.py's.

What stays here is about Telegram itself: group chats (answered once, then ignored), /hide
(deleting recent messages), feedback buttons, admin commands, and the error handler, which
logs without text, token or ids and still answers a young person with 999.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import routes
from bot.alerts import AlertSink
from bot.answered import crash_texts
from bot.channels.telegram_html import escape, pack, text_lines
from bot.channels.telegram_send import CALLBACK_VERSION, TelegramOut, unpack
from bot.channels.telegram_updates import Inbox
from bot.config import Settings
from bot.conversation import mask
from bot.jobs import Jobs
from bot.live import LiveCatalogue
from bot.session import (
    BURST_WINDOW,
    DEFAULT_FLOOD,
    SLOW_DOWN,
    Conversation,
    Event,
    FloodPolicy,
    Outgoing,
    Session,
)

__all__ = ["SLOW_DOWN", "FloodPolicy", "Signpost"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ENGINE_COMMANDS = ("start", "help", "services", "privacy", "human")
ADMIN_COMMANDS = ("reload", "catalogue")

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
FEEDBACK_THANKS = "Thanks for telling me."
SLOW_DOWN_TOAST = "Slow down a little, then try again."


class Signpost(TelegramOut):
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
        self.owns_session = session is None  # built by the tests; `signpost run` passes one
        super().__init__(session or Session(live, flood=flood, burst_window=burst_window,
                                            clock=clock, now=now))
        self.settings = settings
        self.live = live
        self.jobs = Jobs(self.session, settings.retention_days, self.tell_admins)
        self.tasks: list[asyncio.Task[None]] = []  # the jobs, when this channel runs them
        self.sink: AlertSink | None = None  # the staff-group AlertSink (telegram_app.py)
        self.inbox = Inbox(CHANNEL)
        self._groups_told: set[int] = set()
        self._held: dict[int, list[int]] = {}  # chat id -> update ids held in a burst

    def conversation(self, chat_id: int) -> Conversation:
        return self.session.conversation(CHANNEL, str(chat_id))

    # ------------------------------------------------------------ the session's side

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

    async def handle(self, update: Update, event: Event) -> str:
        """Hand one event to the session; tell a pressed button when it was skipped."""
        status = await self.session.handle(self, str(_chat_id(update)), event)
        if status == "held":  # answered with the burst: keep it in the inbox until then
            self._held.setdefault(_chat_id(update), []).append(update.update_id)
        if status == "skipped" and update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer(SLOW_DOWN_TOAST)
        return status

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
        self.answered.handling(chat.id, update.update_id)
        if update.message is not None:
            self.session.remember_message(self.conversation(chat.id),
                                          update.message.message_id)

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
        if user is None or user.id not in self.settings.telegram.admin_ids:
            await self.on_text(update, context)
            return
        msg = update.effective_message
        assert msg is not None
        name = _command_name(msg.text or "")
        text = await self.jobs.admin_report(name)
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
        if self.answered.answered(update.update_id):
            return
        try:
            body = "\n".join(line for t in crash_texts(text) for line in text_lines(t))
            await self.send_text(None, update.effective_chat.id, body)
        except TelegramError as exc:
            log.error("could not send the error reply (%s)", type(exc).__name__)

    # ------------------------------------------------------------ staff

    async def tell_admins(self, text: str) -> None:
        chat = self.settings.telegram.admin_chat_id
        if chat is None:
            log.warning("%s", text)
            return
        try:
            for chunk in pack(text_lines(text)):
                await self.send_text(None, chat, chunk)
        except TelegramError as exc:
            log.error("could not post to the admin chat (%s)", type(exc).__name__)


# ---------------------------------------------------------------- helpers


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
    return mask(trace, secrets_)
