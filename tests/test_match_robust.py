"""`signpost match --json` never loses a batch to bad bytes, and long lines cost bounded work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.dialogue import Engine
from bot.safety import EDGE, bounded

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


def test_a_huge_line_is_screened_at_its_start_and_end_in_bounded_time(engine: Engine) -> None:
    filler = "blah " * 20_000
    assert len(bounded(filler)) <= 2 * EDGE + 3
    for text in (f"i want to kill myself {filler}", f"{filler} i want to kill myself"):
        start = time.perf_counter()
        reply = engine.respond(text)
        assert reply.safety == "self_harm"
        assert time.perf_counter() - start < 2.0  # generous: about 0.1 s on a quiet machine
