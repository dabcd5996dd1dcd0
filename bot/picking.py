"""Which services to show: chosen by what was asked, then age, area, open now and soonest.

The intent picks the categories. Within them each service is scored by how many of the
activity words the person used it lists under `keywords:` (boxing -> the boxing club), then
by area, the time they asked about, open now and how soon an event is. Events more than
FAR_EVENT_DAYS ahead never lead unless that time was asked about. When no service in the
categories has the activity, services filed under other categories that do are added
(an activity filed elsewhere still surfaces).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from bot.catalogue_types import Catalogue, Service
from bot.places import FAR_EVENT_DAYS, When, fits_when

KEYWORD_POINTS = 25.0
WHEN_POINTS = 12.0
FAR_EVENT_PENALTY = 30.0
FIRST_CATEGORY_POINTS = 4.0  # the intent's main category before the ones it also shows


@dataclass(frozen=True, slots=True)
class ServicePick:
    """A service chosen for a reply, with why (for cards and `signpost explain`)."""

    service: Service
    open_now: bool
    distance_km: float | None = None
    why: str = ""
    hits: int = 0  # activity words of the message this service lists
    full: bool = False  # show the whole card (asked for), not the one-line summary


def keyword_hits(svc: Service, terms: tuple[str, ...]) -> int:
    """How many of the asked activity words this service lists."""
    if not terms or not svc.keywords:
        return 0
    return sum(1 for t in terms if t in svc.keywords)


def fits(svc: Service, when: When) -> bool:
    """Does the service run at the time asked about?"""
    sessions = [(s.days, s.closes_at) for s in svc.schedules]
    if svc.open_24_7:
        return True
    return fits_when(sessions, svc.start_date, svc.end_date, when)


def pick_services(cat: Catalogue, categories: tuple[str, ...], ids: tuple[str, ...], *,
                  age: int | None, district: str | None,
                  location: tuple[float, float] | None, now: dt.datetime,
                  terms: tuple[str, ...] = (), when: When | None = None,
                  limit: int = 3, offset: int = 0) -> list[ServicePick]:
    """Relevant, listed services for this person, best first."""
    today = now.date()
    pool: dict[str, tuple[Service, int]] = {}
    for rank_, sid in enumerate(ids):
        if sid in cat.services:
            pool[sid] = (cat.services[sid], rank_)
    for c in categories:
        for s in cat.services_in(c):
            pool.setdefault(s.id, (s, len(ids) + 1))
    if terms and not any(keyword_hits(s, terms) for s, _ in pool.values()):
        for s in cat.services.values():
            if keyword_hits(s, terms):
                pool.setdefault(s.id, (s, len(ids) + 1))
    position = {sid: n for n, sid in enumerate(cat.services)}  # staff's order breaks ties
    scored: list[tuple[float, int, ServicePick]] = []
    for svc, order in pool.values():
        if not svc.is_listed(today):
            continue
        if not svc.suits_age(age) or not svc.serves_area(district):
            continue
        why: list[str] = []
        points = -order * 10.0
        if categories and categories[0] in svc.categories:
            points += FIRST_CATEGORY_POINTS
        hits = keyword_hits(svc, terms)
        if hits:
            points += KEYWORD_POINTS * hits
            why.append("has " + ", ".join(t for t in terms if t in svc.keywords))
        open_now = svc.is_open(now)
        if open_now:
            points += 8
            why.append("open now")
        if district and district in svc.areas:
            points += 6
            why.append(f"serves {district}")
        if age is not None and (svc.minimum_age or svc.maximum_age):
            why.append(f"age {age} fits")
        asked_then = when is not None and fits(svc, when)
        if when is not None:
            points += WHEN_POINTS if asked_then else -WHEN_POINTS
            if asked_then:
                why.append(f"runs {when.label}")
        if svc.start_date and svc.start_date >= today:
            if (svc.start_date - today).days > FAR_EVENT_DAYS and not asked_then:
                points -= FAR_EVENT_PENALTY
                why.append(f"far ahead ({svc.start_date:%d %b})")
            else:
                points += 4
                why.append(f"upcoming on {svc.start_date:%d %b}")
        dist = distance(svc, location)
        if dist is not None:
            points -= dist * 3
            why.append(f"{dist:.1f} km away")
        if order < len(ids):
            why.insert(0, "listed by the intent")
        scored.append((points, position[svc.id],
                       ServicePick(svc, open_now, dist,
                                   f"{svc.id}: " + (", ".join(why) or "in category"), hits)))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [p for _, _, p in scored[offset: offset + limit]]


def distance(svc: Service, where: tuple[float, float] | None) -> float | None:
    if where is None:
        return None
    best: float | None = None
    for loc in svc.locations:
        if loc.latitude is None or loc.longitude is None:
            continue
        d = _haversine(where, (loc.latitude, loc.longitude))
        best = d if best is None else min(best, d)
    return best


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))
