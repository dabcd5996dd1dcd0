"""`signpost run`: one process, one asyncio loop, every configured channel.

    web chat      always, on SIGNPOST_WEB_LISTEN:SIGNPOST_WEB_PORT (default 127.0.0.1:8080)
    Telegram      when TELEGRAM_BOT_TOKEN is set: polling, or webhook when
                  SIGNPOST_WEBHOOK_URL is set (its route is served by the same ASGI app)

One store (one writer thread), one live catalogue and one Session serve both channels;
bot/jobs.py polls the catalogue, posts alert follow-ups, purges old turns and logs an ERROR
every hour while safety alerts have no route (bot/alert_router.py).

Exit codes: 0 stopped cleanly (SIGINT/SIGTERM), 1 failed while running, 2 cannot start
(bad settings, address in use, token rejected by Telegram), 3 Telegram stopped accepting
the token while running (revoked). A catalogue with errors does not stop the bot: it
answers with the built-in safety floor (999 and the 24/7 routes) and tells the admin chat.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

from bot.config import ConfigError, Settings, load_settings
from bot.logsafe import redact_secrets, setup_logging

log = logging.getLogger("bot.runner")

ALERT_GRACE = 5.0  # seconds a stopping server gives queued staff alerts


class CannotStart(Exception):
    """The server cannot start; the message says why, for the operator."""


class TokenRevoked(Exception):
    """Telegram stopped accepting the bot token while the bot was running."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogue", metavar="DIR",
                   help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")
    p.epilog = ("Serves the web chat on http://127.0.0.1:8080 (SIGNPOST_WEB_LISTEN, "
                "SIGNPOST_WEB_PORT), and Telegram too when TELEGRAM_BOT_TOKEN is set. "
                "Settings come from environment variables (or a .env file); see "
                "docs/operator.md.")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(need_token=False)
    except ConfigError as exc:
        print(f"signpost: {exc}", file=sys.stderr)
        return 2
    if args.catalogue:
        from dataclasses import replace
        from pathlib import Path

        settings = replace(settings, catalogue_dir=Path(args.catalogue))
    setup_logging(settings.log_level,
                  secrets=[s for s in (settings.telegram.token, settings.telegram.webhook_secret,
                                     settings.email.smtp_password) if s])
    for warning in settings.warnings:
        log.warning("%s", warning)

    from bot.live import LiveCatalogue

    live = LiveCatalogue(settings.catalogue_dir)
    if live.catalogue is None:
        for p in live.last_problems:
            if p.severity == "error":
                print(p, file=sys.stderr)
        print(f"signpost: the catalogue in {settings.catalogue_dir} has errors. Starting "
              "anyway with the built-in safety floor only (999 and the 24/7 routes); fix "
              "the errors (run 'signpost validate') and save: the bot loads the fixed "
              "catalogue by itself.", file=sys.stderr)
        log.error("the catalogue has errors; answering with the safety floor only until it "
                  "is fixed")
    try:
        asyncio.run(serve(settings, live))
    except TokenRevoked:
        print("signpost: Telegram stopped accepting TELEGRAM_BOT_TOKEN while the bot was "
              "running (revoked in @BotFather?). Put the new token in the settings and "
              "start again.", file=sys.stderr)
        return 3
    except CannotStart as exc:
        print(f"signpost: {redact_secrets(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # the message may quote a URL; never print the token
        log.error("stopped after an error: %s", type(exc).__name__, exc_info=True)
        print(f"signpost: stopped after an error: {redact_secrets(str(exc))}", file=sys.stderr)
        return 1
    return 0


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind the web chat's address now, so a busy port is a clear message, not a trace."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _, addr = infos[0]
        # proto must say TCP, or asyncio leaves Nagle's algorithm on for accepted
        # connections (40 ms stalls against delayed ACKs).
        sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        raise CannotStart(f"cannot listen on {host}:{port} ({exc.strerror or exc}). Is "
                          "another program using it? Choose another port with "
                          "SIGNPOST_WEB_PORT.") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


async def serve(settings: Settings, live: Any, *, sock: socket.socket | None = None) -> None:
    """Serve every configured channel until SIGINT or SIGTERM."""
    import uvicorn
    from starlette.routing import BaseRoute, Mount

    from bot.alert_email import email_sink
    from bot.console import build_console
    from bot.jobs import Jobs
    from bot.jobs import stop as stop_jobs
    from bot.session import Session
    from bot.store import AsyncStore
    from bot.web.app import WebChat

    store = await AsyncStore.open(settings.data_dir, settings.secret)
    email = email_sink(settings)
    session = Session(live, store, sinks=[email] if email is not None else [])
    telegram: Any = None
    routes: list[BaseRoute] = []
    report = None
    revoked = asyncio.Event()
    watcher: asyncio.Task[None] | None = None
    try:
        if settings.telegram.on:
            telegram, report = await _start_telegram(settings, live, session, routes, revoked)
        await session.router.start()  # emails an earlier run could not send go now
        sock = sock or listen_socket(settings.web.listen, settings.web.port)
        routes.append(Mount("/console", app=build_console(settings, live, store)))
        web = WebChat(session, settings, extra_routes=routes)
        config = uvicorn.Config(web.app, lifespan="off", access_log=False, log_config=None,
                                server_header=False, date_header=False,
                                proxy_headers=False, log_level="warning")
        server = _server_class()(config)
        _on_signals(server)
        watcher = asyncio.create_task(_stop_on(revoked, server))
        jobs = Jobs(session, settings.retention_days, report).start()
        host, port = sock.getsockname()[:2]
        log.info("web chat on http://%s:%d", host, port)
        try:
            await server.serve(sockets=[sock])
        finally:
            await stop_jobs(jobs)
    finally:
        await session.flush_all()  # held bursts answered while Telegram can still send
        if watcher is not None:
            watcher.cancel()
        await session.router.drain(ALERT_GRACE)  # and alerts posted while it still can
        if telegram is not None:
            from bot.channels.telegram_app import stop

            await stop(telegram)
        await session.close()
        log.info("stopped")
    if revoked.is_set():
        raise TokenRevoked


async def _stop_on(event: asyncio.Event, server: Any) -> None:
    """Stop the server (gracefully: Telegram, then the store) once `event` is set."""
    await event.wait()
    server.should_exit = True


def _on_signals(server: Any) -> None:
    """SIGINT and SIGTERM stop the server gracefully (then Telegram, then the store)."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(sig, stop)


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server without its own signal handling (it re-raises the signal after
        shutting down, which would kill the process before Telegram and the store close)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server


async def _start_telegram(settings: Settings, live: Any, session: Any,
                          routes: list[Any], revoked: asyncio.Event) -> tuple[Any, Any]:
    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram_app import (
        build_application,
        signpost_of,
        start,
        webhook_route,
    )

    if settings.telegram.webhook:
        path = settings.telegram.webhook_path
        if not path or path.split("/")[0] in ("api", "static", "healthz"):
            raise CannotStart(f"SIGNPOST_WEBHOOK_URL's path /{path} is the web chat's own; use "
                              "a path of its own, e.g. https://chat.example.org/telegram-hook")
    app = build_application(settings, live, session=session,
                            updater=not settings.telegram.webhook)

    def on_revoked() -> None:
        if not revoked.is_set():
            log.error("Telegram no longer accepts the bot token (revoked in @BotFather, or "
                      "the bot was deleted); stopping")
            revoked.set()

    signpost_of(app).inbox.on_revoked = on_revoked
    if settings.telegram.webhook:
        routes.append(webhook_route(app, settings))
    try:
        try:
            await start(app, settings)
        except BaseException:
            with contextlib.suppress(Exception):
                await app.shutdown()
            raise
    except InvalidToken:
        raise CannotStart("Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token again from "
                          "@BotFather (/mybots, then API Token).") from None
    except TelegramError as exc:
        raise CannotStart(f"could not talk to Telegram: {exc}") from None
    return app, signpost_of(app).tell_admins
