"""The literal prefilter only skips rule searches that cannot succeed: verdicts never change."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from bot.catalogue_types import Catalogue
from bot.matcher import index_for
from bot.prefilter import Prefilter, required_literals
from bot.safety import Screen
from bot.safety_corpus import CORPUS

DATA = Path(__file__).resolve().parent / "data"


def _texts() -> list[str]:
    texts = [d["text"] for d in yaml.safe_load((DATA / "safety.yaml").read_text())]
    texts += [d["text"] for d in yaml.safe_load((DATA / "eval.yaml").read_text())]
    blind = yaml.safe_load((CORPUS / "blind_a.yaml").read_text())
    texts += [m for d in blind["disclosures"] for m in (d.get("messages") or [d["text"]])]
    texts += [d["text"] for d in blind["lookalikes"]]
    return texts


def test_required_literals_are_really_required() -> None:
    assert required_literals(re.compile(r"\b(?:kill|hurt)\s+myself\b")) == {"myself"}
    assert required_literals(re.compile(r"\b(?:stabbed|knifed)\b")) == {"stabbed", "knifed"}
    assert required_literals(re.compile(r"\b\w+\s+\d+\b")) is None
    assert required_literals(re.compile(r"(?i)\bStabbed\b")) is None
    assert required_literals(re.compile(r"\b(?i:Stabbed)\b")) is None
    assert required_literals(re.compile(r"\bstab(?:bed)?\b")) == {"stab"}
    assert required_literals(re.compile(r"\b(?:|knife)\b")) is None  # an empty branch
    assert required_literals(re.compile(r"(?:knife)?\s*out")) == {"out"}
    assert required_literals(re.compile(r"(?=knife)\w+")) is None  # lookarounds give none
    pf = Prefilter([re.compile(r"\bkill myself\b"), re.compile(r"\w{3} \d")])
    assert pf.candidates(["nothing here"]) == [1]
    assert pf.candidates(["i want to kill myself"]) == [0, 1]


def test_the_prefilter_never_changes_a_verdict(shipped: Catalogue) -> None:
    with_filter = Screen.build(shipped)
    without = dataclasses.replace(with_filter)
    without.prefilter = None
    texts = _texts()
    assert len(texts) > 1000
    normaliser = index_for(shipped).normaliser
    for text in texts:
        norm = normaliser.normalise(text)
        a, b = with_filter.screen(text, norm), without.screen(text, norm)
        assert (a.intent, a.reasons) == (b.intent, b.reasons), text
