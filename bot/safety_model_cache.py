"""Trained safety models kept on disk between starts, so a restart loads instead of training.

A file holds weights learned from the shipped examples and the catalogue, nothing personal.
It is named by a hash of everything the model was trained on (bot/safety_model.py), so a
changed catalogue or corpus never reads an old model. Anything wrong with a file (empty,
cut short, another format, another owner) means it is removed and the model trains again:
the cache can cost time, never the learned layer. Only the four newest models are kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from bot.safety_model import SafetyModel

log = logging.getLogger(__name__)

PREFIX = "safety-model-"
KEEP = 4  # models kept on disk, newest first (about 2 MB each)


def cache_dir() -> Path:
    """SIGNPOST_CACHE_DIR, else the user's cache directory."""
    explicit = os.environ.get("SIGNPOST_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "signpost"


def _path(key: str) -> Path:
    return cache_dir() / f"{PREFIX}{key[:32]}.npz"


def load(key: str, classes: tuple[str, ...], model: type[SafetyModel]) -> SafetyModel | None:
    """A model trained on the same data by an earlier run, or None (then it trains)."""
    path = _path(key)
    try:
        if not path.exists():
            return None
        if hasattr(os, "getuid") and path.stat().st_uid != os.getuid():
            raise ValueError("the file belongs to another user")
        with np.load(path, allow_pickle=False) as f:
            if tuple(str(c) for c in f["classes"]) != classes or str(f["key"]) != key:
                raise ValueError("trained on other data")
            names = [str(n) for n in f["vocab"]]
            weights = f["weights"].astype(np.float32)
            bias = f["bias"].astype(np.float32)
        if weights.shape != (len(names), len(classes)) or bias.shape != (len(classes),):
            raise ValueError("the arrays do not fit together")
    except Exception as exc:  # empty, cut short, another format: never lose the layer to it
        log.warning("the kept safety model %s could not be used (%s); training it again",
                    path.name, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return model(classes, {n: i for i, n in enumerate(names)}, weights, bias)


def save(key: str, model: SafetyModel) -> None:
    """Keep the model for the next start and remove older ones; a read-only or full disk only
    costs time. Written to a private temporary file, then renamed into place."""
    path = _path(key)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    except OSError as exc:
        log.warning("could not keep the trained safety model in %s (%s); the next start "
                    "trains it again", path.parent, exc.strerror or type(exc).__name__)
        return
    try:
        names = sorted(model.vocab, key=model.vocab.__getitem__)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, key=np.asarray(key), classes=np.asarray(model.classes),
                     vocab=np.asarray(names), weights=model.weights, bias=model.bias)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not keep the trained safety model in %s (%s); the next start "
                    "trains it again", path.parent, exc.strerror or type(exc).__name__)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the KEEP newest models (a catalogue edit, then its undo, reloads quickly)."""
    def age(p: Path) -> float:
        try:
            return -p.stat().st_mtime
        except OSError:
            return 0.0

    for old in sorted(folder.glob(f"{PREFIX}*.npz"), key=age)[KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
