"""JSON Schemas for the catalogue files, so editors check them while staff type.

`schemas()` translates bot.schema's records (with the few patterns it cannot say itself);
`write_schemas` writes them; `check_schema_lines` says which catalogue files do not point
at them yet.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot import schema as rules
from bot.schema import (
    EMAIL_RE,
    FOLLOW_UP,
    INTENT_FILE,
    LEXICON_SCHEMA,
    PHONE_RE,
    PLACES_FILE,
    SERVICES_FILE,
    SETTINGS_FILE,
    URL_RE,
    Field,
    Record,
    json_schema,
)

# ================================================================ schema

SCHEMA_DIR = "schemas"
SCHEMA_LINE = "# yaml-language-server: $schema="

# Patterns for checks that bot.schema.json_schema does not translate itself. JSON Schema
# regexes are ECMA 262: these use nothing Python-only. Postcodes are upper-cased by the
# loader, so the editor accepts either case.
_EXTRA_PATTERNS: dict[Any, str] = {
    rules._email: EMAIL_RE.pattern,
    rules._url: URL_RE.pattern,
    rules._phone: PHONE_RE.pattern,
    rules._postcode: r"^[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}$",
    rules._nonblank: r"\S",
}


def schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema, for every kind of catalogue file."""
    return {
        "services.schema.json": editor_schema(SERVICES_FILE, "Signpost services.yaml"),
        "intent.schema.json": editor_schema(INTENT_FILE, "Signpost intent (intents/*.yaml)"),
        "settings.schema.json": editor_schema(SETTINGS_FILE, "Signpost settings.yaml"),
        "lexicon.schema.json": dict(LEXICON_SCHEMA),
        "places.schema.json": editor_schema(PLACES_FILE, "Signpost places.yaml"),
    }


def editor_schema(record: Record, title: str) -> dict[str, Any]:
    """bot.schema.json_schema plus the patterns, hints and examples editors can show."""
    out = json_schema(record, title)
    _refine_record(record, out)
    first = {k: out.pop(k) for k in ("$schema", "title")}
    return first | out


def _refine_record(record: Record, node: dict[str, Any]) -> None:
    for f in record.fields:
        _refine_field(f, node["properties"][f.name])
    if record is FOLLOW_UP:
        node["oneOf"] = [{"required": [k]} for k in ("intent", "category", "service")]


def _refine_field(f: Field, prop: dict[str, Any]) -> None:
    if f.kind == "list" and isinstance(f.item, Record):
        _refine_record(f.item, prop["items"])
    elif f.kind == "list" and isinstance(f.item, Field):
        _refine_field(f.item, prop["items"])
    elif f.kind == "object" and isinstance(f.item, Record):
        _refine_record(f.item, prop)
    pattern = _EXTRA_PATTERNS.get(f.check)
    if pattern is not None and "pattern" not in prop:
        prop["pattern"] = pattern
    if f.name == "latitude":
        prop.update(minimum=-90, maximum=90)
    if f.name == "longitude":
        prop.update(minimum=-180, maximum=180)
    if f.fix:
        prop["description"] = f"{f.help} ({f.fix})"
    if f.example:
        prop["examples"] = [f.example]


def catalogue_files(root: Path) -> list[tuple[Path, str]]:
    """Every catalogue file with the schema file that describes it."""
    files = [(root / "settings.yaml", "settings.schema.json"),
             (root / "services.yaml", "services.schema.json"),
             (root / "lexicon.yaml", "lexicon.schema.json"),
             (root / "places.yaml", "places.schema.json")]
    files += [(p, "intent.schema.json") for p in sorted((root / "intents").glob("*.yaml"))]
    return [(p, s) for p, s in files if p.is_file()]


def schema_line(file: Path, schema_dir: Path, name: str) -> str:
    """The first line that points an editor at the schema, relative to the file."""
    rel = os.path.relpath(schema_dir / name, file.parent).replace(os.sep, "/")
    return SCHEMA_LINE + rel


def check_schema_lines(root: Path, schema_dir: Path) -> list[str]:
    """One message per catalogue file whose editor schema line is missing or wrong."""
    found: list[str] = []
    for path, name in catalogue_files(root):
        want = schema_line(path, schema_dir, name)
        shown = path.relative_to(root).as_posix()
        head = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                break
            head.append(line.strip())
        if want in head:
            continue
        other = next((h for h in head if "yaml-language-server" in h), None)
        if other:
            found.append(f"{shown}:1: the editor schema line is {other!r} (change it to: {want})")
        else:
            found.append(f"{shown}:1: no editor schema line (add this as the first line: {want})")
    return found


def write_schemas(out: Path) -> list[Path]:
    """Write every schema into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = out / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


