"""Feedback (👍/👎 by intent and by service) and weekly stats with server-made charts."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot import review_listings, review_turns
from bot.catalogue import LONDON
from bot.console.app import Console, Page
from bot.console.charts import bar_chart
from bot.review_turns import Turn, Window

WEEKS = 12


def _window(console: Console, days: int) -> Window:
    return Window(since=(console.now().astimezone(LONDON) - dt.timedelta(days=days)).date())


def _tally(turns: list[Turn], key: str) -> list[dict[str, Any]]:
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    for t in turns:
        names = [t.intent or t.safety or "(no topic)"] if key == "intent" else list(t.services)
        for name in names:
            (up if t.helpful else down)[name] += 1
    names = sorted(set(up) | set(down), key=lambda n: (-down[n], -up[n], n))
    return [{"name": n, "up": up[n], "down": down[n]} for n in names]


async def feedback(console: Console, request: Request) -> Response:
    window = _window(console, WEEKS * 7)
    turns = [t for t in await console.db(review_turns.load_turns, window) if t.helpful is not None]
    worst = [t for t in turns if t.helpful is False][-20:][::-1]
    if worst:
        await console.audit(request.state.user.name, "view", None, "feedback: " + " ".join(
            f"#{t.id}" for t in worst))
    return console.render(request, "feedback.html", title="Feedback",
                          by_intent=_tally(turns, "intent"),
                          by_service=_tally(turns, "service"), worst=worst, weeks=WEEKS)


async def stats(console: Console, request: Request) -> Response:
    window = _window(console, WEEKS * 7)

    def read(conn: Any) -> tuple[list[review_listings.WeekStats], list[Turn]]:
        return review_listings.stats(conn, window), review_turns.load_turns(conn, window)
    weeks, turns = await console.db(read)
    intents = Counter(t.intent for t in turns if t.intent and not t.safety).most_common(10)
    services = Counter(s for t in turns for s in t.services).most_common(10)
    kinds = Counter(t.safety for t in turns if t.safety).most_common()
    rated = [(w.week, w.helpful, w.unhelpful) for w in weeks]
    charts = {
        "conversations": bar_chart("chart-conversations", "Conversations per week",
                                   [(w.week, w.conversations) for w in weeks]),
        "matched": bar_chart("chart-matched", "Share of messages answered with a confident "
                             "topic, per week", [(w.week, round(100 * w.confident_rate))
                                                 for w in weeks], "%"),
        "intents": bar_chart("chart-intents", "Top topics", intents),
        "services": bar_chart("chart-services", "Services shown most", services),
        "kinds": bar_chart("chart-kinds", "Safety alerts by kind",
                           [(k or "", n) for k, n in kinds]),
    }
    return console.render(request, "stats.html", title="Stats", weeks=weeks, charts=charts,
                          intents=intents, services=services, kinds=kinds, rated=rated,
                          span=WEEKS)


PAGES = [
    Page("/feedback", feedback, "feedback"),
    Page("/stats", stats, "stats"),
]
