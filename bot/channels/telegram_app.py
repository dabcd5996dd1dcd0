"""Building and running the Telegram channel: python-telegram-bot's Application around
`Signpost` (bot/channels/telegram.py).

    build_application   the Application with every handler wired; polling, or
                        updater=False when updates arrive through `webhook_route`
    webhook_route       the webhook as a route of the server's ASGI app (PTB's
                        custom-webhook example); Telegram's secret header checked
    start / stop        Telegram inside a running server, in PTB's own order
    post_init ...       the lifecycle: open the log (when the channel owns its session),
                        replay the inbox, register commands, add the staff-group alert
                        sink, start the jobs (when the channel owns its session)
    PerChatProcessor    chats concurrently, one chat's updates strictly in order

Handler order (PTB handler groups):

    -1  gate          groups/channels answered once then ignored; every private message
                      remembered for /hide
     0  commands, location, text, captions, anything else, button presses
    error handler     logs without message text, token or ids; still replies with 999
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.alerts import Alert, staff_text
from bot.channels.telegram import ADMIN_COMMANDS, ENGINE_COMMANDS, Signpost
from bot.channels.telegram_html import text_lines
from bot.channels.telegram_updates import UpdatesRequest
from bot.config import Settings
from bot.jobs import startup_report
from bot.jobs import stop as stop_jobs
from bot.live import LiveCatalogue
from bot.session import BURST_WINDOW, DEFAULT_FLOOD, FloodPolicy, Session
from bot.store import AsyncStore
from bot.web.guard import Rejected, read_json

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]

MAX_UPDATE_BYTES = 256 * 1024  # a webhook body larger than this is refused unread
POLL_TIMEOUT = 3  # seconds each getUpdates long poll waits for news
BOT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "What I can do, and the menu"),
    ("help", "How to use me"),
    ("services", "Browse by category"),
    ("privacy", "What I keep and who can see it"),
    ("human", "Talk to a real person"),
    ("hide", "Hide this chat: delete recent messages"),
    ("forget", "Erase what I logged from this chat"),
)
# No channel posts: the bot never answers in a channel (its reply would be public).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query",
                   "my_chat_member"]


class PerChatProcessor(BaseUpdateProcessor):
    """Different chats are handled concurrently; one chat's updates strictly in order."""

    def __init__(self, max_concurrent_updates: int = 64,
                 on_done: Callable[[object], Awaitable[None]] | None = None) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.on_done = on_done  # called once an update has been handled (the inbox)

    async def do_process_update(self, update: object,
                                coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else 0
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
        if self.on_done is not None:
            await self.on_done(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


class TelegramStaffGroup:
    """The AlertSink that posts safety alerts to the trained staff's private Telegram group."""

    name = "telegram staff group"

    def __init__(self, channel: Signpost, chat_id: int) -> None:
        self.channel = channel
        self.chat_id = chat_id

    async def post(self, alert: Alert) -> None:
        await self.channel.send_text(None, self.chat_id, "\n".join(text_lines(
            staff_text(alert))))


# ---------------------------------------------------------------- lifecycle


async def post_init(app: App) -> None:
    """Open the log (unless the server did), register commands, add the alert sink."""
    sp = signpost_of(app)
    sp.app = app
    if sp.owns_session and sp.session.store.store is None:
        sp.session.store = await AsyncStore.open(sp.settings.data_dir, sp.settings.secret)
    sp.inbox.attach(sp.session.store.store)
    await sp.inbox.replay(app.update_queue, app.bot, sp.session.is_safety)
    report = startup_report(sp.live)
    if report is not None:  # the catalogue is broken at start: say what
        await sp.tell_admins(report)
    if sp.settings.telegram.alert_chat_id is not None and sp.sink is None:
        sp.sink = TelegramStaffGroup(sp, sp.settings.telegram.alert_chat_id)
        sp.session.add_sink(sp.sink)
    try:
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in BOT_COMMANDS])
    except TelegramError as exc:
        log.warning("could not register the command list with Telegram (%s)",
                    type(exc).__name__)
    if sp.owns_session:
        sp.tasks = sp.jobs.start()


async def post_stop(app: App) -> None:
    """Stop the background jobs (when this channel started them)."""
    sp = signpost_of(app)
    await stop_jobs(sp.tasks)
    sp.tasks = []


async def post_shutdown(app: App) -> None:
    """Close the conversation log (after every queued write has run), if it is ours."""
    sp = signpost_of(app)
    await sp.inbox.drain()
    sp.inbox.shutdown()
    if sp.sink is not None:
        sp.session.remove_sink(sp.sink)
        sp.sink = None
    if sp.owns_session:
        await sp.session.close()
        log.info("stopped")


# ---------------------------------------------------------------- building and running


def build_application(settings: Settings, live: LiveCatalogue, *,
                      session: Session | None = None,
                      flood: FloodPolicy = DEFAULT_FLOOD,
                      burst_window: float = BURST_WINDOW,
                      clock: Callable[[], float] = time.monotonic,
                      updater: bool = True,
                      ) -> App:
    """The PTB Application with every handler wired; `signpost run` and the tests use it.

    `signpost run` passes its one Session (shared with the web chat) and, in webhook mode,
    updater=False: updates then arrive through `webhook_route` in the server's ASGI app,
    as in python-telegram-bot's custom-webhook example.
    """
    sp = Signpost(settings, live, session=session, flood=flood, burst_window=burst_window,
                  clock=clock)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(settings.telegram.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(AIORateLimiter(max_retries=3))
        # A small pool measured faster than PTB's default of 256 (docs/performance.md).
        .request(UpdatesRequest(HTTPXRequest(connection_pool_size=8), sp.inbox))
        .get_updates_request(UpdatesRequest(HTTPXRequest(), sp.inbox))
        .concurrent_updates(PerChatProcessor(on_done=sp.handled))
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    if not updater:
        builder = builder.updater(None)
    if settings.telegram.bot_api_url:
        builder = builder.base_url(settings.telegram.bot_api_url)
        if settings.telegram.base_file_url:
            builder = builder.base_file_url(settings.telegram.base_file_url)
    app = builder.build()
    sp.app = app
    app.bot_data["signpost"] = sp

    app.add_handler(TypeHandler(Update, sp.gate), group=-1)
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler(list(ENGINE_COMMANDS), sp.on_command, filters=private))
    app.add_handler(CommandHandler("hide", sp.on_hide, filters=private))
    app.add_handler(CommandHandler("forget", sp.on_forget, filters=private))
    app.add_handler(CommandHandler(list(ADMIN_COMMANDS), sp.on_admin, filters=private))
    app.add_handler(MessageHandler(private & filters.LOCATION, sp.on_location))
    app.add_handler(MessageHandler(private & (filters.TEXT | filters.CAPTION), sp.on_text))
    app.add_handler(MessageHandler(private & ~filters.StatusUpdate.ALL, sp.on_other))
    app.add_handler(CallbackQueryHandler(sp.on_button))
    app.add_error_handler(sp.on_error)
    return app


def signpost_of(app: App) -> Signpost:
    sp = app.bot_data["signpost"]
    assert isinstance(sp, Signpost)
    return sp


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for Application.run_webhook / Updater.start_webhook."""
    tg = settings.telegram
    return {
        "listen": tg.webhook_listen,
        "port": tg.webhook_port,
        "url_path": tg.webhook_path,
        "webhook_url": tg.webhook_url,
        "secret_token": tg.webhook_secret,
        "allowed_updates": ALLOWED_UPDATES,
    }


def webhook_route(app: App, settings: Settings) -> Route:
    """The webhook as a route of the server's ASGI app (PTB's custom-webhook example)."""
    secret = (settings.telegram.webhook_secret or "").encode()

    async def telegram_update(request: Request) -> Response:
        """Check Telegram's secret header, then queue the update for the handlers."""
        given = request.headers.get("x-telegram-bot-api-secret-token", "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        try:
            data = await read_json(request, MAX_UPDATE_BYTES)
        except Rejected as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        # Kept in the inbox before the 200; unreadable or repeated updates come back as
        # empty stand-ins (logged once, answered 200 so Telegram does not resend them).
        for raw in await signpost_of(app).inbox.accept([data]):
            if len(raw) > 1:
                await app.update_queue.put(Update.de_json(raw, app.bot))
        return Response()

    return Route("/" + settings.telegram.webhook_path, telegram_update, methods=["POST"])


async def start(app: App, settings: Settings) -> None:
    """Start Telegram inside a running server: polling, or the webhook registered."""
    await app.initialize()
    await post_init(app)
    tg = settings.telegram
    if tg.webhook:
        await app.bot.set_webhook(tg.webhook_url or "", secret_token=tg.webhook_secret,
                                  allowed_updates=ALLOWED_UPDATES)
        log.info("Telegram: webhook mode, updates arrive at /%s", tg.webhook_path)
    else:
        assert app.updater is not None
        # Short long polls: a revoked token is noticed within about POLL_TIMEOUT seconds.
        await app.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=POLL_TIMEOUT)
        log.info("Telegram: polling mode")
    await app.start()


async def stop(app: App) -> None:
    """Stop Telegram in the order PTB's run_polling uses."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await post_stop(app)
    await app.shutdown()
    await post_shutdown(app)
