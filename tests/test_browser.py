"""The web chat in a real browser: Debian's Chromium, driven by Playwright for Python.

A real server (uvicorn on 127.0.0.1, the shipped catalogue, a real SQLite log) runs in a
thread. Every request the page makes is recorded: anything not to that server fails the
test, except the quick-exit page, which the test answers itself (there is no internet).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, WebSettings
from bot.live import LiveCatalogue
from tests.browser import ARGS, CHROMIUM, need_browser
from tests.conftest import REPO

EXIT_URL = "https://www.bbc.co.uk/weather"
AXE = Path(__file__).parent / "assets" / "axe.min.js"
SHOTS = REPO / "docs" / "screenshots"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass
class Server:
    base: str
    data: Path
    thread: threading.Thread
    stop: Any
    partner: str = ""  # a partner site allowed to embed the chat
    other: str = ""  # a site that is not


def partner_site(chat: str) -> tuple[str, Any]:
    """A 'partner website' on its own 127.0.0.1 port (another origin) with the snippet."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    page = embed_page(chat).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The web chat on a free 127.0.0.1 port, in its own thread and event loop."""
    need_browser()
    import uvicorn

    from bot.session import Session
    from bot.store import AsyncStore
    from bot.web.app import WebChat

    data = tmp_path_factory.mktemp("browser") / "data"
    live = LiveCatalogue(REPO)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # no Nagle
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    partner, partner_httpd = partner_site(f"http://127.0.0.1:{port}")
    other, other_httpd = partner_site(f"http://127.0.0.1:{port}")
    settings = Settings(catalogue_dir=REPO, data_dir=data,
                        web=WebSettings(port=port, embed_origins=(partner,)))
    holder: dict[str, Any] = {}

    async def main() -> None:
        store = await AsyncStore.open(data)
        session = Session(live, store, burst_window=0.3)
        web = WebChat(session, settings)
        config = uvicorn.Config(web.app, lifespan="off", access_log=False, log_config=None,
                                log_level="warning")
        holder["server"] = uvicorn.Server(config)
        await holder["server"].serve(sockets=[sock])
        await session.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not (holder.get("server") and holder["server"].started):
        assert time.monotonic() < deadline, "the web chat did not start"
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", data, thread, holder["server"], partner, other)
    holder["server"].should_exit = True
    thread.join(10)
    for httpd in (partner_httpd, other_httpd):
        httpd.shutdown()


@dataclass
class Browser:
    page: Any
    context: Any
    base: str
    foreign: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    async def begin(self) -> None:
        await self.page.goto(self.base + "/")
        await self.page.get_by_role("button", name="Start chatting").click()
        await self.page.locator("#log .msg.bot").first.wait_for()

    def bot_messages(self) -> Any:
        return self.page.locator("#log .msg.bot")

    async def say(self, text: str) -> Any:
        """Type a message and send it with Enter; the first new bot message."""
        before = await self.bot_messages().count()
        await self.page.locator("#message").fill(text)
        await self.page.locator("#message").press("Enter")
        new = self.bot_messages().nth(before)
        await new.wait_for()
        return new


def embed_page(chat: str) -> str:
    """A partner's page with the snippet from docs/webchat.md, pointing at `chat`."""
    doc = (REPO / "docs" / "webchat.md").read_text(encoding="utf-8")
    snippet = doc[doc.index("<iframe"):doc.index("</iframe>") + len("</iframe>")]
    snippet = snippet.replace("https://chat.example.org/", chat + "/")
    return f"<!doctype html><title>School</title><h1>Our school</h1>{snippet}"


@pytest.fixture
async def browser(server: Server) -> AsyncIterator[Any]:
    """browser(width=..., **context options) -> async context manager yielding a Browser."""
    from contextlib import asynccontextmanager

    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)

        @asynccontextmanager
        async def open_(width: int = 1280, height: int = 900, **options: Any
                        ) -> AsyncIterator[Browser]:
            context = await chromium.new_context(viewport={"width": width, "height": height},
                                                 **options)
            b = Browser(await context.new_page(), context, server.base)

            async def route(r: Any) -> None:
                url = r.request.url
                if url.startswith(server.base):
                    await r.continue_()
                elif url.startswith(EXIT_URL):
                    await r.fulfill(status=200, content_type="text/html",
                                    body="<!doctype html><title>Weather</title><p>Weather")
                elif url.startswith((server.partner, server.other)):
                    await r.continue_()  # the partner sites below, also on 127.0.0.1
                else:
                    b.foreign.append(url)
                    await r.abort()

            await context.route("**/*", route)
            b.page.on("console", lambda m: b.console.append(f"{m.type}: {m.text}"))
            try:
                yield b
            finally:
                await context.close()
            assert not b.foreign, f"the page made third-party requests: {b.foreign}"
            assert not [c for c in b.console if "Content Security Policy" in c], b.console

        yield open_
        await chromium.close()


# ---------------------------------------------------------------- a conversation


async def test_a_message_is_answered_with_services(browser: Any) -> None:
    """Typing a question shows service cards; numbers are tappable tel: links."""
    async with browser() as b:
        await b.begin()
        reply = await b.say("any football near me")
        titles = await reply.locator(".card h2").all_inner_texts()
        mine = await b.page.locator("#log .msg.me").last.inner_text()
        storage = await b.page.evaluate("() => [Object.keys(sessionStorage), "
                                        "localStorage.length, document.cookie]")
    assert titles and all(t.strip() for t in titles)
    assert "any football near me" in mine
    assert storage == [["signpost-token"], 0, ""]


async def test_a_button_is_pressed(browser: Any) -> None:
    """Pressing a category button under the welcome lists that category's services."""
    async with browser() as b:
        await b.begin()
        welcome = b.bot_messages().first
        button = welcome.locator(".choices button").first
        label = await button.inner_text()
        await button.click()
        reply = b.bot_messages().nth(1)
        await reply.wait_for()
        cards = await reply.locator(".card").count()
        said = await b.page.locator("#log .msg.me").last.inner_text()
    assert cards >= 1 and label in said


async def test_a_disclosure_is_answered_safety_first(browser: Any) -> None:
    """A disclosure: the very next message is the safety reply, 999 first, as a link."""
    async with browser() as b:
        await b.begin()
        reply = await b.say("someone pulled a knife on me outside school")
        classes = await reply.get_attribute("class")
        first_line = await reply.locator("p").first.inner_text()
        has_999 = await reply.locator('a[href="tel:999"]').count()
        talk = await b.page.get_by_role("button", name="Talk to someone now").count()
    assert "safety" in (classes or "")
    assert "999" in first_line and has_999 >= 1 and talk >= 1


async def test_talk_to_someone_now_is_always_there(browser: Any) -> None:
    """Talk to someone now is on screen from the first screen on, even scrolled to the end
    of a long chat, and answers with routes open now and 999."""
    async with browser(width=320, height=640) as b:
        await b.page.goto(b.base + "/")
        await b.page.locator("#talknow").click()  # straight from the first screen
        reply = b.page.locator("#log .msg.bot", has_text="right now").first
        await reply.wait_for()
        text = await reply.inner_text()
        for n in range(3):
            await b.say(f"any football near me {n}")
        await b.page.locator("#delete").scroll_into_view_if_needed()
        visible = await b.page.locator("#talknow").is_visible()
        in_view = await b.page.locator("#talknow").evaluate(
            "el => { const r = el.getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; }")
    assert "right now" in text and "999" in text
    assert visible and in_view


async def test_delete_this_chat(browser: Any, server: Server) -> None:
    """Delete this chat empties the page, forgets the token and erases the log."""
    async with browser() as b:
        await b.begin()
        await b.say("any music near me")
        await b.page.locator("#delete").click()
        note = b.bot_messages().first
        await note.wait_for()
        text = await note.inner_text()
        count = await b.bot_messages().count()
        token = await b.page.evaluate("() => sessionStorage.getItem('signpost-token')")
    assert "erased 2 message(s)" in text and count == 1 and token is None


# ---------------------------------------------------------------- quick exit


async def _back_shows_no_chat(b: Browser) -> None:
    await b.page.wait_for_url(EXIT_URL + "**")
    assert await b.page.title() == "Weather"
    await b.page.go_back()
    assert not b.page.url.startswith(b.base), f"Back returned to the chat: {b.page.url}"
    assert await b.page.locator("#log").count() == 0
    await b.page.goto(b.base + "/")
    assert await b.page.locator("#intro").is_visible(), "sessionStorage was cleared"


async def test_quick_exit_button(browser: Any) -> None:
    """The Exit this page button replaces the chat with the neutral page; Back can't return."""
    async with browser() as b:
        await b.page.goto("about:blank")
        await b.begin()
        await b.say("any football near me")
        await b.page.get_by_role("button", name="Exit this page").click()
        await _back_shows_no_chat(b)


async def test_quick_exit_by_pressing_shift_three_times(browser: Any) -> None:
    """Shift three times, even while typing in the message box, leaves the same way."""
    async with browser() as b:
        await b.page.goto("about:blank")
        await b.begin()
        await b.say("i want to kill myself")
        await b.page.locator("#message").focus()
        for _ in range(3):
            await b.page.keyboard.press("Shift")
        await _back_shows_no_chat(b)


async def test_capital_letters_do_not_trigger_quick_exit(browser: Any) -> None:
    """Typing with Shift between other keys ("Hi I Am OK") does not leave the page."""
    async with browser() as b:
        await b.begin()
        await b.page.locator("#message").click()
        await b.page.keyboard.type("Hi I Am OK")
        assert b.page.url.startswith(b.base)
        assert await b.page.locator("#message").input_value() == "Hi I Am OK"


# ---------------------------------------------------------------- keyboard only


async def test_a_whole_conversation_by_keyboard(browser: Any) -> None:
    """Tab to start, type and Enter, Shift+Tab back to a reply's button, Enter: focus lands
    on the new reply and Tab reaches its buttons."""
    async with browser() as b:
        page = b.page
        await page.goto(b.base + "/")
        for _ in range(10):
            await page.keyboard.press("Tab")
            if await page.evaluate("() => document.activeElement.id") == "begin":
                break
        await page.keyboard.press("Enter")
        await b.bot_messages().first.wait_for()
        assert await page.evaluate("() => document.activeElement.id") == "message"
        await page.keyboard.type("any football near me")
        await page.keyboard.press("Enter")
        await b.bot_messages().nth(1).wait_for()
        assert await page.evaluate("() => document.activeElement.id") == "message"
        label = ""
        for _ in range(12):
            await page.keyboard.press("Shift+Tab")
            label = await page.evaluate("() => document.activeElement.textContent")
            if label == "Menu":
                break
        assert label == "Menu", "a reply's buttons are reachable by keyboard"
        await page.keyboard.press("Enter")
        await b.bot_messages().nth(2).wait_for()
        focused = await page.evaluate(
            "() => document.activeElement === document.querySelectorAll('#log .msg.bot')[2]")
        await page.keyboard.press("Tab")
        tag = await page.evaluate("() => document.activeElement.tagName")
    assert focused, "focus moved to the new reply"
    assert tag == "BUTTON"


# ---------------------------------------------------------------- layout and accessibility


@pytest.mark.parametrize("width", [320, 1280])
async def test_screenshots_and_no_sideways_scrolling(browser: Any, width: int) -> None:
    """At 320 px (400% zoom) and 1280 px: no sideways scrolling; screenshots for docs/."""
    async with browser(width=width, height=720 if width > 320 else 640) as b:
        await b.begin()
        await b.say("any football near me")
        safety = await b.say("someone pulled a knife on me outside school")
        overflow = await b.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        # The safety reply just under the sticky header, as the person would see it arrive.
        await safety.evaluate("(el) => window.scrollTo(0, el.offsetTop - 80)")
        await b.page.wait_for_timeout(300)
        exit_visible = await b.page.locator("#exit").is_visible()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await b.page.screenshot(path=str(SHOTS / f"web-{width}.png"))
        await b.page.locator("#message").scroll_into_view_if_needed()
        exit_still = await b.page.locator("#exit").is_visible()
    assert overflow <= 0 and exit_visible and exit_still
    assert (SHOTS / f"web-{width}.png").stat().st_size > 10_000


async def test_usable_at_200_percent_zoom(browser: Any) -> None:
    """A 1280 px window at 200% zoom (640 CSS px, scale 2): start, ask, answer, no overflow."""
    async with browser(width=640, height=450, device_scale_factor=2) as b:
        await b.begin()
        reply = await b.say("any football near me")
        overflow = await b.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        visible = await reply.locator(".card").first.is_visible()
    assert overflow <= 0 and visible


async def _axe(page: Any) -> list[dict[str, Any]]:
    await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target)}))",
        WCAG)
    assert isinstance(result, list)
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_axe_finds_no_violations(browser: Any, scheme: str) -> None:
    """axe-core (WCAG 2.2 A/AA rules) on the first screen and on a conversation with cards
    and a safety reply, in light and dark mode: zero violations."""
    async with browser(color_scheme=scheme, reduced_motion="reduce") as b:
        await b.page.goto(b.base + "/")
        intro = await _axe(b.page)
        await b.page.get_by_role("button", name="Start chatting").click()
        await b.bot_messages().first.wait_for()
        await b.say("any football near me")
        await b.say("someone pulled a knife on me outside school")
        chat = await _axe(b.page)
    assert intro == [], json.dumps(intro, indent=1)
    assert chat == [], json.dumps(chat, indent=1)


async def test_dark_mode_and_reduced_motion_follow_the_system(browser: Any) -> None:
    """The system's colour scheme sets the page's colours; reduced motion turns off smooth
    scrolling."""
    looks: dict[str, tuple[str, str]] = {}
    for scheme, motion in (("light", "no-preference"), ("dark", "reduce")):
        async with browser(color_scheme=scheme, reduced_motion=motion) as b:
            await b.page.goto(b.base + "/")
            looks[scheme] = await b.page.evaluate(
                "() => [getComputedStyle(document.body).backgroundColor,"
                " getComputedStyle(document.documentElement).scrollBehavior]")
    assert looks["light"][0] == "rgb(255, 255, 255)" and looks["dark"][0] == "rgb(18, 18, 18)"
    assert looks["light"][1] == "smooth" and looks["dark"][1] == "auto"


async def test_a_message_over_the_flood_limit_stays_in_the_box(browser: Any) -> None:
    """The 21st message in a minute is not answered: the page says so and keeps the words."""
    async with browser() as b:
        await b.begin()
        box = b.page.locator("#message")
        for n in range(21):
            await box.fill(f"music {n}")
            async with b.page.expect_response("**/api/send"):
                await box.press("Enter")
        await box.fill("")
        async with b.page.expect_response("**/api/send"):
            await box.fill("one more about boxing")
            await box.press("Enter")
        note = b.page.locator("#log .msg.bot", has_text="wasn't sent").last
        await note.wait_for()
        kept = await box.input_value()
    assert kept == "one more about boxing"


async def test_embedded_on_a_partner_site_with_the_documented_snippet(
        browser: Any, server: Server) -> None:
    """The snippet from docs/webchat.md on an allowed site: the chat works inside it, and
    quick exit replaces the partner's whole page; on a site not allowed, nothing shows."""
    async with browser() as b:
        await b.page.goto(server.partner + "/")
        frame = b.page.frame_locator("iframe")
        await frame.get_by_role("button", name="Start chatting").click()
        await frame.locator("#message").fill("any football near me")
        await frame.locator("#message").press("Enter")
        await frame.locator("#log .card").first.wait_for()
        await frame.get_by_role("button", name="Exit this page").click()
        await b.page.wait_for_url(EXIT_URL + "**")
        assert await b.page.title() == "Weather"
    async with browser() as b:
        await b.page.goto(server.other + "/")
        await b.page.wait_for_timeout(1000)
        inner = b.page.frames[1] if len(b.page.frames) > 1 else None
        shown = await inner.locator("#begin").count() if inner is not None else 0
        refused = [c for c in b.console if "frame-ancestors" in c]
        b.console[:] = [c for c in b.console if c not in refused]  # expected here only
    assert shown == 0, "frame-ancestors keeps the chat off sites that are not listed"
    assert refused, "the browser refused the frame because of frame-ancestors"
