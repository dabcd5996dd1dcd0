"""The signpost command: output and exit codes as a person sees them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import REPO


def run(*args: str, stdin: str = "", cwd: Path = REPO,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd, env=env, timeout=60)


def test_match_json_one_object_per_line_in_order(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """--json prints one object per stdin line, in order, empty lines included."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("any boxing near me\n\n   \ni want to die\n"))
    code = main(["match", "--json", "--catalogue", str(REPO)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 4
    objs = [json.loads(x) for x in lines]
    assert [o["text"] for o in objs] == ["any boxing near me", "", "   ", "i want to die"]
    assert objs[0]["intent"] == "sport" and objs[0]["safety"] is False
    assert objs[0]["services"] and all(isinstance(s, str) for s in objs[0]["services"])
    assert objs[1]["intent"] is None and objs[2]["intent"] is None
    assert objs[3]["safety"] is True and objs[3]["intent"] == "self_harm"
    for o in objs:
        assert set(o) == {"text", "intent", "score", "safety", "services", "alternatives"}
        assert 0 <= o["score"] <= 100
        assert all(set(a) == {"intent", "score"} for a in o["alternatives"])


def test_match_text_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    """TEXT arguments are matched and shown in a readable line each."""
    code = main(["match", "--catalogue", str(REPO), "youth club open tonight"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("youth_club")


def test_evaluate_reports_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """evaluate prints accuracy, per-intent scores, safety figures and misclassifications."""
    f = tmp_path / "set.yaml"
    f.write_text("- {text: any boxing, intent: sport}\n"
                 "- {text: whats the weather tomorrow, intent: smalltalk}\n"
                 "- {text: i want to kill myself, intent: self_harm}\n"
                 "- {text: any boxing gyms, intent: arts}\n"
                 "- {text: knife and fork or hands for wings, intent: none}\n")
    code = main(["evaluate", str(f), "--catalogue", str(REPO)])
    out = capsys.readouterr().out
    assert code == 0
    assert "accuracy:                    0.800" in out
    assert "safety recall:               1.000" in out
    assert "[arts -> sport" in out
    code = main(["evaluate", str(f), "--json", "--catalogue", str(REPO)])
    data = json.loads(capsys.readouterr().out)
    assert data["accuracy"] == 0.8 and data["out_of_scope_rejection"] == 1.0
    assert data["confusions"] == [{"expected": "arts", "predicted": "sport", "count": 1}]


def test_evaluate_bad_file_names_the_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed evaluation file is reported with file:line, exit 2."""
    f = tmp_path / "set.yaml"
    f.write_text("- {text: hi, intent: greeting}\n- just text\n")
    assert main(["evaluate", str(f), "--catalogue", str(REPO)]) == 2
    assert "set.yaml:2:3: [1]: needs text and intent" in capsys.readouterr().err


def test_catalogue_from_environment(make_catalogue: Callable[..., Path]) -> None:
    """SIGNPOST_CATALOGUE is used when --catalogue is not given."""
    root = make_catalogue()
    import os

    env = {**os.environ, "SIGNPOST_CATALOGUE": str(root)}
    r = run("validate", env=env, cwd=Path("/"))
    assert r.returncode == 0 and r.stdout.startswith("OK: 3 services")


def test_broken_catalogue_stops_chat_with_exit_2(make_catalogue: Callable[..., Path]) -> None:
    """A catalogue with errors is refused with every error and exit 2."""
    root = make_catalogue(overlay="bad_day")
    r = run("chat", "--catalogue", str(root), stdin="hi\n")
    assert r.returncode == 2
    assert '"MON" is not allowed here (did you mean "MO"?)' in r.stderr
    assert "signpost validate" in r.stderr


def test_chat_numbered_buttons_and_safety() -> None:
    """signpost chat shows numbered choices, picks one by number, answers disclosures."""
    r = run("chat", stdin="1\nany football\ni want to kill myself\n/quit\n")
    assert r.returncode == 0
    out = r.stdout
    assert "I'm Signpost, a bot" in out
    assert "  1. " in out
    assert "Samaritans" in out and "116 123" in out
    assert out.rstrip().endswith("Bye for now. In danger? Call 999.")


def test_no_command_prints_help() -> None:
    """Running signpost with no command lists the commands and exits 2."""
    r = run()
    assert r.returncode == 2 and "chat" in r.stdout and "validate" in r.stdout
