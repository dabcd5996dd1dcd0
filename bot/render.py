"""Service cards as plain lines, shared by every channel (each escapes as it needs)."""

from __future__ import annotations

from typing import Literal

from bot.catalogue_types import Service
from bot.picking import ServicePick

DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat",
             "SU": "Sun"}


def when(svc: Service) -> str:
    """'Mon, Wed 18:00-20:00' or '24/7' or event dates."""
    parts: list[str] = []
    if svc.open_24_7:
        return "24/7"
    if svc.start_date:
        dates = f"{svc.start_date:%a %d %b}"
        if svc.end_date and svc.end_date != svc.start_date:
            dates += f" to {svc.end_date:%a %d %b}"
        parts.append(dates)
    for s in svc.schedules:
        days = ", ".join(DAY_NAMES.get(d, d) for d in s.days)
        note = f" ({s.notes})" if s.notes else ""
        parts.append(f"{days} {s.opens_at:%H:%M}-{s.closes_at:%H:%M}{note}")
    return "; ".join(parts)


# Both ends, lowest only, highest only, neither: in a sentence, and on a card.
AGE_WORDINGS = {
    "sentence": ("for ages {lo} to {hi}", "for ages {lo} and up", "for ages up to {hi}",
                 "open to any age"),
    "card": ("ages {lo}-{hi}", "ages {lo}+", "up to age {hi}", ""),
}


def age_range(svc: Service, style: Literal["sentence", "card"]) -> str:
    """The ages a service is for: "for ages 13 to 25" in a sentence, "ages 13-25" on a card."""
    lo, hi = svc.minimum_age, svc.maximum_age
    both, low, high, neither = AGE_WORDINGS[style]
    if lo is not None and hi is not None:
        return both.format(lo=lo, hi=hi)
    if lo is not None:
        return low.format(lo=lo)
    if hi is not None:
        return high.format(hi=hi)
    return neither


def where(svc: Service) -> str:
    if not svc.locations:
        return ", ".join(svc.areas)
    loc = svc.locations[0]
    return ", ".join(x for x in (loc.name, loc.address, loc.postal_code) if x)


def contact(svc: Service) -> str:
    bits = [p.number for p in svc.phones]
    bits += [f"text {t.message} to {t.number}" for t in svc.texts]
    if svc.email:
        bits.append(svc.email)
    if svc.url:
        bits.append(svc.url)
    return " · ".join(bits)


def how_to_join(svc: Service) -> str:
    if svc.referral == "self":
        return ("just turn up, or get in touch first" if svc.locations and svc.schedules
                else "contact them directly")
    return {"professional": "ask a teacher, youth worker or social worker to refer you",
            "both": "get in touch yourself, or ask a worker to refer you"}.get(svc.referral, "")


def short_where(svc: Service) -> str:
    """The postcode (or the areas covered): enough to know if it's near."""
    if svc.locations:
        loc = svc.locations[0]
        return loc.postal_code or loc.name
    if svc.areas:
        return ", ".join(svc.areas)
    return "by phone or online" if svc.phones or svc.texts or svc.url else "across the borough"


def summary(pick: ServicePick) -> str:
    """One phone-sized line: when · where · cost (and how to reach a helpline)."""
    svc = pick.service
    bits = [when(svc) or ("any time, online" if svc.url and not svc.locations
                          else "ask for times")]
    if pick.open_now:
        bits[0] += " (open now)"
    bits.append(f"Where: {short_where(svc)}" + (
        f" ({pick.distance_km:.1f} km)" if pick.distance_km else ""))
    if svc.fees_description:
        bits.append(f"Cost: {svc.fees_description}")
    if svc.talk_now or not svc.sample:
        reach = contact(svc)
        if reach:
            bits.append(f"Contact: {reach}")
    return " · ".join(bits)


def card_fields(pick: ServicePick) -> list[tuple[str, str]]:
    """(label, value) pairs for a service card, empty ones left out.

    Lists show one summary line per service; the whole card comes when asked for
    ("More about ..."), when `pick.full` is set.
    """
    svc = pick.service
    if not pick.full:
        fields = [("When", summary(pick)), ("Note", svc.alert)]
        return [(k, v) for k, v in fields if v]
    status = ""
    if pick.open_now:
        status = "open now"
    fields = [
        ("", svc.description),
        ("When", when(svc) + (f" · {status}" if status else "")),
        ("Where", where(svc) + (f" ({pick.distance_km:.1f} km)" if pick.distance_km else "")),
        ("Who for", age_range(svc, "card")),
        ("Cost", svc.fees_description),
        ("How to join", how_to_join(svc)),
        ("Contact", contact(svc)),
        ("Note", svc.alert),
    ]
    return [(k, v) for k, v in fields if v]


def card_lines(pick: ServicePick) -> list[str]:
    svc = pick.service
    title = svc.name + (" (sample)" if svc.sample and "sample" not in svc.name.lower() else "")
    lines = [f"• {title}"]
    for label, value in card_fields(pick):
        lines.append(f"  {label}: {value}" if label else f"  {value}")
    return lines


def card_title(pick: ServicePick) -> str:
    """A card's heading: the service name, marked when it is a sample entry."""
    svc = pick.service
    return svc.name + (" (sample)" if svc.sample and "sample" not in svc.name.lower() else "")
