"""Editing one service in services.yaml from the console's form, keeping comments and layout.

    apply_edit(source, id, edit, today) -> new file text (ruamel round trip)
    check_catalogue(root, services_text) -> (Catalogue | None, problems): a temporary copy
    diff(old, new) -> a unified diff for the audit log
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.catalogue_types import DAY_CODES, Catalogue
from bot.review_turns import Refused
from bot.yamledit import dump, load_changed, replace_file, round_trip
from bot.yamlfile import Problem

SERVICES = "services.yaml"


@dataclass(frozen=True, slots=True)
class Session_:
    days: tuple[str, ...]
    opens_at: str
    closes_at: str
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Edit:
    """The common fields of a service, as the form sends them."""

    name: str
    description: str
    categories: tuple[str, ...]
    status: str
    fees_description: str
    phone: str
    place_name: str
    place_address: str
    place_postcode: str
    schedules: tuple[Session_, ...]
    reviewed_today: bool


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """A service's YAML mapping as the form's fields (strings)."""
    loc = (data.get("locations") or [{}])[0] or {}
    phone = (data.get("phones") or [{}])[0] or {}
    return {
        "name": str(data.get("name") or ""),
        "description": " ".join(str(data.get("description") or "").split()),
        "categories": [str(c) for c in data.get("categories") or []],
        "status": str(data.get("status") or ""),
        "fees_description": str(data.get("fees_description") or ""),
        "phone": str(phone.get("number") or ""),
        "place_name": str(loc.get("name") or ""),
        "place_address": str(loc.get("address") or ""),
        "place_postcode": str(loc.get("postal_code") or ""),
        "schedules": [{"days": [str(d) for d in s.get("days") or []],
                       "opens_at": str(s.get("opens_at") or ""),
                       "closes_at": str(s.get("closes_at") or ""),
                       "notes": str(s.get("notes") or "")}
                      for s in data.get("schedules") or [] if isinstance(s, dict)],
    }


def _service_in(data: Any, sid: str) -> Any:
    """The mapping of service `sid` in loaded services.yaml data, or None."""
    return next((s for s in (data or {}).get("services") or []
                 if isinstance(s, dict) and s.get("id") == sid), None)


def read_service(source: str, sid: str) -> dict[str, Any] | None:
    svc = _service_in(round_trip(source).load(source), sid)
    return None if svc is None else dict(svc)


def apply_edit(source: str, sid: str, edit: Edit, today: dt.date) -> str:
    """services.yaml with one service's common fields replaced; everything else untouched."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, FoldedScalarString

    yaml = round_trip(source)
    data = yaml.load(source)
    if dump(yaml, data) != source:
        raise Refused("services.yaml cannot be changed here without reformatting it, so "
                      "nothing was changed. Ask whoever looks after the catalogue files to "
                      "run it through 'signpost validate' and tidy it.")
    svc = _service_in(data, sid)
    if svc is None:
        raise Refused(f'There is no service "{sid}" in services.yaml any more.')

    def put(key: str, value: Any, after: str | None = None) -> None:
        if key in svc:
            svc[key] = value
        else:
            keys = list(svc.keys())
            pos = keys.index(after) + 1 if after in keys else len(keys)
            svc.insert(pos, key, value)

    def flow(items: list[str]) -> Any:
        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq

    def optional(key: str, value: str, after: str) -> None:
        if value:
            put(key, value, after)
        elif key in svc:
            del svc[key]

    put("name", edit.name)
    if " ".join(str(svc.get("description") or "").split()) != edit.description:
        folded = isinstance(svc.get("description"), FoldedScalarString)
        put("description", FoldedScalarString(edit.description) if folded
            else edit.description)
    if list(svc.get("categories") or []) != list(edit.categories):
        put("categories", flow(list(edit.categories)))
    put("status", edit.status)
    optional("fees_description", edit.fees_description, "url")

    phones = svc.get("phones")
    if edit.phone:
        if phones:
            phones[0]["number"] = DoubleQuotedScalarString(edit.phone)
        else:
            put("phones", CommentedSeq([CommentedMap(
                [("number", DoubleQuotedScalarString(edit.phone))])]), "schedules")
    elif phones:
        del phones[0]
        if not phones:
            del svc["phones"]

    locs = svc.get("locations")
    place = [("name", edit.place_name), ("address", edit.place_address),
             ("postal_code", edit.place_postcode)]
    if edit.place_name:
        if not locs:
            locs = CommentedSeq([CommentedMap()])
            put("locations", locs, "areas")
        for key, value in place:
            if value:
                locs[0][key] = value
            elif key in locs[0]:
                del locs[0][key]
    elif locs:
        del locs[0]
        if not locs:
            del svc["locations"]

    old = svc.get("schedules") or CommentedSeq()
    rows = CommentedSeq()
    for j, s in enumerate(edit.schedules):
        row = old[j] if j < len(old) and isinstance(old[j], dict) else CommentedMap()
        if list(row.get("days") or []) != list(s.days):
            row["days"] = flow(list(s.days))
        for key, value in (("opens_at", s.opens_at), ("closes_at", s.closes_at)):
            if str(row.get(key) or "") != value:
                row[key] = DoubleQuotedScalarString(value)
        if s.notes:
            row["notes"] = s.notes
        elif "notes" in row:
            del row["notes"]
        rows.append(row)
    if rows:
        if "schedules" in svc:
            old[:] = rows
        else:
            put("schedules", rows, "locations")
    elif "schedules" in svc:
        del svc["schedules"]
    if edit.reviewed_today:
        put("last_reviewed", today)
    return dump(yaml, data)


def check_catalogue(root: Path, services_text: str, today: dt.date | None = None
                    ) -> tuple[Catalogue | None, list[Problem]]:
    """Load the catalogue as it would be with this services.yaml, from a temporary copy."""
    return load_changed(root, {SERVICES: services_text}, "signpost-console-", today)


def save(root: Path, text: str, expected: str) -> None:
    """Swap the new services.yaml in, unless someone else changed it since the form loaded."""
    path = root / SERVICES
    if fingerprint(path.read_text(encoding="utf-8")) != expected:
        raise Refused("services.yaml was changed by someone else after you opened this "
                      "form, so nothing was saved. Open the service again and redo your "
                      "change.")
    replace_file(path, text)


def diff(old: str, new: str) -> str:
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(),
                                          "services.yaml (before)", "services.yaml (after)",
                                          n=1, lineterm=""))


def parse_days(values: list[str]) -> tuple[str, ...]:
    return tuple(d for d in DAY_CODES if d in values)
