"""How Telegram updates reach the bot: kept until answered, never lost, never logged.

    getUpdates response ──> UpdatesRequest.do_request ──┐
    webhook POST ─────> telegram_app.webhook_route ─────┤
                                                       v
                  Inbox.accept: each update parsed on its own
                    unparseable  -> one log line (update id and reason, never content),
                                    an empty stand-in so the offset still moves on
                    seen before  -> an empty stand-in (never answered twice)
                    new          -> sealed into the store's inbox BEFORE Telegram is told
                                    it arrived (the next getUpdates offset, or the webhook's
                                    200), then handed to PTB
    handled (answered, or deliberately ignored) -> Inbox.done clears the stored content
                  (a message held in a burst: once the burst's reply has gone out)
    next start -> Inbox.replay queues whatever was never answered: safety first, then
                  oldest first

If the store cannot keep an update (full disk, locked database) it is still answered, just
not durably: answering comes first. A 401 from Telegram while running (the token was
revoked) calls `on_revoked`, which `signpost run` uses to stop with a clear message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("bot.channels.telegram")

CHANNEL = "telegram"
SEEN_IN_MEMORY = 5000  # update ids remembered when there is no store


def _update_id(raw: object) -> int | None:
    if isinstance(raw, dict):
        value = raw.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def parse_problem(raw: dict[str, Any]) -> str | None:
    """Why python-telegram-bot cannot read this update, or None if it can.

    The reason names only the kind of update and the library's complaint about missing
    fields, never a value from the update.
    """
    try:
        Update.de_json(raw, None)
    except Exception as exc:
        kinds = [k for k in raw if k != "update_id"]
        kind = kinds[0] if kinds and re.fullmatch(r"[a-z_]{1,40}", kinds[0]) else "unknown"
        missing = re.search(r"missing \d+ required (?:keyword-only |positional )?"
                            r"arguments?: ((?:'\w+'(?:,? and |, )?)+)", str(exc))
        if missing is None:
            missing = re.search(r"(`\w+`) is a required argument", str(exc))
        detail = f", missing {missing.group(1)}" if missing else ""
        return f"{type(exc).__name__} in a {kind!r} update{detail}"
    return None


def safety_first(pending: list[tuple[int, dict[str, Any]]],
                 is_safety: Callable[[str], bool]) -> list[tuple[int, dict[str, Any]]]:
    """Replay order: updates whose text the safety screen flags first, each group oldest first."""
    def text_of(raw: dict[str, Any]) -> str:
        for key in ("message", "edited_message"):
            msg = raw.get(key)
            if isinstance(msg, dict):
                text = msg.get("text") or msg.get("caption") or ""
                return text if isinstance(text, str) else ""
        return ""

    def flagged(raw: dict[str, Any]) -> bool:
        text = text_of(raw)
        if not text:
            return False
        try:
            return is_safety(text)
        except Exception:
            return True

    marks = [(not flagged(raw), update_id, raw) for update_id, raw in pending]
    return [(update_id, raw) for _, update_id, raw in sorted(marks, key=lambda m: m[:2])]


class Inbox:
    """Accepted updates, kept durably (sealed, in the store) until they have been handled."""

    def __init__(self, channel: str = CHANNEL) -> None:
        self.channel = channel
        self.store: Store | None = None
        self.on_revoked: Callable[[], None] | None = None
        # Its own thread: keeping an update must never wait behind the log's writes.
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signpost-inbox")
        self._kept: set[int] = set()  # ids stored now, to be cleared when handled
        self._seen: OrderedDict[int, None] = OrderedDict()  # used only without a store
        self._done: set[int] = set()  # handled, waiting to be cleared in one write
        self._flush: asyncio.Task[None] | None = None

    def attach(self, store: Any) -> None:
        """Use this store (a bot.store.Store) for keeping updates; others are ignored."""
        self.store = store if hasattr(store, "inbox_accept") else None

    async def _in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._io, fn, *args)
        except Exception as exc:  # the store never raises, but answering comes first
            log.warning("inbox: %s failed (%s)", getattr(fn, "__name__", "call"),
                        type(exc).__name__)
            return None

    async def accept(self, raw_updates: list[Any]) -> list[dict[str, Any]]:
        """The updates PTB should see, after keeping the new ones durably."""
        readable: list[tuple[int, dict[str, Any]]] = []
        for raw in raw_updates:
            update_id = _update_id(raw)
            if update_id is None:
                log.warning("skipped an update without a valid update id")
                continue
            problem = parse_problem(raw)
            if problem is not None:
                log.warning("update %d skipped: the library cannot read it (%s); the rest "
                            "are answered as usual", update_id, problem)
                continue
            readable.append((update_id, raw))
        fresh = await self._keep(readable)
        out: list[dict[str, Any]] = []
        for raw in raw_updates:
            update_id = _update_id(raw)
            if update_id is None:
                continue
            if update_id in fresh:
                out.append(raw)
            else:  # unreadable or already received: a stand-in keeps the offset moving
                out.append({"update_id": update_id})
        return out

    async def _keep(self, readable: list[tuple[int, dict[str, Any]]]) -> set[int]:
        if not readable:
            return set()
        ids = {update_id for update_id, _ in readable}
        fresh: set[int] | None = None
        if self.store is not None:
            rows = [(update_id, json.dumps(raw, separators=(",", ":")).encode())
                    for update_id, raw in readable]
            fresh = await self._in_thread(self.store.inbox_accept, self.channel, rows)
            if fresh is not None:
                self._kept |= fresh
        if fresh is None:  # no store, or it cannot write now: still never answer twice
            fresh = {i for i in ids if i not in self._seen}
        for update_id in ids:
            self._seen[update_id] = None
        while len(self._seen) > SEEN_IN_MEMORY:
            self._seen.popitem(last=False)
        for update_id in sorted(ids - fresh):
            log.info("update %d was received before; not answering it twice", update_id)
        return fresh

    async def done(self, update: object) -> None:
        """The update has been handled: clear its stored content."""
        await self.done_id(getattr(update, "update_id", None))

    async def done_id(self, update_id: object) -> None:
        """The update with this id has been handled: clear its stored content."""
        if not isinstance(update_id, int) or update_id not in self._kept:
            return
        self._kept.discard(update_id)
        self._done.add(update_id)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.ensure_future(self._clear_done())

    async def _clear_done(self) -> None:
        """Clear handled updates in batches (one write for many, never one per reply)."""
        while self._done and self.store is not None:
            batch, self._done = sorted(self._done), set()
            if not await self._in_thread(self.store.inbox_done, self.channel, batch):
                self._done.update(batch)  # busy or broken: try again shortly
                await asyncio.sleep(1.0)

    async def drain(self) -> None:
        """Wait for handled updates to be cleared (at shutdown)."""
        if self._flush is not None:
            await asyncio.gather(self._flush, return_exceptions=True)

    async def replay(self, queue: asyncio.Queue[object], bot: Any,
                     is_safety: Callable[[str], bool]) -> int:
        """Queue every update kept but never answered (safety first); how many."""
        if self.store is None:
            return 0
        stored = await self._in_thread(self.store.inbox_pending, self.channel) or []
        pending: list[tuple[int, dict[str, Any]]] = []
        for update_id, payload in stored:
            try:
                raw = json.loads(payload)
                update = Update.de_json(raw, bot)
            except Exception as exc:
                log.warning("update %d from the inbox cannot be read (%s); dropped",
                            update_id, type(exc).__name__)
                await self._in_thread(self.store.inbox_done, self.channel, [update_id])
                continue
            if update is not None:
                pending.append((update_id, raw))
        for update_id, raw in safety_first(pending, is_safety):
            self._kept.add(update_id)
            self._seen[update_id] = None
            await queue.put(Update.de_json(raw, bot))
        if pending:
            log.info("answering %d message(s) that arrived before the last stop but were "
                     "never answered", len(pending))
        return len(pending)

    def shutdown(self) -> None:
        self._io.shutdown(wait=True)


class UpdatesRequest(BaseRequest):
    """Wraps PTB's HTTP request: getUpdates answers go through the inbox; 401 is reported.

    Every other call passes straight through.
    """

    def __init__(self, inner: BaseRequest, inbox: Inbox) -> None:
        self.inner = inner
        self.inbox = inbox

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = DEFAULT_NONE,
                         write_timeout: ODVInput[float] = DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = DEFAULT_NONE) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(
            url, method, request_data, read_timeout=read_timeout, write_timeout=write_timeout,
            connect_timeout=connect_timeout, pool_timeout=pool_timeout)
        endpoint = url.rsplit("/", 1)[-1]
        if code == 401 and endpoint != "getMe" and self.inbox.on_revoked is not None:
            self.inbox.on_revoked()
            if endpoint == "getUpdates":
                # An empty answer, not InvalidToken: PTB's polling task would die with it and
                # then break the orderly shutdown (the log would not be closed).
                await asyncio.sleep(0.5)
                return 200, b'{"ok":true,"result":[]}'
        if endpoint != "getUpdates" or not 200 <= code <= 299:
            return code, payload
        try:
            body = json.loads(payload)
        except ValueError:
            return code, payload  # PTB reports a broken response (its log line is scrubbed)
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            return code, payload
        body["result"] = await self.inbox.accept(body["result"])
        return code, json.dumps(body).encode()
