"""The web chat's HTTP API through httpx's ASGI transport: what a browser (or an attacker) sees."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Settings, TelegramSettings, WebSettings
from bot.live import LiveCatalogue
from bot.session import Session
from bot.store import AsyncStore
from bot.web.app import MAX_CHARS, TOO_FAST, WebChat
from bot.web.guard import Limiter, client_address, networks
from tests.conftest import REPO, RecordingSink, logged_turns

ORIGIN = "http://testserver"


@dataclass
class Web:
    client: httpx.AsyncClient
    chat: WebChat
    sink: RecordingSink
    data: Path

    async def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"Origin": ORIGIN, **headers})

    async def start(self) -> str:
        r = await self.post("/api/start", {})
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        assert isinstance(token, str)
        return token

    async def say(self, token: str, text: str, **headers: str) -> httpx.Response:
        return await self.post("/api/send", {"token": token, "text": text}, **headers)


@pytest.fixture
def web(live: LiveCatalogue, tmp_path: Path) -> Callable[..., Any]:
    """web(**settings) -> async context manager yielding a Web over a fresh session."""

    @asynccontextmanager
    async def make(burst_window: float = 0.0, client: tuple[str, int] = ("203.0.113.7", 5000),
                   **over: Any) -> AsyncIterator[Web]:
        settings = Settings(catalogue_dir=REPO, data_dir=tmp_path / "data",
                            web=WebSettings(**over))
        store = await AsyncStore.open(settings.data_dir, "k" * 32)
        sink = RecordingSink()
        session = Session(live, store, sinks=[sink], burst_window=burst_window)
        chat = WebChat(session, settings)
        transport = httpx.ASGITransport(app=chat.app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
            yield Web(c, chat, sink, settings.data_dir)
        await session.close()

    return make


def text_of(response: httpx.Response) -> str:
    """Every line of every part of every message, as the page shows it."""
    return "\n".join("".join(s["text"] for s in line)
                     for m in response.json()["messages"] for p in m["parts"]
                     for line in p["lines"])


def links(response: httpx.Response) -> list[str]:
    out = []
    for m in response.json()["messages"]:
        for p in m["parts"]:
            spans = [s for line in p["lines"] for s in line]
            spans += [s for c in p["services"] for f in c["fields"] for s in f["value"]]
            out += [s["href"] for s in spans if "href" in s]
    return out


# ---------------------------------------------------------------- the page


async def test_page_is_served_with_strict_headers_and_no_cookies(web: Any) -> None:
    """The page: says it's a bot, quick exit, 999; strict CSP; no cookie; no CORS."""
    async with web() as w:
        page = await w.client.get("/")
        js = await w.client.get("/static/app.js")
        missing = await w.client.get("/static/axe.min.js")
    assert page.status_code == 200 and js.status_code == 200 and missing.status_code == 404
    body = page.text
    assert "This is a bot, not a person" in body and "Shift key" in body and "999" in body
    assert 'content="https://www.bbc.co.uk/weather"' in body
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    for r in (page, js, missing):
        assert "set-cookie" not in r.headers
        assert not any(k.lower().startswith("access-control-") for k in r.headers)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
    assert "localStorage" not in js.text and "document.cookie" not in js.text
    assert "innerHTML" not in js.text


async def test_embedding_origins_become_frame_ancestors(web: Any) -> None:
    """SIGNPOST_WEB_EMBED_ORIGINS is the frame-ancestors list (and X-Frame-Options goes)."""
    async with web(embed_origins=("https://school.example.org",)) as w:
        page = await w.client.get("/")
    assert "frame-ancestors https://school.example.org" in page.headers[
        "content-security-policy"]
    assert "x-frame-options" not in page.headers


async def test_exit_page_is_configurable_and_escaped(web: Any) -> None:
    """The exit page comes from settings and cannot break out of the attribute."""
    async with web(exit_url='https://example.org/?a="><script>') as w:
        page = await w.client.get("/")
    assert "https://example.org/?a=&quot;&gt;&lt;script&gt;" in page.text
    assert '"><script>' not in page.text


# ---------------------------------------------------------------- the conversation


async def test_a_message_gets_services_with_tel_links_and_is_logged(web: Any) -> None:
    """A question gets service cards; the turn is logged with channel web."""
    async with web() as w:
        token = await w.start()
        r = await w.say(token, "any football near me")
        assert r.status_code == 200 and r.json()["status"] == "answered"
        [msg] = r.json()["messages"]
        assert msg["parts"][0]["services"]
        assert isinstance(msg["parts"][0]["feedback"], int)
    rows = logged_turns(w.data)
    assert [r_["channel"] for r_ in rows] == ["web", "web"]
    assert rows[-1]["intent"] == "sport" and token not in rows[-1]["ref"]


async def test_welcome_has_buttons_and_a_button_press_lists_services(web: Any) -> None:
    """The welcome offers categories; pressing one lists that category's services."""
    async with web() as w:
        r = await w.post("/api/start", {})
        token = r.json()["token"]
        [welcome] = r.json()["messages"]
        actions = [b["action"] for b in welcome["parts"][0]["buttons"]]
        cat = next(a for a in actions if a.startswith("cat:"))
        pressed = await w.post("/api/send", {"token": token, "action": cat})
    assert "bot" in text_of(r) and "999" in text_of(r)
    assert pressed.json()["messages"][0]["parts"][0]["services"]


async def test_a_disclosure_is_answered_safety_first_and_alerts_staff(web: Any) -> None:
    """Safety reply first with 999 as a tel: link; the staff sink gets an alert, no token."""
    async with web() as w:
        token = await w.start()
        r = await w.say(token, "someone pulled a knife on me outside school")
        await asyncio.sleep(0.05)
    first = r.json()["messages"][0]["parts"][0]
    assert first["safety"] and first["kind"] == "safety"
    assert "999" in "".join(s["text"] for s in first["lines"][0])
    assert "tel:999" in links(r)
    [alert] = w.sink.posted
    assert alert.intent in ("emergency", "threatened") and alert.ref.startswith("c-")
    assert token not in alert.ref and token not in alert.message


async def test_text_routes_become_sms_links(web: Any) -> None:
    """'text SHOUT to 85258' in a reply is an sms: link; Samaritans a tel: link."""
    async with web() as w:
        token = await w.start()
        r = await w.say(token, "i want to kill myself")
    assert "sms:85258?body=SHOUT" in links(r) and "tel:116123" in links(r)


async def test_a_burst_of_requests_is_one_turn(web: Any) -> None:
    """Two messages sent together after a first: one answer for both, the other 'merged'."""
    async with web(burst_window=0.3) as w:
        token = await w.start()
        first = await w.say(token, "hi")
        a, b = await asyncio.gather(w.say(token, "any football"), w.say(token, "near me?"))
    assert first.json()["status"] == "answered"
    statuses = sorted([a.json()["status"], b.json()["status"]])
    assert statuses == ["held", "merged"]
    answer = a if a.json()["messages"] else b
    assert answer.json()["messages"][0]["parts"][0]["services"]
    assert logged_turns(w.data)[-1]["text"] == "any football\nnear me?"


async def test_typed_commands_and_forget(web: Any) -> None:
    """/privacy is answered like the button; 'Delete this chat' erases the log."""
    async with web() as w:
        token = await w.start()
        privacy = await w.say(token, "/privacy")
        await w.say(token, "any music")
        gone = await w.post("/api/forget", {"token": token})
        assert w.chat.session.find("web", token) is None
    assert "keep" in text_of(privacy).lower()
    assert gone.status_code == 200 and "erased 3 message(s)" in text_of(gone)
    assert logged_turns(w.data) == []


async def test_feedback_is_stored_for_this_conversation_only(web: Any) -> None:
    """👍 is stored; another conversation's token cannot set it."""
    async with web() as w:
        token = await w.start()
        r = await w.say(token, "any football near me")
        turn = r.json()["messages"][0]["parts"][0]["feedback"]
        other = await w.start()
        stolen = await w.post("/api/feedback", {"token": other, "turn": turn, "helpful": False})
        ok = await w.post("/api/feedback", {"token": token, "turn": turn, "helpful": True})
    assert stolen.json()["stored"] is False and ok.json()["stored"] is True
    assert next(t for t in logged_turns(w.data) if t["id"] == turn)["helpful"] == 1


# ---------------------------------------------------------------- hostile requests


async def test_message_length_cap(web: Any) -> None:
    """2,000 characters are answered; 2,001 get 413 with a reason and 999."""
    async with web() as w:
        token = await w.start()
        ok = await w.say(token, "football " * (MAX_CHARS // 9) + "x" * (MAX_CHARS % 9))
        long = await w.say(token, "x" * (MAX_CHARS + 1))
    assert ok.status_code == 200
    assert long.status_code == 413 and "2,000 characters" in long.json()["error"]
    assert "999" in text_of(long)


async def test_an_over_long_disclosure_is_still_answered(web: Any) -> None:
    """A disclosure is never turned away for its length: its first 2,000 characters are
    answered, safety first."""
    async with web() as w:
        token = await w.start()
        r = await w.say(token, "they stabbed my friend hes bleeding " + "please " * 400)
    assert r.status_code == 200
    assert r.json()["messages"][0]["parts"][0]["safety"]


async def test_body_is_limited_before_it_is_read(web: Any) -> None:
    """A huge Content-Length is refused at once; a huge chunked body is cut off."""
    async with web() as w:
        token = await w.start()
        declared = await w.client.post("/api/send", content=b"{}", headers={
            "Origin": ORIGIN, "Content-Length": str(10**9), "Content-Type": "application/json"})
        read: list[int] = []

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(1000):
                read.append(1)
                yield b" " * 1024

        streamed = await w.client.post("/api/send", content=chunks(),
                                       headers={"Origin": ORIGIN})
    assert declared.status_code == 413 and streamed.status_code == 413
    assert len(read) < 40, "the server stopped reading soon after the limit"
    assert token


async def test_malformed_requests_get_400_with_a_reason(web: Any) -> None:
    """Broken JSON, a list, a missing or bad token, an empty message: 400, never 500."""
    async with web() as w:
        token = await w.start()
        bad = [
            await w.client.post("/api/send", content=b"{not json", headers={"Origin": ORIGIN}),
            await w.client.post("/api/send", content=b"\xff\xfe", headers={"Origin": ORIGIN}),
            await w.post("/api/send", ["a", "list"]),
            await w.post("/api/send", {"text": "hi"}),
            await w.post("/api/send", {"token": "short", "text": "hi"}),
            await w.post("/api/send", {"token": token, "text": 42}),
            await w.post("/api/send", {"token": token, "text": "   "}),
            await w.post("/api/feedback", {"token": token, "turn": "1", "helpful": True}),
        ]
    assert [r.status_code for r in bad] == [400] * len(bad)
    assert all(r.json()["error"] for r in bad)
    assert "not valid JSON" in bad[0].json()["error"]


async def test_origin_is_checked_and_cors_stays_closed(web: Any) -> None:
    """Another site's page, no Origin, or a cross-site fetch: 403; preflight gets no CORS."""
    async with web() as w:
        token = await w.start()
        body = {"token": token, "text": "hi"}
        evil = await w.client.post("/api/send", json=body,
                                   headers={"Origin": "https://evil.example.org"})
        none = await w.client.post("/api/send", json=body)
        cross = await w.client.post("/api/send", json=body, headers={
            "Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"})
        pre = await w.client.options("/api/send", headers={
            "Origin": "https://evil.example.org", "Access-Control-Request-Method": "POST"})
    assert (evil.status_code, none.status_code, cross.status_code) == (403, 403, 403)
    assert pre.status_code == 405
    assert not any(k.lower().startswith("access-control-") for k in pre.headers)


async def test_rate_limit_per_address_never_blocks_safety(web: Any) -> None:
    """Past the per-address limit: 429 with 999 and a human route; a disclosure still gets
    through."""
    async with web() as w:
        w.chat.ip_limit = Limiter(burst=3, rate=0.0)
        token = await w.start()
        ok = [await w.say(token, f"music {n}") for n in range(2)]
        limited = await w.say(token, "music again")
        danger = await w.say(token, "they stabbed my friend hes bleeding")
    assert [r.status_code for r in ok] == [200, 200]
    assert limited.status_code == 429 and limited.json()["error"] == TOO_FAST
    assert "999" in text_of(limited) and "0800 1111" in text_of(limited)
    assert danger.status_code == 200 and danger.json()["messages"][0]["parts"][0]["safety"]


async def test_rate_limit_per_conversation(web: Any) -> None:
    """One conversation cannot use up a whole school's allowance."""
    async with web() as w:
        w.chat.conversation_limit = Limiter(burst=2, rate=0.0)
        a, b = await w.start(), await w.start()
        got = [(await w.say(a, f"music {n}")).status_code for n in range(3)]
        other = await w.say(b, "music")
    assert got == [200, 200, 429] and other.status_code == 200


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    """X-Forwarded-For is read (from the right) only when the peer is a trusted proxy."""
    proxies = networks(["127.0.0.1", "10.0.0.0/8"])
    assert client_address("127.0.0.1", "198.51.100.4, 10.1.2.3", proxies) == "198.51.100.4"
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.4", proxies) == "198.51.100.4"
    assert client_address("203.0.113.9", "198.51.100.4", proxies) == "203.0.113.9"
    assert client_address("127.0.0.1", None, proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", "198.51.100.4", networks([])) == "127.0.0.1"


async def test_forwarded_addresses_get_their_own_limits(web: Any) -> None:
    """Behind a trusted proxy each client has its own bucket; untrusted XFF is ignored."""
    async with web(trusted_proxies=("203.0.113.7",)) as w:
        w.chat.ip_limit = Limiter(burst=2, rate=0.0)
        token = await w.start()  # spends one token for the proxy itself
        a = await w.say(token, "music", **{"X-Forwarded-For": "198.51.100.1"})
        b = await w.say(token, "music", **{"X-Forwarded-For": "198.51.100.2"})
    assert (a.status_code, b.status_code) == (200, 200)
    async with web() as w:  # the same header from an untrusted peer changes nothing
        w.chat.ip_limit = Limiter(burst=2, rate=0.0)
        token = await w.start()
        a = await w.say(token, "music", **{"X-Forwarded-For": "198.51.100.1"})
        b = await w.say(token, "music", **{"X-Forwarded-For": "198.51.100.2"})
    assert (a.status_code, b.status_code) == (200, 429)


async def test_addresses_are_never_stored_or_logged(web: Any,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    """After a conversation the address is in no file, no log line and no limiter key."""
    caplog.set_level(logging.DEBUG)
    async with web(client=("198.51.100.77", 4444)) as w:
        token = await w.start()
        await w.say(token, "any football near me")
        await w.say(token, "i want to kill myself")
        keys = w.chat.ip_limit.raw_keys()
        assert w.chat.ip_limit.holds("198.51.100.77")
    blob = b"".join(p.read_bytes() for p in w.data.iterdir() if p.is_file())
    assert b"198.51.100.77" not in blob and token.encode() not in blob
    assert "198.51.100.77" not in caplog.text and token not in caplog.text
    assert all(b"198.51.100.77" not in k for k in keys)


def _syllables(word: str) -> int:
    word = word.lower()
    if word.isdigit():
        return len(word)
    n = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and n > 1 and not word.endswith(("le", "ee")):
        n -= 1
    return max(1, n)


async def test_first_screen_reads_at_about_age_11(web: Any) -> None:
    """The screen before the first message: Flesch-Kincaid grade 6 or below (reading age
    about 11), and it covers bot, what is kept, when a person is told, quick exit."""
    async with web() as w:
        page = (await w.client.get("/")).text
    intro = page[page.index('<section id="intro"'):page.index("</section>")]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", intro)).split())
    sentences = [s for s in re.split(r"(?<=[.!?:])\s+", text) if s.strip()]
    words = re.findall(r"[A-Za-z0-9']+", text)
    grade = (0.39 * len(words) / len(sentences)
             + 11.8 * sum(_syllables(x) for x in words) / len(words) - 15.59)
    assert grade <= 6.0, grade
    for needed in ("a bot, not a person", "What we keep", "When a person is told",
                   "Quick exit", "browser history", "999"):
        assert needed in text, needed
    assert "age" not in re.findall(r"\b\w+\b", text.lower()), "no age gate"


def test_web_settings_are_checked(tmp_path: Path) -> None:
    """Bad web settings stop the server at start with a message naming each one."""
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError) as exc:
        load_settings({"SIGNPOST_WEB_PORT": "80000", "SIGNPOST_WEB_EXIT_URL": "javascript:x",
                       "SIGNPOST_WEB_EMBED_ORIGINS": "https://ok.example.org school.example",
                       "SIGNPOST_TRUSTED_PROXIES": "10.0.0.0/8 proxy.local"},
                      cwd=tmp_path, need_token=False)
    text = str(exc.value)
    for name in ("SIGNPOST_WEB_PORT", "SIGNPOST_WEB_EXIT_URL", "'school.example'",
                 "'proxy.local'"):
        assert name in text, name
    assert "'https://ok.example.org'" not in text and "'10.0.0.0/8'" not in text


def test_web_settings_defaults_and_the_old_webhook_port(tmp_path: Path) -> None:
    """No settings: web on 127.0.0.1:8080, Telegram off; the old webhook port warns."""
    from bot.config import load_settings

    s = load_settings({}, cwd=tmp_path, need_token=False)
    assert (s.web.listen, s.web.port, s.telegram.on) == ("127.0.0.1", 8080, False)
    assert s.web.exit_url == "https://www.bbc.co.uk/weather" and not s.warnings
    old = load_settings({"SIGNPOST_WEBHOOK_PORT": "8443"}, cwd=tmp_path, need_token=False)
    assert any("no longer used" in w for w in old.warnings)


@pytest.mark.parametrize("text", [
    "\ud800 lone surrogate", "nul \x00 byte", "\u202eRTL override football", "😀" * 2000,
    "<script>alert(1)</script> any football", "' OR 1=1; DROP TABLE turns; --",
    "\n\n\n", "a" * 2000,
])
async def test_hostile_text_gets_an_answer_never_a_500(web: Any, text: str) -> None:
    """Odd or hostile text is answered (or refused with a reason), never a server error,
    and markup comes back as text, never as HTML."""
    async with web() as w:
        token = await w.start()
        body = json.dumps({"token": token, "text": text})  # ensure_ascii: \\u escapes
        r = await w.client.post("/api/send", content=body, headers={
            "Origin": ORIGIN, "Content-Type": "application/json"})
        after = await w.say(token, "any football near me")
    assert r.status_code in (200, 400), r.text
    assert r.json()["messages"]
    assert after.status_code == 200, "the conversation still works afterwards"
    logged = [t["text"] for t in logged_turns(w.data)]
    assert len(logged) == (3 if r.status_code == 200 else 2), "every answered turn is logged"


async def test_run_on_a_busy_port_says_so_and_exits_2(tmp_path: Path) -> None:
    """`signpost run` when the web port is taken: one clear line and exit code 2."""
    import os
    import socket
    import sys

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIGNPOST_", "TELEGRAM_"))}
    env.update(SIGNPOST_CATALOGUE=str(REPO), SIGNPOST_DATA_DIR=str(tmp_path / "data"),
               SIGNPOST_WEB_PORT=str(port))
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        taken.close()
    assert proc.returncode == 2, err.decode()[-2000:]
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode()
    assert "SIGNPOST_WEB_PORT" in err.decode() and "Traceback" not in err.decode()


async def test_webhook_path_may_not_take_the_chats_own(tmp_path: Path) -> None:
    """A webhook URL whose path is / or under /api would hide the chat: refused at start."""
    from bot.live import LiveCatalogue
    from bot.runner import CannotStart, serve

    telegram = TelegramSettings(token="123456789:AAHfakeTokenForSignpostTests_0123456789",
                                webhook_secret="s3cret-Hook_1")
    base = Settings(catalogue_dir=REPO, data_dir=tmp_path / "data")
    for url in ("https://chat.example.org/", "https://chat.example.org/api/send"):
        with pytest.raises(CannotStart, match="use a path of its own"):
            await serve(replace(base, telegram=replace(telegram, webhook_url=url)),
                            LiveCatalogue(REPO))


async def test_a_crash_in_the_app_still_answers_with_999(
        live: LiveCatalogue, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """If something breaks inside the web app, the person still gets 999 and a human route,
    and the log does not quote what they typed."""
    session = Session(live, burst_window=0.0)

    async def broken(channel: Any, key: str, event: Any) -> Any:
        raise RuntimeError(f"boom on {event.text}")

    session.handle = broken  # type: ignore[method-assign]
    chat = WebChat(session, Settings(catalogue_dir=REPO, data_dir=tmp_path))
    transport = httpx.ASGITransport(app=chat.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        r = await c.post("/api/send", json={"token": "t" * 43, "text": "my secret words"},
                         headers={"Origin": ORIGIN})
    await session.close()
    assert r.status_code == 500 and "999" in text_of(r) and "0800 1111" in text_of(r)
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "RuntimeError" in caplog.text and "secret words" not in caplog.text
