"""Logging in and out, first-time setup from a one-time link, the home page, static files."""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot import store as db
from bot.console import auth
from bot.console.app import COOKIE, Console, Page, Refused, base, set_cookie, when
from bot.web.guard import client_address, networks

STATIC = {"console.css": "text/css; charset=utf-8",
          "console.js": "text/javascript; charset=utf-8"}
_SECRET_RE = re.compile(r"[A-Z2-7]{32}")
WRONG = "That name, password or code is not right. Check them and try again."


def _field(form: object, name: str, limit: int = 500) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[:limit] if isinstance(value, str) else ""


async def static(console: Console, request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        return PlainTextResponse("Not found.", status_code=404)
    text = resources.files("bot.console").joinpath("static", name).read_text(encoding="utf-8")
    return Response(text, media_type=STATIC[name])


async def login_form(console: Console, request: Request) -> Response:
    ended = request.query_params.get("ended") == "1"
    done = request.query_params.get("setup") == "1"
    return console.render(request, "login.html", title="Log in to the Signpost console",
                          next=request.query_params.get("next", ""), error="",
                          notice=("Your session ended, so you need to log in again." if ended
                                  else "Your account is ready. Log in with your new password "
                                  "and a code from your app." if done else ""), name="")


def _safe_next(request: Request, target: str) -> str:
    home = base(request) + "/"
    if target.startswith(home) and not target.startswith("//") and "\\" not in target:
        return target
    return home


async def login(console: Console, request: Request) -> Response:
    form = await request.form()
    # Whatever was typed as a name is kept in the audit log: printable characters only.
    name = "".join(ch for ch in _field(form, "name", 64) if ch.isprintable()).strip()
    password = _field(form, "password", 1000)
    code = _field(form, "code", 20)
    target = _field(form, "next", 2000)
    now = console.now()

    def again(message: str, status: int = 400) -> Response:
        return console.render(request, "login.html", status=status, title="Log in to the "
                              "Signpost console", next=target, error=message, notice="",
                              name=name)

    address = client_address(request.client.host if request.client else "",
                             request.headers.get("x-forwarded-for"),
                             networks(getattr(console.settings, "trusted_proxies", ())))
    if not console.throttle.take(address):
        await console.audit(name or "(no name)", "login-failed", detail="too many attempts "
                            "from one address")
        return again("Too many login attempts from here. Wait a minute, then try again.", 429)
    user = await console.db(db.get_user, name) if name else None
    locked = user is not None and user["locked_until"] and \
        db.parse_stamp(str(user["locked_until"])) > now
    if user is not None and locked:
        await console.audit(name, "login-failed", detail="account locked")
        return again(f"This account is locked after {auth.MAX_FAILURES} failed logins. Try "
                     f"again after {when(str(user['locked_until']))} (London time), or ask "
                     "an admin to reset it.", 403)
    ok = auth.check_password(str(user["password"]) if user and user["password"] else None,
                             password)
    ok = ok and user is not None and user["state"] == "active"
    step = None
    if ok and user is not None and (auth.needs_totp(str(user["role"])) or user["totp"]):
        step = auth.check_code(str(user["totp"]) if user["totp"] else None, code,
                               str(user["last_code"]) if user["last_code"] else None, now)
        ok = step is not None
    if not ok or user is None:
        just_locked = False
        if user is not None:
            just_locked = await console.db(db.record_login_failure, name, auth.MAX_FAILURES,
                                           auth.LOCK_FOR, now)
        await console.audit(name or "(no name)", "login-failed",
                            detail="account locked now" if just_locked else "")
        if just_locked:
            return again(f"That was the {auth.MAX_FAILURES}th failed login in a row, so this "
                         f"account is locked for {auth.LOCK_FOR.seconds // 60} minutes. Ask "
                         "an admin if you cannot get in.", 403)
        return again(WRONG, 401)
    token, csrf = auth.new_token(), auth.new_token()

    def start(conn: sqlite3.Connection) -> None:
        db.record_login(conn, name, step, now)
        db.create_session(conn, token, name, csrf, now)
    await console.db(start)
    await console.audit(name, "login")
    response = RedirectResponse(_safe_next(request, target), status_code=303)
    set_cookie(request, response, COOKIE, token)
    return response


async def logout(console: Console, request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    await console.db(db.end_session, token)
    await console.audit(request.state.user.name, "logout")
    response = RedirectResponse(f"{base(request)}/login", status_code=303)
    response.delete_cookie(COOKIE, path=base(request) or "/")
    return response


async def home(console: Console, request: Request) -> Response:
    return console.render(request, "home.html", title="Signpost console")


async def _setup_user(console: Console, token: str) -> dict[str, object]:
    user = await console.db(db.user_for_setup, token, console.now()) if len(token) < 100 \
        else None
    if user is None:
        raise Refused(404, "This setup link does not work: it has been used already, it is "
                           "more than 3 days old, or it was copied only in part. Ask an admin "
                           "for a new one (signpost users reset NAME).")
    return user


async def setup_form(console: Console, request: Request) -> Response:
    token = request.path_params["token"]
    user = await _setup_user(console, token)
    return _setup_page(console, request, user, auth.new_totp_secret(), "")


def _setup_page(console: Console, request: Request, user: dict[str, object], secret: str,
                error: str, status: int = 200) -> Response:
    name, role = str(user["name"]), str(user["role"])
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return console.render(request, "setup.html", status=status,
                          title="Set up your console account", name=name, role=role,
                          totp=auth.needs_totp(role), secret=secret, grouped=grouped,
                          uri=auth.totp_uri(secret, name), error=error,
                          action=f"{base(request)}/setup/{quote(request.path_params['token'])}",
                          min_password=auth.MIN_PASSWORD)


async def setup(console: Console, request: Request) -> Response:
    token = request.path_params["token"]
    user = await _setup_user(console, token)
    form = await request.form()
    name, role = str(user["name"]), str(user["role"])
    password, again = _field(form, "password", 1000), _field(form, "password2", 1000)
    secret = _field(form, "secret", 64)
    if not _SECRET_RE.fullmatch(secret):
        secret = auth.new_totp_secret()
    problem = auth.password_problem(password, name)
    if problem is None and password != again:
        problem = "The two passwords are not the same. Type the same password twice."
    totp: str | None = None
    if problem is None and auth.needs_totp(role):
        if auth.check_code(secret, _field(form, "code", 20), None, console.now()) is None:
            problem = ("That code is not right. Add the key to your authenticator app, then "
                       "type the 6-digit code it shows now.")
        totp = secret
    if problem is not None:
        return _setup_page(console, request, user, secret, problem, 400)
    if not await console.db(db.finish_setup, name, token, auth.hash_password(password), totp):
        raise Refused(404, "This setup link has just been used. Log in, or ask an admin for "
                           "a new link.")
    await console.audit(name, "setup", detail=f"role {role}")
    return RedirectResponse(f"{base(request)}/login?setup=1", status_code=303)


PAGES = [
    Page("/static/{name}", static, None, ("GET", "HEAD")),
    Page("/login", login_form, None),
    Page("/login", login, None, ("POST",)),
    Page("/setup/{token}", setup_form, None),
    Page("/setup/{token}", setup, None, ("POST",)),
    Page("/logout", logout, "home", ("POST",)),
    Page("/", home, "home"),
]
