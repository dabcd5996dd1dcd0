"""The console in a real browser: Debian's Chromium driven by Playwright for Python.

Each test gets its own site (catalogue copy, SQLite log, one account per role) served by
uvicorn on 127.0.0.1 in a thread, with a clock the test can move. Any request the page makes
to another address fails the test.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue import LONDON
from bot.console import users
from bot.dialogue import ChatState
from bot.render import card_lines
from tests.browser import ARGS, CHROMIUM, need_browser
from tests.console_support import PASSWORD, Site, make_site

AXE = Path(__file__).parent / "assets" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MONDAY_MORNING = dt.datetime(2026, 11, 30, 10, 30, tzinfo=LONDON)


@dataclass
class Served:
    site: Site
    base: str  # http://127.0.0.1:PORT/console
    foreign: list[str] = field(default_factory=list)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    need_browser()
    import uvicorn

    site = make_site(tmp_path)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    config = uvicorn.Config(site.app, lifespan="off", access_log=False, log_config=None,
                            log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=asyncio.run, args=(server.serve(sockets=[sock]),),
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    yield Served(site, f"http://127.0.0.1:{port}/console")
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def page(served: Served) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        origin = served.base.rsplit("/console", 1)[0]
        page.on("request", lambda r: None if r.url.startswith(origin)
                else served.foreign.append(r.url))
        page.set_default_timeout(30_000)
        yield page
        browser.close()
    assert served.foreign == [], f"requests left the console: {served.foreign}"


def log_in_as(page: Any, served: Served, name: str) -> None:
    """A session made for this account, put in the browser (as after logging in)."""
    cookie, _ = served.site.session(name)
    page.context.add_cookies([{"name": "signpost_console", "value": cookie,
                               "url": served.base + "/", "httpOnly": True,
                               "sameSite": "Strict"}])


def fill_login(page: Any, served: Served, name: str, password: str, code: str = "") -> None:
    page.goto(served.base + "/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Log in").click()


def axe(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result: list[dict[str, Any]] = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.html)}))", WCAG)
    return result


def test_login_with_totp(page: Any, served: Served) -> None:
    """Password alone is not enough for a moderator; with the app's code they get in."""
    fill_login(page, served, "moderator", PASSWORD)
    assert "is not right" in page.locator("[role=alert]").inner_text()
    fill_login(page, served, "moderator", PASSWORD, served.site.code("moderator"))
    page.get_by_role("heading", name="Signpost console").wait_for()
    assert page.url == served.base + "/"
    assert "moderator (moderator)" in page.locator("header").inner_text()


def test_promote_from_the_inbox_with_replay_preview(page: Any, served: Served) -> None:
    log_in_as(page, served, "moderator")
    page.goto(served.base + "/inbox")
    group = page.locator(".group", has_text="fighting lessons")
    group.get_by_label("Wording").fill("boxing pads after school")
    group.get_by_label("Add as an example of").select_option("sport")
    group.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="What would change").wait_for()
    summary = page.locator("#replay-summary").inner_text()
    assert "messages (the replay sets and the last 30 days of the log)" in summary
    page.get_by_role("button", name="Add as an example of Sport").click()
    notice = page.locator("[role=status]").inner_text()
    assert 'Added "boxing pads after school" to Sport.' in notice
    assert page.locator(".group", has_text="fighting lessons").count() == 0
    sport = (served.site.root / "intents" / "sport.yaml").read_text()
    assert "boxing pads after school" in sport


def beat_lab_card(served: Served) -> tuple[bool, str]:
    """Whether the bot says Beat Lab is open on a Monday morning, and its "When" line."""
    reply = served.site.live.engine.respond("music", ChatState(), MONDAY_MORNING)
    picks = [p for part in reply.all_parts() for p in part.services
             if p.service.id == "beat-lab-studio"]
    assert picks, "the music answer no longer shows Beat Lab: pick another service"
    when = next(line for line in card_lines(picks[0]) if "When:" in line)
    return picks[0].open_now, when


def test_editor_changes_opening_hours_and_the_answer_changes(page: Any,
                                                             served: Served) -> None:
    """Beat Lab opens at 09:00 instead of 18:00: on a Monday morning the bot now says it is
    open, with the new time on its card."""
    open_before, when_before = beat_lab_card(served)
    assert not open_before and "When: Mon, Wed 18:00-20:30" in when_before
    log_in_as(page, served, "editor")
    page.goto(served.base + "/catalogue")
    page.get_by_role("link", name="Beat Lab Studio Sessions").click()
    page.locator("#opens0").fill("09:00")
    page.get_by_role("button", name="Check the changes").click()
    page.get_by_role("heading", name="Answers that would change").wait_for()
    page.get_by_role("button", name="Save").click()
    page.locator("#saved").wait_for()
    open_now, when = beat_lab_card(served)
    assert open_now
    assert "Mon, Wed 09:00-20:30" in when


def test_moderator_gets_403_on_the_safety_queue(page: Any, served: Served) -> None:
    log_in_as(page, served, "moderator")
    response = page.goto(served.base + "/safety")
    assert response.status == 403
    assert "cannot open this page" in page.locator("[role=alert]").inner_text()
    assert page.get_by_role("link", name="Safety queue").count() == 0


def test_form_without_its_csrf_token_is_refused(page: Any, served: Served) -> None:
    log_in_as(page, served, "moderator")
    page.goto(served.base + "/inbox")
    page.locator(".group", has_text="nail").first.locator("input[type=checkbox]").check()
    page.evaluate("document.querySelector('#bulk input[name=csrf]').remove()")
    page.get_by_role("button", name="Ignore selected").click()
    assert "This form has expired" in page.locator("[role=alert]").inner_text()
    page.goto(served.base + "/inbox")
    assert "nail" in page.locator("main").inner_text()


def test_lockout_after_repeated_failed_logins(page: Any, served: Served) -> None:
    for _ in range(5):
        fill_login(page, served, "editor", "not my password")
    assert "locked for 15 minutes" in page.locator("[role=alert]").inner_text()
    fill_login(page, served, "editor", PASSWORD)
    assert "This account is locked" in page.locator("[role=alert]").inner_text()


def test_session_expires_after_30_idle_minutes(page: Any, served: Served) -> None:
    log_in_as(page, served, "safeguarding")
    page.goto(served.base + "/safety")
    page.get_by_role("heading", name="Safety queue").wait_for()
    served.site.clock.advance(minutes=31)
    page.goto(served.base + "/safety")
    page.get_by_role("heading", name="Log in to the Signpost console").wait_for()
    assert "Your session ended" in page.locator("[role=status]").inner_text()


def test_title_changes_when_a_new_alert_arrives(page: Any, served: Served) -> None:
    """A page left open tells the safeguarding lead about a new alert in its title."""
    log_in_as(page, served, "safeguarding")
    page.goto(served.base + "/stats")
    assert "New safety alert" not in page.title()
    served.site.log(9, "someone is following me with a knife")
    deadline = time.monotonic() + 10
    while "New safety alert" not in page.title() and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert page.title().startswith("(2) New safety alert")


def test_keyboard_shortcuts_select_and_ignore(page: Any, served: Served) -> None:
    log_in_as(page, served, "moderator")
    page.goto(served.base + "/inbox")
    first = page.locator(".group").first
    text = first.locator("label").first.inner_text()
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert first.locator("input[type=checkbox]").is_checked()
    page.keyboard.press("i")
    page.locator("[role=status]").wait_for()
    assert text not in page.locator("main").inner_text()


def test_axe_finds_no_violations_on_console_pages(page: Any, served: Served) -> None:
    """axe-core (WCAG 2.2 A/AA) on every kind of console page."""
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(served.base + "/login")
    found["login"] = axe(page)
    pages = {"safeguarding": ["/", "/inbox", "/safety?status=all", "/feedback", "/stats"],
             "editor": ["/catalogue", "/catalogue/beat-lab-studio"],
             "admin": ["/users", "/audit"]}
    for role, paths in pages.items():
        page.context.clear_cookies()
        log_in_as(page, served, role)
        for path in paths:
            page.goto(served.base + path)
            found[path] = axe(page)
    page.context.clear_cookies()
    log_in_as(page, served, "safeguarding")
    page.goto(served.base + "/safety?status=all")
    page.locator("a[href*='/safety/conversation/']").first.click()
    page.locator("main h1").wait_for()
    found["conversation"] = axe(page)
    page.context.clear_cookies()
    log_in_as(page, served, "admin")
    page.goto(served.base + "/inbox")  # as admin: the 403 page
    found["403"] = axe(page)
    page.context.clear_cookies()
    log_in_as(page, served, "safeguarding")
    page.goto(served.base + "/inbox")
    page.locator(".group").first.get_by_role("button", name="Preview").click()
    page.locator("main h1").wait_for()
    found["preview"] = axe(page)
    conn = served.site.conn()
    link = users.add(conn, "newcomer", "moderator", served.base)
    conn.close()
    page.goto(link)
    found["setup"] = axe(page)
    assert len(found) == 14
    assert {k: v for k, v in found.items() if v} == {}
