"""Editor schemas: they accept the shipped catalogue and catch the mistakes a schema can."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.cli import main
from bot.staff_schema import catalogue_files, check_schema_lines, schemas
from bot.yamlfile import dotted

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

# Broken fixtures whose mistake is in one field's shape or value: the schema must catch them.
SCHEMA_LEVEL = ("bad_day", "bad_email", "bad_phone", "bad_url", "impossible_time",
                "unknown_field", "wrong_type")
# The rest need more than one field, more than one file, or the YAML text itself
# (duplicate keys vanish once parsed): only `signpost validate` catches those.
NOT_SCHEMA_LEVEL = ("category_without_service", "closes_before_opens", "duplicate_key",
                    "duplicate_service_id", "example_in_two_intents", "impossible_ages",
                    "lexicon_conflict", "missing_category", "missing_service",
                    "safety_gutted", "safety_missing", "safety_reply_missing_routes",
                    "sample_real_phone", "stale_service", "yaml_syntax")


def plain(value: Any) -> Any:
    """YAML dates as the strings an editor sees (the YAML 1.2 editors read them so)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schemas()[name],
                                           format_checker=jsonschema.FormatChecker())


def errors_in(root: Path, files: list[Path] | None = None) -> list[jsonschema.ValidationError]:
    found: list[jsonschema.ValidationError] = []
    for path, name in catalogue_files(root):
        if files is not None and path not in files:
            continue
        data = plain(yaml.safe_load(path.read_text(encoding="utf-8")))
        found += list(validator(name).iter_errors(data))
    return found


def test_schemas_are_valid_json_schema() -> None:
    """Every schema is itself a valid draft 2020-12 schema."""
    for schema in schemas().values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_schemas_accept_the_shipped_catalogue() -> None:
    """All 26 shipped files validate against their schema."""
    files = catalogue_files(REPO)
    assert len(files) >= 4 + 20
    assert [str(e) for e in errors_in(REPO)] == []


def test_schemas_accept_the_minimal_fixture(make_catalogue: Callable[..., Path]) -> None:
    """The fixture the broken cases start from is itself fine, so rejections are real."""
    assert [str(e) for e in errors_in(make_catalogue())] == []


def test_every_broken_fixture_is_classified() -> None:
    """A new broken fixture must be sorted into schema-level or not."""
    dirs = {p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir()}
    assert dirs == set(SCHEMA_LEVEL) | set(NOT_SCHEMA_LEVEL)


@pytest.mark.parametrize("case", SCHEMA_LEVEL)
def test_schemas_reject_schema_level_mistakes(case: str,
                                              make_catalogue: Callable[..., Path]) -> None:
    """The editor flags the same field that signpost validate names in expected.txt."""
    root = make_catalogue("minimal", case)
    over = FIXTURES / "broken" / case
    changed = [root / f.relative_to(over) for f in over.rglob("*.yaml")]
    errors = errors_in(root, changed)
    assert errors, f"the schema accepted the {case} mistake"
    # "services.yaml:18:16: services[0].schedules[0].days[0]: ..." -> the field path
    where = (over / "expected.txt").read_text(encoding="utf-8").split(": ")[1]
    places = {dotted(tuple(e.absolute_path)) for e in errors}
    unknown = [e for e in errors if e.validator == "additionalProperties"]
    assert where in places or any(where in e.message for e in unknown), (where, places)


def test_committed_schemas_match_the_code() -> None:
    """schemas/*.json are what `signpost schema` writes today (rerun it after a change)."""
    for name, schema in schemas().items():
        committed = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        assert committed == schema, f"schemas/{name} is out of date: run signpost schema"


def test_every_shipped_file_points_at_its_schema() -> None:
    """Each shipped YAML file starts with the yaml-language-server line for its schema."""
    assert check_schema_lines(REPO, REPO / "schemas") == []
    for path, name in catalogue_files(REPO):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = (path.parent / first.split("$schema=")[1]).resolve()
        assert target == (REPO / "schemas" / name).resolve(), path


def test_schema_command_writes_files_and_names_missing_lines(
        make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """`signpost schema` writes five files and says which catalogue files lack the line."""
    root = make_catalogue()
    sport = root / "intents" / "sport.yaml"
    sport.write_text("# yaml-language-server: $schema=../schemas/intent.schema.json\n"
                     + sport.read_text(encoding="utf-8"), encoding="utf-8")
    code = main(["schema", "--catalogue", str(root)])
    out = capsys.readouterr().out
    assert code == 0
    assert sorted(p.name for p in (root / "schemas").iterdir()) == [
        "intent.schema.json", "lexicon.schema.json", "places.schema.json",
        "services.schema.json", "settings.schema.json"]
    assert f"wrote {root / 'schemas' / 'services.schema.json'}" in out
    assert ("services.yaml:1: no editor schema line (add this as the first line: "
            "# yaml-language-server: $schema=schemas/services.schema.json)") in out
    assert ("intents/music.yaml:1: no editor schema line (add this as the first line: "
            "# yaml-language-server: $schema=../schemas/intent.schema.json)") in out
    assert "intents/sport.yaml" not in out


def test_schema_command_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--out DIR writes there, and lines pointing elsewhere are reported with the fix."""
    code = main(["schema", "--catalogue", str(REPO), "--out", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert code == 0 and (tmp_path / "s" / "intent.schema.json").is_file()
    assert "services.yaml:1: the editor schema line is" in out
