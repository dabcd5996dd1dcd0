"""The admin's pages: accounts (add, disable, reset with setup links) and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot import review_listings
from bot import store as db
from bot.console import auth, users
from bot.console.app import Console, Page, Refused, base, csv_cell
from bot.review_turns import Window


def _url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + base(request)


async def _users_page(console: Console, request: Request, link: str = "", who: str = "",
                      error: str = "", status: int = 200) -> Response:
    rows = await console.db(db.list_users)
    now = console.now()
    for r in rows:
        r["locked"] = bool(r["locked_until"]) and db.parse_stamp(str(r["locked_until"])) > now
    return console.render(request, "users.html", status=status, title="Users", rows=rows,
                          roles=auth.ROLES, link=link, who=who, error=error)


async def users_list(console: Console, request: Request) -> Response:
    return await _users_page(console, request)


async def user_add(console: Console, request: Request) -> Response:
    form = await request.form()
    name, role = str(form.get("name") or "")[:100], str(form.get("role") or "")
    try:
        link = await console.db(lambda c: users.add(c, name, role, _url(request),
                                                    request.state.user.name, console.now()))
    except users.UserError as exc:
        return await _users_page(console, request, error=str(exc), status=400)
    return await _users_page(console, request, link=link, who=name)


async def user_disable(console: Console, request: Request) -> Response:
    return await _user_action(console, request, "disable")


async def user_reset(console: Console, request: Request) -> Response:
    return await _user_action(console, request, "reset")


async def _user_action(console: Console, request: Request, action: str) -> Response:
    form = await request.form()
    name = str(form.get("name") or "")[:100]
    me = request.state.user.name
    if name == me:
        raise Refused(400, "You cannot disable or reset your own account here; ask another "
                           "admin, or use the command line.")
    try:
        if action == "disable":
            await console.db(users.disable, name, me)
            return await _users_page(console, request)
        link = await console.db(lambda c: users.reset(c, name, _url(request), me,
                                                      console.now()))
    except users.UserError as exc:
        return await _users_page(console, request, error=str(exc), status=400)
    return await _users_page(console, request, link=link, who=name)


def _window(request: Request) -> Window:
    def day(name: str) -> dt.date | None:
        value = request.query_params.get(name)
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise Refused(400, f'"{value}" is not a date; use YYYY-MM-DD.') from None
    return Window(day("since"), day("until"))


async def audit(console: Console, request: Request) -> Response:
    window = _window(request)
    entries = await console.db(review_listings.audit, window)
    return console.render(request, "audit.html", title="Audit log", entries=entries[::-1],
                          since=window.since or "", until=window.until or "",
                          query=request.url.query)


async def audit_export(console: Console, request: Request) -> Response:
    window = _window(request)
    entries: list[Any] = await console.db(review_listings.audit, window)
    buf = StringIO()
    w = csv.writer(buf)
    w.writerow(("id", "time", "who", "action", "turn_id", "detail"))
    for e in entries:
        w.writerow([e.id, e.at.strftime("%Y-%m-%d %H:%M:%S"), csv_cell(e.moderator),
                    e.action, e.turn_id if e.turn_id is not None else "", csv_cell(e.detail)])
    await console.audit(request.state.user.name, "export", None,
                        f"audit log, {len(entries)} entries, as CSV")
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="audit-log.csv"'})


PAGES = [
    Page("/users", users_list, "users"),
    Page("/users/add", user_add, "users", ("POST",)),
    Page("/users/disable", user_disable, "users", ("POST",)),
    Page("/users/reset", user_reset, "users", ("POST",)),
    Page("/audit", audit, "audit"),
    Page("/audit/export.csv", audit_export, "audit"),
]
