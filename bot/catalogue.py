"""YAML files -> frozen Intent/Service objects; every problem names file:line.

`load(root)` reads settings.yaml, services.yaml, lexicon.yaml and intents/*.yaml,
checks each field (bot.schema), then the links between files, and returns a
Catalogue together with every problem found. A catalogue with errors is never served.
The values it builds are in bot.catalogue_types; the checks that need the whole catalogue
(links between files, safety rules) are in bot.catalogue_checks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.catalogue_checks import cross_check
from bot.catalogue_types import (
    Catalogue,
    Category,
    FollowUp,
    Intent,
    Location,
    Phone,
    Rules,
    Schedule,
    Service,
    Settings,
    TextRoute,
)
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
    cross_check(settings, categories, services, intents, intent_docs, services_doc,
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


