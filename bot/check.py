"""`signpost check`: every setting problem an operator should fix, before anyone needs help.

Checks, in order (each problem is one line saying what is wrong and how to fix it):

    settings      every SIGNPOST_* variable and TELEGRAM_BOT_TOKEN (as `signpost run` reads them)
    alert routes  at least one route that reaches a person: the Telegram staff group (needs
                  the bot token) or email (SIGNPOST_ALERT_EMAIL_TO and SIGNPOST_SMTP_HOST)
    the key       the key behind conversation references is not kept in the data folder
    permissions   the data folder, the database, the key and the email outbox are owner-only;
                  a settings file holding secrets is not readable by others
    catalogue     the catalogue loads (no errors)

With --send-test-alert a test alert goes through every configured route and each result
is printed. Exit codes: 0 nothing to fix (and every test alert sent), 1 something to fix
or a test alert failed, 2 cannot run (bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import stat
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from bot.alert_email import OUTBOX, email_sink
from bot.alert_router import NO_ROUTE, AlertRouter, Outcome, format_test, make_test_alert
from bot.alerts import Alert
from bot.config import ConfigError, Settings, load_settings
from bot.forget_journal import JOURNAL_NAME
from bot.logsafe import protect
from bot.secretkey import CREDENTIAL_NAME, SECRET_NAME
from bot.store.schema import DB_NAME

DB_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", JOURNAL_NAME)
SECRET_VARIABLES = ("TELEGRAM_BOT_TOKEN", "SIGNPOST_SECRET", "SIGNPOST_SMTP_PASSWORD",
                    "SIGNPOST_WEBHOOK_SECRET")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogue", metavar="DIR",
                   help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")
    p.add_argument("--send-test-alert", action="store_true",
                   help="also send a test alert through every configured alert route")
    p.epilog = ("Reads the same settings as 'signpost run' (environment variables or a .env "
                "file); see docs/operator.md.")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(need_token=False)
    except ConfigError as exc:
        print(f"signpost check: {exc}")
        print("Fix these first; the other checks need readable settings.")
        return 1
    if args.catalogue:
        settings = replace(settings, catalogue_dir=Path(args.catalogue))
    print(f"Alert routes: {', '.join(describe_routes(settings)) or 'none'}")
    found = problems(settings)
    if found:
        print(f"{len(found)} problem(s) to fix:")
        for p in found:
            print(f"  - {p}")
    else:
        print("No problems found.")
    failed = False
    if args.send_test_alert:
        for secret in (settings.telegram.token, settings.telegram.webhook_secret,
                       settings.email.smtp_password):
            protect(secret or "")  # never in a printed reason
        outcomes = asyncio.run(send_test_alert(settings))
        if not outcomes:
            print("No test alert was sent: there is no alert route.")
        else:
            print("Test alert:")
        for o in outcomes:
            print(f"  {o.sink}: {'sent' if o.ok else 'FAILED: ' + o.detail}")
            failed = failed or not o.ok
    return 1 if found or failed else 0


# ---------------------------------------------------------------- the checks


def problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every problem an operator should fix, each a sentence saying how."""
    env = os.environ if environ is None else environ
    return [*settings.warnings, *route_problems(settings), *key_problems(settings, env),
            *permission_problems(settings), *catalogue_problems(settings)]


def describe_routes(settings: Settings) -> list[str]:
    routes: list[str] = []
    if settings.telegram.alert_chat_id is not None and settings.telegram.token:
        routes.append(f"Telegram staff group (chat {settings.telegram.alert_chat_id})")
    email = settings.email
    if email.on:
        routes.append(f"email to {', '.join(email.to)} (via "
                      f"{email.smtp_host}:{email.smtp_port}, {email.smtp_security})")
    return routes


def route_problems(settings: Settings) -> list[str]:
    out: list[str] = []
    if settings.telegram.alert_chat_id is not None and not settings.telegram.token:
        out.append("SIGNPOST_ALERT_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not, so alerts "
                   "cannot reach the Telegram group. Set the token, or use email alerts "
                   "(SIGNPOST_ALERT_EMAIL_TO and SIGNPOST_SMTP_HOST).")
    if not describe_routes(settings):
        out.append(f"{NO_ROUTE[0].upper()}{NO_ROUTE[1:]} (with SIGNPOST_SMTP_HOST for "
                   "email). Without one, no staff member is told when a young person "
                   "discloses danger.")
    return out


def key_problems(settings: Settings, env: Mapping[str, str]) -> list[str]:
    data = settings.data_dir.resolve()
    if settings.secret is not None:
        env_file = settings.env_file
        if (env_file is not None and "SIGNPOST_SECRET" not in env
                and env_file.resolve().is_relative_to(data)):
            return [f"SIGNPOST_SECRET is kept in {env_file}, inside the data folder {data}: "
                    "anyone with a copy of the folder (a backup, say) has the key with the "
                    "log. Keep the settings file elsewhere (e.g. /etc/signpost/env)."]
        return []
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / CREDENTIAL_NAME).is_file():
        return []
    return [f"The key behind conversation references is kept in the data folder "
            f"({data / SECRET_NAME}), next to the log it protects: with both, a reference can "
            "be traced back to a Telegram account by trying every id. Move it to a systemd "
            "credential or to SIGNPOST_SECRET in a settings file outside the data folder "
            "(docs/operator.md, section 8)."]


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def permission_problems(settings: Settings) -> list[str]:
    out: list[str] = []
    data = settings.data_dir
    mode = _mode(data)
    if mode is not None and mode & 0o077:
        out.append(f"The data folder {data} can be opened by other users (mode {mode:o}); "
                   f"run: chmod 700 {data}")
    outbox = data / OUTBOX
    files = [data / n for n in (*DB_FILES, SECRET_NAME)]
    if outbox.is_dir():
        try:
            files += sorted(outbox.iterdir())
        except OSError as exc:
            out.append(f"The email outbox {outbox} cannot be read ({exc.strerror}); check "
                       "that signpost check runs as the same user as signpost run.")
        folder_mode = _mode(outbox)
        if folder_mode is not None and folder_mode & 0o077:
            out.append(f"The email outbox {outbox} can be opened by other users (mode "
                       f"{folder_mode:o}); run: chmod 700 {outbox}")
    for path in files:
        mode = _mode(path)
        if mode is not None and mode & 0o077:
            out.append(f"{path} can be read by other users (mode {mode:o}); run: "
                       f"chmod 600 {path}")
    env_file = settings.env_file
    if env_file is not None and not any(str(env_file) in w for w in settings.warnings):
        mode = _mode(env_file)
        if mode is not None and mode & 0o077:
            try:
                text = env_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            held = [v for v in SECRET_VARIABLES if f"{v}=" in text]
            if held:
                out.append(f"{env_file} holds {', '.join(held)} and can be read by other "
                           f"users (mode {mode:o}); run: chmod 600 {env_file}")
    return out


def catalogue_problems(settings: Settings) -> list[str]:
    from bot.catalogue import load

    try:
        cat, found = load(settings.catalogue_dir)
    except Exception as exc:  # load reports problems; this is a last resort
        return [f"The catalogue in {settings.catalogue_dir} cannot be read "
                f"({type(exc).__name__}); run: signpost validate"]
    if cat is not None:
        return []
    errors = [p for p in found if p.severity == "error"]
    lines = [f"The catalogue in {settings.catalogue_dir} has {len(errors)} error(s), so the "
             "bot would answer with the safety floor only; run 'signpost validate' for all:"]
    lines += [f"    {p}" for p in errors[:10]]
    if len(errors) > 10:
        lines.append(f"    ... and {len(errors) - 10} more")
    return ["\n".join(lines)]


# ---------------------------------------------------------------- the test alert


class TelegramTestSink:
    """Sends the test alert to the staff group with a bare Bot (no running bot needed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = "Telegram staff group"

    async def post(self, alert: Alert) -> None:
        from telegram import Bot

        chat = self.settings.telegram.alert_chat_id
        assert chat is not None
        url, token = self.settings.telegram.bot_api_url, self.settings.telegram.token
        bot = Bot(token, base_url=url) if url else Bot(token)
        async with bot:
            await bot.send_message(chat, format_test(alert))


def routes_for_test(settings: Settings) -> AlertRouter:
    router = AlertRouter()
    if settings.telegram.alert_chat_id is not None and settings.telegram.token:
        router.add(TelegramTestSink(settings))
    email = email_sink(settings)
    if email is not None:
        router.add(email)
    return router


async def send_test_alert(settings: Settings, timeout: float = 30.0) -> list[Outcome]:
    """Send a test alert through every configured route now; what happened on each."""
    router = routes_for_test(settings)
    try:
        return await router.test(make_test_alert(), timeout)
    finally:
        await router.close(grace=0)
