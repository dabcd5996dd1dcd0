"""Reply -> Telegram: HTML messages, inline keyboards and button callback data.

`TelegramOut` is the sending half of the Telegram channel (bot/channels/telegram.py is the
receiving half and builds on it). A reply's parts go out in order, safety first; each part
is HTML (bot/channels/telegram_html.py), split to fit, with its buttons on the last chunk.
Callback data is versioned ("1|action|flags") and kept within Telegram's 64 bytes: a longer
action is replaced by a short hash kept in memory (after a restart it is an "old button").
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application

from bot import routes
from bot.answered import Answered
from bot.channels.telegram_html import escape, pack, plain, render_part, text_lines
from bot.dialogue import Button, Reply
from bot.session import Conversation, Session

log = logging.getLogger(__name__)

CALLBACK_VERSION = "1"
MAX_CALLBACK_BYTES = 64
FEEDBACK_WAIT = 0.3  # seconds to wait for the turn id before sending without feedback
FEEDBACK_PROMPT = "Did this help?"


def unpack(data: str | None) -> tuple[str, str, set[str]]:
    """Callback data -> (version, action, flags); unknown versions give action ""."""
    parts = (data or "").split("|")
    version = parts[0]
    if version != CALLBACK_VERSION or len(parts) < 2:
        return version, "", set()
    return version, parts[1], set(parts[2:])


class TelegramOut:
    """Sends replies to Telegram chats; notes what was sent (for /hide and crash replies)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self.answered = Answered()  # chat id -> the update being handled; which had a reply
        self._aliases: dict[str, str] = {}

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
        """Short labels two to a row, long ones alone; `extra` rows last."""
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
        self.answered.replied(chat_id)
        if conv is not None:
            self.session.remember_message(conv, msg.message_id)
        return msg

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


async def _result_within(fut: asyncio.Future[Any], seconds: float) -> Any:
    done, _ = await asyncio.wait({fut}, timeout=seconds)
    if not done:
        return None
    try:
        return fut.result()
    except Exception:
        return None
