"""The catalogue's cross-file checks: links between files and the safety rules it must keep.

Each file's own fields are checked as it is read (bot.catalogue, bot.schema); these checks
need the whole catalogue: unknown categories and ids, follow-up targets, examples under
two intents, offered categories with no active service, and the safety intents' routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from bot import routes
from bot.catalogue_types import Category, Intent, Rules, Service, Settings
from bot.text import fold
from bot.yamlfile import Problem, YamlDoc


def cross_check(
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
