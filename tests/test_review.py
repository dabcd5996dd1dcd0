"""signpost review: what moderators see, what their actions change, and the audit trail."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue_types import Service
from bot.cli import COMMANDS
from bot.dialogue import ChatState, Reply
from bot.matcher import Candidate
from bot.picking import ServicePick
from bot.review import review_args, review_run
from bot.review_listings import group_similar, table
from bot.store import Store

REPO = Path(__file__).resolve().parent.parent


def at(day: int, minute: int = 0) -> dt.datetime:
    """Noon UTC on a day of November 2026 (W47 is 16-22 Nov, W48 is 23-29 Nov)."""
    return dt.datetime(2026, 11, day, 12, minute, tzinfo=dt.UTC)


def service(sid: str) -> Service:
    """A minimal service to put on a reply."""
    return Service(id=sid, name=sid, organisation="Sample Trust (sample)", description="x",
                   categories=("sport",), status="active", last_reviewed=dt.date(2026, 11, 1),
                   sample=True)


def reply(kind: str, intent: str | None = None, services: tuple[str, ...] = (),
          safety: str | None = None, guess: str = "sport", score: float = 80.0) -> Reply:
    """A reply as the engine would give it."""
    return Reply(text="...", kind=kind, state=ChatState(), intent=intent, safety=safety,
                 score=score, services=tuple(ServicePick(service(s), True) for s in services),
                 alternatives=(Candidate(guess, score, "x"), Candidate("arts", 20.0, "y")))


NOT_UNDERSTOOD = reply("fallback", score=40.0)


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A conversation log with three conversations over two weeks; ids by name."""
    data = tmp_path / "data"
    monkeypatch.setenv("SIGNPOST_DATA_DIR", str(data))
    monkeypatch.delenv("SIGNPOST_MODERATOR", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
    ids: dict[str, Any] = {}
    with Store.open(data, b"k" * 32) as s:
        a, b, c = (s.conversation_ref("telegram", n) for n in (1, 2, 3))
        ids["refs"] = (a, b, c)
        turns = [
            ("c1", c, "is there a skate park", NOT_UNDERSTOOD, at(19, 0)),
            ("c2", c, "wheres the nearest skate park??", NOT_UNDERSTOOD, at(19, 1)),
            ("c3", c, "=HYPERLINK(bad)", NOT_UNDERSTOOD, at(19, 2)),
            ("c4", c, "blorp fnord", reply("clarify", guess="arts", score=55), at(19, 3)),
            ("a1", a, "hi", reply("answer", "greeting"), at(24, 0)),
            ("a2", a, "any boxing near E17 4QH", reply("answer", "sport", ("boxing-club",)),
             at(24, 1)),
            ("a3", a, "they said theyll stab me after school",
             reply("safety", "threatened", ("police-101",), safety="threatened"), at(24, 2)),
            ("a4", a, "ok thanks", reply("answer", "thanks"), at(24, 3)),
            ("b1", b, "is there a skate park", NOT_UNDERSTOOD, at(25, 0)),
            ("b2", b, "music", NOT_UNDERSTOOD, at(25, 1)),
        ]
        for name, ref, text, r, when in turns:
            ids[name] = s.log_turn(ref, "telegram", text, r, at=when)
        s.set_feedback(ids["a2"], a, helpful=False)
        s.set_feedback(ids["a4"], a, helpful=True)
    ids["data"] = data
    return ids


def run(*argv: str) -> int:
    """Run `signpost review ...` as a moderator would (only this command's parser is built)."""
    parser = argparse.ArgumentParser(prog="signpost review")
    review_args(parser)
    return review_run(parser.parse_args(argv))


def test_registered_with_the_cli() -> None:
    """`signpost review` is a command of the main CLI, served by bot.review."""
    assert COMMANDS["review"][0] == "bot.review"


def catalogue_copy(tmp_path: Path) -> Path:
    """A copy of the shipped catalogue that a test may change."""
    root = tmp_path / "catalogue"
    shutil.copytree(REPO / "intents", root / "intents")
    for name in ("settings.yaml", "services.yaml", "lexicon.yaml"):
        shutil.copy(REPO / name, root / name)
    return root


# ------------------------------------------------------------------ listings


def test_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a conversation log the moderator is told where it was looked for (exit 2)."""
    assert run("unmatched", "--data-dir", str(tmp_path / "nowhere")) == 2
    err = capsys.readouterr().err
    assert "no conversation log at" in err and "--data-dir" in err


def test_unmatched_groups_similar_messages(log: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Similar unanswered messages are counted together, most frequent first."""
    assert run("unmatched") == 0
    out = capsys.readouterr().out
    assert out.startswith("6 message(s) the bot could not answer confidently, in 4 group(s)")
    lines = out.splitlines()
    first = next(line for line in lines if line.startswith("3 "))
    assert "is there a skate park" in first and "sport (40)" in first
    assert f"{log['c1']}, {log['c2']}, {log['b1']}" in first
    assert "also: wheres the nearest skate park??" in out
    assert lines.index(first) < next(i for i, x in enumerate(lines) if "blorp fnord" in x)
    assert "any boxing" not in out  # answered confidently


def test_unmatched_json_and_filters(log: dict[str, Any],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """--json lists the groups; --since/--until keep to the days asked for."""
    assert run("unmatched", "--json") == 0
    groups = json.loads(capsys.readouterr().out)
    top = groups[0]
    assert (top["text"], top["count"], top["people"]) == ("is there a skate park", 3, 2)
    assert groups[0]["closest"] == {"intent": "sport", "score": 40.0}
    assert run("unmatched", "--json", "--since", "2026-11-20") == 0
    assert sorted(g["text"] for g in json.loads(capsys.readouterr().out)) == \
        ["is there a skate park", "music"]
    assert run("unmatched", "--json", "--until", "2026-11-19") == 0
    groups = json.loads(capsys.readouterr().out)
    assert sum(g["count"] for g in groups) == 4 and len(groups) == 3


def test_bad_date_is_explained(log: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """A date in the wrong format is refused with an example of the right one."""
    with pytest.raises(SystemExit) as exc:
        run("stats", "--since", "19/11/2026")
    assert exc.value.code == 2
    assert "write it as YYYY-MM-DD, e.g. 2026-11-01" in capsys.readouterr().err


def test_safety_shows_surrounding_turns(log: dict[str, Any],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Each safety turn is shown with the conversation just before and after it."""
    assert run("safety") == 0
    out = capsys.readouterr().out
    assert out.startswith("1 safety-triggered message(s)")
    assert f"#{log['a3']}  2026-11-24 12:02  threatened  conversation {log['refs'][0]}" in out
    marked = next(line for line in out.splitlines() if line.lstrip().startswith(">"))
    assert "they said theyll stab me after" in marked and "SAFETY: threatened" in marked
    assert "any boxing near E17 [postcode]" in out and "ok thanks" in out
    assert run("safety", "--json", "--context", "1") == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert [t["text"] for t in item["before"]] == ["any boxing near E17 [postcode]"]
    assert [t["text"] for t in item["after"]] == ["ok thanks"]


def test_feedback_lists_unhelpful_answers(log: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Answers marked 👎 are listed with what the bot showed; 👍 ones are not."""
    assert run("feedback", "--json") == 0
    (turn,) = json.loads(capsys.readouterr().out)
    assert (turn["id"], turn["services"], turn["helpful"]) == (log["a2"], ["boxing-club"], False)
    assert run("feedback") == 0
    out = capsys.readouterr().out
    assert out.startswith("1 answer(s) marked unhelpful")
    row = next(line for line in out.splitlines() if line.startswith(f"#{log['a2']} "))
    assert "any boxing near E17 [postcode]" in row and "sport" in row and "boxing-club" in row
    assert "ok thanks" not in out


def test_stats_per_week(log: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Stats give one row per ISO week with rates, top topics, safety and feedback."""
    assert run("stats", "--json") == 0
    w47, w48 = json.loads(capsys.readouterr().out)
    assert (w47["week"], w47["conversations"], w47["messages"], w47["unmatched"]) == \
        ("2026-W47", 1, 4, 4)
    assert w47["confident_rate"] == 0
    assert (w48["week"], w48["conversations"], w48["messages"], w48["safety"]) == \
        ("2026-W48", 2, 6, 1)
    assert (w48["confident_rate"], w48["unmatched"], w48["helpful"], w48["unhelpful"]) == \
        (0.667, 2, 1, 1)
    assert w48["top_intents"] == [{"intent": "greeting", "count": 1},
                                  {"intent": "sport", "count": 1},
                                  {"intent": "thanks", "count": 1}]
    assert run("stats") == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("2026-W48"))
    assert "23 Nov" in row and "67%" in row and "1/1 (50% 👍)" in row


def test_conversation_in_order(log: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """One conversation is shown oldest first with feedback marks; an unknown one is exit 1."""
    ref = log["refs"][0]
    assert run("conversation", ref) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Conversation {ref}: 4 message(s), oldest first.")
    order = [out.index(t) for t in ("hi", "any boxing", "they said", "ok thanks")]
    assert order == sorted(order)
    assert "👎" in out and "👍" in out
    assert run("conversation", "c-000000000000") == 1
    assert "No messages stored for conversation c-000000000000" in capsys.readouterr().err


# ------------------------------------------------------------------ actions and audit


def test_actions_need_a_name(log: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    """Without --as or SIGNPOST_MODERATOR an action is refused and nothing changes."""
    assert run("ignore", str(log["b2"])) == 2
    err = capsys.readouterr().err
    assert '--as "YOUR NAME"' in err and "SIGNPOST_MODERATOR" in err
    assert run("unmatched", "--json") == 0
    assert "music" in capsys.readouterr().out


def test_ignore_and_mark_reviewed(log: dict[str, Any], capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Ignored and reviewed turns leave the queues (but --all shows them) and are audited."""
    assert run("ignore", str(log["b2"]), f"#{log['c4']}", "--as", "Asha") == 0
    assert "off the review lists" in capsys.readouterr().out
    monkeypatch.setenv("SIGNPOST_MODERATOR", "Ben")
    assert run("mark-reviewed", str(log["a3"]), "9999") == 1
    assert "There is no turn #9999" in capsys.readouterr().err
    assert run("unmatched", "--json") == 0
    assert sorted(g["text"] for g in json.loads(capsys.readouterr().out)) == \
        ["=HYPERLINK(bad)", "is there a skate park"]
    assert run("safety") == 0
    assert "No safety-triggered messages to review" in capsys.readouterr().out
    assert run("safety", "--all", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["review"] == "reviewed"
    assert run("audit", "--json") == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["moderator"], e["action"], e["turn_id"]) for e in entries] == [
        ("Asha", "ignore", log["b2"]), ("Asha", "ignore", log["c4"]),
        ("Ben", "mark-reviewed", log["a3"])]


def test_export_csv(log: dict[str, Any], tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    """Export writes the filtered, redacted turns to an owner-only CSV and is audited."""
    out_file = tmp_path / "report.csv"
    out_file.write_text("an old export\n")
    out_file.chmod(0o644)
    assert run("export", "--csv", str(out_file), "--since", "2026-11-24", "--as", "Asha") == 0
    assert "Saved 6 message(s) since 2026-11-24" in capsys.readouterr().out
    rows = list(csv.DictReader(out_file.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["message"] for r in rows][:2] == ["hi", "any boxing near E17 [postcode]"]
    assert rows[1]["helpful"] == "no" and rows[1]["services"] == "boxing-club"
    assert out_file.stat().st_mode & 0o777 == 0o600
    assert run("export", "--csv", str(out_file), "--as", "Asha") == 0
    capsys.readouterr()
    rows = list(csv.DictReader(out_file.read_text(encoding="utf-8-sig").splitlines()))
    assert "'=HYPERLINK(bad)" in [r["message"] for r in rows]  # not run as a formula
    assert run("audit") == 0
    out = capsys.readouterr().out
    assert "Asha" in out and "export" in out and "6 turns since 2026-11-24 to report.csv" in out


def test_promote_adds_an_example_and_keeps_comments(log: dict[str, Any], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Promote appends the message to the intent file, keeps its comments, and teaches the bot."""
    root = catalogue_copy(tmp_path)
    sport = root / "intents" / "sport.yaml"
    before = sport.read_text(encoding="utf-8").splitlines()
    end = next(i for i, line in enumerate(before) if not line.startswith(("  - ", "examples:"))
               and i > before.index("examples:"))
    last_example = before[end - 1] + "  # the last one"
    before[end - 1] = last_example
    before.insert(end, "  # add new examples above this line")
    sport.write_text("\n".join(before) + "\n", encoding="utf-8")
    assert run("promote", str(log["b1"]), "sport", "--catalogue", str(root), "--as", "Asha") == 0
    out = capsys.readouterr().out
    assert f'Added "is there a skate park" as an example of sport in {sport}' in out
    assert "The bot now answers this message with sport" in out
    after = sport.read_text(encoding="utf-8").splitlines()
    assert after[end - 1:end + 2] == [last_example, "  - is there a skate park",
                                      "  # add new examples above this line"]
    assert after[:end - 1] == before[:end - 1] and after[end + 2:] == before[end + 1:]
    assert run("unmatched", "--json") == 0
    skate = json.loads(capsys.readouterr().out)[0]
    assert log["b1"] not in skate["turn_ids"] and skate["count"] == 2
    assert run("audit") == 0
    assert "promote" in capsys.readouterr().out


def test_promote_refuses_an_invalid_result(log: dict[str, Any], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A message that is already another intent's example is refused; the file is untouched."""
    root = catalogue_copy(tmp_path)
    sport = root / "intents" / "sport.yaml"
    original = sport.read_bytes()
    assert run("promote", str(log["b2"]), "sport", "--catalogue", str(root), "--as", "Asha") == 1
    err = capsys.readouterr().err
    assert 'Not promoted: adding "music" to sport would break the catalogue' in err
    assert "also appears in intents/arts.yaml" in err
    assert sport.read_bytes() == original
    assert run("promote", str(log["b2"]), "sprot", "--catalogue", str(root), "--as", "A") == 1
    assert 'There is no intent called "sprot"' in capsys.readouterr().err
    assert run("promote", "9999", "sport", "--catalogue", str(root), "--as", "A") == 1
    assert "There is no turn #9999" in capsys.readouterr().err
    assert run("audit", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


def test_promote_refuses_when_catalogue_already_broken(log: dict[str, Any], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """If the catalogue has errors before the change, promote changes nothing and says so."""
    root = catalogue_copy(tmp_path)
    (root / "settings.yaml").write_text("match_threshold: [\n", encoding="utf-8")
    sport = root / "intents" / "sport.yaml"
    original = sport.read_bytes()
    assert run("promote", str(log["b1"]), "sport", "--catalogue", str(root), "--as", "A") == 1
    err = capsys.readouterr().err
    assert "already has errors" in err and "settings.yaml:" in err
    assert sport.read_bytes() == original


# ------------------------------------------------------------------ helpers


def test_grouping_keeps_different_questions_apart() -> None:
    """Rewordings of one question group together; different questions stay apart."""
    from bot.review_turns import Turn

    def turn(n: int, text: str) -> Turn:
        return Turn(n, dt.datetime(2026, 11, 1, tzinfo=dt.UTC), "telegram", "c-1", text,
                    "fallback", None, 0.0, (), None, (), None, None)

    groups = group_similar([turn(1, "any skate park"), turn(2, "skate park near me"),
                            turn(3, "any chess club"), turn(4, "any skate park??"),
                            turn(5, "skatepark?"), turn(6, "where can i get a haircut")])
    assert [sorted(t.id for t in g.turns) for g in groups] == [[1, 2, 4, 5], [3], [6]]


def test_table_wraps_long_messages() -> None:
    """A long message wraps inside its column so the table stays readable."""
    text = table(["Turn", "They said"], [["#1", "word " * 30]], wrap=1, width=40)
    assert all(len(line) <= 40 for line in text.splitlines())
    assert text.count("word") == 30


def test_every_command_is_in_the_moderators_guide() -> None:
    """docs/moderation.md has a section for every review command the tool offers."""
    parser = argparse.ArgumentParser()
    review_args(parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    guide = (REPO / "docs" / "moderation.md").read_text(encoding="utf-8")
    missing = [name for name in sub.choices if f"`signpost review {name}" not in guide]
    assert not missing, f"docs/moderation.md does not explain: {missing}"
