"""Shared fixtures: the shipped catalogue, and throwaway copies of the test catalogues."""

from __future__ import annotations

import atexit
import copy
import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.alerts import Alert
from bot.catalogue import LONDON, load_or_raise
from bot.catalogue_types import Catalogue
from bot.dialogue import ChatState, Engine, Reply
from bot.live import LiveCatalogue

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DATA = Path(__file__).resolve().parent / "data"

# Trained safety models are cached on disk between runs (bot/safety_model.py); tests keep
# theirs in a throwaway directory, shared with the servers they start, never in ~/.cache.
if "SIGNPOST_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="signpost-test-cache-")
    os.environ["SIGNPOST_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

# A fixed moment so "open now", events and staleness don't drift: Wednesday 25 Nov 2026, 18:30.
WEDNESDAY_EVENING = dt.datetime(2026, 11, 25, 18, 30, tzinfo=LONDON)


@pytest.fixture(scope="session")
def shipped() -> Catalogue:
    """The catalogue in the repository, as the bot ships it."""
    return load_or_raise(REPO, today=WEDNESDAY_EVENING.date())


@pytest.fixture(scope="session")
def engine(shipped: Catalogue) -> Engine:
    """An engine over the shipped catalogue."""
    return Engine(shipped)


@pytest.fixture
def make_catalogue(tmp_path: Path) -> Callable[..., Path]:
    """Copy a test catalogue into tmp_path, optionally overlaying or deleting files."""

    def make(base: str = "minimal", overlay: str | None = None) -> Path:
        root = tmp_path / "catalogue"
        src = REPO if base == "shipped" else FIXTURES / base
        shutil.copytree(src / "intents", root / "intents")
        for name in ("settings.yaml", "services.yaml", "lexicon.yaml"):
            shutil.copy(src / name, root / name)
        if overlay:
            over = FIXTURES / "broken" / overlay
            for f in over.rglob("*"):
                if f.is_file() and f.name not in ("DELETE", "expected.txt"):
                    shutil.copy(f, root / f.relative_to(over))
            if (over / "DELETE").exists():
                (root / (over / "DELETE").read_text().strip()).unlink()
        return root

    return make


@pytest.fixture(scope="session")
def live() -> LiveCatalogue:
    """The shipped catalogue as a running server holds it (tests never change it)."""
    lc = LiveCatalogue(REPO)
    assert lc.catalogue is not None, [str(p) for p in lc.last_problems]
    return lc


def logged_turns(data: Path) -> list[dict[str, Any]]:
    """Every row of the conversation log in `data`, oldest first, read-only."""
    conn = sqlite3.connect(f"file:{data / 'signpost.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM turns ORDER BY id")]
    finally:
        conn.close()


class BrokenEngine(Engine):
    """An engine whose free-text answer always raises, quoting the message (as a careless
    exception might), so tests can check the crash reply and that logs do not quote it."""

    def respond(self, text: str, state: ChatState | None = None,
                now: dt.datetime | None = None) -> Reply:
        raise RuntimeError(f"boom on {text}")


def broken_live(live: LiveCatalogue) -> LiveCatalogue:
    """A copy of `live` whose engine crashes on every message."""
    broken = copy.copy(live)
    broken.engine = BrokenEngine(live.catalogue)
    return broken


@dataclass
class RecordingSink:
    """An AlertSink that keeps what it is given."""

    name: str = "test sink"
    posted: list[Alert] = field(default_factory=list)

    async def post(self, alert: Alert) -> None:
        self.posted.append(alert)
