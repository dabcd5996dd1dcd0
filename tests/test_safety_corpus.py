"""The learned layer's shipped training corpus: read whole, broken files skipped and named."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from bot.catalogue import load_or_raise
from bot.dialogue import Engine
from bot.routes import SAFETY_INTENTS
from bot.safety_corpus import CORPUS, messages

REPO = Path(__file__).resolve().parent.parent


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_written_files_and_measured_blind_sets_become_labelled_messages(tmp_path: Path) -> None:
    _write(tmp_path, "written/running_away.yaml",
           'examples:\n  - "got nowhere to sleep tonight"\n'
           'negative_examples:\n  - "ran away with the race lol"\n')
    _write(tmp_path, "blind_x.yaml",
           'disclosures:\n'
           '  - {messages: ["my uncle", "he comes in my room"], intent: sexual_harm}\n'
           'lookalikes:\n  - {text: "my uncle is coming round for tea", theme: family}\n')
    assert sorted(messages(tmp_path)) == sorted([
        ("got nowhere to sleep tonight", "running_away"),
        ("ran away with the race lol", "none"),
        ("my uncle he comes in my room", "sexual_harm"),
        ("my uncle is coming round for tea", "none"),
    ])


def test_a_broken_file_is_skipped_and_named_while_the_rest_is_read(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path, "written/self_harm.yaml", 'examples:\n  - "i want to disappear"\n')
    _write(tmp_path, "written/bad_quotes.yaml", 'examples:\n  - "unclosed\n')
    _write(tmp_path, "written/not_a_kind.yaml", 'examples:\n  - "hello"\n')
    with caplog.at_level(logging.ERROR, logger="bot.safety_corpus"):
        got = messages(tmp_path)
    assert got == (("i want to disappear", "self_harm"),)
    logged = caplog.text
    assert "bad_quotes.yaml could not be read; skipped" in logged
    assert "'not_a_kind' is not a safety intent" in logged


def test_the_shipped_corpus_covers_every_kind_of_harm_and_harmless_look_alikes() -> None:
    counts = Counter(label for _, label in messages(CORPUS))
    assert set(SAFETY_INTENTS) <= set(counts)
    assert min(counts[k] for k in SAFETY_INTENTS) >= 200, counts
    assert counts["none"] >= 1000, counts


def test_engines_on_unchanged_data_share_one_trained_model() -> None:
    """A second engine (a reload that changed only services, the console's preview) reuses
    the model instead of training again."""
    first = Engine(load_or_raise(REPO)).screen_.model
    second = Engine(load_or_raise(REPO)).screen_.model
    assert first is not None and first is second
