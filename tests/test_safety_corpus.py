"""The learned layer's shipped training corpus: read whole, broken files skipped and named."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from bot import safety_model
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


def _fresh_process(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    monkeypatch.setenv("SIGNPOST_CACHE_DIR", str(cache))
    monkeypatch.setattr(safety_model, "_TRAINED", {})


def test_a_trained_model_is_kept_on_disk_and_the_next_start_loads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_process(monkeypatch, tmp_path)
    first = Engine(load_or_raise(REPO))
    kept = list(tmp_path.glob("safety-model-*.npz"))
    assert len(kept) == 1

    _fresh_process(monkeypatch, tmp_path)  # as a new process would start

    def no_training(*_: object, **__: object) -> None:
        raise AssertionError("trained again although the model was on disk")

    monkeypatch.setattr(safety_model.SafetyModel, "fit", no_training)
    second = Engine(load_or_raise(REPO))
    for text in ("fridge empty again and mum gone since monday", "my dad beat me at fifa again",
                 "any boxing near me"):
        assert second.respond(text).safety == first.respond(text).safety, text


@pytest.mark.parametrize("damage", ["empty", "cut short", "not a model"])
def test_a_damaged_cache_file_is_replaced_and_the_learned_layer_stays(
        damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    _fresh_process(monkeypatch, tmp_path)
    Engine(load_or_raise(REPO))
    (kept,) = tmp_path.glob("safety-model-*.npz")
    good = kept.read_bytes()
    kept.write_bytes({"empty": b"", "cut short": good[: len(good) // 2],
                      "not a model": b"not a model"}[damage])
    _fresh_process(monkeypatch, tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.safety_model_cache"):
        engine = Engine(load_or_raise(REPO))
    assert engine.screen_.model is not None
    assert engine.respond("fridge empty again and mum gone since monday").safety is not None
    assert "could not be used" in caplog.text and "training it again" in caplog.text
    assert kept.read_bytes() == good  # trained again and kept again


def test_an_unwritable_cache_only_costs_a_retraining(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    blocked = tmp_path / "a-file-not-a-directory"
    blocked.write_text("x")
    _fresh_process(monkeypatch, blocked)
    with caplog.at_level(logging.WARNING, logger="bot.safety_model_cache"):
        engine = Engine(load_or_raise(REPO))
    assert engine.screen_.model is not None
    assert engine.respond("fridge empty again and mum gone since monday").safety is not None
    assert "could not keep the trained safety model" in caplog.text


def test_the_corpus_digest_follows_what_the_files_say(tmp_path: Path) -> None:
    """Read again whenever a file's size or time changes: an edit retrains the model."""
    from bot.safety_corpus import digest

    _write(tmp_path, "written/self_harm.yaml", 'examples:\n  - "i want to disappear"\n')
    before = digest(tmp_path)
    _write(tmp_path, "written/self_harm.yaml", 'examples:\n  - "i want to vanish away"\n')
    assert digest(tmp_path) != before
    _write(tmp_path, "written/self_harm.yaml", 'examples:\n  - "i want to disappear"\n')
    assert digest(tmp_path) == before


def test_a_start_that_loads_its_model_keeps_no_training_text(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus (18,000 messages, about 4 MB) is read for its hash and, when the model must
    train, for training; nothing holds it afterwards."""
    import gc
    import tracemalloc

    from bot import safety_corpus

    def no_reading(*_: object, **__: object) -> None:
        raise AssertionError("read the training messages although the model was on disk")

    tracemalloc.start()  # everything read from here on, training included, is traced
    try:
        _fresh_process(monkeypatch, tmp_path)
        safety_corpus.forget()
        Engine(load_or_raise(REPO))  # trains, reading the corpus
        _fresh_process(monkeypatch, tmp_path)
        safety_corpus.forget()  # as a new process: the hash is worked out again
        monkeypatch.setattr(safety_corpus, "messages", no_reading)
        engine = Engine(load_or_raise(REPO))
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    corpus_file = str(Path(safety_corpus.__file__))
    kept = sum(s.size for s in snapshot.statistics("filename")
               if s.traceback[0].filename == corpus_file)
    assert kept < 100_000, f"{kept} bytes of training text still held"
    assert engine.screen_.model is not None
    assert engine.respond("fridge empty again and mum gone since monday").safety is not None
