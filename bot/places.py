"""Where and when a message asks about: place names -> districts, activity words, days.

Pure functions over a message's folded text and the catalogue; nothing here does I/O.
The place table and the activity words live in the catalogue (places.yaml, services'
`keywords:`), so staff can add a name without touching code.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.catalogue_types import Catalogue

FAR_EVENT_DAYS = 42  # events further ahead than this never lead unless that time was asked

DAY_WORDS = {
    "monday": "MO", "mon": "MO", "tuesday": "TU", "tues": "TU", "tue": "TU",
    "wednesday": "WE", "wed": "WE", "weds": "WE", "thursday": "TH", "thurs": "TH",
    "thu": "TH", "friday": "FR", "fri": "FR", "saturday": "SA", "sat": "SA",
    "sunday": "SU", "sun": "SU",
}
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday",
             "FR": "Friday", "SA": "Saturday", "SU": "Sunday"}
MONTHS = {name.lower(): n for n, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
MONTHS.pop("may", None)  # "may" is mostly the verb; "in may" is handled below
_MONTH_RE = re.compile(r"\b(?:in |this |next )?(" + "|".join(sorted(MONTHS, key=len,
                       reverse=True)) + r")\b|\bin may\b")


@dataclass(frozen=True, slots=True)
class When:
    """A time someone asked about: a window of dates, maybe some days, maybe after a time."""

    label: str  # "on Saturday", "tonight", "this week"
    start: dt.date
    end: dt.date  # inclusive
    days: frozenset[str] = frozenset()  # day codes (empty: any day in the window)
    after: dt.time | None = None  # only sessions still running after this time

    def dates(self) -> list[dt.date]:
        n = (self.end - self.start).days + 1
        days = [self.start + dt.timedelta(d) for d in range(max(0, min(n, 62)))]
        return [d for d in days if not self.days or DAY_CODES[d.weekday()] in self.days]


def _next_day(today: dt.date, code: str) -> dt.date:
    return today + dt.timedelta((DAY_CODES.index(code) - today.weekday()) % 7)


def find_when(text: str, now: dt.datetime) -> When | None:
    """The time a folded message asks about, if any."""
    today = now.date()
    words = set(text.split())
    week_end = today + dt.timedelta(6)
    if "tonight" in words or "this evening" in text or "2nite" in words:
        return When("tonight", today, today, after=dt.time(17, 0))
    if "after school" in text or "after college" in text:
        weekday = {c for c in DAY_CODES[:5]}
        start = today if today.weekday() < 5 else _next_day(today, "MO")
        return When("after school", start, start + dt.timedelta(6), frozenset(weekday),
                    after=dt.time(15, 0))
    if "half term" in text or "halfterm" in words:
        return When("in the half term", today, today + dt.timedelta(120))
    for word in text.split():
        code = DAY_WORDS.get(word)
        if code is None:
            continue
        day = _next_day(today, code)
        night = f"{word} night" in text or f"{word} evening" in text
        return When(f"on {DAY_NAMES[code]}", day, day, frozenset({code}),
                    dt.time(18, 0) if night else None)
    if "weekend" in text or "wkend" in words:
        sat = _next_day(today, "SA")
        start = today if today.weekday() == 6 else sat
        return When("at the weekend", start, sat + dt.timedelta(1), frozenset({"SA", "SU"}))
    if "today" in words or "2day" in words:
        return When("today", today, today)
    if "tomorrow" in words or "tmrw" in words or "tmr" in words:
        tomorrow = today + dt.timedelta(1)
        return When("tomorrow", tomorrow, tomorrow)
    if "this week" in text:
        return When("this week", today, week_end)
    if "next week" in text:
        return When("next week", today + dt.timedelta(7 - today.weekday()),
                    today + dt.timedelta(13 - today.weekday()))
    if "this month" in text:
        days_in = calendar.monthrange(today.year, today.month)[1]
        return When("this month", today, today.replace(day=days_in))
    if "christmas" in words or "xmas" in words:
        year = today.year - 1 if today.month == 1 else today.year
        return When("over Christmas", max(today, dt.date(year, 12, 18)),
                    dt.date(year + 1, 1, 4))
    m = _MONTH_RE.search(text)
    if m:
        month = MONTHS.get(m.group(1) or "", 5)
        year = today.year + (1 if month < today.month else 0)
        first = dt.date(year, month, 1)
        last = first.replace(day=calendar.monthrange(year, month)[1])
        return When(f"in {calendar.month_name[month]}", max(first, today), last)
    return None


def fits_when(svc_days: list[tuple[tuple[str, ...], dt.time]], start: dt.date | None,
              end: dt.date | None, when: When) -> bool:
    """Does a service with these (days, closes_at) sessions and dates run in `when`?"""
    for day in when.dates():
        if start and day < start:
            continue
        if end and day > end:
            continue
        code = DAY_CODES[day.weekday()]
        for days, closes in svc_days:
            if code in days and (when.after is None or closes > when.after):
                return True
    return False


# ---------------------------------------------------------------- places and activities


def _cached(cat: Catalogue, key: str, build: object) -> object:
    value = cat.__dict__.get(key)
    if value is None:
        value = build() if callable(build) else build
        object.__setattr__(cat, key, value)
    return value


def _place_regex(cat: Catalogue) -> re.Pattern[str] | None:
    def build() -> re.Pattern[str] | bool:
        names = sorted(cat.places, key=len, reverse=True)
        if not names:
            return False
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in names) + r")(?!\w)")

    value = _cached(cat, "_place_re", build)
    return value if isinstance(value, re.Pattern) else None


def find_place(text: str, cat: Catalogue | None) -> tuple[str, str] | None:
    """(place name, district) for the first known place named in a folded message."""
    if cat is None:
        return None
    regex = _place_regex(cat)
    m = regex.search(text) if regex else None
    return (m.group(1), cat.places[m.group(1)]) if m else None


def _keyword_regex(cat: Catalogue) -> re.Pattern[str] | None:
    def build() -> re.Pattern[str] | bool:
        words = sorted({k for s in cat.services.values() for k in s.keywords}, key=len,
                       reverse=True)
        if not words:
            return False
        return re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in words) + r")s?(?!\w)")

    value = _cached(cat, "_keyword_re", build)
    return value if isinstance(value, re.Pattern) else None


def activity_terms(texts: tuple[str, ...], cat: Catalogue | None) -> tuple[str, ...]:
    """Service keywords that folded messages use, in the order they appear, each once."""
    if cat is None:
        return ()
    regex = _keyword_regex(cat)
    if regex is None:
        return ()
    found: dict[str, None] = {}
    for text in texts:
        for m in regex.finditer(text):
            found[m.group(1)] = None
    return tuple(found)
