"""The moderators' inbox: unmatched messages grouped, ignore, and "add as an example of X"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import review_actions, review_listings, review_turns
from bot.console.app import INBOX_DAYS, Console, Page, Refused, User
from bot.console.replaying import (
    blocks,
    placeholders_in,
    preview_example,
    replay_messages,
    report_groups,
)
from bot.dialogue import Engine
from bot.review_listings import Group
from bot.review_turns import Window

DAYS = INBOX_DAYS
MAX_IDS = 500


def _guesses(group: Group, limit: int = 3) -> list[tuple[str, float]]:
    """The bot's best guesses over every message of a group, with the best score of each."""
    best: dict[str, float] = {}
    for t in group.turns:
        for intent, score in t.alternatives:
            best[intent] = max(score, best.get(intent, 0.0))
    return sorted(best.items(), key=lambda kv: -kv[1])[:limit]


def _intents(console: Console, user: User) -> list[dict[str, Any]]:
    cat = console.live.catalogue
    if cat is None:
        return []
    out = []
    for intent in sorted(cat.intents.values(), key=lambda i: (i.is_safety, i.title.lower())):
        if intent.is_safety and not user.can("promote-safety"):
            continue
        out.append({"id": intent.id, "title": intent.title, "safety": intent.is_safety})
    return out


def _ids(values: Sequence[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            if part.isdigit():
                ids.append(int(part))
    return list(dict.fromkeys(ids))[:MAX_IDS]


async def inbox(console: Console, request: Request) -> Response:
    since = (console.now() - dt.timedelta(days=DAYS)).date()
    groups = await console.db(review_listings.unmatched, Window(since=since))
    rows = [{"ids": ",".join(str(t.id) for t in g.turns), "count": len(g.turns),
             "people": g.people, "text": g.text, "variants": g.variants[:3],
             "more": max(0, len(g.variants) - 3), "guesses": _guesses(g),
             "placeholders": placeholders_in(g.text), "last_seen": g.last_seen,
             "first": g.turns[0].id}
            for g in groups]
    return console.render(request, "inbox.html", title="Inbox: messages the bot could not "
                          "answer", groups=rows, intents=_intents(console, request.state.user),
                          days=DAYS, done=console.flash(request))


async def ignore(console: Console, request: Request) -> Response:
    form = await request.form()
    ids = _ids([v for v in form.getlist("group") if isinstance(v, str)])
    if not ids:
        raise Refused(400, "Nothing was selected. Tick the groups to ignore, then press "
                           "Ignore selected.")
    done, _ = await console.db(review_actions.set_status, ids, "ignored", "ignore",
                               request.state.user.name)
    return RedirectResponse(console.flash_url(request, "/inbox",
                                              f"Ignored {len(done)} message(s)."),
                            status_code=303)


async def _checked(console: Console, request: Request) -> dict[str, Any]:
    """The promotion form, checked: turns, wording, intent, draft and replay report."""
    form = await request.form()
    user: User = request.state.user
    ids = _ids([v for v in form.getlist("turns") if isinstance(v, str)])
    text = " ".join(str(form.get("text") or "")[:1000].split())
    intent = str(form.get("intent") or "")[:100]
    cat = console.live.catalogue
    if not ids:
        raise Refused(400, "No message was chosen. Go back to the inbox and use the form "
                           "under a message.")
    if cat is None or intent not in cat.intents:
        raise Refused(400, f'There is no intent called "{intent}". Pick one from the list.')
    values: dict[str, Any] = {"ids": ",".join(map(str, ids)), "text": text, "intent": intent,
                              "intent_title": cat.intents[intent].title, "error": "",
                              "report": None, "groups": [], "blocked": False}
    if cat.intents[intent].is_safety and not user.can("promote-safety"):
        raise Refused(403, f"{cat.intents[intent].title} is a safety intent: only the "
                           "safeguarding lead can add examples to it.")
    found = placeholders_in(text)
    if found:
        values["error"] = (f"This wording still contains {', '.join(found)}, which stands "
                           "for something the redactor removed. Edit the wording so it reads "
                           "like a real message without it (e.g. 'call me on my phone'), "
                           "then preview again.")
        return values
    now = console.now()
    messages = await console.work(replay_messages, console.replay_sets, console.data_dir, now)
    try:
        _draft, report = await console.work(preview_example, console.root, intent, text,
                                            console.live.engine, messages)
    except review_turns.Refused as exc:
        values["error"] = str(exc)
        return values
    values["report"] = report
    values["groups"] = report_groups(report)
    values["blocked"] = blocks(report, user.can("promote-safety"))
    return values


async def preview(console: Console, request: Request) -> Response:
    values = await _checked(console, request)
    return console.render(request, "preview.html", status=400 if values["error"] else 200,
                          title="Check before adding an example", **values)


async def promote(console: Console, request: Request) -> Response:
    values = await _checked(console, request)
    if values["error"] or values["blocked"]:
        return console.render(request, "preview.html", status=400 if values["error"] else 403,
                              title="Check before adding an example", **values)
    ids = [int(i) for i in values["ids"].split(",")]
    user: User = request.state.user
    try:
        result = await console.db(lambda conn: review_actions.promote(
            conn, ids[0], values["intent"], console.root, user.name, text=values["text"],
            also=ids[1:]))
    except review_turns.Refused as exc:
        raise Refused(400, str(exc)) from None
    await console.work(console.live.reload)
    engine: Engine = console.live.engine
    reply = await console.work(engine.respond, result.text)
    now_answers = reply.intent if reply.kind in ("answer", "safety") else None
    note = (f'Added "{result.text}" to {values["intent_title"]}. '
            + (f"The bot now answers it with {now_answers}." if now_answers
               else "The bot is still not sure about it; add a few similar ones."))
    return RedirectResponse(console.flash_url(request, "/inbox", note), status_code=303)


PAGES = [
    Page("/inbox", inbox, "inbox"),
    Page("/inbox/ignore", ignore, "inbox", ("POST",)),
    Page("/inbox/preview", preview, "inbox", ("POST",)),
    Page("/inbox/promote", promote, "inbox", ("POST",)),
]
