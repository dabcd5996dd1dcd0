"""A Reply as JSON for the page: lines of text and links, service cards and buttons. Pure.

Phone numbers become `tel:` links and "text WORD to 12345" becomes an `sms:` link, so a
young person on a phone can tap a route to help. Nothing here is HTML: the page builds
its elements with textContent, so no catalogue or user text can inject markup.
"""

from __future__ import annotations

import re
from typing import Any

from bot.dialogue import Reply
from bot.picking import ServicePick
from bot.render import card_fields, card_title

Span = dict[str, str]

# "text SHOUT to 85258", "text THEMIX to 85258"
_SMS = r"(?i:text)\s+(?P<word>[A-Z]{2,12})\s+(?i:to)\s+(?P<sms>\d{5})"
# UK numbers as DOMAIN.md writes them: 0800 1111, 0808 800 5000, 020 7946 0123, 116 123
_PHONE = r"(?P<phone>\b0\d{2,4}(?:[ ]\d{3,4}){1,2}\b|\b116[ ]?\d{3}\b)"
# the three-digit numbers only where they are clearly numbers to call
_SHORT = r"(?P<short>\b999\b|(?<=(?i:call) )1(?:01|11)\b|\b18000\b)"
_LINK = re.compile(f"{_SMS}|{_PHONE}|{_SHORT}")
_URL = re.compile(r"\bhttps?://[^\s<>\"')]+[^\s<>\"').,;:!?]")


def tel(number: str) -> str:
    return "tel:" + re.sub(r"\D", "", number)


def spans(text: str) -> list[Span]:
    """One line of text -> [{"text": ...}, {"text": ..., "href": "tel:..."}, ...]."""
    out: list[Span] = []
    pos = 0
    for m in sorted([*_LINK.finditer(text), *_URL.finditer(text)], key=lambda m: m.start()):
        if m.start() < pos:
            continue
        if m.start() > pos:
            out.append({"text": text[pos:m.start()]})
        groups = m.groupdict() if m.re is _LINK else {}
        if groups.get("sms"):
            href = f"sms:{groups['sms']}?body={groups['word']}"
        elif groups.get("phone") or groups.get("short"):
            href = tel(m.group(0))
        else:
            href = m.group(0)
        out.append({"text": m.group(0), "href": href})
        pos = m.end()
    if pos < len(text):
        out.append({"text": text[pos:]})
    return out


def card(pick: ServicePick) -> dict[str, Any]:
    svc = pick.service
    fields = [{"label": label, "value": spans(value)} for label, value in card_fields(pick)]
    return {"id": svc.id, "title": card_title(pick), "fields": fields,
            "open_now": pick.open_now}


def part_json(part: Reply) -> dict[str, Any]:
    return {
        "kind": part.kind,
        "safety": part.safety is not None,
        "lines": [spans(line) for line in part.text.split("\n")],
        "services": [card(p) for p in part.services],
        "buttons": [{"label": b.label, "action": b.action} for b in part.buttons],
    }


def reply_json(reply: Reply, turn: int | None = None) -> dict[str, Any]:
    """Every part of a reply in order (the safety part, always first, first)."""
    parts = [part_json(p) for p in reply.all_parts()]
    wants = next((p for p, r in zip(parts, reply.all_parts(), strict=True)
                  if r.services and r.kind in ("answer", "category")), None)
    if wants is not None and turn is not None:
        wants["feedback"] = turn
    return {"parts": parts}
