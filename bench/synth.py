"""Synthetic catalogues: the shipped one scaled up, written as real YAML files.

Each copy k of an intent or service gets a made-up word of its own (for example
"bakomi") added to its examples, keywords and names, so examples stay unique (the validator
refuses duplicates) and every copy can still be told apart. Safety intents are not copied:
a catalogue has each of them once.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

SYLLABLES = ("ba", "ko", "mi", "ru", "te", "lo", "ni", "sa", "vu", "de", "fi", "go", "ha",
             "ju", "pe", "zo")


def tag(k: int) -> str:
    """A pronounceable made-up word for copy k (unique for k < 16**3)."""
    return "".join(SYLLABLES[(k // 16**i) % 16] for i in range(3))


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100),
                    encoding="utf-8")


def scale(src: Path, dst: Path, factor: int) -> dict[str, int]:
    """Write `src` scaled `factor` times into `dst`; returns what it wrote."""
    if dst.exists():
        shutil.rmtree(dst)
    (dst / "intents").mkdir(parents=True)
    for name in ("settings.yaml", "lexicon.yaml"):
        if (src / name).exists():
            shutil.copy(src / name, dst / name)
    services = _read(src / "services.yaml")
    originals = list(services.get("services") or [])
    out = list(originals)
    for k in range(1, factor):
        for s in originals:
            c = dict(s)
            c["id"] = f"{s['id']}-{tag(k)}"
            c["name"] = f"{s['name']} {tag(k).title()}"
            out.append(c)
    services["services"] = out
    _write(dst / "services.yaml", services)
    intents = examples = 0
    for path in sorted((src / "intents").glob("*.yaml")):
        doc = _read(path)
        shutil.copy(path, dst / "intents" / path.name)
        intents += 1
        examples += len(doc.get("examples") or [])
        if doc.get("kind") == "safety":
            continue
        for k in range(1, factor):
            t = tag(k)
            c = dict(doc)
            c["id"] = f"{doc['id']}_{t}"
            c["title"] = f"{doc.get('title', doc['id'])} {t.title()}"
            for key in ("examples", "keywords", "negative_examples"):
                if c.get(key):
                    c[key] = [f"{e} {t}" for e in c[key]]
            _write(dst / "intents" / f"{path.stem}_{t}.yaml", c)
            intents += 1
            examples += len(c.get("examples") or [])
    return {"factor": factor, "intents": intents, "examples": examples, "services": len(out)}
