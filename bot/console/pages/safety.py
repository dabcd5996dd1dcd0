"""The safeguarding lead's safety queue: each alert in context, review state, filters, export."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot import review_listings
from bot import store as db
from bot.console.app import Console, Page, Refused, base, csv_cell
from bot.review_listings import SafetyItem
from bot.review_turns import Window

CONTEXT = 5  # turns shown before and after each alert
OUTCOMES = {
    "seen": "Seen, nothing more needed",
    "handled": "Handled (follow-up done)",
    "escalated": "Escalated to the partnership's safeguarding process",
    "false-alarm": "Not a safety concern (false alarm)",
}
EXPORT_COLUMNS = ("turn_id", "time", "safety_intent", "conversation", "channel", "message",
                  "reviewer", "outcome", "notes", "reviewed_at")


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise Refused(400, f'"{value}" is not a date; use YYYY-MM-DD, e.g. 2026-11-01.') \
            from None


def alert_route_configured(settings: Any) -> bool:
    """Whether safety alerts reach staff anywhere but this page (Telegram or email)."""
    names = ("alert_chat_id", "alert_email", "alert_email_to", "alert_emails", "smtp_host")
    return any(getattr(settings, n, None) for n in names)


async def _items(console: Console, request: Request
                 ) -> tuple[list[SafetyItem], dict[int, dict[str, str]], dict[str, Any]]:
    q = request.query_params
    window = Window(_date(q.get("since")), _date(q.get("until")))
    filters: dict[str, Any] = {"intent": q.get("intent", "")[:100], "since": window.since,
                               "until": window.until, "status": q.get("status", "open")}

    def read(conn: Any) -> tuple[list[SafetyItem], dict[int, dict[str, str]]]:
        items = review_listings.safety(conn, window, True, CONTEXT)
        return items, db.safety_reviews(conn)
    items, reviews = await console.db(read)
    if filters["intent"]:
        items = [i for i in items if i.turn.safety == filters["intent"]]
    if filters["status"] == "open":
        items = [i for i in items if i.turn.id not in reviews]
    elif filters["status"] == "reviewed":
        items = [i for i in items if i.turn.id in reviews]
    return items, reviews, filters


async def queue(console: Console, request: Request) -> Response:
    items, reviews, filters = await _items(console, request)
    user = request.state.user
    if items:  # each alert shows part of a conversation: that is a view, and is audited
        await console.audit(user.name, "view", None, "safety queue: " + " ".join(
            f"#{i.turn.id}" for i in items))
    cat = console.live.catalogue
    kinds = sorted(i.id for i in cat.intents.values() if i.is_safety) if cat else []
    return console.render(request, "safety.html", title="Safety queue", items=items,
                          reviews=reviews, filters=filters, kinds=kinds, outcomes=OUTCOMES,
                          query=request.url.query,
                          banner=None if alert_route_configured(console.settings) else
                          "No alert route is set up: safety alerts appear only on this page. "
                          "Ask the operator to set SIGNPOST_ALERT_CHAT_ID (or email alerts) "
                          "so that someone is told straight away.")


async def save(console: Console, request: Request) -> Response:
    turn_id = int(request.path_params["turn_id"])
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    notes = str(form.get("notes") or "")[:4000].strip()
    if outcome not in OUTCOMES:
        raise Refused(400, "Choose an outcome from the list before saving.")
    user = request.state.user
    if not await console.db(db.save_safety_review, turn_id, user.name, outcome, notes):
        raise Refused(404, f"There is no safety alert #{turn_id}: it may have been erased "
                           "(/forget or the retention period).")
    await console.audit(user.name, "safety-review", turn_id, f"outcome {outcome}")
    back = str(form.get("back") or "")[:500]
    return RedirectResponse(f"{base(request)}/safety?{back}#alert-{turn_id}", status_code=303)


async def export(console: Console, request: Request) -> Response:
    items, reviews, _ = await _items(console, request)
    buf = StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_COLUMNS)
    for item in items:
        t, r = item.turn, reviews.get(item.turn.id, {})
        w.writerow([t.id, t.at.strftime("%Y-%m-%d %H:%M"), t.safety, t.ref, t.channel,
                    csv_cell(t.text), csv_cell(r.get("reviewer", "")), r.get("outcome", ""),
                    csv_cell(r.get("notes", "")), r.get("at", "")])
    await console.audit(request.state.user.name, "export", None,
                        f"safety queue, {len(items)} alert(s), as CSV")
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="safety-log.csv"'})


async def conversation(console: Console, request: Request) -> Response:
    """One whole conversation, for the context of an alert (every view is audited)."""
    ref = request.path_params["ref"][:40]
    turns = await console.db(review_listings.conversation, ref, Window())
    await console.audit(request.state.user.name, "view", None, f"conversation {ref}")
    return console.render(request, "conversation.html", title=f"Conversation {ref}",
                          ref=ref, turns=turns)


async def count(console: Console, request: Request) -> Response:
    """The unread count, for the page title to change when a new alert arrives."""
    return JSONResponse({"unread": await console.db(db.unreviewed_alerts)})


PAGES = [
    Page("/safety", queue, "safety"),
    Page("/safety/export.csv", export, "safety"),
    Page("/safety/count", count, "safety"),
    Page("/safety/conversation/{ref}", conversation, "safety"),
    Page("/safety/{turn_id:int}", save, "safety", ("POST",)),
]
