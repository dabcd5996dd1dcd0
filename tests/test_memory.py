"""Freed memory goes back to the system after an engine is built, and not too often."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot import memory

REPO = Path(__file__).resolve().parent.parent

_PROBE = """
from pathlib import Path
from bot import memory
from bot.catalogue import load_or_raise
from bot.dialogue import Engine

def rss():
    status = Path('/proc/self/status').read_text()
    return int(status.split('VmRSS:')[1].split()[0]) / 1024

engine = Engine(load_or_raise(Path('.')))
engine.respond('any boxing near me')
before = rss()
memory.release()
print(before, rss())
"""


def test_building_an_engine_leaves_memory_that_release_gives_back() -> None:
    """The learned layer trains on temporary arrays; after release() the process is
    smaller by megabytes (about 25 MB on glibc), not by a rounding error."""
    p = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                       cwd=REPO, timeout=120)
    assert p.returncode == 0, p.stderr
    before, after = map(float, p.stdout.split())
    assert before - after > 5, f"resident memory {before:.1f} MB -> {after:.1f} MB"


def test_the_steady_jobs_release_at_most_once_a_minute() -> None:
    now = [0.0]
    r = memory.Releaser(every=60, clock=lambda: now[0])
    done = []
    for t in (1, 30, 59.9, 60.5, 61, 119, 121):
        now[0] = t
        done.append(r.due())
    assert done == [False, False, False, True, False, False, True]


async def test_the_steady_jobs_release_off_the_event_loop() -> None:
    now = [0.0]
    r = memory.Releaser(every=60, clock=lambda: now[0])
    assert await r.maybe_async() is False
    now[0] = 61
    assert await r.maybe_async() is True  # glibc here: freed memory handed back
    assert await r.maybe_async() is False
