"""Handing freed memory back to the operating system.

glibc keeps freed heap pages for reuse, so a long-running process's resident memory stays at
its high-water mark: building an engine (the learned safety layer trains on temporary
arrays) leaves about 25 MB behind, and a busy hour leaves more. `malloc_trim(0)` returns
what is free. Where the C library is not glibc (musl, macOS) this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import time
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0  # at most this often from the steady jobs


@lru_cache(maxsize=1)
def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release() -> bool:
    """Collect cycles and give free heap pages back; False where that is not possible."""
    gc.collect()
    trim = _trim()
    if trim is None:
        return False
    try:
        trim(0)
    except Exception:  # never let housekeeping hurt a conversation
        log.exception("could not return free memory to the system")
        return False
    return True


class Releaser:
    """`release()` at most once every `every` seconds, for a job that runs more often."""

    def __init__(self, every: float = EVERY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last = clock()

    def due(self) -> bool:
        """Whether it is time to release again (and, if so, the clock starts over)."""
        now = self.clock()
        if now - self._last < self.every:
            return False
        self._last = now
        return True

    async def maybe_async(self) -> bool:
        """release() when due, off the event loop: collecting and trimming take milliseconds."""
        return self.due() and await asyncio.to_thread(release)
