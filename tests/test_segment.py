"""Run-together words split exactly as wordninja splits them, from a compact table."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import wordninja
import yaml

from bot.safety_corpus import CORPUS
from bot.segment import Segmenter


def _run_together() -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPUS.glob("blind_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["disclosures"] + data["lookalikes"]:
            texts += item.get("messages") or [item["text"]]
    joined = {re.sub(r"[^a-z0-9']", "", t.lower())[:80] for t in texts}
    return sorted(j for j in joined if len(j) >= 7)


def test_splits_are_wordninjas_own_on_thousands_of_messages() -> None:
    strings = _run_together()
    assert len(strings) > 2000
    seg = Segmenter(extra=())  # wordninja's list alone: wordninja's splits
    differ = [s for s in strings if seg.split(s) != wordninja.split(s)]
    assert differ == []
    assert seg.split("iwannadie") == ["i", "wanna", "die"]
    assert seg.split("it's2024now") == wordninja.split("it's2024now")


def test_text_speak_splits_as_young_people_mean_it() -> None:
    """wordninja reads "helpmeim" as "help mei m": text speak is costed as common words."""
    seg = Segmenter()
    assert wordninja.split("helpmeimbeingfollowed")[:3] == ["help", "mei", "m"]
    assert seg.split("helpmeimbeingfollowed") == ["help", "me", "im", "being", "followed"]
    assert seg.split("idkwhytheydmme") == ["idk", "why", "they", "dm", "me"]
    assert seg.split("iwannadie") == ["i", "wanna", "die"]


def test_a_small_word_list_splits_with_its_own_costs(tmp_path: Path) -> None:
    words = tmp_path / "words.txt.gz"
    with gzip.open(words, "wt", encoding="utf-8") as f:
        f.write("the\ncat\nsat\ncats\nat\n")
    seg = Segmenter(words)
    assert seg.split("thecatsat") == ["the", "cat", "sat"]
    assert seg.split("") == []
    assert seg.split("the cat") == ["the", "cat"]
