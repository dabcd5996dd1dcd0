"""Staff tools: explain, replay and lint, as staff see them in the terminal."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.catalogue import load_or_raise
from bot.cli import main
from bot.dialogue import Engine
from bot.store import Store

WEDNESDAY_EVENING = "2026-11-25 18:30"

EXTRA_SPORT = """
  - id: old-gym
    name: Old Gym
    organisation: Test Trust (sample)
    description: Closed for good.
    categories: [sport]
    status: inactive
    last_reviewed: 2026-11-01
    sample: true
  - id: summer-camp
    name: Summer Camp
    organisation: Test Trust (sample)
    description: Sport all summer.
    categories: [sport]
    start_date: 2026-08-01
    end_date: 2026-08-05
    status: active
    last_reviewed: 2026-11-01
    sample: true
  - id: senior-league
    name: Senior League
    organisation: Test Trust (sample)
    description: Football for older players.
    categories: [sport]
    minimum_age: 18
    maximum_age: 25
    status: active
    last_reviewed: 2026-11-01
    sample: true
  - id: north-boxing
    name: North Boxing
    organisation: Test Trust (sample)
    description: Boxing in the north.
    categories: [sport]
    areas: [N17]
    status: active
    last_reviewed: 2026-11-01
    sample: true
"""


@pytest.fixture
def sporty(make_catalogue: Callable[..., Path]) -> Path:
    """The minimal catalogue plus one sport service for each reason to leave one out."""
    root = make_catalogue()
    services = root / "services.yaml"
    services.write_text(services.read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA_SPORT,
                        encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # what the real command exits with
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


# ---------------------------------------------------------------- explain


def test_explain_shows_every_step(sporty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Normalising, scores, decision and each service shown or left out, with reasons."""
    code, out, _ = run(capsys, "explain", "any footy boxin near me", "--age", "15",
                       "--area", "e17", "--at", WEDNESDAY_EVENING, "--catalogue", str(sporty))
    assert code == 0
    assert 'Message: "any footy boxin near me"' in out
    assert 'Normalised: "any football boxing near me"' in out
    assert "footy -> football  (slang or variant from lexicon.yaml)" in out
    assert "boxin -> boxing  (spelling slip corrected to a word the catalogue uses)" in out
    assert "Details used: age 15, area E17" in out
    assert "Safety check: nothing fired." in out
    top = re.search(r"1\. sport +([\d.]+)  letters +([\d.]+)  words +([\d.]+)  cover +([\d.]+)",
                    out)
    assert top is not None
    assert 'closest example: "any football near me"' in out
    assert re.search(r"Decision \(threshold 50, margin 4\): answers sport: [\d.]+ is over the "
                     r"threshold 50 and [\d.]+ ahead of music", out)
    assert "Reply [answer] sport (intents/sport.yaml):\n  | Here is some sport." in out
    assert "Services shown (at Wed 25 Nov 2026 18:30):" in out
    assert "- Boxing Club [boxing-club]: open now, serves E17, age 15 fits" in out
    assert "- Old Gym [old-gym]: status is inactive" in out
    assert "- Summer Camp [summer-camp]: past event (ended 2026-08-05)" in out
    assert "- Senior League [senior-league]: wrong age: ages 18 to 25, and they are 15" in out
    assert "- North Boxing [north-boxing]: wrong area: serves N17, and they are in E17" in out


def test_explain_safety_reply_and_rules(sporty: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A disclosure shows which safety rules fired, loudly, and the safety reply."""
    code, out, _ = run(capsys, "explain", "i want to die", "--catalogue", str(sporty))
    assert code == 0
    assert "SAFETY CHECK FIRED: self_harm" in out
    assert 'self_harm: intents/self_harm.yaml rules.phrases matched "want to die"' in out
    assert "[safety intent]" in out
    assert "Decision (threshold 50, margin 4): SAFETY reply for self_harm" in out
    assert "Reply [safety] self_harm (intents/self_harm.yaml):" in out
    assert "Samaritans 116 123" in out


def test_explain_no_confident_answer(sporty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A message nothing matches says why the bot falls back to the menu."""
    code, out, _ = run(capsys, "explain", "what is the capital of peru",
                       "--catalogue", str(sporty))
    assert code == 0
    assert re.search(r"no confident answer: the best, \w+, scored [\d.]+, below the threshold "
                     r"50; the bot says sorry and shows the menu", out)
    assert "Reply [fallback]" in out


def test_explain_json(sporty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json has the same facts for tools: changes, candidates with components, services."""
    code, out, _ = run(capsys, "explain", "any footy near me", "--json", "--age", "20",
                       "--at", WEDNESDAY_EVENING, "--catalogue", str(sporty))
    assert code == 0
    e = json.loads(out)
    assert e["normalised"] == "any football near me"
    assert e["changes"] == [{"before": "footy", "after": "football",
                             "why": "slang or variant from lexicon.yaml"}]
    assert e["safety"] is None and e["age"] == 20 and e["area"] is None
    first = e["candidates"][0]
    assert first["intent"] == "sport" and first["example"] == "any football near me"
    assert {"score", "char", "word", "cover", "note", "safety"} <= set(first)
    assert first["note"] == "the message is one of this intent's examples"
    assert (e["threshold"], e["margin"]) == (50, 4)
    [part] = e["parts"]
    shown = {p["id"]: p["why"] for p in part["shown"]}
    left = {p["id"]: p["why"] for p in part["not_shown"]}
    assert "senior-league" in shown and "boxing-club" in left
    assert left["boxing-club"] == "wrong age: ages 13 to 19, and they are 20"


def test_explain_broken_catalogue_exits_2(make_catalogue: Callable[..., Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A catalogue with errors cannot be explained: every error is listed, exit 2."""
    root = make_catalogue("minimal", "impossible_time")
    code, _, err = run(capsys, "explain", "boxing", "--catalogue", str(root))
    assert code == 2
    assert 'services.yaml:19:19: services[0].schedules[0].opens_at: "25:00" is not a time' in err


# ---------------------------------------------------------------- replay


@pytest.fixture
def versions(make_catalogue: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path]:
    """An old catalogue and an edited copy: a new reply, a moved example, a new safety rule."""
    import shutil

    old = make_catalogue()
    new = tmp_path / "new"
    shutil.copytree(old, new)
    sport = new / "intents" / "sport.yaml"
    sport.write_text(sport.read_text(encoding="utf-8").replace(
        "Here is some sport.", "Sport is on every Monday."), encoding="utf-8")
    music = new / "intents" / "music.yaml"
    music.write_text(music.read_text(encoding="utf-8").replace(
        "  - is there a studio\n", "  - is there a studio\n  - any boxing studio for beats\n"),
        encoding="utf-8")
    threatened = new / "intents" / "threatened.yaml"
    threatened.write_text(threatened.read_text(encoding="utf-8").replace(
        "phrases: [threatened me]", "phrases: [threatened me, zorblax quuxed the flibber]"),
        encoding="utf-8")
    return old, new


MESSAGES = """\
- {text: "any football near me", intent: sport}
- {text: "any football near me", intent: sport}
- {text: "any boxing studio for beats", intent: music}
- {text: "the zorblax quuxed the flibber", intent: threatened}
- {text: "where can i record a song", intent: music}
"""


def test_replay_lists_changes_safety_first(versions: tuple[Path, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Changed answers are grouped old -> new with counts; safety changes come first."""
    old, new = versions
    f = tmp_path / "messages.yaml"
    f.write_text(MESSAGES, encoding="utf-8")
    code, out, _ = run(capsys, "replay", "--old", str(old), "--new", str(new), str(f),
                       "--at", WEDNESDAY_EVENING)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "4 of 5 messages would be answered differently (1 safety change(s))."
    assert lines[1].startswith("!!! SAFETY REPLIES CHANGE")
    groups = [line for line in lines if line and not line.startswith((" ", "!"))][1:]
    assert groups[0].startswith("SAFETY  ") and groups[0].endswith("-> threatened (safety): 1")
    assert "sport -> sport (same intent, different reply text): 2" in groups
    assert any(g.startswith("sport -> music: 1") or g.endswith("-> music: 1") for g in groups)
    assert '  - "the zorblax quuxed the flibber"  [labelled threatened: now right]' in lines
    assert '  - "any football near me" (x2)  [labelled sport]' in lines
    assert "where can i record a song" not in out  # unchanged answers are not listed


def test_replay_text_file_and_json(versions: tuple[Path, Path], tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A plain text file works too (one message a line); --json has the same groups."""
    old, new = versions
    f = tmp_path / "messages.txt"
    f.write_text("the zorblax quuxed the flibber\n\nwhere can i record a song\n",
                 encoding="utf-8")
    code, out, _ = run(capsys, "replay", "--old", str(old), "--new", str(new), str(f), "--json")
    assert code == 0
    r = json.loads(out)
    assert (r["messages"], r["changed"], r["safety_changed"]) == (2, 1, 1)
    [group] = r["groups"]
    assert group["safety"] is True and group["count"] == 1
    assert group["messages"][0]["new"]["safety"] == "threatened"
    assert group["messages"][0]["old"]["safety"] is None


def test_replay_from_log(versions: tuple[Path, Path], tmp_path: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
    """--from-log replays the redacted messages in the conversation log, not commands."""
    old, new = versions
    data = tmp_path / "data"
    engine = Engine(load_or_raise(old))
    with Store.open(data, b"k" * 32) as store:
        ref = store.conversation_ref("telegram", 42)
        for text in ("/start", "any football near me", "[button menu]",
                     "the zorblax quuxed the flibber 07700 900123"):
            store.log_turn(ref, "telegram", text, engine.respond(text))
    code, out, _ = run(capsys, "replay", "--old", str(old), "--new", str(new), "--from-log",
                       "--data-dir", str(data))
    assert code == 0
    assert out.startswith("2 of 2 messages would be answered differently (1 safety change(s)).")
    assert '"the zorblax quuxed the flibber [' in out  # listed as the log holds it:
    assert "07700" not in out  # redacted  # the log holds only redacted text
    assert "/start" not in out and "[button menu]" not in out


def test_replay_without_a_log_exits_2(versions: tuple[Path, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """No conversation log: a clear message and exit 2."""
    old, new = versions
    code, _, err = run(capsys, "replay", "--old", str(old), "--new", str(new), "--from-log",
                       "--data-dir", str(tmp_path / "nothing"))
    assert code == 2
    assert f"there is no conversation log at {tmp_path / 'nothing' / 'signpost.db'}" in err


def test_replay_needs_messages_and_good_catalogues(
        versions: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No FILE and no --from-log, or a broken version: exit 2 saying what to do."""
    old, new = versions
    code, _, err = run(capsys, "replay", "--old", str(old))
    assert code == 2 and "give a FILE of messages or --from-log" in err
    f = tmp_path / "m.txt"
    f.write_text("hello\n", encoding="utf-8")
    services = new / "services.yaml"
    services.write_text(services.read_text(encoding="utf-8").replace(
        "days: [MO, WE]", "days: [MON, WE]", 1), encoding="utf-8")
    code, _, err = run(capsys, "replay", "--old", str(old), "--new", str(new), str(f))
    assert code == 2
    line = line_of(services, "days: [MON, WE]")
    assert (f'services.yaml:{line}:16: services[0].schedules[0].days[0]: "MON" is not allowed '
            'here (did you mean "MO"?)') in err
    assert f"the new catalogue in {new} has errors" in err


# ---------------------------------------------------------------- lint


@pytest.fixture
def linty(sporty: Path) -> Path:
    """A catalogue with one of each lint finding."""
    services = sporty / "services.yaml"
    text = services.read_text(encoding="utf-8")
    text = text.replace("last_reviewed: 2026-11-01\n    sample: true\n  - id: beat-lab",
                        "last_reviewed: 2026-03-01\n    sample: true\n  - id: beat-lab", 1)
    text = text.replace("  - id: crisis_support\n",
                        "  - id: volunteering\n    title: Volunteering\n"
                        "  - id: crisis_support\n")
    text += """  - id: litter-pick
    name: Litter Pick
    organisation: Test Trust (sample)
    description: Help clean the park.
    categories: [volunteering]
    status: active
    last_reviewed: 2026-11-01
    sample: true
"""
    services.write_text(text, encoding="utf-8")
    music = sporty / "intents" / "music.yaml"
    music.write_text(music.read_text(encoding="utf-8").replace(
        "  - is there a studio\n", "  - is there a studio\n  - where can i do boxin\n"),
        encoding="utf-8")
    return sporty


def test_lint_reports_each_kind_with_file_line_and_fix(
        linty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Grouped findings, one line each as file:line: message (how to fix); exit 0."""
    code, out, _ = run(capsys, "lint", "--catalogue", str(linty), "--today", "2026-11-25")
    assert code == 0
    services = linty / "services.yaml"
    music_line = line_of(linty / "intents" / "music.yaml", "where can i do boxin")
    sport_line = line_of(linty / "intents" / "sport.yaml", "where can i do boxing")
    assert "Examples the bot would send to another intent: none" in out
    assert "Near-duplicate examples in different intents: 1" in out
    assert (f'  intents/sport.yaml:{sport_line}: "where can i do boxing" is almost the same as '
            f'"where can i do boxin" in intents/music.yaml:{music_line} (98% alike) (keep it '
            "under one intent, or reword one so it is clearly about sport or music)") in out
    assert ("  intents/sport.yaml:4: sport has 3 examples (signpost intents need at least 30: "
            "add real ways young people ask for this)") in out
    assert "intents/help.yaml:4: help has 2 examples (chitchat intents need at least 10" in out
    assert "intents/self_harm.yaml:4: self_harm has 10 examples (safety intents need at " \
           "least 30" in out
    reviewed = line_of(services, "last_reviewed: 2026-03-01")
    assert (f"  services.yaml:{reviewed}: boxing-club was last reviewed on 2026-03-01 (ring or "
            "check the website, correct anything that changed, then set last_reviewed: "
            "2026-11-25)") in out
    assert "summer-camp ended on 2026-08-05 and is never shown any more" in out
    assert "Services the bot can never show: 1" in out
    assert (f"  services.yaml:{line_of(services, 'categories: [volunteering]')}: litter-pick "
            "can never be shown") in out
    assert (f'  services.yaml:{line_of(services, "- id: music")}: category "music" has no '
            'service open at weekends or in the evening (after 17:00)') in out
    assert f'services.yaml:{line_of(services, "- id: sport")}: category "sport" has no ' \
           'service open at weekends (' in out
    assert "Lint is advice and never blocks publishing" in out
    # groups come in a fixed order
    heads = [line.split(":")[0] for line in out.splitlines() if line and line[0] != " "]
    assert heads[:6] == ["Examples the bot would send to another intent",
                         "Near-duplicate examples in different intents",
                         "Intents with too few examples",
                         "Services to check (not reviewed for 6 months, or over)",
                         "Services the bot can never show",
                         "Categories with no service open at weekends or in the evening"]


def test_lint_json(linty: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json: one object per finding with group, file, line, message and fix."""
    code, out, _ = run(capsys, "lint", "--json", "--catalogue", str(linty),
                       "--today", "2026-11-25")
    assert code == 0
    found = json.loads(out)
    assert {f["group"] for f in found} == {"duplicates", "few", "stale", "unreachable",
                                           "hours"}
    assert all(set(f) == {"group", "file", "line", "message", "fix"} for f in found)
    assert all(isinstance(f["line"], int) and f["line"] >= 1 for f in found)


def test_lint_deep_finds_examples_that_belong_elsewhere(
        make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """--deep: an example that only its own presence keeps in its intent is flagged."""
    root = make_catalogue()
    music = root / "intents" / "music.yaml"
    music.write_text(music.read_text(encoding="utf-8").replace(
        "  - is there a studio\n", "  - is there a studio\n  - where can i do boxing training\n"),
        encoding="utf-8")
    code, out, _ = run(capsys, "lint", "--catalogue", str(root))
    assert code == 0 and "Examples the bot would send to another intent: none" in out
    code, out, _ = run(capsys, "lint", "--deep", "--catalogue", str(root))
    line = line_of(music, "where can i do boxing training")
    assert code == 0
    assert re.search(rf'  intents/music.yaml:{line}: "where can i do boxing training" scores '
                     r'\d+ for sport \(closest: "where can i do boxing"\) but only \d+ for '
                     r"music \(reword it, move it to sport", out)


def test_lint_on_shipped_catalogue_runs_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped catalogue lints in a few seconds and never exits non-zero."""
    repo = Path(__file__).resolve().parent.parent
    code, out, _ = run(capsys, "lint", "--catalogue", str(repo))
    assert code == 0 and "finding(s)." in out


# ---------------------------------------------------------------- the staff guide


def test_guide_explains_every_validation_message() -> None:
    """docs/catalogue.md quotes each real message from the broken fixtures, word for word."""
    repo = Path(__file__).resolve().parent.parent
    guide = (repo / "docs" / "catalogue.md").read_text(encoding="utf-8")
    for expected in sorted((repo / "tests" / "fixtures" / "broken").glob("*/expected.txt")):
        for line in expected.read_text(encoding="utf-8").splitlines():
            assert line in guide, f"docs/catalogue.md does not explain: {line}"


def test_guide_names_only_real_commands() -> None:
    """Every `signpost NAME` in the guide is a command that exists."""
    from bot.cli import COMMANDS

    repo = Path(__file__).resolve().parent.parent
    guide = (repo / "docs" / "catalogue.md").read_text(encoding="utf-8")
    named = set(re.findall(r"(?m)(?:^|`)signpost ([a-z]+)", guide))
    assert {"validate", "lint", "explain", "replay", "schema", "export", "import"} <= named
    assert named <= set(COMMANDS), named - set(COMMANDS)
