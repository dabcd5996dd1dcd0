"""Services as Open Referral UK JSON (HSDS 3.0, UK profile), and back into services.yaml.

`to_openreferral(catalogue)` writes one page of the standard's service list
(`contents: [service, ...]`), using the standard's own field names (shared/DOMAIN.md
section 7) and leaving out optional fields that have no value. What the standard has no
field for is kept in a `signpost_extension` object on each service (and one at the top
for the category list), so a Signpost-to-Signpost round trip loses nothing:

    sample, talk_now, open_24_7, referral, texts (SMS routes), start_date, end_date

Other directories ignore the extension. For them, 24/7 lines also get a Monday-to-Sunday
00:00:00-23:59:59 schedule, SMS routes are phones of type "text", referral is written as
`application_process` text, event dates become schedule `valid_from`/`valid_to`, and
categories are taxonomy terms (vocabulary "signpost-categories", code = category id).

`from_openreferral(data)` reads such JSON (ours or another directory's) into the
services.yaml shape, with a note for each thing it had to guess or leave out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import __version__
from bot.catalogue_types import Catalogue, Service
from bot.cmdargs import add_catalogue_arg, load_for_command
from bot.schema import DAYS, DISTRICT_RE, ID_RE, SERVICES_FILE, STATUSES, check_record
from bot.yamlfile import parse_yaml

EXTENSION = "signpost_extension"
VOCABULARY = "signpost-categories"
KEYWORD_VOCABULARY = "signpost-keywords"  # activity words, one term each
NAMESPACE = uuid.UUID("6f1c3f3e-8a61-4a1e-9d8c-5c0b7f2d9e41")  # Signpost's uuid5 namespace
ALL_WEEK = ",".join(DAYS)
REFERRAL_TEXT = {
    "self": "You can join yourself: no referral needed.",
    "professional": "A professional (for example a teacher, youth worker or social worker) "
                    "refers you.",
    "both": "You can join yourself, or a professional can refer you.",
}
LANGUAGE_CODES = {
    "Albanian": "sq", "Arabic": "ar", "Bengali": "bn", "Dari": "prs", "English": "en",
    "French": "fr", "Polish": "pl", "Portuguese": "pt", "Romanian": "ro", "Somali": "so",
    "Tigrinya": "ti", "Turkish": "tr", "Ukrainian": "uk", "Urdu": "ur", "Yoruba": "yo",
    "Spanish": "es", "Punjabi": "pa", "Gujarati": "gu", "Tamil": "ta", "Lithuanian": "lt",
}


def _uid(*parts: str) -> str:
    """A stable uuid for a Signpost thing, so repeated exports keep the same ids."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Leave out optional fields without a value (the standard wants them omitted)."""
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


# ================================================================ export


def service_to_oruk(svc: Service, cat: Catalogue) -> dict[str, Any]:
    """One service in Open Referral UK form."""
    sid = svc.id
    phones = [_clean({"id": _uid(sid, "phone", str(n)), "number": p.number, "type": "voice",
                      "description": p.description})
              for n, p in enumerate(svc.phones)]
    phones += [{"id": _uid(sid, "text", str(n)), "number": t.number, "type": "text",
                "description": f"Text {t.message} to {t.number}"}
               for n, t in enumerate(svc.texts)]
    schedules = [_clean({
        "id": _uid(sid, "schedule", str(n)), "freq": "WEEKLY", "byday": ",".join(sc.days),
        "opens_at": f"{sc.opens_at:%H:%M:%S}", "closes_at": f"{sc.closes_at:%H:%M:%S}",
        "valid_from": svc.start_date.isoformat() if svc.start_date else None,
        "valid_to": svc.end_date.isoformat() if svc.end_date else None,
        "description": sc.notes,
    }) for n, sc in enumerate(svc.schedules)]
    if svc.open_24_7:
        schedules.append({"id": _uid(sid, "schedule", "24-7"), "freq": "WEEKLY",
                          "byday": ALL_WEEK, "opens_at": "00:00:00", "closes_at": "23:59:59",
                          "description": "Open 24 hours a day, 7 days a week"})
    locations = []
    for n, loc in enumerate(svc.locations):
        lid = _uid(sid, "location", str(n))
        address = _clean({"id": _uid(sid, "address", str(n)), "address_1": loc.address,
                          "postal_code": loc.postal_code, "country": "GB",
                          "address_type": "physical"})
        locations.append({"id": _uid(sid, "service_at_location", str(n)), "location": _clean({
            "id": lid, "location_type": "physical", "name": loc.name,
            "latitude": loc.latitude, "longitude": loc.longitude,
            "addresses": [address] if loc.address or loc.postal_code else [],
            "accessibility": ([{"id": _uid(sid, "accessibility", str(n)),
                                "description": svc.accessibility}]
                              if svc.accessibility else []),
        })})
    extension = _clean({
        "id": svc.id,
        "sample": svc.sample,
        "talk_now": svc.talk_now or None,
        "open_24_7": svc.open_24_7 or None,
        "referral": svc.referral,
        "texts": [{"number": t.number, "message": t.message} for t in svc.texts],
        "start_date": svc.start_date.isoformat() if svc.start_date else None,
        "end_date": svc.end_date.isoformat() if svc.end_date else None,
        "accessibility": svc.accessibility if not svc.locations else None,
    })
    return _clean({
        "id": _uid("service", sid),
        "name": svc.name,
        "description": svc.description,
        "url": svc.url,
        "email": svc.email,
        "status": svc.status,
        "alert": svc.alert,
        "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age,
        "fees_description": svc.fees_description,
        "application_process": REFERRAL_TEXT.get(svc.referral),
        "assured_date": svc.last_reviewed.isoformat(),
        "organization": {"id": _uid("organization", svc.organisation),
                         "name": svc.organisation},
        "service_at_locations": locations,
        "phones": phones,
        "schedules": schedules,
        "service_areas": [{"id": _uid(sid, "area", a), "name": a,
                           "description": "postcode district"} for a in svc.areas],
        "languages": [_clean({"id": _uid(sid, "language", lang), "name": lang,
                              "code": LANGUAGE_CODES.get(lang)}) for lang in svc.languages],
        "attributes": [{
            "id": _uid(sid, "attribute", c), "taxonomy_term_id": _uid("term", c),
            "link_type": "service_category", "link_entity": "service",
            "taxonomy_term": _clean({"id": _uid("term", c), "code": c,
                                     "name": cat.category_title(c),
                                     "description": cat.categories[c].description
                                     if c in cat.categories else "",
                                     "vocabulary": VOCABULARY}),
        } for c in svc.categories] + [{
            "id": _uid(sid, "keyword", k), "taxonomy_term_id": _uid("keyword", k),
            "link_type": "service_keyword", "link_entity": "service",
            "taxonomy_term": {"id": _uid("keyword", k), "code": k, "name": k,
                              "vocabulary": KEYWORD_VOCABULARY},
        } for k in svc.keywords],
        EXTENSION: extension,
    })


def to_openreferral(cat: Catalogue, real_only: bool = False) -> dict[str, Any]:
    """The catalogue's services as one page of an Open Referral UK service list."""
    services = [s for s in cat.services.values() if not (real_only and s.sample)]
    contents = [service_to_oruk(s, cat) for s in services]
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
        EXTENSION: {
            "generator": f"signpost {__version__}",
            "profile": "Open Referral UK (HSDS 3.0 UK profile)",
            "catalogue_version": cat.version,
            "categories": [_clean({"id": c.id, "title": c.title,
                                   "description": c.description})
                           for c in cat.categories.values()],
        },
    }


def export_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--format", choices=["openreferral"], default="openreferral",
                   help="openreferral: Open Referral UK JSON (the only format so far)")
    p.add_argument("--real-only", action="store_true",
                   help="leave out sample services (do this before sharing the file)")
    p.add_argument("file", type=Path, help="the JSON file to write ('-' for the screen)")


def export_run(args: argparse.Namespace) -> int:
    cat = load_for_command(args)
    data = to_openreferral(cat, args.real_only)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if str(args.file) == "-":
        sys.stdout.write(text)
        return 0
    try:
        args.file.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"signpost: cannot write {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    items = data["contents"]
    count = {k: sum(len(s.get(k, [])) for s in items)
             for k in ("service_at_locations", "schedules", "phones", "service_areas")}
    terms = {a["taxonomy_term"]["code"] for s in items for a in s.get("attributes", [])}
    print(f"wrote {args.file}: {len(items)} services, {count['service_at_locations']} "
          f"locations, {count['schedules']} schedules, {count['phones']} phones, "
          f"{count['service_areas']} service areas, {len(terms)} categories as taxonomy terms")
    samples = sum(1 for s in items if s[EXTENSION].get("sample"))
    if samples:
        print(f"note: {samples} of these services are invented sample data (sample: true). "
              "Use --real-only before sharing the file with another directory.")
    return 0


# ================================================================ import


@dataclass
class Imported:
    """The services.yaml content read from Open Referral JSON, and what needed a guess."""

    categories: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_yaml_data(self) -> dict[str, Any]:
        return {"categories": self.categories, "services": self.services}


def _slug(text: str, sep: str = "-") -> str:
    s = re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)
    return s or "unnamed"


def _time(value: Any) -> str | None:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?",
                     str(value or "").strip())
    return f"{int(m[1]):02d}:{m[2]}" if m else None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _phone(value: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[()\-.]", " ", str(value))).strip()


def _services_of(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("contents", "services", "items"):
            if isinstance(data.get(key), list):
                return list(data[key])
        if "name" in data and "id" in data:
            return [data]  # a single service
    raise ValueError("no services found: expected a list of services, or an object with "
                     "contents: [...] (an Open Referral service list page)")


def from_openreferral(data: Any, today: dt.date | None = None) -> Imported:
    """Open Referral (UK) JSON -> the services.yaml shape, noting every guess."""
    today = today or dt.date.today()
    out = Imported()
    top = data.get(EXTENSION, {}) if isinstance(data, dict) else {}
    titles: dict[str, dict[str, Any]] = {}
    for c in top.get("categories") or []:
        if isinstance(c, dict) and c.get("id"):
            titles[str(c["id"])] = _clean({"id": str(c["id"]), "title": c.get("title"),
                                           "description": c.get("description")})
    seen_ids: set[str] = set()
    for n, raw in enumerate(_services_of(data)):
        if not isinstance(raw, dict):
            out.notes.append(f"item {n + 1} is not a service object; left out")
            continue
        svc = _service_from(raw, n, titles, today, out.notes)
        base, k = svc["id"], 2
        while svc["id"] in seen_ids:
            svc["id"] = f"{base}-{k}"
            k += 1
        seen_ids.add(svc["id"])
        out.services.append(svc)
    used = [c for s in out.services for c in s.get("categories", [])]
    order = list(titles) + [c for c in dict.fromkeys(used) if c not in titles]
    out.categories = [titles.get(c) or {"id": c, "title": c.replace("_", " ").title()}
                      for c in order]
    return out


def _service_from(raw: dict[str, Any], n: int, titles: dict[str, dict[str, Any]],
                  today: dt.date, notes: list[str]) -> dict[str, Any]:
    ext = raw.get(EXTENSION) if isinstance(raw.get(EXTENSION), dict) else {}
    assert isinstance(ext, dict)
    name = str(raw.get("name") or f"Service {n + 1}")
    # Other directories use uuids: a readable id from the name is kinder to whoever edits.
    sid = str(ext.get("id") or "")
    if not ID_RE.match(sid):
        sid = _slug(name)
    label = f"service {sid}"
    org = raw.get("organization") if isinstance(raw.get("organization"), dict) else {}
    assert isinstance(org, dict)
    status = str(raw.get("status") or "active")
    if status not in STATUSES:
        notes.append(f'{label}: status "{status}" is not one Signpost knows; set to inactive')
        status = "inactive"
    reviewed = _date(raw.get("assured_date")) or _date(raw.get("last_modified"))
    if reviewed is None:
        notes.append(f"{label}: no assured_date or last_modified; last_reviewed set to "
                     f"{today} (check the entry)")
        reviewed = today

    categories: list[str] = []
    keywords: list[str] = []
    for a in raw.get("attributes") or []:
        term = a.get("taxonomy_term") if isinstance(a, dict) else None
        if not isinstance(term, dict):
            continue
        if term.get("vocabulary") == KEYWORD_VOCABULARY:
            if term.get("code") and str(term["code"]) not in keywords:
                keywords.append(str(term["code"]))
            continue
        if term.get("vocabulary") == VOCABULARY and term.get("code"):
            cid = str(term["code"])
        elif term.get("name"):
            cid = _slug(str(term["name"]), "_")
        else:
            continue
        titles.setdefault(cid, _clean({"id": cid, "title": term.get("name") or cid,
                                       "description": term.get("description")}))
        if cid not in categories:
            categories.append(cid)
    if not categories:
        notes.append(f"{label}: no taxonomy terms, so no category (add categories: by hand)")

    texts = [{"number": str(t["number"]), "message": str(t["message"])}
             for t in ext.get("texts") or [] if isinstance(t, dict)]
    phones: list[dict[str, Any]] = []
    for p in raw.get("phones") or []:
        if not isinstance(p, dict) or not p.get("number"):
            continue
        if p.get("type") == "text":
            if ext.get("texts") is not None:
                continue  # already in the extension, word for word
            m = re.search(r"\btext\s+(\S+)\s+to\b", str(p.get("description") or ""), re.I)
            if m:
                texts.append({"number": _phone(p["number"]), "message": m[1]})
                continue
        phones.append(_clean({"number": _phone(p["number"]),
                              "description": p.get("description")}))

    open_24_7 = bool(ext.get("open_24_7"))
    schedules: list[dict[str, Any]] = []
    for sc in raw.get("schedules") or []:
        if not isinstance(sc, dict):
            continue
        days = [d for d in str(sc.get("byday") or "").upper().replace(" ", "").split(",")
                if d]
        opens, closes = _time(sc.get("opens_at")), _time(sc.get("closes_at"))
        if set(days) == set(DAYS) and opens == "00:00" and closes in ("23:59", "00:00"):
            open_24_7 = True  # the all-week, all-day schedule we write for 24/7 lines
            continue
        if (sc.get("freq") or "WEEKLY").upper() != "WEEKLY" or not days or \
                not set(days) <= set(DAYS) or not opens or not closes:
            notes.append(f"{label}: a schedule that is not weekly days with opening times "
                         f"was left out ({sc.get('description') or sc.get('byday') or '?'})")
            continue
        schedules.append(_clean({"days": days, "opens_at": opens, "closes_at": closes,
                                 "notes": sc.get("description")}))

    locations: list[dict[str, Any]] = []
    accessibility = str(ext.get("accessibility") or "")
    for sal in raw.get("service_at_locations") or []:
        loc = sal.get("location") if isinstance(sal, dict) else None
        if not isinstance(loc, dict):
            continue
        addr = next((a for a in loc.get("addresses") or [] if isinstance(a, dict)), {})
        line = ", ".join(str(addr[k]) for k in ("address_1", "address_2", "city")
                         if addr.get(k))
        locations.append(_clean({"name": loc.get("name") or line or "Venue",
                                 "address": line,
                                 "postal_code": addr.get("postal_code"),
                                 "latitude": loc.get("latitude"),
                                 "longitude": loc.get("longitude")}))
        for acc in loc.get("accessibility") or []:
            if isinstance(acc, dict) and acc.get("description") and not accessibility:
                accessibility = str(acc["description"])

    areas: list[str] = []
    for area in raw.get("service_areas") or []:
        a = str(area.get("name") or "").strip().upper() if isinstance(area, dict) else ""
        if DISTRICT_RE.match(a):
            areas.append(a)
        elif a:
            notes.append(f'{label}: service area "{area.get("name")}" is not a postcode '
                         "district; left out (add areas: [E17, ...] by hand)")

    start = _date(ext.get("start_date"))
    end = _date(ext.get("end_date"))
    if EXTENSION not in raw:
        froms = [d for d in (_date(s.get("valid_from")) for s in raw.get("schedules") or []
                             if isinstance(s, dict)) if d]
        tos = [d for d in (_date(s.get("valid_to")) for s in raw.get("schedules") or []
                           if isinstance(s, dict)) if d]
        start, end = (min(froms) if froms else None), (max(tos) if tos else None)
    referral = ext.get("referral")
    if referral is None:
        referral = next((k for k, v in REFERRAL_TEXT.items()
                         if v == raw.get("application_process")), None)
    sample = ext.get("sample")
    if not isinstance(sample, bool):
        sample = False  # another directory's entries are real services

    return _clean({
        "id": sid,
        "name": name,
        "organisation": str(org.get("name") or "") or None,
        "description": str(raw.get("description") or "").strip() or None,
        "categories": categories,
        "keywords": keywords or None,
        "minimum_age": _int(raw.get("minimum_age")),
        "maximum_age": _int(raw.get("maximum_age")),
        "areas": areas,
        "locations": locations,
        "schedules": schedules,
        "start_date": start,
        "end_date": end,
        "phones": phones,
        "texts": texts,
        "email": raw.get("email"),
        "url": raw.get("url"),
        "fees_description": raw.get("fees_description") or raw.get("fees"),
        "referral": referral,
        "languages": [str(lang["name"]) for lang in raw.get("languages") or []
                      if isinstance(lang, dict) and lang.get("name")],
        "accessibility": accessibility,
        "status": status,
        "alert": raw.get("alert"),
        "open_24_7": True if open_24_7 else None,
        "talk_now": True if ext.get("talk_now") else None,
        "last_reviewed": reviewed,
    }) | {"sample": sample}


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


class _Dumper(yaml.SafeDumper):
    """Block style, indented like the shipped files; short word lists on one line: [MO, WE]."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = bool(data) and all(isinstance(x, str) and len(x) < 30 for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def services_yaml(imported: Imported, source: str) -> str:
    """The text of a services.yaml, with the editor schema line and where it came from."""
    head = ("# yaml-language-server: $schema=schemas/services.schema.json\n"
            "#\n"
            f"# Imported from Open Referral UK JSON ({source}) on {dt.date.today()}.\n"
            "# Check each entry, then run: signpost validate\n\n")
    body = yaml.dump(imported.as_yaml_data(), Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=False)
    # A blank line between services makes the file easier to read and edit.
    cats, sep, rest = body.partition("\nservices:\n")
    body = cats + sep + re.sub(r"\n(  - id: )", r"\n\n\1", rest)
    return head + body


def import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["openreferral"], default="openreferral",
                   help="openreferral: Open Referral UK JSON (the only format so far)")
    p.add_argument("file", type=Path, help="the JSON file to read")
    p.add_argument("--out", type=Path, default=Path("services.yaml"),
                   help="where to write (default: services.yaml in this folder)")
    p.add_argument("--force", action="store_true",
                   help="replace --out if it exists (a running bot picks it up at once)")


def import_run(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.file.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"signpost: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"signpost: {args.file} is not JSON ({exc})", file=sys.stderr)
        return 2
    if args.out.exists() and not args.force:
        print(f"signpost: {args.out} already exists; write somewhere else with --out FILE, or "
              "use --force to replace it (a running bot would load it straight away)",
              file=sys.stderr)
        return 2
    try:
        imported = from_openreferral(data)
    except ValueError as exc:
        print(f"signpost: {args.file}: {exc}", file=sys.stderr)
        return 2
    text = services_yaml(imported, args.file.name)
    doc, problems = parse_yaml(text, args.out.name)
    if doc is not None:
        problems += check_record(doc, SERVICES_FILE, doc.data, ())
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"signpost: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {len(imported.services)} services in "
          f"{len(imported.categories)} categories")
    for note in imported.notes:
        print(f"note: {note}")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s) to fix in {args.out} before the bot can use it.")
        return 1
    print("Next: put it in the catalogue folder and run signpost validate, which also checks "
          "it against the intents.")
    return 0
