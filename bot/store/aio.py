"""AsyncStore: one Store and its one writer thread, for asyncio code (see bot.store).

Added for the session layer (issue 13). No SQL here: it runs Store's methods on the store's
one writer thread, so asyncio code never blocks and writes keep their order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bot.secretkey import parse_secret
from bot.store.log import Store

log = logging.getLogger("bot.store")

T = TypeVar("T")

class AsyncStore:
    """One Store and its one writer thread, for asyncio code. Never raises, like Store.

    `call` waits for the result; `submit` queues a write now (keeping its order with later
    calls) and returns a future the caller may wait on or ignore. When the store could not
    be opened at all, `store` is None and every call gives None.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signpost-store")

    @classmethod
    async def open(cls, data_dir: Path, secret: str | None = None) -> AsyncStore:
        """Open the log on the writer thread; without one (logged) if it cannot be opened."""
        def opener() -> Store | None:
            try:
                return Store.open(data_dir, secret=parse_secret(secret) if secret else None)
            except Exception:
                log.exception("could not open the conversation log in %s; answering "
                              "without it", data_dir)
                return None

        self = cls(None)
        self.store = await asyncio.get_running_loop().run_in_executor(self._io, opener)
        return self

    @staticmethod
    def _safe(fn: Callable[..., T], args: tuple[object, ...]) -> T | None:
        try:
            return fn(*args)
        except Exception as exc:  # a failing store never breaks a reply
            log.warning("conversation log: %s failed (%s)", getattr(fn, "__name__", "call"),
                        type(exc).__name__)
            return None

    def submit(self, name: str, *args: object) -> asyncio.Future[Any]:
        """Queue Store.<name>(*args) on the writer thread; a future of its result."""
        loop = asyncio.get_running_loop()
        if self.store is None:
            done: asyncio.Future[Any] = loop.create_future()
            done.set_result(None)
            return done
        return loop.run_in_executor(self._io, self._safe, getattr(self.store, name), args)

    async def call(self, name: str, *args: object) -> Any:
        """Store.<name>(*args) on the writer thread; None if it failed or there is no log."""
        return await self.submit(name, *args)

    def conversation_ref(self, channel: str, key: str) -> str | None:
        """The pseudonymous reference (a keyed hash, no I/O), or None without a store."""
        return self.store.conversation_ref(channel, key) if self.store is not None else None

    async def close(self) -> None:
        """Run every queued write, close the database and stop the writer thread."""
        store, self.store = self.store, None
        if store is not None:
            await asyncio.get_running_loop().run_in_executor(self._io, self._safe,
                                                             store.close, ())
        self._io.shutdown(wait=True)
