"""Edits to catalogue YAML files that keep their comments and layout, checked before use.

    round_trip(source)   a ruamel YAML set up to write `source` back byte for byte
    dump(yaml, data)     the text it writes
    load_changed(...)    load() of a temporary copy of the catalogue with some files replaced
    replace_file(...)    write next to the file, then swap it in whole

Used by `signpost review promote` (one more example in an intent file) and the console's
service form (services.yaml).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from bot.catalogue import load
from bot.catalogue_types import Catalogue
from bot.yamlfile import Problem


def round_trip(source: str) -> Any:
    """A ruamel YAML that keeps quotes, long lines and this file's list indentation."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap long lines
    offset = sequence_offset(source)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def dump(yaml: Any, data: Any) -> str:
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def sequence_offset(source: str) -> int:
    """How far list dashes are indented under their key in this file (0 or 2 usually)."""
    lines = source.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.rstrip().endswith(":") and not line.lstrip().startswith("#"):
            nxt = lines[i + 1]
            if nxt.lstrip().startswith("- "):
                return (len(nxt) - len(nxt.lstrip())) - (len(line) - len(line.lstrip()))
    return 2


def load_changed(root: Path, changed: dict[str, str], prefix: str,
                 today: dt.date | None = None) -> tuple[Catalogue | None, list[Problem]]:
    """Load the catalogue as it would be with `changed` (path in the catalogue -> new text),
    from a temporary copy; the real files are not touched."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        copy = Path(tmp)
        for name in ("settings.yaml", "services.yaml", "lexicon.yaml"):
            if (root / name).exists() and name not in changed:
                shutil.copy2(root / name, copy / name)
        shutil.copytree(root / "intents", copy / "intents")
        for name, text in changed.items():
            (copy / name).write_text(text, encoding="utf-8")
        return load(copy, today)


def replace_file(path: Path, text: str) -> None:
    """Write next to the file, then swap it in, so the bot never reads half a file."""
    tmp = path.with_name(f".{path.name}.promote")
    tmp.write_text(text, encoding="utf-8")
    shutil.copymode(path, tmp)
    os.replace(tmp, path)
