"""Edits stay local: one harmless example added to a non-safety intent moves little."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.catalogue_types import Catalogue
from bot.dialogue import Engine
from bot.locality import add_example, edit_effect, harmless_example
from tests.conftest import DATA, REPO, WEDNESDAY_EVENING

HANDFUL = 5  # answers (of 651) an edit to one intent may change
SETS = ("eval.yaml", "safety.yaml")


def _messages() -> list[tuple[str, str | None]]:
    rows: list[tuple[str, str | None]] = []
    for name in SETS:
        rows += [(r["text"], r["intent"])
                 for r in yaml.safe_load((DATA / name).read_text(encoding="utf-8"))]
    return rows


def _non_safety(cat: Catalogue) -> list[str]:
    return [i.id for i in cat.intents.values() if not i.is_safety]


def test_every_non_safety_intent_is_checked(shipped: Catalogue) -> None:
    """The loop below covers every non-safety intent the catalogue ships (20 or more)."""
    assert len(_non_safety(shipped)) >= 20


@pytest.mark.parametrize("intent_id", sorted(
    i.stem for i in (REPO / "intents").glob("*.yaml")
    if "kind: safety" not in i.read_text(encoding="utf-8")))
def test_one_new_example_changes_no_safety_answer(intent_id: str, shipped: Catalogue,
                                                  engine: Engine, tmp_path: Path) -> None:
    """Adding one harmless example changes no safety answer that a rule or a similar example
    gives, and only a handful of others. The learned layer retrains on every catalogue edit,
    so a message it alone judges, at its threshold's edge, may flip: at most one."""
    example = harmless_example(intent_id, shipped.intents[intent_id].title)
    report = edit_effect(REPO, tmp_path / "edited", intent_id, example, _messages(),
                         WEDNESDAY_EVENING, base=engine)
    assert report.messages == len(_messages()) > 600
    flipped = [d for ds in report.groups.values() for d in ds if d.old.safety != d.new.safety]
    by_learned_edge = [d for d in flipped if _learned_edge(engine, d.text)]
    assert len(by_learned_edge) <= 1 and flipped == by_learned_edge, report.as_dict()
    assert report.changed <= HANDFUL, report.as_dict()


def _learned_edge(engine: Engine, text: str) -> bool:
    """The shipped engine's answer rests on the learned layer alone, within 0.05 of its
    threshold either way (or on nothing: a miss the edited engine's learned layer caught).
    Its threshold is THRESHOLD, or SHORT_THRESHOLD for a message with few words."""
    from bot.safety import SHORT_THRESHOLD
    from bot.safety_model import THRESHOLD

    def near(p: float) -> bool:
        return any(abs(p - t) <= 0.05 for t in (THRESHOLD, SHORT_THRESHOLD))

    r = engine.respond(text, now=WEDNESDAY_EVENING)
    if r.safety is None:
        model = engine.screen_.model
        norm = engine.index.normaliser.normalise(text)
        judged = engine.screen_.views(text, norm)[-1]  # what the learned layer reads: the
        probs = model.probabilities(judged) if model is not None else {}  # exclusions cut
        return bool(probs) and near(1 - probs.get("none", 1.0))
    notes = [n for n in r.notes if "learned layer" in n or "rule" in n or "close to" in n]
    if not notes or not all("learned layer: probability" in n for n in notes):
        return False
    return all(near(float(n.rsplit(" ", 1)[1])) for n in notes)


def test_add_example_edits_only_that_intent(tmp_path: Path) -> None:
    """The edit used above adds one example line to one intent file and nothing else."""
    from bot.locality import copy_catalogue

    root = copy_catalogue(REPO, tmp_path / "c")
    before = {p.name: p.read_text(encoding="utf-8") for p in (root / "intents").iterdir()}
    add_example(root, "sport", "any table tennis on a saturday")
    after = {p.name: p.read_text(encoding="utf-8") for p in (root / "intents").iterdir()}
    changed = [n for n in before if before[n] != after[n]]
    assert changed == ["sport.yaml"]
    assert '  - "any table tennis on a saturday"' in after["sport.yaml"].splitlines()


def test_ridge_model_does_not_depend_on_example_order() -> None:
    """The same examples in another order give the same model scores (no visiting order)."""
    import numpy as np

    from bot.matcher import train_ridge

    rows = [("any", "boxing"), ("boxing", "gym"), ("music", "studio"), ("record", "music"),
            ("i", "want", "a", "mentor"), ("mentor", "please")]
    labels = np.array([0, 0, 1, 1, 2, 2])
    a = train_ridge(rows, labels, 3)
    perm = [5, 3, 1, 0, 4, 2]
    b = train_ridge([rows[i] for i in perm], labels[perm], 3)
    assert a is not None and b is not None
    for q in (("boxing",), ("record", "a", "track"), ("mentor",)):
        sa, sb = a.scores(q), b.scores(q)
        assert sa is not None and sb is not None
        assert np.allclose(sa, sb, atol=1e-5)
    assert int(np.argmax(a.scores(("boxing", "gym")))) == 0  # type: ignore[arg-type]
