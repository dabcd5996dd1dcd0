"""Field-by-field rules for the catalogue files, in one place.

The same declarations drive `signpost validate` (errors with file:line) and
`signpost schema` (JSON Schema for editors), so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.yamlfile import Path_, Problem, YamlDoc

Check = Callable[[Any], str | None]  # returns an error message or None


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a catalogue record."""

    name: str
    kind: str  # str | int | number | bool | date | list | object | map
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    item: Field | Record | None = None  # for lists and maps
    check: Check | None = None
    fix: str = ""
    example: str = ""


@dataclass(frozen=True, slots=True)
class Record:
    """A mapping with known fields."""

    title: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def names(self) -> list[str]:
        return [f.name for f in self.fields]


# ---------------------------------------------------------------- small checks

ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/\S*)?$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ]{1,18}[0-9]$")
DISTRICT_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _id(v: Any) -> str | None:
    if not ID_RE.match(v):
        return f'"{v}" is not a valid id'
    return None


def _time(v: Any) -> str | None:
    if not TIME_RE.match(v):
        return f'"{v}" is not a time'
    return None


def _email(v: Any) -> str | None:
    return None if EMAIL_RE.match(v) else f'"{v}" is not an email address'


def _url(v: Any) -> str | None:
    return None if URL_RE.match(v) else f'"{v}" is not a web address'


def _phone(v: Any) -> str | None:
    digits = re.sub(r"\D", "", v)
    if not PHONE_RE.match(v) or not 3 <= len(digits) <= 15:
        return f'"{v}" is not a phone number'
    return None


def _district(v: Any) -> str | None:
    return None if DISTRICT_RE.match(v) else f'"{v}" is not a postcode district'


def _postcode(v: Any) -> str | None:
    return None if POSTCODE_RE.match(v.upper()) else f'"{v}" is not a UK postcode'


def _age(v: Any) -> str | None:
    return None if 0 <= v <= 120 else f"{v} is not a possible age"


def _score(v: Any) -> str | None:
    return None if 0 <= v <= 100 else f"{v} is outside 0-100"


def _regex(v: Any) -> str | None:
    try:
        re.compile(v)
    except re.error as exc:
        return f"is not a valid pattern ({exc})"
    return None


def _nonblank(v: Any) -> str | None:
    return None if v.strip() else "is empty"


# ---------------------------------------------------------------- the records

CATEGORY = Record(
    "category",
    (
        Field("id", "str", "Short id used by services and intents", True, check=_id,
              fix="use lower-case letters, digits and _ e.g. visual_arts", example="music"),
        Field("title", "str", "Name shown on buttons", True, check=_nonblank),
        Field("description", "str", "One line about what is in this category"),
    ),
)

LOCATION = Record(
    "location",
    (
        Field("name", "str", "Venue name", True, check=_nonblank),
        Field("address", "str", "Street address"),
        Field("postal_code", "str", "Full postcode", check=_postcode, fix="e.g. E17 4ZZ"),
        Field("latitude", "number", "Latitude in degrees",
              check=lambda v: None if -90 <= v <= 90 else f"{v} is not a latitude"),
        Field("longitude", "number", "Longitude in degrees",
              check=lambda v: None if -180 <= v <= 180 else f"{v} is not a longitude"),
    ),
)

SCHEDULE = Record(
    "schedule",
    (
        Field("days", "list", "Days it runs", True,
              item=Field("day", "str", "Day code", choices=DAYS)),
        Field("opens_at", "str", "Opening time HH:MM", True, check=_time,
              fix="use HH:MM, e.g. 18:30", example="18:00"),
        Field("closes_at", "str", "Closing time HH:MM", True, check=_time,
              fix="use HH:MM, e.g. 20:00", example="20:00"),
        Field("notes", "str", "e.g. term time only"),
    ),
)

PHONE = Record(
    "phone",
    (
        Field("number", "str", "Phone number as dialled", True, check=_phone,
              fix='write digits and spaces only, in quotes, e.g. "020 7946 0123"'),
        Field("description", "str", "What this number is for"),
    ),
)

TEXT_ROUTE = Record(
    "text",
    (
        Field("number", "str", "Number to text", True, check=_phone,
              fix='write digits only, in quotes, e.g. "85258"'),
        Field("message", "str", "Word to text", True, check=_nonblank),
    ),
)

STATUSES = ("active", "inactive", "temporarily closed", "defunct")

SERVICE = Record(
    "service",
    (
        Field("id", "str", "Unique id", True, check=_id,
              fix="use lower-case letters, digits and - e.g. beat-lab-studio"),
        Field("name", "str", "Service name", True, check=_nonblank),
        Field("organisation", "str", "Who runs it", True, check=_nonblank),
        Field("description", "str", "1-3 plain sentences", True, check=_nonblank),
        Field("categories", "list", "Category ids", True,
              item=Field("category", "str", "Category id")),
        Field("keywords", "list",
              "Activity words people use for this service (boxing, fitness); the bot shows "
              "the service first when a message uses one",
              item=Field("keyword", "str", "Word or short phrase", check=_nonblank)),
        Field("minimum_age", "int", "Youngest age", check=_age),
        Field("maximum_age", "int", "Oldest age", check=_age),
        Field("areas", "list", "Postcode districts served (none = whole borough)",
              item=Field("area", "str", "Postcode district", check=_district,
                         fix="use the district only, in capitals, e.g. E17")),
        Field("locations", "list", "Where it runs", item=LOCATION),
        Field("schedules", "list", "When it runs", item=SCHEDULE),
        Field("start_date", "date", "First day of a dated event (YYYY-MM-DD)"),
        Field("end_date", "date", "Last day of a dated event (YYYY-MM-DD)"),
        Field("phones", "list", "Phone numbers", item=PHONE),
        Field("texts", "list", "Text (SMS) routes", item=TEXT_ROUTE),
        Field("email", "str", "Contact email", check=_email, fix="e.g. name@example.org"),
        Field("url", "str", "Web page", check=_url, fix="start with https://"),
        Field("fees_description", "str", "Cost, e.g. Free"),
        Field("referral", "str", "How to join", choices=("self", "professional", "both")),
        Field("languages", "list", "Languages spoken",
              item=Field("language", "str", "Language")),
        Field("accessibility", "str", "Access information"),
        Field("status", "str", "Whether it is running", True, choices=STATUSES),
        Field("alert", "str", "Short-notice change shown on the card"),
        Field("open_24_7", "bool", "Open all day, every day"),
        Field("talk_now", "bool", "A young person can reach a person here"),
        Field("last_reviewed", "date", "When someone last checked this entry", True),
        Field("sample", "bool", "true for invented sample data", True),
    ),
)

SERVICES_FILE = Record(
    "services.yaml",
    (
        Field("categories", "list", "The categories services belong to", True, item=CATEGORY),
        Field("services", "list", "The partnership's services", True, item=SERVICE),
    ),
)

SETTINGS_FILE = Record(
    "settings.yaml",
    (
        Field("match_threshold", "number", "Below this score there is no confident answer",
              True, check=_score),
        Field("ambiguity_margin", "number", "Top two closer than this: ask which one",
              True, check=_score),
        Field("menu", "list", "Category ids in menu order", True,
              item=Field("category", "str", "Category id")),
    ),
)

PLACE = Record(
    "place",
    (
        Field("name", "str", "Place name as people type it, e.g. walthamstow", True,
              check=_nonblank),
        Field("district", "str", "Postcode district it maps to", True, check=_district,
              fix="use the district only, in capitals, e.g. E17"),
        Field("also", "list", "Other ways people write it, e.g. the stow",
              item=Field("name", "str", "Other name", check=_nonblank)),
    ),
)

PLACES_FILE = Record(
    "places.yaml",
    (
        Field("places", "list", "Place names in and around the borough", True, item=PLACE),
    ),
)

FOLLOW_UP = Record(
    "follow_up",
    (
        Field("label", "str", "Button text (keep it short)", True, check=_nonblank),
        Field("intent", "str", "Intent id the button asks about"),
        Field("category", "str", "Category id the button lists"),
        Field("service", "str", "Service id the button shows"),
    ),
)

SERVICE_PICK = Record(
    "services",
    (
        Field("categories", "list", "Show services in these categories",
              item=Field("category", "str", "Category id")),
        Field("ids", "list", "Show these services", item=Field("id", "str", "Service id")),
    ),
)

RULES = Record(
    "rules",
    (
        Field("phrases", "list", "Whole-word phrases that trigger this safety intent",
              item=Field("phrase", "str", "Phrase", check=_nonblank)),
        Field("patterns", "list", "Regular expressions on the normalised text",
              item=Field("pattern", "str", "Pattern", check=_regex,
                         fix="check brackets and backslashes")),
        Field("exclude", "list", "Harmless phrases removed before the rules run",
              item=Field("phrase", "str", "Phrase", check=_nonblank)),
    ),
)

INTENT_KINDS = ("signpost", "safety", "chitchat")

INTENT_FILE = Record(
    "intent",
    (
        Field("id", "str", "Intent id (same as the file name)", True, check=_id),
        Field("title", "str", "Short name shown on buttons", True, check=_nonblank),
        Field("kind", "str", "What sort of intent", True, choices=INTENT_KINDS),
        Field("description", "str", "What this intent covers"),
        Field("examples", "list", "Messages that mean this intent", True,
              item=Field("example", "str", "Example message", check=_nonblank)),
        Field("keywords", "list", "Single words that strongly point here",
              item=Field("keyword", "str", "Keyword", check=_nonblank)),
        Field("negative_examples", "list", "Messages that must not match this intent",
              item=Field("example", "str", "Example message", check=_nonblank)),
        Field("reply", "str", "What the bot says", True, check=_nonblank),
        Field("services", "object", "Which services to show", item=SERVICE_PICK),
        Field("follow_ups", "list", "Buttons under the reply", item=FOLLOW_UP),
        Field("rules", "object", "Safety rules (safety intents only)", item=RULES),
    ),
)

LEXICON_FILE = Record("lexicon.yaml")  # free-form map: canonical -> [variants]


# ---------------------------------------------------------------- checking

_TYPE_NAMES = {
    "str": "text", "int": "a whole number", "number": "a number", "bool": "true or false",
    "date": "a date", "list": "a list", "object": "a set of fields", "map": "a set of fields",
}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, dict)


def _type_fix(f: Field, value: Any) -> str:
    if f.kind == "str" and isinstance(value, int | float) and f.example:
        return f'put it in quotes, e.g. "{f.example}"'
    if f.kind == "str" and isinstance(value, int | float):
        return "put it in quotes"
    if f.kind == "date":
        return "write it as YYYY-MM-DD, e.g. 2026-11-01"
    if f.kind == "bool":
        return "write true or false"
    if f.kind == "list" and isinstance(value, str):
        return f"write it as a list: [{value}]"
    if f.kind in ("int", "number"):
        return "write digits only, e.g. 16"
    return f"write {_TYPE_NAMES.get(f.kind, f.kind)}"


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) < 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of fields"
    return str(value)


def check_record(doc: YamlDoc, record: Record, value: Any, path: Path_) -> list[Problem]:
    """Check a mapping against a Record; returns every problem found."""
    if not isinstance(value, dict):
        return [doc.problem(path, f"should be {_TYPE_NAMES['object']}, not {_describe(value)}",
                            f"write the {record.title} as field: value lines")]
    problems: list[Problem] = []
    known = {f.name: f for f in record.fields}
    for key in value:
        if key not in known:
            hit = process.extractOne(str(key), list(known),
                                     scorer=Levenshtein.normalized_similarity)
            fix = f'did you mean "{hit[0]}"?' if hit and hit[1] >= 0.5 else (
                "allowed fields: " + ", ".join(known))
            problems.append(doc.problem((*path, str(key)), f'unknown field "{key}"', fix,
                                        at_key=True))
    for f in record.fields:
        if f.name not in value or value[f.name] is None:
            if f.required:
                problems.append(doc.problem(path, f'missing required field "{f.name}"',
                                            f"add {f.name}: ({f.help.lower()})"))
            continue
        problems += check_field(doc, f, value[f.name], (*path, f.name))
    return problems


def check_field(doc: YamlDoc, f: Field, value: Any, path: Path_) -> list[Problem]:
    """Check one value against its Field."""
    if not _type_ok(f.kind, value):
        return [doc.problem(path, f"should be {_TYPE_NAMES.get(f.kind, f.kind)}, "
                                  f"not {_describe(value)}", _type_fix(f, value))]
    if f.kind == "list":
        problems: list[Problem] = []
        for i, item in enumerate(value):
            if isinstance(f.item, Record):
                problems += check_record(doc, f.item, item, (*path, i))
            elif isinstance(f.item, Field):
                problems += check_field(doc, f.item, item, (*path, i))
        return problems
    if f.kind == "object" and isinstance(f.item, Record):
        return check_record(doc, f.item, value, path)
    if f.choices and value not in f.choices:
        hit = process.extractOne(str(value), list(f.choices),
                                 scorer=Levenshtein.normalized_similarity)
        fix = (f'did you mean "{hit[0]}"?' if hit and hit[1] >= 0.5
               else "use one of: " + ", ".join(f.choices))
        return [doc.problem(path, f'"{value}" is not allowed here', fix)]
    if f.check is not None:
        msg = f.check(value)
        if msg:
            return [doc.problem(path, msg, f.fix)]
    return []


# ---------------------------------------------------------------- JSON Schema

def json_schema(record: Record, title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a record, for editors."""
    schema = _record_schema(record)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def _record_schema(record: Record) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in record.fields if f.required],
        "properties": {f.name: _field_schema(f) for f in record.fields},
    }


def _field_schema(f: Field) -> dict[str, Any]:
    out: dict[str, Any]
    if f.kind == "list":
        item = f.item
        items = _record_schema(item) if isinstance(item, Record) else (
            _field_schema(item) if isinstance(item, Field) else {})
        out = {"type": "array", "items": items}
    elif f.kind == "object" and isinstance(f.item, Record):
        out = _record_schema(f.item)
    elif f.kind == "int":
        out = {"type": "integer"}
    elif f.kind == "number":
        out = {"type": "number"}
    elif f.kind == "bool":
        out = {"type": "boolean"}
    elif f.kind == "date":
        out = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    else:
        out = {"type": "string"}
    if f.choices:
        out["enum"] = list(f.choices)
    patterns: dict[Check, re.Pattern[str]] = {_time: TIME_RE, _id: ID_RE, _district: DISTRICT_RE}
    pattern = patterns.get(f.check) if f.check is not None else None
    if pattern is not None:
        out["pattern"] = pattern.pattern
    if f.check is _age:
        out.update(minimum=0, maximum=120)
    if f.check is _score:
        out.update(minimum=0, maximum=100)
    out["description"] = f.help
    return out


LEXICON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "lexicon.yaml",
    "description": "canonical word or phrase: [variants young people type]",
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string", "minLength": 1}},
}
