"""What every channel shares: conversations, bursts, asking the engine, the log, alerts, forget.

A channel only translates. For every incoming message or button it calls
`Session.handle(channel, key, event)`; the session decides when and what to answer and
hands each reply back through `channel.send(key, out)`. `key` is the channel's own name
for a conversation (a Telegram chat id, a web conversation token); it never leaves memory:
the log sees only the pseudonymous reference the store derives from it.

What happens to a message, in order:

    flood limit     more than `FloodPolicy.per_minute` messages in a minute is abuse, not
                    typing: the excess is skipped, and the person is told so once (never
                    silently); a message the safety screen flags always gets through
    burst merging   a message that arrives within `burst_window` seconds of the previous
                    one is held, and every held message is answered as one turn once the
                    conversation has been quiet for `burst_window` seconds (at most
                    `max_hold` after the first); a held disclosure is answered at once
    ask the engine  and if even that fails, the crash reply (999, or the floor's safety reply)
    log the turn    on the store's writer thread; the reply never waits for the disk
    alert staff     at most once per conversation per 10 minutes, then through every
                    AlertSink, each on its own queue (bot/alert_router.py): a slow or
                    failing sink delays neither the reply nor another sink

The first message of a quiet conversation is answered straight away, so burst merging
costs nothing to a person who waits for each answer.

The words channels and the session exchange (Event, Outgoing, Channel, Conversation) and
the flood limit are bot/conversation.py's; channels import them from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from bot import routes
from bot.alert_router import AlertRouter
from bot.alerts import Alert, AlertLimiter, AlertSink
from bot.conversation import (
    DEFAULT_FLOOD,
    SLOW_DOWN,
    Channel,
    Conversation,
    Event,
    FloodPolicy,
    Outgoing,
    Status,
    log_failure,
    log_text,
    notice,
    within_limit,
)
from bot.dialogue import Button, ChatState, Engine, Reply, crash_reply
from bot.live import LiveCatalogue
from bot.safety import floor_screen
from bot.store import FORGET_FAILED, AsyncStore

# Channels import these from here: the session is their one door.
__all__ = ["BURST_WINDOW", "DEFAULT_FLOOD", "FORGET_DONE", "FORGET_LATER", "FORGET_NOTHING",
           "MAX_CONVERSATIONS", "NOT_TEXT", "SLOW_DOWN", "Channel", "Conversation", "Event",
           "FloodPolicy", "Outgoing", "Session", "Status", "notice"]

log = logging.getLogger(__name__)

BURST_WINDOW = 1.5  # seconds: messages this close together are one turn
MAX_HOLD = 4.0  # seconds: a held burst is answered at the latest this long after it began
MAX_MERGED_CHARS = 8000  # a merged turn longer than this keeps its first part only
MAX_CONVERSATIONS = 10_000  # ~4 KB each in memory; least recently used dropped first
MAX_SHARED_CHOICES = 2_000  # distinct button sets kept for sharing between conversations
IDLE_SECONDS = 2 * 3600.0  # a conversation quiet this long is forgotten (memory only)
CLOSE_GRACE = 5.0  # seconds background work (alerts) may take when the server stops
HIDE_WINDOW = dt.timedelta(hours=48)

NOT_TEXT = ("I can only read typed messages. Could you type what you're looking for, in "
            "your own words? Or pick from the menu below.\n" + routes.EMERGENCY_LINE)
FORGET_DONE = ("Done: I erased {n} message(s) from this chat's log, and forgot the age and "
               "area you told me. /privacy explains what is kept.")
FORGET_NOTHING = ("Nothing from this chat is stored in my log, so there is nothing to erase. "
                  "I've forgotten the age and area you told me. /privacy has the details.")
FORGET_LATER = ("I couldn't erase the log this very moment, so it will be erased "
                "automatically as soon as possible. You don't need to do anything else.")


# ---------------------------------------------------------------- the session


class Session:
    """Conversations of every channel, one live catalogue, one store, every alert sink."""

    def __init__(self, live: LiveCatalogue, store: AsyncStore | None = None, *,
                 sinks: list[AlertSink] | None = None,
                 flood: FloodPolicy = DEFAULT_FLOOD,
                 burst_window: float = BURST_WINDOW, max_hold: float = MAX_HOLD,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self.live = live
        self.store = store or AsyncStore(None)
        self.router = AlertRouter(sinks or [])
        self.flood = flood
        self.burst_window = burst_window
        self.max_hold = max_hold
        self.clock = clock
        self.now = now
        self.alerts = AlertLimiter()
        self._conversations: OrderedDict[tuple[str, str], Conversation] = OrderedDict()
        self._ref_key = secrets.token_bytes(32)  # only used when there is no store
        self._tasks: set[asyncio.Task[Any]] = set()
        self._choices: dict[tuple[Button, ...], tuple[Button, ...]] = {}

    # ------------------------------------------------------------ conversations

    def engine(self) -> Engine:
        return self.live.engine

    def conversation(self, channel: str, key: str) -> Conversation:
        """The conversation for this channel and key, created on first use."""
        conv = self._conversations.get((channel, key))
        if conv is not None:
            self._conversations.move_to_end((channel, key))
            return conv
        ref = self.store.conversation_ref(channel, key) or self._fallback_ref(channel, key)
        conv = Conversation(channel=channel, key=key, ref=ref, last_seen=self.clock())
        self._conversations[(channel, key)] = conv
        while len(self._conversations) > MAX_CONVERSATIONS:
            _, old = self._conversations.popitem(last=False)
            if old.timer is not None:
                old.timer.cancel()
        return conv

    def find(self, channel: str, key: str) -> Conversation | None:
        """The conversation if it exists (without creating one)."""
        return self._conversations.get((channel, key))

    def expire_idle(self, idle: float = IDLE_SECONDS) -> int:
        """Forget conversations quiet for `idle` seconds (their memory only: age, area,
        buttons); how many. The log is not touched: retention handles that."""
        cutoff = self.clock() - idle
        old = [k for k, c in self._conversations.items()
               if c.last_seen < cutoff and not c.held and not c.lock.locked()]
        for k in old:
            self.drop(*k)
        return len(old)

    def drop(self, channel: str, key: str) -> None:
        """Forget a conversation's memory entirely (its state and any held messages)."""
        conv = self._conversations.pop((channel, key), None)
        if conv is not None and conv.timer is not None:
            conv.timer.cancel()

    def _shared(self, choices: tuple[Button, ...]) -> tuple[Button, ...]:
        """One copy of each set of buttons for all conversations (the menu's 26 buttons
        were most of a conversation's memory)."""
        shared = self._choices.setdefault(choices, choices)
        if len(self._choices) > MAX_SHARED_CHOICES:
            self._choices.clear()
        return shared

    def _fallback_ref(self, channel: str, key: str) -> str:
        msg = f"{channel}\x1f{key}".encode()
        return "c-" + hmac.new(self._ref_key, msg, hashlib.sha256).hexdigest()[:12]

    # ------------------------------------------------------------ the entry point

    async def handle(self, channel: Channel, key: str, event: Event) -> Status:
        """Every channel calls this for every incoming message or button.

        Returns "answered" (a reply was sent), "held" (merged into a burst that will be
        answered shortly) or "skipped" (flood limit; the person has been told).
        """
        conv = self.conversation(channel.name, key)
        now = self.clock()
        conv.last_seen = now
        # The safety screen runs here only when its answer changes what happens (over the
        # limit, or holding a burst); the engine screens every message it answers anyway.
        over = not within_limit(conv, event, now, self.flood)
        if over and not (event.kind == "text" and self.is_safety(event.text)):
            conv.skipped += 1
            if not conv.warned:
                conv.warned = True
                log.info("conversation %s is sending more than %d messages a minute; "
                         "skipping the excess", conv.ref, self.flood.per_minute)
                await channel.send(key, Outgoing(notice(SLOW_DOWN, conv.state), notice=True))
            return "skipped"
        if event.kind == "text":
            recent = now - conv.last_arrival < self.burst_window
            conv.last_arrival = now
            if conv.held or recent:
                return await self._hold(channel, conv, event.text, self.is_safety(event.text))
            async with conv.lock:
                await self._answer(channel, conv, event, event.text)
            return "answered"
        await self.flush(channel, conv)
        async with conv.lock:
            await self._answer(channel, conv, event, log_text(event))
        return "answered"

    # ------------------------------------------------------------ bursts

    async def _hold(self, channel: Channel, conv: Conversation, text: str,
                    safety: bool) -> Status:
        if not conv.held:
            conv.held_since = self.clock()
        conv.held.append(text)
        conv.replies_to = channel
        if conv.timer is not None:
            conv.timer.cancel()
            conv.timer = None
        if safety:
            await self.flush(channel, conv)  # a disclosure is never kept waiting
            return "answered"
        wait = min(self.burst_window, conv.held_since + self.max_hold - self.clock())
        loop = asyncio.get_running_loop()
        conv.timer = loop.call_later(max(0.0, wait), self._flush_later, channel, conv)
        return "held"

    def _flush_later(self, channel: Channel, conv: Conversation) -> None:
        conv.timer = None
        self.background(self.flush(channel, conv))

    async def flush(self, channel: Channel, conv: Conversation) -> None:
        """Answer a held burst now, as one turn (nothing happens if nothing is held)."""
        if conv.timer is not None:
            conv.timer.cancel()
            conv.timer = None
        async with conv.lock:
            if not conv.held:
                return
            texts, conv.held = conv.held, []
            merged = "\n".join(texts)
            if len(merged) > MAX_MERGED_CHARS:
                merged = merged[:MAX_MERGED_CHARS]
            try:
                await self._answer(channel, conv, Event("text", merged), merged,
                                   merged_count=len(texts))
            except Exception:  # in the background nobody else will answer: do it here
                log_failure("could not answer a burst; sending the crash reply", conv,
                            merged)
                with contextlib.suppress(Exception):
                    await channel.send(conv.key, Outgoing(crash_reply(merged, conv.state)))

    # ------------------------------------------------------------ answering

    def is_safety(self, text: str) -> bool:
        """Whether the safety screen flags a message; True when in doubt."""
        try:
            return self.engine().analyse(text)[2].fired
        except Exception:
            try:
                return floor_screen(text).fired
            except Exception:
                return True

    def ask(self, conv: Conversation, event: Event) -> Reply:
        """The engine's reply; if even that fails, the crash reply (999, or the floor's)."""
        engine = self.engine()
        try:
            if event.kind == "text":
                return engine.respond(event.text, conv.state)
            if event.kind == "button":
                return engine.act(event.text, conv.state)
            if event.kind == "command":
                return engine.command(event.text, conv.state)
            if event.kind == "location":
                here = replace(conv.state, location=event.location)
                return replace(engine.nearest(here), state=replace(conv.state, location=None))
            return replace(engine.act("menu", conv.state), text=NOT_TEXT, kind="menu")
        except Exception:
            log_failure(f"engine failed on a {event.kind}", conv, event.text)
            return crash_reply(event.text if event.kind == "text" else "", conv.state)

    async def _answer(self, channel: Channel, conv: Conversation, event: Event,
                      logged: str, merged_count: int = 1) -> None:
        reply = self.ask(conv, event)
        await self.deliver(channel, conv, reply, logged, alert=event.kind == "text",
                           merged=merged_count)

    async def deliver(self, channel: Channel, conv: Conversation, reply: Reply, logged: str,
                      *, log_turn: bool = True, alert: bool = False, merged: int = 1) -> None:
        """Remember the new state, log the turn, alert staff if needed, send the reply."""
        conv.state = replace(reply.state, location=None,
                             choices=self._shared(reply.state.choices))
        turn: asyncio.Future[Any] | None = None
        if log_turn:
            stored = replace(reply, state=conv.state)
            turn = self.store.submit("log_turn", conv.ref, channel.name, logged, stored,
                                     self.now())
        intent = next((p.safety for p in reply.all_parts() if p.safety), None)
        if alert and intent is not None:
            self.raise_alert(conv.ref, intent, logged)
        await channel.send(conv.key, Outgoing(reply, turn, merged))

    # ------------------------------------------------------------ alerts

    @property
    def sinks(self) -> list[AlertSink]:
        """Every alert route in use (change them with add_sink / remove_sink)."""
        return self.router.sinks

    def add_sink(self, sink: AlertSink) -> None:
        self.router.add(sink)

    def remove_sink(self, sink: AlertSink) -> None:
        self.router.remove(sink)

    def raise_alert(self, ref: str, intent: str, text: str) -> None:
        """Tell staff through every sink; at most one alert per conversation per window."""
        if not self.router.sinks:
            return
        self.background(self._raise_alert(ref, intent, text, self.now()))

    async def _raise_alert(self, ref: str, intent: str, text: str, at: dt.datetime) -> None:
        # Redaction runs in its own threads: a long message never holds up anyone's reply
        # (nor the loop's default executor, which name lookups need).
        loop = asyncio.get_running_loop()
        redacted = await loop.run_in_executor(_REDACTOR, _redact, text)
        alert = self.alerts.trigger(ref, intent, at, redacted)
        if alert is not None:
            self.router.send(alert)

    async def post_alert(self, alert: Alert) -> None:
        """Queue an alert for every sink (returns at once; the router logs failures)."""
        self.router.send(alert)

    async def flush_alerts(self) -> None:
        """Post the follow-ups for closed alert windows that counted further triggers."""
        for alert in self.alerts.flush(self.now()):
            await self.post_alert(alert)

    # ------------------------------------------------------------ forget, hide, feedback

    async def forget(self, conv: Conversation) -> str:
        """Erase this conversation's log and what the session remembers; the text to show."""
        if self.store.store is None:
            text = FORGET_NOTHING
        else:
            erased = await self.store.call("forget", conv.ref)
            if erased is None or erased == FORGET_FAILED or erased < 0:
                text = FORGET_LATER  # the store retries the erase itself
            elif erased == 0:
                text = FORGET_NOTHING
            else:
                text = FORGET_DONE.format(n=erased)
        conv.state = ChatState()
        conv.held = []
        self.alerts.forget(conv.ref)
        log.info("forget for %s", conv.ref)
        return text

    def remember_message(self, conv: Conversation, message_id: int) -> None:
        """Note a message id for hiding later (in the store, so it survives a restart)."""
        if self.store.store is not None:
            self.store.submit("remember_message", conv.ref, message_id, self.now())
            return
        cutoff = self.clock() - HIDE_WINDOW.total_seconds()
        conv.recent = [(m, t) for m, t in conv.recent if t >= cutoff]
        conv.recent.append((message_id, self.clock()))

    async def recent_messages(self, conv: Conversation) -> list[int] | None:
        """Message ids of this conversation from the last 48 hours; None if the log cannot
        be read now (so the channel can say it could not delete everything)."""
        if self.store.store is not None:
            ids = await self.store.call("recent_messages", conv.ref, self.now() - HIDE_WINDOW)
            return None if ids is None else list(ids)
        cutoff = self.clock() - HIDE_WINDOW.total_seconds()
        ids = [m for m, t in conv.recent if t >= cutoff]
        conv.recent = []
        return ids

    def hidden(self, conv: Conversation, message_ids: list[int]) -> None:
        """These messages were deleted: stop remembering them; start the chat afresh."""
        if message_ids:
            self.store.submit("drop_messages", conv.ref, message_ids)
        conv.state = ChatState()
        log.info("hid %d message(s) for %s", len(message_ids), conv.ref)

    async def feedback(self, conv: Conversation, turn_id: int, helpful: bool) -> bool:
        """Record 👍/👎 on a turn of this conversation; whether it was recorded."""
        return bool(await self.store.call("set_feedback", turn_id, conv.ref, helpful))

    # ------------------------------------------------------------ lifecycle

    def background(self, coro: Awaitable[Any]) -> None:
        """Run a coroutine without waiting for it; it is awaited at `close`."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush_all(self) -> None:
        """Answer every held burst now (a server stopping, while its channels still run)."""
        for conv in list(self._conversations.values()):
            if conv.held and conv.replies_to is not None:
                await self.flush(conv.replies_to, conv)

    async def close(self, grace: float = CLOSE_GRACE) -> None:
        """Answer every held burst, finish background work (alerts), close the store.

        Background work gets `grace` seconds: alerts queued behind Telegram's rate limit
        must not keep a stopping server up for minutes. What is left is logged, then
        cancelled.
        """
        await self.flush_all()
        deadline = asyncio.get_running_loop().time() + grace
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                log.error("stopping with %d background task(s) unfinished (staff alerts or "
                          "replies); they were cancelled", len(self._tasks))
                for task in list(self._tasks):
                    task.cancel()
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        left = deadline - asyncio.get_running_loop().time()
        await self.router.close(grace=max(0.0, left))
        await self.store.close()



# ---------------------------------------------------------------- helpers


_REDACTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="signpost-redact")


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
