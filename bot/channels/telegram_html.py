"""A Reply as Telegram HTML: escaping, service cards and splitting under Telegram's limit.

Pure functions, no PTB objects: `render_part` turns one reply part into the HTML texts of
the messages to send (the Telegram channel adds keyboards and sends them).
"""

from __future__ import annotations

import html
import re

from bot.dialogue import Reply
from bot.picking import ServicePick
from bot.render import card_fields, card_title

MAX_CHARS = 4000  # Telegram's limit is 4096; the margin covers the feedback line
MAX_RAW_LINE = 600  # a raw line this long stays under MAX_CHARS even fully escaped


def escape(text: str) -> str:
    """Escape user or catalogue text for Telegram's HTML mode."""
    return html.escape(text, quote=False)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _raw_pieces(line: str) -> list[str]:
    """Split an over-long raw line at spaces so each piece stays safely short."""
    out: list[str] = []
    while len(line) > MAX_RAW_LINE:
        cut = line.rfind(" ", 0, MAX_RAW_LINE)
        cut = cut if cut > MAX_RAW_LINE // 2 else MAX_RAW_LINE
        out.append(line[:cut])
        line = line[cut:].lstrip(" ")
    out.append(line)
    return out


def text_lines(text: str) -> list[str]:
    """Plain text -> escaped HTML lines, each short enough to send on its own."""
    return [escape(piece) for line in text.split("\n") for piece in _raw_pieces(line)]


def card_html(pick: ServicePick) -> list[str]:
    """A compact service card: bold name, then what/when/where/who/cost/join/contact."""
    lines = [f"<b>{escape(piece)}</b>" for piece in _raw_pieces(card_title(pick))]
    for label, value in card_fields(pick):
        pieces = _raw_pieces(value)
        first = f"<i>{escape(label)}:</i> " if label else ""
        lines.append(first + escape(pieces[0]))
        lines.extend(escape(p) for p in pieces[1:])
    return lines


def pack(lines: list[str], limit: int = MAX_CHARS) -> list[str]:
    """Join HTML lines into messages under `limit`, breaking only between lines."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = _utf16_len(line) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
            if not line:
                continue
            extra = _utf16_len(line)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [c for c in chunks if c.strip()] or [""]


def render_part(part: Reply) -> list[str]:
    """One reply part as HTML messages: its text, then a card per service."""
    lines = text_lines(part.text)
    for pick in part.services:
        lines.append("")
        lines.extend(card_html(pick))
    return pack(lines)


def plain(html_text: str) -> str:
    """The visible text of our HTML, for resending when Telegram rejects the markup."""
    return html.unescape(re.sub(r"</?[a-z]+>", "", html_text))
