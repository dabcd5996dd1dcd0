"""The editors' pages: services with their state, and a form for the common fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from bot import review_turns
from bot.catalogue import LONDON
from bot.catalogue_types import DAY_CODES
from bot.console import editing
from bot.console.app import Console, Page, Refused
from bot.console.replaying import replay_messages, report_groups
from bot.dialogue import Engine
from bot.render import DAY_NAMES
from bot.schema import STATUSES
from bot.staff_lint import STALE_MONTHS
from bot.staff_replay import replay

EXTRA_ROWS = 1  # empty session rows offered under the existing ones


def _today(console: Console) -> dt.date:
    return console.now().astimezone(LONDON).date()


def _state(svc: Any, today: dt.date) -> list[str]:
    """Plain-words problems an editor should look at."""
    notes = []
    cutoff = today - dt.timedelta(days=round(STALE_MONTHS * 30.5))
    if svc.last_reviewed < cutoff:
        notes.append(f"not checked since {svc.last_reviewed}")
    if svc.is_past(today):
        notes.append("past event, no longer shown")
    if not svc.schedules and not svc.open_24_7 and not svc.start_date:
        notes.append("no opening hours")
    if svc.status != "active":
        notes.append(f"hidden ({svc.status})")
    return notes


async def services(console: Console, request: Request) -> Response:
    cat = console.live.catalogue
    today = _today(console)
    rows = [] if cat is None else [
        {"id": s.id, "name": s.name, "organisation": s.organisation,
         "categories": ", ".join(cat.category_title(c) for c in s.categories),
         "state": _state(s, today), "reviewed": s.last_reviewed}
        for s in sorted(cat.services.values(), key=lambda s: s.name.lower())]
    rows.sort(key=lambda r: (not r["state"], r["name"].lower()))
    return console.render(request, "services.html", title="Services", rows=rows,
                          problems=[str(p) for p in console.live.last_problems
                                    if p.severity == "error"])


def _source(console: Console) -> str:
    return (console.root / editing.SERVICES).read_text(encoding="utf-8")


def _page(console: Console, request: Request, sid: str, values: dict[str, Any], *,
          fingerprint: str, errors: list[str] | None = None, groups: Any = None,
          checked: bool = False, saved: bool = False, status: int = 200) -> Response:
    cat = console.live.catalogue
    rows = list(values["schedules"]) + [{"days": [], "opens_at": "", "closes_at": "",
                                          "notes": ""}] * EXTRA_ROWS
    return console.render(
        request, "service.html", status=status, title=f"Edit {values['name'] or sid}",
        sid=sid, v=values, rows=rows, days=[(d, DAY_NAMES[d]) for d in DAY_CODES],
        statuses=STATUSES, categories=sorted(cat.categories.values(), key=lambda c: c.title)
        if cat else [], fingerprint=fingerprint, errors=errors or [], groups=groups,
        checked=checked, saved=saved)


async def edit_form(console: Console, request: Request) -> Response:
    sid = request.path_params["sid"]
    source = await console.work(_source, console)
    data = await console.work(editing.read_service, source, sid)
    if data is None:
        raise Refused(404, f'There is no service "{sid}" in services.yaml.')
    return _page(console, request, sid, editing.form_values(data),
                 fingerprint=editing.fingerprint(source))


def _edit_from(form: FormData) -> tuple[editing.Edit, dict[str, Any]]:
    def text(name: str, limit: int = 2000) -> str:
        value = form.get(name)
        return " ".join(value.split())[:limit] if isinstance(value, str) else ""

    sessions = []
    for j in range(int(text("rows", 3) or 0)):
        days = editing.parse_days([v for v in form.getlist(f"days{j}") if isinstance(v, str)])
        opens, closes, notes = text(f"opens{j}", 10), text(f"closes{j}", 10), text(f"notes{j}")
        if days or opens or closes:
            sessions.append(editing.Session_(days, opens, closes, notes))
    edit = editing.Edit(
        name=text("name", 200), description=text("description", 2000),
        categories=tuple(v for v in form.getlist("categories") if isinstance(v, str)),
        status=text("status", 40), fees_description=text("fees_description", 200),
        phone=text("phone", 40), place_name=text("place_name", 200),
        place_address=text("place_address", 300), place_postcode=text("place_postcode", 12),
        schedules=tuple(sessions), reviewed_today=form.get("reviewed") == "yes")
    values = {"name": edit.name, "description": edit.description,
              "categories": list(edit.categories), "status": edit.status,
              "fees_description": edit.fees_description, "phone": edit.phone,
              "place_name": edit.place_name, "place_address": edit.place_address,
              "place_postcode": edit.place_postcode,
              "schedules": [{"days": list(s.days), "opens_at": s.opens_at,
                             "closes_at": s.closes_at, "notes": s.notes} for s in sessions]}
    return edit, values


def _plain(problem: Any) -> str:
    fix = f" {problem.fix[0].upper()}{problem.fix[1:]}." if problem.fix else ""
    return f"{problem.message[0].upper()}{problem.message[1:]}.{fix} (services.yaml line " \
           f"{problem.line})" if problem.message else str(problem)


async def edit(console: Console, request: Request) -> Response:
    sid = request.path_params["sid"]
    form = await request.form()
    expected = str(form.get("fingerprint") or "")
    edit_, values = _edit_from(form)
    source = await console.work(_source, console)
    today = _today(console)
    try:
        updated = await console.work(editing.apply_edit, source, sid, edit_, today)
    except review_turns.Refused as exc:
        raise Refused(409, str(exc)) from None
    cat, problems = await console.work(editing.check_catalogue, console.root, updated, today)
    errors = [_plain(p) for p in problems if p.severity == "error"]
    if editing.fingerprint(source) != expected:
        errors.insert(0, "services.yaml was changed by someone else after you opened this "
                         "form. Open the service again and redo your change.")
    if cat is None or errors:
        return _page(console, request, sid, values, fingerprint=expected, errors=errors,
                     status=400)
    messages = await console.work(replay_messages, console.replay_sets, console.data_dir,
                                  console.now())
    report = await console.work(replay, console.live.engine, Engine(cat), messages)
    groups = report_groups(report)
    if form.get("action") != "save":
        return _page(console, request, sid, values, fingerprint=expected, groups=groups,
                     checked=True)
    try:
        await console.work(editing.save, console.root, updated, expected)
    except review_turns.Refused as exc:
        raise Refused(409, str(exc)) from None
    await console.audit(request.state.user.name, "edit", None,
                        f"service {sid}\n" + editing.diff(source, updated))
    await console.work(console.live.reload)
    return _page(console, request, sid, values, fingerprint=editing.fingerprint(updated),
                 groups=groups, saved=True)


PAGES = [
    Page("/catalogue", services, "catalogue"),
    Page("/catalogue/{sid}", edit_form, "catalogue"),
    Page("/catalogue/{sid}", edit, "catalogue", ("POST",)),
]
