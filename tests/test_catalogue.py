"""The validator: every broken fixture gives its exact file:line message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.catalogue import load
from bot.cli import main
from tests.conftest import FIXTURES, REPO, WEDNESDAY_EVENING

BROKEN = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", BROKEN)
def test_broken_fixture_reports_file_line_and_fix(
    case: str, make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Each kind of mistake staff can make is reported as file:line:col with a fix."""
    root = make_catalogue(overlay=case)
    expected = (FIXTURES / "broken" / case / "expected.txt").read_text().strip()
    code = main(["validate", "--catalogue", str(root)])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == expected
    if "warning:" in expected:
        assert code == 0
        assert out[-1].startswith("OK:")
    else:
        assert code == 1
        assert "the bot will not use this catalogue" in out[-1]


def test_minimal_catalogue_is_clean(make_catalogue: Callable[..., Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A correct catalogue validates with exit 0 and a one-line summary."""
    code = main(["validate", "--catalogue", str(make_catalogue())])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert out == [out[0]] and out[0].startswith("OK: 3 services, 3 categories, 14 intents")


def test_shipped_catalogue_has_no_errors() -> None:
    """The catalogue we ship validates, with all 31 required intents."""
    cat, problems = load(REPO, today=WEDNESDAY_EVENING.date())
    assert cat is not None, "\n".join(map(str, problems))
    assert set(cat.intents) == {
        "emergency", "self_harm", "exploitation", "threatened", "report_crime", "arts",
        "sport", "mentoring", "gang_exit", "education", "youth_club", "worried_friend",
        "parent", "mental_health", "volunteer", "events", "greeting", "thanks", "goodbye",
        "bot_identity", "privacy", "help", "human", "abuse_at_home", "sexual_harm",
        "hurting_others", "weapon_carrying", "running_away", "bullying", "smalltalk",
        "insult",
    }


def test_shipped_catalogue_content_rules() -> None:
    """Enough services and examples, samples marked, every category covered."""
    cat, _ = load(REPO, today=WEDNESDAY_EVENING.date())
    assert cat is not None
    assert len(cat.services) >= 24
    for svc in cat.services.values():
        if svc.sample:
            assert all(p.number.startswith("020 7946 0") for p in svc.phones), svc.id
            assert not svc.url or "example.org" in svc.url, svc.id
    for cid in ("music", "drama", "dance", "visual_arts", "sport", "mentoring", "gang_exit",
                "education", "youth_club", "family_support", "mental_health"):
        assert any(s.status == "active" for s in cat.services_in(cid)), cid
    for intent in cat.intents.values():
        if intent.kind == "signpost":
            assert len(intent.examples) >= 30, intent.id
    assert any(s.is_past(WEDNESDAY_EVENING.date()) for s in cat.services.values())


def test_yaml_is_read_with_the_safe_loader(make_catalogue: Callable[..., Path],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A Python object tag in a file is refused, never constructed."""
    root = make_catalogue()
    path = root / "intents" / "sport.yaml"
    path.write_text(path.read_text() + "evil: !!python/object/apply:os.system ['echo hi']\n")
    code = main(["validate", "--catalogue", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "intents/sport.yaml:" in out and "could not determine a constructor" in out


def test_missing_catalogue_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Pointing at an empty folder names each missing file."""
    code = main(["validate", "--catalogue", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "settings.yaml:1:1: file is missing" in out
    assert "services.yaml:1:1: file is missing" in out
    assert "intents:1:1: folder is missing" in out
