"""Deeper catalogue checks than validate, as advice that never blocks publishing.

`lint(cat, today, deep)` returns Findings: examples the matcher sends elsewhere, near
duplicates, intents with few examples, stale services, unreachable services and
categories, and opening hours that leave no evening route.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue import LONDON
from bot.catalogue_types import Catalogue, Intent
from bot.matcher import Index, index_for
from bot.yamlfile import YamlDoc, load_yaml

MIN_EXAMPLES = {"signpost": 30, "safety": 30, "chitchat": 10}
STALE_MONTHS = 6
NEAR_DUPLICATE = 90.0  # rapidfuzz ratio of normalised examples
EVENING = dt.time(17, 0)
DEEP_FOLDS = 10

LINT_GROUPS: dict[str, str] = {
    "misrouted": "Examples the bot would send to another intent",
    "duplicates": "Near-duplicate examples in different intents",
    "few": "Intents with too few examples",
    "stale": "Services to check (not reviewed for 6 months, or over)",
    "unreachable": "Services the bot can never show",
    "hours": "Categories with no service open at weekends or in the evening",
}


@dataclass(frozen=True, slots=True)
class Finding:
    group: str
    file: str
    line: int
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message} ({self.fix})"


@dataclass(slots=True)
class _Places:
    """Where things are in the files, for file:line."""

    services: YamlDoc | None
    intents: dict[str, YamlDoc]
    service_row: dict[str, int]

    @classmethod
    def read(cls, root: Path, cat: Catalogue) -> _Places:
        services, _ = load_yaml(root / "services.yaml", "services.yaml")
        rows: dict[str, int] = {}
        if services is not None and isinstance(services.data, dict):
            for i, s in enumerate(services.data.get("services") or []):
                if isinstance(s, dict) and isinstance(s.get("id"), str):
                    rows.setdefault(s["id"], i)
        intents: dict[str, YamlDoc] = {}
        for intent in cat.intents.values():
            doc, _ = load_yaml(root / intent.file, intent.file)
            if doc is not None:
                intents[intent.id] = doc
        return cls(services, intents, rows)

    def example(self, intent: Intent, j: int) -> int:
        doc = self.intents.get(intent.id)
        return doc.pos(("examples", j))[0] if doc else 1

    def intent_key(self, intent: Intent, *path: str | int) -> int:
        doc = self.intents.get(intent.id)
        return doc.key_pos(path)[0] if doc else 1

    def service(self, sid: str, *path: str | int) -> int:
        if self.services is None or sid not in self.service_row:
            return 1
        return self.services.pos(("services", self.service_row[sid], *path))[0]

    def category(self, cid: str) -> int:
        doc = self.services
        if doc is None or not isinstance(doc.data, dict):
            return 1
        for i, c in enumerate(doc.data.get("categories") or []):
            if isinstance(c, dict) and c.get("id") == cid:
                return doc.pos(("categories", i))[0]
        return 1


def _months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(y, m, d)
        except ValueError:
            continue
    return dt.date(y, m, 28)


def _misrouted(cat: Catalogue, places: _Places, deep: bool) -> Iterator[Finding]:
    margin = cat.settings.ambiguity_margin
    rows = [(i, j, e) for i in cat.intents.values() for j, e in enumerate(i.examples)]
    if deep:
        folds = [[r for n, r in enumerate(rows) if n % DEEP_FOLDS == k]
                 for k in range(DEEP_FOLDS)]
    else:
        folds = [rows]
    for held in folds:
        index = index_for(cat)
        if deep:
            out = {(i.id, j) for i, j, _ in held}
            index = Index.from_examples(
                {i.id: [e for j, e in enumerate(i.examples) if (i.id, j) not in out]
                 for i in cat.intents.values()},
                lexicon=cat.lexicon,
                keywords={i.id: list(i.keywords) for i in cat.intents.values()},
                negatives={i.id: list(i.negative_examples) for i in cat.intents.values()})
        for intent, j, example in held:
            ranked = index.rank(index.normaliser.normalise(example))
            own = next((c for c in ranked if c.intent_id == intent.id), None)
            other = next((c for c in ranked if c.intent_id != intent.id), None)
            own_score = own.score if own else 0.0
            if other is None or other.score < own_score + margin:
                continue
            yield Finding(
                "misrouted", intent.file, places.example(intent, j),
                f'"{example}" scores {other.score:.0f} for {other.intent_id} (closest: '
                f'"{other.example}") but only {own_score:.0f} for {intent.id}',
                f"reword it, move it to {other.intent_id}, or add words to {intent.id}'s "
                "examples; check with: signpost explain \"...\"")


def _duplicates(cat: Catalogue, places: _Places) -> Iterator[Finding]:
    import numpy as np
    from rapidfuzz import fuzz, process

    norm = index_for(cat).normaliser
    rows = [(i, j, e, norm.normalise(e).text) for i in cat.intents.values()
            for j, e in enumerate(i.examples)]
    texts = [r[3] for r in rows]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, score_cutoff=NEAR_DUPLICATE,
                           dtype=np.uint8, workers=1)
    for a, b in zip(*np.nonzero(scores), strict=True):
        if a >= b:
            continue
        ia, ja, ea, _ = rows[a]
        ib, jb, eb, _ = rows[b]
        if ia.id == ib.id:
            continue
        yield Finding(
            "duplicates", ib.file, places.example(ib, jb),
            f'"{eb}" is almost the same as "{ea}" in {ia.file}:{places.example(ia, ja)} '
            f"({int(scores[a, b])}% alike)",
            f"keep it under one intent, or reword one so it is clearly about {ib.id} "
            f"or {ia.id}")


def _few(cat: Catalogue, places: _Places) -> Iterator[Finding]:
    for intent in cat.intents.values():
        need = MIN_EXAMPLES.get(intent.kind, 10)
        if len(intent.examples) < need:
            yield Finding("few", intent.file, places.intent_key(intent, "examples"),
                          f"{intent.id} has {len(intent.examples)} examples",
                          f"{intent.kind} intents need at least {need}: add real ways young "
                          "people ask for this")


def _stale(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cutoff = _months_before(today, STALE_MONTHS)
    for svc in cat.services.values():
        if svc.status == "defunct":
            continue
        if svc.last_reviewed < cutoff:
            yield Finding("stale", "services.yaml", places.service(svc.id, "last_reviewed"),
                          f"{svc.id} was last reviewed on {svc.last_reviewed}",
                          "ring or check the website, correct anything that changed, then set "
                          f"last_reviewed: {today}")
        if svc.status == "active" and svc.is_past(today):
            yield Finding("stale", "services.yaml", places.service(svc.id, "end_date"),
                          f"{svc.id} ended on {svc.end_date or svc.start_date} and is never "
                          "shown any more",
                          "set status: inactive, or delete it, or give it new dates")


def _reachable(cat: Catalogue) -> tuple[set[str], set[str]]:
    """(category ids, service ids) that some menu button, intent or follow-up shows."""
    cats = set(cat.settings.menu)
    ids: set[str] = set()
    for intent in cat.intents.values():
        cats.update(intent.service_categories)
        ids.update(intent.service_ids)
        for f in intent.follow_ups:
            if f.category:
                cats.add(f.category)
            if f.service:
                ids.add(f.service)
    return cats, ids


def _unreachable(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cats, ids = _reachable(cat)
    for svc in cat.services.values():
        if not svc.is_listed(today) or svc.id in ids or cats.intersection(svc.categories):
            continue
        if svc.talk_now:
            continue  # the "Talk to someone now" button lists every talk_now service
        yield Finding(
            "unreachable", "services.yaml", places.service(svc.id, "categories"),
            f"{svc.id} can never be shown: its categories ({', '.join(svc.categories)}) are "
            "not in the menu or any intent, and no intent lists it",
            "add a category that is in the menu, or list it under services: ids: in an intent")


def _hours(cat: Catalogue, places: _Places, today: dt.date) -> Iterator[Finding]:
    cats, _ = _reachable(cat)
    for cid in sorted(cats):
        members = [s for s in cat.services_in(cid) if s.is_listed(today)]
        if cid not in cat.categories or not members:
            continue  # validate reports these
        weekend = any(s.open_24_7 or any({"SA", "SU"} & set(sc.days) for sc in s.schedules)
                      for s in members)
        evening = any(s.open_24_7 or any(sc.closes_at > EVENING for sc in s.schedules)
                      for s in members)
        gaps = [w for w, ok in (("at weekends", weekend), ("in the evening (after 17:00)",
                                                            evening)) if not ok]
        if gaps:
            yield Finding("hours", "services.yaml", places.category(cid),
                          f'category "{cid}" has no service open {" or ".join(gaps)}',
                          "add a session then if a partner runs one, or mention a 24/7 "
                          "route in the replies that show this category")


def lint(cat: Catalogue, today: dt.date | None = None, deep: bool = False) -> list[Finding]:
    """Every finding, grouped in LINT_GROUPS order."""
    root = Path(cat.root)
    today = today or dt.datetime.now(LONDON).date()
    places = _Places.read(root, cat)
    found = [*_misrouted(cat, places, deep), *_duplicates(cat, places), *_few(cat, places),
             *_stale(cat, places, today), *_unreachable(cat, places, today),
             *_hours(cat, places, today)]
    order = {g: n for n, g in enumerate(LINT_GROUPS)}
    return sorted(found, key=lambda f: (order[f.group], f.file, f.line))


def lint_text(found: list[Finding]) -> str:
    by_group: dict[str, list[Finding]] = defaultdict(list)
    for f in found:
        by_group[f.group].append(f)
    out: list[str] = []
    for group, title in LINT_GROUPS.items():
        items = by_group.get(group, [])
        out.append(f"{title}: {len(items) or 'none'}")
        out += [f"  {f}" for f in items]
    out.append("")
    out.append(f"{len(found)} finding(s). Lint is advice and never blocks publishing: fix what "
               "matters, then run signpost validate.")
    return "\n".join(out)


