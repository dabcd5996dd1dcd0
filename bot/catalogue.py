"""YAML files -> frozen Intent/Service objects; every problem names file:line.

`load(root)` reads settings.yaml, services.yaml, lexicon.yaml and intents/*.yaml,
checks each field (bot.schema), then the links between files, and returns a
Catalogue together with every problem found. A catalogue with errors is never served.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import routes
from bot.schema import (
    INTENT_FILE,
    PLACES_FILE,
    SERVICES_FILE,
    SETTINGS_FILE,
    check_record,
)
from bot.text import build_lexicon, fold
from bot.yamlfile import Problem, YamlDoc, load_yaml

try:
    LONDON: dt.tzinfo = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # pragma: no cover - machines without tzdata
    LONDON = dt.UTC

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
STALE_AFTER_DAYS = 365
DRAMA_RANGE = re.compile(r"^020 ?7946 ?0\d{3}$")
SAMPLE_DOMAINS = ("example.org", "example.com")


class CatalogueError(Exception):
    """The catalogue could not be loaded; `problems` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__(
            f"the catalogue has {len(errors)} error(s); first: {errors[0] if errors else '?'}"
        )


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Location:
    name: str
    address: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    days: tuple[str, ...]
    opens_at: dt.time
    closes_at: dt.time
    notes: str = ""

    def open_at(self, when: dt.datetime) -> bool:
        return DAY_CODES[when.weekday()] in self.days and (
            self.opens_at <= when.time() < self.closes_at
        )


@dataclass(frozen=True, slots=True)
class Phone:
    number: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class TextRoute:
    number: str
    message: str


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    name: str
    organisation: str
    description: str
    categories: tuple[str, ...]
    status: str
    last_reviewed: dt.date
    sample: bool
    minimum_age: int | None = None
    maximum_age: int | None = None
    areas: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    phones: tuple[Phone, ...] = ()
    texts: tuple[TextRoute, ...] = ()
    email: str = ""
    url: str = ""
    fees_description: str = ""
    referral: str = ""
    languages: tuple[str, ...] = ()
    accessibility: str = ""
    alert: str = ""
    open_24_7: bool = False
    talk_now: bool = False
    keywords: tuple[str, ...] = ()  # activity words, folded (see places.py for matching)

    def is_past(self, today: dt.date) -> bool:
        """A dated event whose last day has gone."""
        last = self.end_date or self.start_date
        return last is not None and last < today

    def is_listed(self, today: dt.date) -> bool:
        """Shown to young people at all: active and not a past event."""
        return self.status == "active" and not self.is_past(today)

    def is_open(self, when: dt.datetime) -> bool:
        """Open at this moment (24/7 lines always are)."""
        if not self.is_listed(when.date()):
            return False
        if self.open_24_7:
            return True
        if self.start_date and when.date() < self.start_date:
            return False
        return any(s.open_at(when) for s in self.schedules)

    def suits_age(self, age: int | None) -> bool:
        if age is None:
            return True
        if self.minimum_age is not None and age < self.minimum_age:
            return False
        return not (self.maximum_age is not None and age > self.maximum_age)

    def serves_area(self, district: str | None) -> bool:
        return district is None or not self.areas or district in self.areas


@dataclass(frozen=True, slots=True)
class FollowUp:
    label: str
    intent: str = ""
    category: str = ""
    service: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    title: str
    kind: str
    reply: str
    examples: tuple[str, ...]
    description: str = ""
    keywords: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    service_categories: tuple[str, ...] = ()
    service_ids: tuple[str, ...] = ()
    follow_ups: tuple[FollowUp, ...] = ()
    rules: Rules = Rules()
    file: str = ""

    @property
    def is_safety(self) -> bool:
        return self.kind == "safety"


@dataclass(frozen=True, slots=True)
class Settings:
    match_threshold: float = 50.0
    ambiguity_margin: float = 4.0
    menu: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalogue:
    """Everything the engine knows, loaded and checked. Immutable once built."""

    settings: Settings
    categories: dict[str, Category]
    services: dict[str, Service]
    intents: dict[str, Intent]
    lexicon: dict[str, str]  # variant -> canonical, folded
    places: dict[str, str] = field(default_factory=dict)  # folded place name -> district
    version: str = "0"
    root: str = ""
    warnings: tuple[Problem, ...] = ()
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def category_title(self, cat_id: str) -> str:
        c = self.categories.get(cat_id)
        return c.title if c else cat_id.replace("_", " ").title()

    def intent_title(self, intent_id: str) -> str:
        i = self.intents.get(intent_id)
        return i.title if i else routes.SAFETY_TITLES.get(intent_id, intent_id)

    def services_in(self, cat_id: str) -> list[Service]:
        """Services in a category, in catalogue order (worked out once per catalogue)."""
        by_cat: dict[str, list[Service]] | None = self.__dict__.get("_by_category")
        if by_cat is None:
            by_cat = {}
            for s in self.services.values():
                for c in s.categories:
                    by_cat.setdefault(c, []).append(s)
            object.__setattr__(self, "_by_category", by_cat)
        return list(by_cat.get(cat_id, ()))

    @property
    def areas(self) -> frozenset[str]:
        """Every postcode district a service names (worked out once per catalogue)."""
        cached: frozenset[str] | None = self.__dict__.get("_areas")
        if cached is None:
            cached = frozenset(a for s in self.services.values() for a in s.areas)
            object.__setattr__(self, "_areas", cached)
        return cached

    @property
    def index(self) -> Any:
        """The matcher's index for this catalogue, built once on first use."""
        cached = self.__dict__.get("_index")
        if cached is None:
            from bot.matcher import Index  # local import: matcher depends on this module

            cached = Index.build(self)
            object.__setattr__(self, "_index", cached)
        return cached


# ---------------------------------------------------------------- loading


def find_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--catalogue DIR, else $SIGNPOST_CATALOGUE, else the current directory."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SIGNPOST_CATALOGUE")
    return Path(env) if env else Path.cwd()


def load(root: Path, today: dt.date | None = None) -> tuple[Catalogue | None, list[Problem]]:
    """Load and check the catalogue in `root`; returns (catalogue or None, problems)."""
    today = today or dt.datetime.now(LONDON).date()
    problems: list[Problem] = []
    digest = hashlib.sha256()

    def read(path: Path, display: str) -> YamlDoc | None:
        if path.exists():
            with contextlib.suppress(OSError):  # load_yaml reports the unreadable file
                digest.update(display.encode() + b"\0" + path.read_bytes())
        doc, probs = load_yaml(path, display)
        problems.extend(probs)
        return doc

    settings_doc = read(root / "settings.yaml", "settings.yaml")
    services_doc = read(root / "services.yaml", "services.yaml")
    lexicon_doc = read(root / "lexicon.yaml", "lexicon.yaml")
    places_doc = read(root / "places.yaml", "places.yaml") if (root / "places.yaml").exists() \
        else None
    intent_dir = root / "intents"
    intent_docs: list[YamlDoc] = []
    if not intent_dir.is_dir():
        problems.append(Problem("intents", 1, 1, "", "folder is missing",
                                "create the intents/ folder with one file per intent"))
    else:
        for path in sorted(intent_dir.glob("*.yaml")) + sorted(intent_dir.glob("*.yml")):
            doc = read(path, f"intents/{path.name}")
            if doc is not None:
                intent_docs.append(doc)

    settings = _settings(settings_doc, problems)
    shadow: set[str] = set()  # ids and categories of services with field errors
    categories, services = _services(services_doc, problems, today, shadow)
    lexicon = _lexicon(lexicon_doc, problems)
    places = _places(places_doc, problems)
    intents = _intents(intent_docs, problems)
    _cross_check(settings, categories, services, intents, intent_docs, services_doc,
                 settings_doc, problems, today, shadow)

    if any(p.severity == "error" for p in problems):
        return None, problems
    cat = Catalogue(
        settings=settings,
        categories=categories,
        services=services,
        intents=intents,
        lexicon=lexicon,
        places=places,
        version=digest.hexdigest()[:8],
        root=str(root),
        warnings=tuple(p for p in problems if p.severity == "warning"),
    )
    return cat, problems


def load_or_raise(root: Path, today: dt.date | None = None) -> Catalogue:
    cat, problems = load(root, today)
    if cat is None:
        raise CatalogueError(problems)
    return cat


def _settings(doc: YamlDoc | None, problems: list[Problem]) -> Settings:
    if doc is None:
        return Settings()
    errs = check_record(doc, SETTINGS_FILE, doc.data, ())
    problems.extend(errs)
    if errs or not isinstance(doc.data, dict):
        return Settings()
    d = doc.data
    return Settings(float(d["match_threshold"]), float(d["ambiguity_margin"]),
                    tuple(d["menu"]))


def _time(value: str) -> dt.time:
    h, m = value.split(":")
    return dt.time(int(h), int(m))


def _services(
    doc: YamlDoc | None, problems: list[Problem], today: dt.date, shadow: set[str]
) -> tuple[dict[str, Category], dict[str, Service]]:
    if doc is None:
        return {}, {}
    errs = check_record(doc, SERVICES_FILE, doc.data, ())
    problems.extend(errs)
    if not isinstance(doc.data, dict):
        return {}, {}
    bad_paths = {p.where for p in errs}
    categories: dict[str, Category] = {}
    for i, c in enumerate(doc.data.get("categories") or []):
        if not isinstance(c, dict) or not isinstance(c.get("id"), str):
            continue
        if c["id"] in categories:
            problems.append(doc.problem(("categories", i, "id"),
                                        f'category id "{c["id"]}" is used twice',
                                        "give each category its own id"))
            continue
        categories[c["id"]] = Category(c["id"], str(c.get("title", c["id"])),
                                       str(c.get("description") or ""))
    services: dict[str, Service] = {}
    for i, s in enumerate(doc.data.get("services") or []):
        where = f"services[{i}]"
        if not isinstance(s, dict):
            continue
        if any(b == where or b.startswith((where + ".", where + "[")) for b in bad_paths):
            # Remember what it would have provided, so its errors don't cascade.
            shadow.add(str(s.get("id")))
            shadow.update(str(c) for c in s.get("categories") or [] if isinstance(c, str))
            continue
        path = ("services", i)
        if s["id"] in services:
            problems.append(doc.problem((*path, "id"), f'service id "{s["id"]}" is used twice',
                                        "give each service its own id"))
            continue
        svc = _service(s)
        problems.extend(_service_checks(doc, path, svc, today))
        services[svc.id] = svc
    return categories, services


def _service(s: dict[str, Any]) -> Service:
    return Service(
        id=s["id"], name=s["name"], organisation=s["organisation"],
        description=s["description"].strip(), categories=tuple(s["categories"]),
        status=s["status"], last_reviewed=s["last_reviewed"], sample=s["sample"],
        minimum_age=s.get("minimum_age"), maximum_age=s.get("maximum_age"),
        areas=tuple(s.get("areas") or ()),
        locations=tuple(Location(lo["name"], lo.get("address") or "",
                                 (lo.get("postal_code") or "").upper(),
                                 lo.get("latitude"), lo.get("longitude"))
                        for lo in s.get("locations") or ()),
        schedules=tuple(Schedule(tuple(sc["days"]), _time(sc["opens_at"]),
                                 _time(sc["closes_at"]), sc.get("notes") or "")
                        for sc in s.get("schedules") or ()),
        start_date=s.get("start_date"), end_date=s.get("end_date"),
        phones=tuple(Phone(p["number"], p.get("description") or "")
                     for p in s.get("phones") or ()),
        texts=tuple(TextRoute(t["number"], t["message"]) for t in s.get("texts") or ()),
        email=s.get("email") or "", url=s.get("url") or "",
        fees_description=s.get("fees_description") or "", referral=s.get("referral") or "",
        languages=tuple(s.get("languages") or ()), accessibility=s.get("accessibility") or "",
        alert=s.get("alert") or "", open_24_7=bool(s.get("open_24_7")),
        talk_now=bool(s.get("talk_now")),
        keywords=tuple(dict.fromkeys(fold(k) for k in s.get("keywords") or () if fold(k))),
    )


def _service_checks(
    doc: YamlDoc, path: tuple[str | int, ...], svc: Service, today: dt.date
) -> Iterable[Problem]:
    if (svc.minimum_age is not None and svc.maximum_age is not None
            and svc.minimum_age > svc.maximum_age):
        yield doc.problem((*path, "minimum_age"),
                          f"minimum_age {svc.minimum_age} is above maximum_age "
                          f"{svc.maximum_age}", "swap them or correct one")
    if svc.start_date and svc.end_date and svc.end_date < svc.start_date:
        yield doc.problem((*path, "end_date"), "end_date is before start_date",
                          "check the two dates")
    for j, sc in enumerate(svc.schedules):
        if sc.closes_at <= sc.opens_at:
            yield doc.problem((*path, "schedules", j, "closes_at"),
                              f"closes at {sc.closes_at:%H:%M}, not after it opens at "
                              f"{sc.opens_at:%H:%M}",
                              "closing time must be later the same day; for 24/7 use "
                              "open_24_7: true")
        if len(set(sc.days)) != len(sc.days):
            yield doc.problem((*path, "schedules", j, "days"), "a day is listed twice",
                              "list each day once")
    if svc.sample:
        for j, ph in enumerate(svc.phones):
            if not DRAMA_RANGE.match(ph.number.strip()):
                yield doc.problem((*path, "phones", j, "number"),
                                  f'"{ph.number}" is not a pretend number',
                                  "sample services must use 020 7946 0000 to 020 7946 0999")
        for key, value in (("email", svc.email), ("url", svc.url)):
            if value and not any(d in value.lower() for d in SAMPLE_DOMAINS):
                yield doc.problem((*path, key), f'"{value}" could be a real address',
                                  "sample services must use example.org addresses")
    age = (today - svc.last_reviewed).days
    if age > STALE_AFTER_DAYS and svc.status == "active":
        yield doc.problem((*path, "last_reviewed"),
                          f"{svc.id} was last reviewed on {svc.last_reviewed}, over 12 months "
                          "ago",
                          "check the details are still right and update last_reviewed",
                          severity="warning")


def _places(doc: YamlDoc | None, problems: list[Problem]) -> dict[str, str]:
    """places.yaml (optional): place names -> postcode districts, each name once."""
    if doc is None or doc.data is None:
        return {}
    errs = check_record(doc, PLACES_FILE, doc.data, ())
    problems.extend(errs)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("places"), list):
        return {}
    bad = {p.where for p in errs}
    out: dict[str, str] = {}
    for i, p in enumerate(doc.data["places"]):
        where = f"places[{i}]"
        if not isinstance(p, dict) or any(b == where or b.startswith(where + ".")
                                          for b in bad):
            continue  # its own error is reported; still check the other names
        for j, name in enumerate([p["name"], *(p.get("also") or ())]):
            key = fold(name)
            path: tuple[str | int, ...] = ("places", i, "name") if j == 0 else \
                ("places", i, "also", j - 1)
            if not key:
                problems.append(doc.problem(path, f'"{name}" has no letters or digits',
                                            "write the place name"))
            elif key in out and out[key] != p["district"]:
                problems.append(doc.problem(path, f'"{name}" is already mapped to {out[key]}',
                                            "a place name can only mean one district"))
            else:
                out[key] = p["district"]
    return out


def _lexicon(doc: YamlDoc | None, problems: list[Problem]) -> dict[str, str]:
    if doc is None or doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "should be a list of words and their variants",
                                    "write lines like: knife: [shank, blade]"))
        return {}
    seen: dict[str, str] = {}
    clean: dict[str, list[str]] = {}
    for canonical, variants in doc.data.items():
        path = (str(canonical),)
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            problems.append(doc.problem(path, "should be a list of variants",
                                        f"write it as {canonical}: [variant, other variant]"))
            continue
        for j, v in enumerate(variants):
            key = fold(v)
            if key in seen and seen[key] != fold(str(canonical)):
                problems.append(doc.problem((*path, j),
                                            f'"{v}" already means "{seen[key]}"',
                                            "a variant can only stand for one word"))
            seen[key] = fold(str(canonical))
        clean[str(canonical)] = variants
    return build_lexicon(clean)


def _intents(docs: list[YamlDoc], problems: list[Problem]) -> dict[str, Intent]:
    intents: dict[str, Intent] = {}
    for doc in docs:
        errs = check_record(doc, INTENT_FILE, doc.data, ())
        problems.extend(errs)
        if errs or not isinstance(doc.data, dict):
            continue
        d = doc.data
        stem = Path(doc.file).stem
        if d["id"] != stem:
            problems.append(doc.problem(("id",), f'id "{d["id"]}" does not match the file name',
                                        f"rename the file to {d['id']}.yaml or set id: {stem}"))
            continue
        if d["id"] in intents:
            problems.append(doc.problem(("id",), f'intent "{d["id"]}" is defined twice',
                                        f"keep one of {intents[d['id']].file} and {doc.file}"))
            continue
        pick = d.get("services") or {}
        rules = d.get("rules") or {}
        intents[d["id"]] = Intent(
            id=d["id"], title=d["title"], kind=d["kind"], reply=d["reply"].strip(),
            examples=tuple(d["examples"]), description=d.get("description") or "",
            keywords=tuple(d.get("keywords") or ()),
            negative_examples=tuple(d.get("negative_examples") or ()),
            service_categories=tuple(pick.get("categories") or ()),
            service_ids=tuple(pick.get("ids") or ()),
            follow_ups=tuple(FollowUp(f["label"], f.get("intent") or "",
                                      f.get("category") or "", f.get("service") or "")
                             for f in d.get("follow_ups") or ()),
            rules=Rules(tuple(rules.get("phrases") or ()), tuple(rules.get("patterns") or ()),
                        tuple(rules.get("exclude") or ())),
            file=doc.file,
        )
    return intents


def _cross_check(
    settings: Settings,
    categories: dict[str, Category],
    services: dict[str, Service],
    intents: dict[str, Intent],
    intent_docs: list[YamlDoc],
    services_doc: YamlDoc | None,
    settings_doc: YamlDoc | None,
    problems: list[Problem],
    today: dt.date,
    shadow: set[str],
) -> None:
    docs = {d.file: d for d in intent_docs}
    if services_doc is None:
        # services.yaml did not parse: its own error says so; don't list every reference.
        shadow.update(f.service for i in intents.values() for f in i.follow_ups)
        shadow.update(sid for i in intents.values() for sid in i.service_ids)
        shadow.update(c for i in intents.values() for c in i.service_categories)
        shadow.update(settings.menu)
        shadow.update(f.category for i in intents.values() for f in i.follow_ups)
    if services_doc is not None and isinstance(services_doc.data, dict):
        for i, s in enumerate(services_doc.data.get("services") or []):
            if not isinstance(s, dict):
                continue
            for j, c in enumerate(s.get("categories") or []):
                if categories and c not in categories and c not in shadow:
                    problems.append(services_doc.problem(
                        ("services", i, "categories", j), f'unknown category "{c}"',
                        _suggest(c, categories, "add it under categories: at the top")))
    if settings_doc is not None:
        for i, c in enumerate(settings.menu):
            if c not in categories and categories and c not in shadow:
                problems.append(settings_doc.problem(("menu", i), f'unknown category "{c}"',
                                                     _suggest(c, categories, "")))
    used_categories = set(settings.menu)
    example_owner: dict[str, tuple[str, int]] = {}
    for intent in intents.values():
        doc = docs[intent.file]
        for j, c in enumerate(intent.service_categories):
            used_categories.add(c)
            if c not in categories and c not in shadow:
                problems.append(doc.problem(("services", "categories", j),
                                            f'unknown category "{c}"',
                                            _suggest(c, categories, "see services.yaml")))
        for j, sid in enumerate(intent.service_ids):
            if sid not in services and sid not in shadow:
                problems.append(doc.problem(("services", "ids", j),
                                            f'no service has id "{sid}"',
                                            _suggest(sid, services, "see services.yaml")))
        for j, f in enumerate(intent.follow_ups):
            targets = [t for t in (f.intent, f.category, f.service) if t]
            path = ("follow_ups", j)
            if len(targets) != 1:
                problems.append(doc.problem(path, "needs exactly one of intent, category, "
                                                  "service", "keep one target per button"))
            elif f.intent and f.intent not in {d.file.split("/")[-1][:-5] for d in intent_docs}:
                problems.append(doc.problem((*path, "intent"), f'no intent "{f.intent}"',
                                            _suggest(f.intent, intents, "")))
            elif f.category and f.category not in categories and f.category not in shadow:
                problems.append(doc.problem((*path, "category"),
                                            f'unknown category "{f.category}"',
                                            _suggest(f.category, categories, "")))
            elif f.service and f.service not in services and f.service not in shadow:
                problems.append(doc.problem((*path, "service"), f'no service "{f.service}"',
                                            _suggest(f.service, services, "")))
        if intent.rules != Rules() and not intent.is_safety:
            problems.append(doc.problem(("rules",), "only safety intents can have rules",
                                        "remove rules: or set kind: safety"))
        for j, ex in enumerate(intent.examples):
            key = fold(ex)
            if key in example_owner and example_owner[key][0] != intent.id:
                other_id, other_j = example_owner[key]
                other = intents[other_id]
                line = docs[other.file].pos(("examples", other_j))[0]
                problems.append(doc.problem(("examples", j),
                                            f'"{ex}" also appears in {other.file}:{line}',
                                            "keep it under one intent only"))
            elif key in example_owner:
                problems.append(doc.problem(("examples", j), f'"{ex}" is listed twice',
                                            "delete one", severity="warning"))
            else:
                example_owner[key] = (intent.id, j)
    for cid in sorted(used_categories):
        if cid not in categories or cid in shadow:
            continue
        members = [s for s in services.values() if cid in s.categories]
        if not any(s.status == "active" for s in members):
            where = _category_pos(services_doc, cid)
            problems.append(Problem("services.yaml", where[0], where[1], f"categories.{cid}",
                                    f'category "{cid}" is offered but has no active service',
                                    "add an active service to it, or take it out of the "
                                    "menu and the intents"))
        elif not any(s.is_listed(today) for s in members):
            where = _category_pos(services_doc, cid)
            problems.append(Problem("services.yaml", where[0], where[1], f"categories.{cid}",
                                    f'every service in "{cid}" is a past event',
                                    "add upcoming dates", "warning"))
    _safety_checks(intents, docs, problems)


def _safety_checks(intents: dict[str, Intent], docs: dict[str, YamlDoc],
                   problems: list[Problem]) -> None:
    for sid in routes.SAFETY_INTENTS:
        intent = intents.get(sid)
        if intent is None:
            if not any(Path(f).stem == sid for f in docs):
                problems.append(Problem(f"intents/{sid}.yaml", 1, 1, "",
                                        f"safety intent {sid} is missing",
                                        "restore the file: safety intents cannot be removed"))
            continue
        doc = docs[intent.file]
        if intent.kind != "safety":
            problems.append(doc.problem(("kind",), f"{sid} must be a safety intent",
                                        "set kind: safety"))
        if not intent.rules.phrases and not intent.rules.patterns:
            problems.append(doc.problem(("rules",), f"{sid} has no safety rules",
                                        "add rules: phrases: with the words that mean danger"))
        if len(intent.examples) < 10:
            problems.append(doc.problem(("examples",),
                                        f"{sid} has only {len(intent.examples)} examples",
                                        "safety intents need at least 10"))
        missing = routes.missing_routes(sid, intent.reply)
        if missing:
            problems.append(doc.problem(("reply",),
                                        f"the {sid} reply must include " + ", ".join(missing),
                                        "add the missing help routes to the reply text"))
        first = intent.reply.strip().splitlines()[0] if intent.reply.strip() else ""
        if sid == "emergency" and "999" not in first:
            problems.append(doc.problem(("reply",), "the emergency reply must say 999 in its "
                                                    "first line", "start the reply with 999"))
    for other in intents.values():
        if other.is_safety and other.id not in routes.SAFETY_INTENTS:
            problems.append(docs[other.file].problem(
                ("kind",), f"{other.id} is not one of the safety intents",
                "safety intents are " + ", ".join(routes.SAFETY_INTENTS)))
    for need in ("help", "human", "privacy"):
        if need not in intents and not any(Path(f).stem == need for f in docs):
            problems.append(Problem(f"intents/{need}.yaml", 1, 1, "",
                                    f"intent {need} is missing",
                                    f"restore it: the /{need} command uses it"))
    priv = intents.get("privacy")
    if priv is not None and "staff" not in priv.reply.lower():
        problems.append(docs[priv.file].problem(
            ("reply",), "the privacy reply must say that messages about danger or harm may "
                        "be seen by trained staff", "add a sentence about trained staff"))


def _category_pos(doc: YamlDoc | None, cid: str) -> tuple[int, int]:
    if doc is None or not isinstance(doc.data, dict):
        return (1, 1)
    for i, c in enumerate(doc.data.get("categories") or []):
        if isinstance(c, dict) and c.get("id") == cid:
            return doc.pos(("categories", i))
    return doc.pos(("categories",))


def _suggest(value: str, known: Iterable[str], otherwise: str) -> str:
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    hit = process.extractOne(value, list(known), scorer=Levenshtein.normalized_similarity)
    if hit and hit[1] >= 0.5:
        return f'did you mean "{hit[0]}"?'
    return otherwise
