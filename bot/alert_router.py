"""Every safety alert to every configured route, none waiting on another.

The rate limit (`bot.alerts.AlertLimiter`: one alert per conversation per 10 minutes plus
a count) is applied once, by whoever raises the alert, before it gets here. The router
then fans it out:

    AlertRouter.post(alert)     returns at once: the alert is put on each sink's own queue
      ├── lane "Telegram staff group"   its own task: sink.post(alert), at most `timeout` s
      └── lane "email to ..."           its own task: sink.post(alert) (which spools to disk)

A sink that raises, hangs or is slow only ever delays its own lane: never a reply to the
young person and never another sink. A failed delivery is logged as an ERROR naming the
sink and the conversation reference, never the message.

When no sink is configured at all, `no_route_job` logs an ERROR at start and every hour,
so a deployment that tells nobody is never silent about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from bot.alerts import OVERFLOW_REF, Alert, AlertSink

log = logging.getLogger(__name__)

QUEUE_SIZE = 1000  # alerts waiting per sink in memory; the email sink also keeps a disk queue
SINK_TIMEOUT = 60.0  # seconds one delivery may take before its lane moves on
NO_ROUTE = "safety alerts go nowhere: set SIGNPOST_ALERT_CHAT_ID or SIGNPOST_ALERT_EMAIL_TO"
NO_ROUTE_EVERY = 3600.0  # seconds between the "no route" ERRORs
TEST_INTENT = "test"  # the intent of `signpost check --send-test-alert`'s alert
TEST_REF = "c-test"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a test alert on one sink."""

    sink: str
    ok: bool
    detail: str  # "sent", or why not, written for the operator


@dataclass(slots=True)
class _Lane:
    sink: AlertSink
    queue: asyncio.Queue[Alert]
    task: asyncio.Task[None] | None = None
    busy: bool = False  # an alert is being handed to the sink right now
    overflow: Counter[str] = field(default_factory=Counter)  # kinds that found it full
    latest: Alert | None = None  # the newest of those


def make_test_alert(now: dt.datetime | None = None) -> Alert:
    """The alert `signpost check --send-test-alert` sends: says it is a test, names nobody."""
    return Alert(TEST_REF, TEST_INTENT, now or dt.datetime.now(dt.UTC),
                 "This is a test alert from 'signpost check --send-test-alert'. Nobody needs "
                 "help: it shows that safety alerts reach you by this route.")


def is_test(alert: Alert) -> bool:
    return alert.intent == TEST_INTENT and alert.ref == TEST_REF


def format_test(alert: Alert) -> str:
    """The plain text of a test alert (for sinks that do not format alerts themselves)."""
    return "Signpost TEST alert (no action needed)\n" + alert.message


class AlertRouter:
    """Fans each alert out to every sink; each sink has its own queue and task."""

    name = "every alert route"

    def __init__(self, sinks: Iterable[AlertSink] = (), *, timeout: float = SINK_TIMEOUT,
                 queue_size: int = QUEUE_SIZE) -> None:
        self.timeout = timeout
        self.queue_size = queue_size
        self._lanes: list[_Lane] = []
        self._retired: list[_Lane] = []  # removed sinks still finishing what they were given
        for sink in sinks:
            self.add(sink)

    @property
    def sinks(self) -> list[AlertSink]:
        return [lane.sink for lane in self._lanes]

    def add(self, sink: AlertSink) -> None:
        """Route alerts to this sink too (e.g. the Telegram group once the bot has started)."""
        if any(lane.sink is sink for lane in self._lanes):
            return
        self._lanes.append(_Lane(sink, asyncio.Queue(self.queue_size)))

    def remove(self, sink: AlertSink) -> None:
        """Route no new alerts to this sink; what it was already given is still delivered."""
        for lane in [x for x in self._lanes if x.sink is sink]:
            self._lanes.remove(lane)
            self._retired.append(lane)

    async def post(self, alert: Alert) -> None:
        """Queue the alert for every sink and return at once (an AlertSink itself)."""
        self.send(alert)

    def send(self, alert: Alert) -> None:
        """Queue the alert for every sink; needs a running event loop.

        A full queue (a route far slower than the disclosures arriving) keeps what it holds
        and counts the rest: they reach the route as one summary as soon as there is room.
        Every alert is a safety turn in the log, so the console's safety queue has them all.
        """
        for lane in self._lanes:
            if lane.queue.full():
                lane.overflow[alert.intent] += 1
                lane.latest = alert
                waiting = lane.overflow.total()
                if waiting == 1 or waiting % 100 == 0:
                    log.error("the queue of safety alerts for %s is full (%d waiting): %d "
                              "more will be sent as one summary; all are in the console's "
                              "safety queue", lane.sink.name, lane.queue.qsize(), waiting)
            else:
                lane.queue.put_nowait(alert)
            if lane.task is None or lane.task.done():
                lane.task = asyncio.create_task(self._work(lane),
                                                name=f"signpost-alerts-{lane.sink.name}")

    @staticmethod
    def _summarise_overflow(lane: _Lane) -> None:
        if lane.overflow and lane.latest is not None and not lane.queue.full():
            kinds = sorted(lane.overflow.items(), key=lambda kv: (kv[0] != "emergency", -kv[1]))
            by_kind = "By kind: " + ", ".join(f"{n} {k}" for k, n in kinds) + "."
            lane.queue.put_nowait(Alert(OVERFLOW_REF, kinds[0][0], lane.latest.at, by_kind,
                                        further=lane.overflow.total(), summary=True))
            lane.overflow, lane.latest = Counter(), None

    async def _work(self, lane: _Lane) -> None:
        while True:
            alert = await lane.queue.get()
            lane.busy = True
            try:
                await asyncio.wait_for(lane.sink.post(alert), self.timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                log.error("could not post a safety alert for %s through %s: no answer "
                          "within %.0f s", alert.ref, lane.sink.name, self.timeout)
            except Exception as exc:  # no traceback: it could quote the alert
                log.error("could not post a safety alert for %s through %s (%s)", alert.ref,
                          lane.sink.name, type(exc).__name__)
            finally:
                lane.busy = False
                lane.queue.task_done()
                self._summarise_overflow(lane)

    async def start(self) -> None:
        """Let sinks that keep work on disk pick it up (e.g. emails a crash left unsent)."""
        for sink in self.sinks:
            start = getattr(sink, "start", None)
            if start is not None:
                await start()

    async def drain(self, timeout: float) -> bool:
        """Wait until every queued alert has been handed to its sink; False on timeout."""
        waits = [lane.queue.join() for lane in (*self._lanes, *self._retired)]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, grace: float = 5.0) -> None:
        """Give queued alerts `grace` seconds, then stop every lane and every sink."""
        lanes = [*self._lanes, *self._retired]
        if not await self.drain(grace):
            left = sum(lane.queue.qsize() + lane.busy for lane in lanes)
            log.error("stopping with %d safety alert(s) not handed to their route", left)
        self._retired = []
        for lane in lanes:
            if lane.task is not None:
                lane.task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await lane.task
                lane.task = None
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    await close()

    async def test(self, alert: Alert | None = None, timeout: float = 30.0) -> list[Outcome]:
        """Deliver a test alert through every sink now, side by side; what happened to each."""
        alert = alert or make_test_alert()

        async def one(sink: AlertSink) -> Outcome:
            deliver: Callable[[Alert], Awaitable[None]] = getattr(sink, "send_now", sink.post)
            try:
                await asyncio.wait_for(deliver(alert), timeout)
            except TimeoutError:
                return Outcome(sink.name, False, f"no answer within {timeout:.0f} seconds")
            except Exception as exc:
                return Outcome(sink.name, False, describe_error(exc))
            return Outcome(sink.name, True, "sent")

        return list(await asyncio.gather(*(one(s) for s in self.sinks)))


def describe_error(exc: BaseException) -> str:
    """A one-line reason for the operator (the message may hold a server's reply)."""
    from bot.logsafe import redact_secrets

    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return redact_secrets(f"{name}: {text}" if text else name)[:300]


async def no_route_job(router: AlertRouter, every: float = NO_ROUTE_EVERY) -> None:
    """Log an ERROR now and every `every` seconds for as long as no alert sink is set up."""
    while True:
        if not router.sinks:
            log.error(NO_ROUTE)
        await asyncio.sleep(every)
