"""Bar charts as inline SVG, made on the server (no chart library, no script, no style).

Each chart is an image with a text title for screen readers; the page shows the same
numbers in a table next to it, so the chart is never the only way to read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = 22
GAP = 6
LABEL_WIDTH = 250
WIDTH = 640
LABEL_CHARS = 30


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, float]],
              unit: str = "") -> Markup:
    """Horizontal bars, one per item, longest = full width; values printed at the end."""
    if not items:
        return Markup("")
    top = max(v for _, v in items) or 1.0
    room = WIDTH - LABEL_WIDTH - 60
    height = len(items) * (BAR + GAP) + GAP
    parts = [f'<figure class="chart"><figcaption id="{escape(chart_id)}-c">{escape(title)}'
             f'</figcaption><svg id="{escape(chart_id)}" role="img" '
             f'aria-labelledby="{escape(chart_id)}-t" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR + GAP)
        width = max(1.0, room * value / top) if value else 0.0
        shown = f"{value:g}{unit}"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" '
            f'font-size="13" fill="#1a1a1a">{escape(_short(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width:.1f}" height="{BAR}" '
            f'fill="#1d4f91"/>'
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" '
            f'fill="#1a1a1a">{escape(shown)}</text>')
    parts.append("</svg></figure>")
    return Markup("".join(parts))


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"
