"""Background jobs of a running server: catalogue poll, alert follow-ups, retention purge,
and an hourly ERROR while safety alerts have nowhere to go.

Each job runs forever on the event loop; a failing run is logged and tried again at the
next interval, never stopping the others. `start_jobs` returns the tasks; cancel them to
stop (as `signpost run` does on shutdown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot import memory
from bot.alert_router import no_route_job
from bot.catalogue import LONDON
from bot.live import LiveCatalogue, ReloadResult
from bot.session import Session

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
PURGE_SECONDS = 24 * 3600.0

Report = Callable[[str], Awaitable[None]]


class Jobs:
    """The jobs of one server: one live catalogue, one session (and so one store)."""

    def __init__(self, session: Session, retention_days: int,
                 report: Report | None = None) -> None:
        self.session = session
        self.live: LiveCatalogue = session.live
        self.retention_days = retention_days
        self.report = report or _log_report
        self.reload_lock = asyncio.Lock()
        self.memory = memory.Releaser()

    async def reload(self) -> ReloadResult:
        """Reload the catalogue now (an admin's /reload)."""
        async with self.reload_lock:
            return await asyncio.to_thread(self.live.reload)

    async def admin_report(self, command: str) -> str:
        """The answer to an admin's /reload (reload now, then say how it went) or
        /catalogue (what is live)."""
        if command == "reload":
            return reload_report(await self.reload(), self.live)
        return catalogue_report(self.live)

    async def poll_once(self) -> None:
        """Pick up saved catalogue edits; report a rejected edit; post alert follow-ups."""
        async with self.reload_lock:
            result = await asyncio.to_thread(self.live.poll)
        if result is not None and not result.changed:
            await self.report(reload_report(result, self.live))
        await self.session.flush_alerts()
        self.session.expire_idle()
        await self.memory.maybe_async()

    async def purge(self) -> None:
        """Delete turns older than the retention period."""
        removed = await self.session.store.call("purge", self.retention_days,
                                                self.session.now())
        if removed:
            log.info("retention: deleted %d turn(s) older than %d days", removed,
                     self.retention_days)

    def start(self) -> list[asyncio.Task[None]]:
        return [
            asyncio.create_task(every(POLL_SECONDS, self.poll_once, "catalogue poll"),
                                name="signpost-poll"),
            asyncio.create_task(every(PURGE_SECONDS, self.purge, "retention purge"),
                                name="signpost-purge"),
            asyncio.create_task(no_route_job(self.session.router), name="signpost-no-route"),
        ]


async def every(seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
    """Run `job` now and then every `seconds`, logging (not raising) its failures."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed; it will run again", name)
        await asyncio.sleep(seconds)


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the jobs and wait until they have stopped."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("a background job failed while stopping")


async def _log_report(text: str) -> None:
    log.warning("%s", text)


# ---------------------------------------------------------------- reports for staff


def reload_report(result: ReloadResult, live: LiveCatalogue) -> str:
    cat = live.catalogue
    if result.changed and cat is not None:
        return (f"Catalogue reloaded: version {cat.version} is live ({len(cat.services)} "
                f"services, {len(cat.intents)} intents, {len(cat.warnings)} warning(s)).")
    version = cat.version if cat is not None else "none (safety floor only)"
    lines = [f"Catalogue edit rejected: still serving version {version}. Fix these and save "
             "again:"]
    lines += [str(p) for p in result.errors] or ["(no details)"]
    return "\n".join(lines)


def catalogue_report(live: LiveCatalogue) -> str:
    cat = live.catalogue
    if cat is None:
        return "No catalogue is loaded: the bot is answering with the safety floor only."
    when = (f"{live.last_reload.astimezone(LONDON):%H:%M:%S on %a %d %b}"
            if live.last_reload else "never")
    lines = [
        f"Catalogue version {cat.version}, loaded {when} from {live.root}",
        f"{len(cat.services)} services, {len(cat.categories)} categories, "
        f"{len(cat.intents)} intents, "
        f"{sum(len(i.examples) for i in cat.intents.values())} examples",
        f"{len(cat.warnings)} warning(s)" + (":" if cat.warnings else ""),
    ]
    lines += [str(w) for w in cat.warnings[:20]]
    if len(cat.warnings) > 20:
        lines.append(f"... and {len(cat.warnings) - 20} more (run: signpost validate)")
    return "\n".join(lines)


def startup_report(live: LiveCatalogue) -> str | None:
    """What staff are told when no catalogue could be loaded at start (None when one was):
    the report and every error that stopped it."""
    if getattr(live, "catalogue", True) is not None:
        return None
    return catalogue_report(live) + "\n" + "\n".join(
        str(p) for p in live.last_problems if p.severity == "error")
