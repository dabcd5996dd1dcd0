"""Matching quality on held-out messages, through the same engine the channels use."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalogue_types import Catalogue
from bot.dialogue import Engine
from bot.evaluate import Report, evaluate, load_labelled
from bot.text import fold
from tests.conftest import DATA


@pytest.fixture(scope="module")
def eval_report(engine: Engine) -> Report:
    items, problems = load_labelled(DATA / "eval.yaml")
    assert not problems
    return evaluate(engine, items)


def _texts(path: Path) -> list[str]:
    return [row["text"] for row in yaml.safe_load(path.read_text())]


@pytest.mark.parametrize("name", ["eval.yaml", "safety.yaml"])
def test_held_out_sets_are_not_copies_of_examples(name: str, shipped: Catalogue) -> None:
    """No held-out message is (after folding) one of the catalogue's examples."""
    examples = {fold(e) for i in shipped.intents.values() for e in i.examples}
    copies = [t for t in _texts(DATA / name) if fold(t) in examples]
    assert copies == []


def test_eval_set_is_large_and_labelled_with_real_intents(shipped: Catalogue) -> None:
    """At least 300 messages, each labelled with a shipped intent or none."""
    rows = yaml.safe_load((DATA / "eval.yaml").read_text())
    assert len(rows) >= 300
    assert {r["intent"] for r in rows} <= set(shipped.intents) | {"none"}
    assert len({fold(r["text"]) for r in rows}) == len(rows)


def test_eval_accuracy(eval_report: Report) -> None:
    """Overall accuracy on the held-out set stays at or above 0.88."""
    assert eval_report.accuracy >= 0.88, eval_report.as_text()


def test_eval_safety_recall_is_total(eval_report: Report) -> None:
    """Every disclosure in the held-out set gets the safety reply."""
    missed = [o.text for o in eval_report.outcomes
              if o.expected in ("emergency", "self_harm", "exploitation", "threatened")
              and not o.safety]
    assert missed == []


def test_eval_safety_false_positive_rate(eval_report: Report) -> None:
    """At most 5% of harmless messages get a safety reply."""
    assert eval_report.safety_false_positive_rate <= 0.05, [
        o.text for o in eval_report.outcomes if o.safety and o.expected not in
        ("emergency", "self_harm", "exploitation", "threatened")]
