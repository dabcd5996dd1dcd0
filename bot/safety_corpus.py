"""The learned safety layer's own training messages, shipped with the package.

The catalogue's safety intents hold a few dozen examples each: enough for the rules' fuzzy
layer, far too few for a model to learn how differently young people say the same thing.
`bot/data/safety_corpus/` adds two kinds of file, read only when the model trains:

- `written/<intent>.yaml`: messages written for training, `examples:` (that intent) and
  `negative_examples:` (harmless look-alikes, "none");
- `blind_<x>.yaml`: blind sets (the format in bot/safety_eval.py) once they have been
  measured. A set stops being evidence the moment it is measured; from then on its
  disclosures and look-alikes are training data, and the next fresh set is the figure.

A file that cannot be read is logged and skipped: the rules and the catalogue's examples
still train the model, and the screen never goes down over a training file.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from functools import lru_cache
from pathlib import Path

import yaml

from bot.routes import SAFETY_INTENTS

log = logging.getLogger(__name__)

CORPUS = Path(__file__).parent / "data" / "safety_corpus"
NONE = "none"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster


def messages(root: Path = CORPUS) -> tuple[tuple[str, str], ...]:
    """(text, label) pairs: a safety intent's id, or "none" for a harmless message. Read from
    the files each time: only training needs them, and 18,000 messages held for the life of
    the process cost about 4 MB."""
    return _load(_signature(root))


def digest(root: Path = CORPUS) -> str:
    """A hash of what messages() returns: the learned layer's cache key (bot/safety_model.py)
    reads this, so a start that finds its model on disk keeps no training text in memory."""
    return _digest(_signature(root))


def forget() -> None:
    """Read the files again next time, even if unchanged (bench/loso.py leaves a set out)."""
    _digest.cache_clear()


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    signature = []
    for path in sorted(root.glob("**/*.yaml")):
        with contextlib.suppress(OSError):
            st = path.stat()
            signature.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(signature)


@lru_cache(maxsize=4)  # once per process while the files are unchanged
def _digest(signature: tuple[tuple[str, int, int], ...]) -> str:
    return hashlib.sha256(repr(_load(signature)).encode()).hexdigest()


def _load(signature: tuple[tuple[str, int, int], ...]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for name, _mtime, _size in signature:
        path = Path(name)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
            out += _read(path, data)
        except (OSError, ValueError, yaml.YAMLError, KeyError, TypeError, AttributeError):
            log.exception("safety training file %s could not be read; skipped", path)
    return tuple(out)


def _read(path: Path, data: dict[str, object]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if "disclosures" in data or "lookalikes" in data:  # a measured blind set
        for item in _items(data, "disclosures"):
            msgs = item.get("messages") or [item["text"]]
            text = " ".join(str(m) for m in msgs) if isinstance(msgs, list) else str(msgs)
            out.append((text, _intent(str(item["intent"]), path)))
        out += [(str(item["text"]), NONE) for item in _items(data, "lookalikes")]
    else:  # written/<intent>.yaml
        intent = _intent(path.stem, path)
        out += [(str(t), intent) for t in _list(data, "examples")]
        out += [(str(t), NONE) for t in _list(data, "negative_examples")]
    return out


def _items(data: dict[str, object], key: str) -> list[dict[str, object]]:
    items = data.get(key) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{key}: expected a list of mappings")
    return items


def _list(data: dict[str, object], key: str) -> list[object]:
    items = data.get(key) or []
    if not isinstance(items, list):
        raise ValueError(f"{key}: expected a list")
    return items


def _intent(name: str, path: Path) -> str:
    if name not in SAFETY_INTENTS:
        raise ValueError(f"{path.name}: {name!r} is not a safety intent")
    return name
