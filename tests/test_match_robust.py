"""`signpost match --json` never loses a batch to bad bytes, and long lines cost bounded work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialogue import Engine
from bot.safety import EDGE, Screen, bounded
from bot.text import Normaliser

REPO = Path(__file__).resolve().parent.parent


def _match(stdin: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    return subprocess.run([sys.executable, "-m", "bot", "match", "--json"], input=stdin,
                          capture_output=True, cwd=REPO, env={**base, **env}, timeout=120)


def test_an_invalid_byte_becomes_a_replacement_character_and_the_line_is_answered() -> None:
    for env in ({"LC_ALL": "C.UTF-8"}, {"LC_ALL": "C", "PYTHONUTF8": "0"}):
        p = _match(b"any boxing \xff\xfe clubs\ni want to die\n", **env)
        assert p.returncode == 0, p.stderr.decode()
        rows = [json.loads(line) for line in p.stdout.decode().splitlines()]
        assert [r["text"] for r in rows] == ["any boxing \ufffd\ufffd clubs", "i want to die"]
        assert rows[1]["safety"] is True


def test_a_huge_line_is_screened_at_its_start_and_end_with_bounded_work(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100,000-character message is read only at its two edges: the screen and the
    normaliser never see more than about 8,000 characters, and the disclosure at either
    end is still found (the work done is checked, not the time taken)."""
    filler = "blah " * 20_000
    assert len(bounded(filler)) <= 2 * EDGE + 3
    seen: list[int] = []
    real_views, real_normalise = Screen.views, Normaliser.normalise

    def views(self: Screen, text: str, norm: object = None) -> list[str]:
        seen.append(len(text))
        return real_views(self, text, norm)  # type: ignore[arg-type]

    def normalise(self: Normaliser, text: str) -> object:
        seen.append(min(len(text), 4096))  # the normaliser reads at most 4,096 characters
        return real_normalise(self, text)

    monkeypatch.setattr(Screen, "views", views)
    monkeypatch.setattr(Normaliser, "normalise", normalise)
    for text in (f"i want to kill myself {filler}", f"{filler} i want to kill myself"):
        seen.clear()
        reply = engine.respond(text)
        assert reply.safety == "self_harm"
        assert seen and max(seen) <= 2 * EDGE + 3
        assert sum(seen) < 8 * EDGE, f"{len(seen)} reads, {sum(seen)} characters in all"
