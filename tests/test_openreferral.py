"""Open Referral UK export and import, checked through the files staff would share."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalogue import load_or_raise
from bot.cli import main

REPO = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    got = capsys.readouterr()
    return code, got.out, got.err


def empties(value: Any, path: str = "") -> list[str]:
    """Paths of null or empty values (the standard wants optional fields left out)."""
    if value is None or value in ("", [], {}):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in empties(v, f"{path}[{n}]")]
    return []


def test_round_trip_of_the_shipped_catalogue(make_catalogue: Callable[..., Path],
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Export, import into a catalogue: the same services and categories load back."""
    shipped = load_or_raise(REPO)
    exported = tmp_path / "directory.json"
    code, out, _ = run(capsys, "export", "--format", "openreferral", str(exported),
                       "--catalogue", str(REPO))
    assert code == 0 and out.startswith(f"wrote {exported}: {len(shipped.services)} services")
    root = make_catalogue("shipped")
    (root / "services.yaml").unlink()
    code, out, err = run(capsys, "import", "--format", "openreferral", str(exported),
                         "--out", str(root / "services.yaml"))
    assert code == 0, out + err
    assert out.startswith(f"wrote {root / 'services.yaml'}: {len(shipped.services)} services "
                          f"in {len(shipped.categories)} categories")
    assert "note:" not in out  # nothing had to be guessed
    back = load_or_raise(root)
    assert back.services == shipped.services
    assert list(back.services) == list(shipped.services)
    assert back.categories == shipped.categories
    text = (root / "services.yaml").read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=schemas/services.schema.json\n")


def test_export_uses_open_referral_names_and_omits_empty_fields(
        make_catalogue: Callable[..., Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fields carry the standard's names; nothing is null or empty; extras are in one place."""
    root = make_catalogue()
    out_file = tmp_path / "out.json"
    code, out, _ = run(capsys, "export", str(out_file), "--catalogue", str(root))
    assert code == 0
    assert out.splitlines()[0] == (f"wrote {out_file}: 3 services, 0 locations, 2 schedules, "
                                   "2 phones, 1 service areas, 3 categories as taxonomy terms")
    assert "2 of these services are invented sample data" in out
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert empties(data) == []
    assert data["total_items"] == 3 and len(data["contents"]) == 3
    boxing, _beat, childline = data["contents"]
    assert {k: boxing[k] for k in ("name", "description", "url", "email", "status",
                                   "minimum_age", "maximum_age", "fees_description",
                                   "assured_date")} == {
        "name": "Boxing Club", "description": "Boxing for beginners.",
        "url": "https://example.org/boxing", "email": "boxing@example.org",
        "status": "active", "minimum_age": 13, "maximum_age": 19,
        "fees_description": "Free", "assured_date": "2026-11-01"}
    assert boxing["organization"]["name"] == "Test Trust (sample)"
    [schedule] = boxing["schedules"]
    assert {k: schedule[k] for k in ("freq", "byday", "opens_at", "closes_at")} == {
        "freq": "WEEKLY", "byday": "MO,WE", "opens_at": "18:00:00", "closes_at": "20:00:00"}
    assert [(p["number"], p["type"]) for p in boxing["phones"]] == [("020 7946 0101", "voice")]
    assert [a["name"] for a in boxing["service_areas"]] == ["E17"]
    [term] = [a["taxonomy_term"] for a in boxing["attributes"]]
    assert (term["code"], term["name"], term["vocabulary"]) == (
        "sport", "Sport", "signpost-categories")
    assert boxing["signpost_extension"] == {"id": "boxing-club", "sample": True,
                                            "referral": "self"}
    assert "minimum_age" not in childline and "alert" not in childline
    assert childline["signpost_extension"] == {"id": "childline", "sample": False,
                                               "talk_now": True, "open_24_7": True}
    assert childline["schedules"][0]["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    again = tmp_path / "again.json"
    run(capsys, "export", str(again), "--catalogue", str(root))
    assert again.read_text(encoding="utf-8") == out_file.read_text(encoding="utf-8")


def test_export_real_only(make_catalogue: Callable[..., Path], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    """--real-only leaves the invented sample services out of a file meant for sharing."""
    root = make_catalogue()
    out_file = tmp_path / "real.json"
    code, out, _ = run(capsys, "export", "--real-only", str(out_file), "--catalogue", str(root))
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert code == 0 and [s["name"] for s in data["contents"]] == ["Childline"]
    assert "sample" not in out.split("\n", 1)[1]


ANOTHER_DIRECTORY = {
    "total_items": 1,
    "contents": [{
        "id": "ac148810-d857-441c-9679-408f346de14b",
        "name": "Community Counselling",
        "description": "Free counselling for young people. ",
        "url": "https://example.org/counselling",
        "status": "active",
        "minimum_age": 12,
        "maximum_age": 25,
        "last_modified": "2026-10-15T10:30:45.123Z",
        "organization": {"id": "d9d5e0f5", "name": "Example Organisation"},
        "phones": [{"number": "(020) 7946-0555", "description": "reception"}],
        "schedules": [
            {"freq": "WEEKLY", "byday": "TU,TH", "opens_at": "10:00:00",
             "closes_at": "18:00:00", "description": "drop in"},
            {"freq": "MONTHLY", "bymonthday": "1", "opens_at": "10:00:00",
             "closes_at": "12:00:00", "description": "first of the month"},
        ],
        "service_areas": [{"name": "e17"}, {"name": "Waltham Forest"}],
        "service_at_locations": [{"location": {
            "name": "Civic Centre", "location_type": "physical",
            "latitude": 51.58, "longitude": -0.02,
            "addresses": [{"address_1": "5 Example Street", "city": "London",
                           "postal_code": "E17 4ZZ", "country": "GB"}]}}],
        "attributes": [{"taxonomy_term": {"name": "Mental Health", "vocabulary": "other"}}],
        "languages": [{"name": "English"}, {"name": "Polish"}],
    }],
}


def test_import_from_another_directory(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Another directory's JSON becomes a services.yaml; each guess is noted for staff."""
    src = tmp_path / "theirs.json"
    src.write_text(json.dumps(ANOTHER_DIRECTORY), encoding="utf-8")
    out_file = tmp_path / "services.yaml"
    code, out, err = run(capsys, "import", str(src), "--out", str(out_file))
    assert code == 0, out + err
    assert out.startswith(f"wrote {out_file}: 1 services in 1 categories")
    assert ("note: service community-counselling: a schedule that is not weekly days with "
            "opening times was left out (first of the month)") in out
    assert ('note: service community-counselling: service area "Waltham Forest" is not a '
            "postcode district; left out (add areas: [E17, ...] by hand)") in out
    data = yaml.safe_load(out_file.read_text(encoding="utf-8"))
    assert data["categories"] == [{"id": "mental_health", "title": "Mental Health"}]
    [svc] = data["services"]
    assert svc["id"] == "community-counselling"
    assert svc["organisation"] == "Example Organisation"
    assert svc["description"] == "Free counselling for young people."
    assert svc["areas"] == ["E17"]
    assert svc["phones"] == [{"number": "020 7946 0555", "description": "reception"}]
    assert svc["schedules"] == [{"days": ["TU", "TH"], "opens_at": "10:00",
                                 "closes_at": "18:00", "notes": "drop in"}]
    assert svc["locations"] == [{"name": "Civic Centre", "address": "5 Example Street, London",
                                 "postal_code": "E17 4ZZ", "latitude": 51.58,
                                 "longitude": -0.02}]
    assert str(svc["last_reviewed"]) == "2026-10-15"
    assert svc["sample"] is False and svc["languages"] == ["English", "Polish"]


def test_import_refuses_to_overwrite_and_bad_json(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """An existing file is kept unless --force; a file that is not JSON is refused (exit 2)."""
    src = tmp_path / "theirs.json"
    src.write_text(json.dumps(ANOTHER_DIRECTORY), encoding="utf-8")
    existing = tmp_path / "services.yaml"
    existing.write_text("keep me\n", encoding="utf-8")
    code, _, err = run(capsys, "import", str(src), "--out", str(existing))
    assert code == 2 and "already exists" in err and "--force" in err
    assert existing.read_text(encoding="utf-8") == "keep me\n"
    code, _, _ = run(capsys, "import", str(src), "--out", str(existing), "--force")
    assert code == 0 and "Community Counselling" in existing.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = run(capsys, "import", str(bad), "--out", str(tmp_path / "x.yaml"))
    assert code == 2 and f"{bad} is not JSON" in err
    empty = tmp_path / "empty.json"
    empty.write_text('{"hello": 1}', encoding="utf-8")
    code, _, err = run(capsys, "import", str(empty), "--out", str(tmp_path / "y.yaml"))
    assert code == 2 and "no services found" in err


def test_import_reports_what_still_needs_fixing(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A service with no description is written, and the problem is named with file:line."""
    entry = dict(ANOTHER_DIRECTORY["contents"][0])  # type: ignore[index]
    del entry["description"]
    src = tmp_path / "theirs.json"
    src.write_text(json.dumps([entry]), encoding="utf-8")
    out_file = tmp_path / "services.yaml"
    code, out, _ = run(capsys, "import", str(src), "--out", str(out_file))
    assert code == 1
    assert "services.yaml:10:5: services[0]: missing required field \"description\"" in out
    assert "1 problem(s) to fix in" in out
