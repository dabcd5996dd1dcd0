"""The catalogue as frozen values: services, intents, categories and settings.

Plain data with the small questions every reader asks of it (is a service open now, does
it suit an age, which services are in a category). Reading and checking the YAML files
that hold it is bot.catalogue's job; nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from bot import routes
from bot.yamlfile import Problem

T = TypeVar("T")

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


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


    def derived(self, name: str, build: Callable[[Catalogue], T]) -> T:
        """Something worked out from this catalogue once, on first use, and kept with it
        (the matcher's index, for one)."""
        key = f"_derived_{name}"
        cached = self.__dict__.get(key)
        if cached is None:
            cached = build(self)
            object.__setattr__(self, key, cached)
        return cast(T, cached)
