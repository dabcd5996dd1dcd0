"""The console over HTTP: accounts, login, sessions, CSRF, inbox, safety queue, services,
audit. Real SQLite and YAML files in a temp folder; the app through Starlette's client."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot import store as db
from bot.cli import main as cli_main
from tests.console_support import PASSWORD, Site, csrf_of, make_site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


def client(site: Site, role: str | None = None, https: bool = False) -> tuple[TestClient, str]:
    c = TestClient(site.app, base_url="https://testserver" if https else "http://testserver")
    csrf = ""
    if role is not None:
        cookie, csrf = site.session(role)
        c.cookies.set("signpost_console", cookie)
    return c, csrf


def login(c: TestClient, name: str, password: str, code: str, next_: str = ""
          ) -> object:
    page = c.get("/console/login")
    return c.post("/console/login", data={"csrf": csrf_of(page.text), "name": name,
                                          "password": password, "code": code,
                                          "next": next_}, follow_redirects=False)


# ---------------------------------------------------------------- accounts and login


def test_console_is_off_until_the_first_account_exists(tmp_path: Path) -> None:
    """With no accounts every console address is 404 with the command that turns it on."""
    site = make_site(tmp_path, users=False)
    r = TestClient(site.app).get("/console/login")
    assert r.status_code == 404
    assert "signpost users add NAME --role admin" in r.text


def test_login_needs_password_and_totp_code(site: Site) -> None:
    """A moderator with the right password but no code is refused; with the code, let in."""
    c, _ = client(site)
    r = login(c, "moderator", PASSWORD, "")
    assert r.status_code == 401
    assert "name, password or code is not right" in r.text
    r = login(c, "moderator", PASSWORD, site.code("moderator"), "/console/inbox")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/inbox"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Inbox" in c.get("/console/inbox").text
    actions = [(who, action) for who, action, _ in site.audit()]
    assert ("moderator", "login-failed") in actions and ("moderator", "login") in actions


def test_a_code_cannot_be_used_twice(site: Site) -> None:
    """A TOTP code that logged someone in does not log in anyone who saw it later."""
    code = site.code("admin")
    assert login(client(site)[0], "admin", PASSWORD, code).status_code == 303
    assert login(client(site)[0], "admin", PASSWORD, code).status_code == 401


def test_cookie_is_secure_behind_https(site: Site) -> None:
    c, _ = client(site, https=True)
    r = login(c, "editor", PASSWORD, "")
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


def test_account_locks_after_five_failures(site: Site) -> None:
    """Five wrong passwords lock the account: even the right password is refused."""
    c, _ = client(site)
    for _ in range(4):
        assert login(c, "editor", "wrong password!", "").status_code == 401
    r = login(c, "editor", "wrong password!", "")
    assert r.status_code == 403 and "locked" in r.text
    r = login(c, "editor", PASSWORD, "")
    assert r.status_code == 403 and "locked" in r.text
    site.clock.advance(minutes=16)
    assert login(c, "editor", PASSWORD, "").status_code == 303


def test_one_address_is_throttled(site: Site) -> None:
    """Guessing across many names from one address is slowed down (429)."""
    c, _ = client(site)
    codes = [login(c, f"nobody{i}", "x" * 12, "").status_code for i in range(22)]
    assert codes[:20] == [401] * 20
    assert codes[-1] == 429


def test_session_ends_after_30_idle_minutes(site: Site) -> None:
    c, _ = client(site, "moderator")
    assert c.get("/console/inbox").status_code == 200
    site.clock.advance(minutes=29)
    assert c.get("/console/inbox").status_code == 200  # using it keeps it alive
    site.clock.advance(minutes=31)
    r = c.get("/console/inbox", follow_redirects=False)
    assert r.status_code == 303 and "ended=1" in r.headers["location"]
    assert "Your session ended" in c.get(r.headers["location"]).text


def test_form_without_csrf_token_is_refused(site: Site) -> None:
    """A POST without the session's token changes nothing."""
    c, _ = client(site, "moderator")
    ids = str(site.turns["nail salon near me"])
    r = c.post("/console/inbox/ignore", data={"group": ids})
    assert r.status_code == 403 and "form has expired" in r.text
    r = c.post("/console/inbox/ignore", data={"group": ids, "csrf": "x" * 43})
    assert r.status_code == 403
    conn = site.conn()
    assert conn.execute("SELECT review FROM turns WHERE id = ?", (ids,)).fetchone()[0] is None


def test_login_form_needs_its_token(site: Site) -> None:
    c, _ = client(site)
    r = c.post("/console/login", data={"name": "editor", "password": PASSWORD})
    assert r.status_code == 403


def test_setup_link_sets_password_and_code_once(site: Site, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`signpost users add` prints a link; following it sets a password and TOTP."""
    assert cli_main(["users", "--data-dir", str(site.data), "--url",
                     "https://signpost.example.org/console", "add", "Sam", "--role",
                     "moderator"]) == 0
    link = capsys.readouterr().out.strip().splitlines()[-1]
    assert link.startswith("https://signpost.example.org/console/setup/")
    path = "/console" + link.split("/console", 1)[1]
    c, _ = client(site)
    page = c.get(path)
    assert page.status_code == 200 and "authenticator app" in page.text
    import re

    import pyotp
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page.text)
    assert secret
    form = {"csrf": csrf_of(page.text), "password": "short", "password2": "short",
            "secret": secret.group(1), "code": ""}
    r = c.post(path, data=form)
    assert r.status_code == 400 and "at least 12 characters" in r.text
    form.update(password=PASSWORD, password2=PASSWORD,
                code=pyotp.TOTP(secret.group(1)).at(site.clock()))
    r = c.post(path, data=form, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(path).status_code == 404  # used once
    code = pyotp.TOTP(secret.group(1)).at(site.clock(), counter_offset=1)
    assert login(c, "Sam", PASSWORD, code).status_code == 303


def test_users_cli_lists_disables_and_resets(site: Site,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    args = ["users", "--data-dir", str(site.data)]
    assert cli_main([*args, "list"]) == 0
    assert "moderator  moderator  active" in capsys.readouterr().out
    c, _ = client(site, "moderator")
    assert cli_main([*args, "disable", "moderator"]) == 0
    assert c.get("/console/inbox", follow_redirects=False).status_code == 303
    assert login(client(site)[0], "moderator", PASSWORD,
                 site.code("moderator")).status_code == 401
    assert cli_main([*args, "reset", "nobody"]) == 1
    assert 'no account called "nobody"' in capsys.readouterr().err
    assert cli_main([*args, "add", "editor", "--role", "editor"]) == 1


def test_security_headers_on_every_page(site: Site) -> None:
    r = TestClient(site.app).get("/console/login")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script src=\"/console/static/console.js\"" in r.text
    assert "http://" not in r.text.replace("http://testserver", "")


# ---------------------------------------------------------------- inbox


def test_inbox_groups_similar_messages_with_guesses(site: Site) -> None:
    c, _ = client(site, "moderator")
    page = c.get("/console/inbox").text
    assert "where can i get my nails done" in page
    assert "nail salon near me" in page
    assert "Bot's best guesses:" in page
    assert "Contains [phone]: edit the wording" in page


def test_placeholder_must_be_edited_before_promotion(site: Site) -> None:
    c, csrf = client(site, "moderator")
    tid = site.turns["call me on 07700 900123"]
    r = c.post("/console/inbox/preview", data={"csrf": csrf, "turns": str(tid),
                                               "text": "call me on [phone]",
                                               "intent": "human"})
    assert r.status_code == 400 and "still contains [phone]" in r.text
    assert 'id="confirm"' not in r.text


def test_preview_then_promote_teaches_the_bot(site: Site) -> None:
    """The preview lists what would change; confirming writes the example and reloads."""
    c, csrf = client(site, "moderator")
    tid = site.turns["hit pads after school"]
    form = {"csrf": csrf, "turns": str(tid), "text": "boxing pads after school",
            "intent": "sport"}
    r = c.post("/console/inbox/preview", data=form)
    assert r.status_code == 200, r.text
    assert "What would change" in r.text and 'id="replay-summary"' in r.text
    assert 'id="confirm"' in r.text
    r = c.post("/console/inbox/promote", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert "boxing pads after school" in (site.root / "intents" / "sport.yaml").read_text()
    conn = site.conn()
    row = conn.execute("SELECT review FROM turns WHERE id = ?", (tid,)).fetchone()
    assert row[0] == "promoted"
    assert ("moderator", "promote") in [(w, a) for w, a, _ in site.audit()]


def test_moderator_cannot_promote_into_a_safety_intent(site: Site) -> None:
    c, csrf = client(site, "moderator")
    form = {"csrf": csrf, "turns": str(site.turns["how do i get there"]),
            "text": "how do i get there", "intent": "threatened"}
    for action in ("preview", "promote"):
        r = c.post(f"/console/inbox/{action}", data=form)
        assert r.status_code == 403
        assert "only the safeguarding lead" in r.text
    assert "how do i get there" not in (site.root / "intents" / "threatened.yaml").read_text()


def test_safety_changes_are_listed_first(site: Site) -> None:
    """A harmless question added to a safety intent would start safety replies to it (the
    issue's example): the preview lists that before every other change, and the
    safeguarding lead may still confirm it."""
    c, csrf = client(site, "safeguarding")
    form = {"csrf": csrf, "turns": str(site.turns["wheres the bus stop"]),
            "text": "wheres the bus stop", "intent": "threatened"}
    r = c.post("/console/inbox/preview", data=form)
    assert r.status_code == 200, r.text
    body = r.text
    first = body.index('<section class="change')
    assert body.index("Safety change:") < body.index("</section>", first)
    assert "wheres the bus stop" in body[first:body.index("</section>", first)]
    assert "Safety replies change" in body
    assert 'id="confirm"' in body


def test_a_safety_change_blocks_anyone_without_the_safeguarding_role() -> None:
    from bot.console.replaying import blocks
    from bot.staff_replay import Answer, Difference, ReplayReport

    calm, alarm = Answer("human", None, (), ("x",)), Answer("threatened (safety)",
                                                            "threatened", (), ("y",))
    report = ReplayReport(1, 1, {"human -> threatened (safety)": [
        Difference("how do i get there", 1, calm, alarm)]})
    assert blocks(report, may_change_safety=False)
    assert not blocks(report, may_change_safety=True)
    wording = ReplayReport(1, 1, {"x": [Difference("a", 1, alarm, Answer(
        "threatened (safety)", "threatened", ("svc",), ("z",)))]})
    assert not blocks(wording, may_change_safety=False)


def test_ignore_selected_groups(site: Site) -> None:
    c, csrf = client(site, "moderator")
    ids = f'{site.turns["where can i get my nails done"]},{site.turns["nail salon near me"]}'
    r = c.post("/console/inbox/ignore", data={"csrf": csrf, "group": ids})
    assert "Ignored 2 message(s)." in r.text
    assert "nail salon near me" not in r.text


# ---------------------------------------------------------------- safety queue


def test_safety_queue_shows_context_review_and_export(site: Site) -> None:
    c, csrf = client(site, "safeguarding")
    page = c.get("/console/safety").text
    assert "i want to kill myself" in page and "my mum keeps going on about school" in page
    assert "No alert route is set up" in page
    assert 'class="badge">1' in page
    tid = site.turns["i want to kill myself"]
    r = c.post(f"/console/safety/{tid}", data={"csrf": csrf, "outcome": "escalated",
                                               "notes": "passed to the DSL"})
    assert r.status_code == 200
    page = c.get("/console/safety?status=all").text
    assert "Reviewed by safeguarding" in page and "passed to the DSL" in page
    assert c.get("/console/safety/count").json() == {"unread": 0}
    csv = c.get("/console/safety/export.csv?status=all").text
    assert "escalated" in csv and "passed to the DSL" in csv
    actions = [a for _, a, _ in site.audit()]
    assert "view" in actions and "safety-review" in actions and "export" in actions


def test_whole_conversation_view_is_audited(site: Site) -> None:
    c, _ = client(site, "safeguarding")
    page = c.get("/console/safety").text
    import re

    link = re.search(r'href="(/console/safety/conversation/c-[0-9a-f]+)"', page)
    assert link
    whole = c.get(link.group(1)).text
    assert "hello" in whole and "i want to kill myself" in whole and "ok" in whole
    ref = link.group(1).rsplit("/", 1)[1]
    assert ("safeguarding", "view", f"conversation {ref}") in site.audit()


def test_inbox_badge_counts_messages_to_look_at(site: Site) -> None:
    c, _ = client(site, "moderator")
    page = c.get("/console/").text
    import re

    badge = re.search(r'class="count-badge">(\d+)<', page)
    conn = site.conn()
    expected = conn.execute("SELECT COUNT(*) FROM turns WHERE intent IS NULL AND kind IN "
                            "('fallback', 'clarify')").fetchone()[0]
    assert badge and int(badge.group(1)) == expected > 0


def test_moderator_gets_403_on_the_safety_queue(site: Site) -> None:
    c, _ = client(site, "moderator")
    assert c.get("/console/safety").status_code == 403


# ---------------------------------------------------------------- services


def _service_form(c: TestClient) -> dict[str, object]:
    import re

    page = c.get("/console/catalogue/beat-lab-studio").text
    fields: dict[str, object] = {}
    for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" value="([^"]*)"', page):
        fields[name] = value
    fields["description"] = re.search(r'name="description"[^>]*>([^<]*)<', page).group(1)
    fields["csrf"] = csrf_of(page)
    fields["fingerprint"] = re.search(r'name="fingerprint" value="([^"]+)"', page).group(1)
    fields["rows"] = re.search(r'name="rows" value="(\d+)"', page).group(1)
    fields["status"] = "active"
    fields["categories"] = ["music"]
    fields["days0"] = ["MO", "WE"]
    fields["reviewed"] = "yes"
    return fields


def test_editor_sees_every_error_in_plain_words(site: Site) -> None:
    c, _ = client(site, "editor")
    form = _service_form(c)
    form.update(opens0="25:00", closes0="17:00", action="save")
    before = (site.root / "services.yaml").read_text()
    r = c.post("/console/catalogue/beat-lab-studio", data=form)
    assert r.status_code == 400
    assert "Nothing was saved" in r.text and "25:00" in r.text
    assert (site.root / "services.yaml").read_text() == before


def test_editor_changes_hours_keeping_comments_and_audited(site: Site) -> None:
    c, _ = client(site, "editor")
    form = _service_form(c)
    form.update(opens0="16:00", action="check")
    r = c.post("/console/catalogue/beat-lab-studio", data=form)
    assert r.status_code == 200 and "Answers that would change" in r.text
    assert 'opens_at: "18:00"' in (site.root / "services.yaml").read_text()
    form["action"] = "save"
    r = c.post("/console/catalogue/beat-lab-studio", data=form)
    assert r.status_code == 200 and 'id="saved"' in r.text
    text = (site.root / "services.yaml").read_text()
    assert 'opens_at: "16:00"' in text
    assert "# LOCAL SERVICES IN THIS FILE ARE SAMPLE DATA." in text
    svc = site.live.catalogue.services["beat-lab-studio"]
    assert svc.schedules[0].opens_at.strftime("%H:%M") == "16:00"
    edits = [d for _, a, d in site.audit() if a == "edit"]
    assert edits and '-        opens_at: "18:00"' in edits[0] and '+        opens_at: "16:00"' \
        in edits[0]


# ---------------------------------------------------------------- audit, stats, feedback


def test_audit_log_is_append_only(site: Site) -> None:
    conn = site.conn()
    db.add_audit(conn, "x", "login", None)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET moderator = 'y'")


def test_admin_sees_and_exports_the_audit_log(site: Site) -> None:
    """Failed logins are listed; a typed name cannot become a spreadsheet formula."""
    login(client(site)[0], "editor", "wrong password!", "")
    login(client(site)[0], "=HYPERLINK(\"http://x\")\x1b[31m", "wrong password!", "")
    c, _ = client(site, "admin")
    page = c.get("/console/audit").text
    assert "login-failed" in page
    exported = c.get("/console/audit/export.csv").text
    assert "editor,login-failed" in exported
    assert "'=HYPERLINK" in exported and "\x1b" not in exported


def test_stats_have_svg_charts_with_tables(site: Site) -> None:
    c, _ = client(site, "editor")
    page = c.get("/console/stats").text
    assert page.count("<svg") >= 3 and 'role="img"' in page
    assert "<title id=\"chart-conversations-t\">Conversations per week</title>" in page
    assert "<th scope=\"col\">Conversations</th>" in page


def test_feedback_by_intent_and_service(site: Site) -> None:
    store = db.Store.open(site.data)
    assert store.set_feedback(site.turns["any boxing near me"],
                              store.conversation_ref("web", 2), False)
    store.close()
    c, _ = client(site, "moderator")
    page = c.get("/console/feedback").text
    assert "By topic" in page and "By service" in page
    assert "any boxing near me" in page


def test_forgetting_a_conversation_removes_its_review_notes(site: Site) -> None:
    tid = site.turns["i want to kill myself"]
    conn = site.conn()
    assert db.save_safety_review(conn, tid, "lead", "seen", "note")
    store = db.Store.open(site.data)
    store.forget(store.conversation_ref("web", 4))
    store.close()
    assert db.safety_reviews(conn) == {}


def test_cookie_is_secure_behind_a_trusted_https_proxy(site: Site) -> None:
    """Behind the operator's proxy the app sees http; X-Forwarded-Proto from a trusted
    proxy still marks the cookie Secure, and the same header from anyone else does not."""
    from bot.console.auth import is_https

    assert is_https("http", "10.0.0.5", "https", ["10.0.0.0/8"])
    assert not is_https("http", "203.0.113.7", "https", ["10.0.0.0/8"])
    assert not is_https("http", "10.0.0.5", "http", ["10.0.0.0/8"])
    c, _ = client(site)
    r = login(c, "editor", PASSWORD, "")
    assert r.status_code == 303 and "Secure" not in r.headers["set-cookie"]


async def test_signpost_run_serves_the_console_beside_the_web_chat(tmp_path: Path) -> None:
    """The web chat's app with the console mounted as `signpost run` mounts it: the
    console answers under /console with its strict headers, the chat still answers at /."""
    import httpx
    from starlette.routing import Mount

    from bot.config import Settings
    from bot.console import build_console
    from bot.session import Session
    from bot.store import AsyncStore
    from bot.web.app import WebChat

    site = make_site(tmp_path)
    settings = Settings(catalogue_dir=site.root, data_dir=site.data)
    store = await AsyncStore.open(settings.data_dir)
    session = Session(site.live, store)
    try:
        chat = WebChat(session, settings, extra_routes=[
            Mount("/console", app=build_console(settings, site.live, store))])
        transport = httpx.ASGITransport(app=chat.app, client=("203.0.113.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            login_page = await c.get("/console/login")
            home = await c.get("/")
    finally:
        await session.close()
    assert login_page.status_code == 200 and "Log in to the Signpost console" in login_page.text
    assert "frame-ancestors 'none'" in login_page.headers["content-security-policy"]
    assert home.status_code == 200 and "/console" not in home.text
