"""The session layer with no channel at all: a list stands in for the screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot import routes
from bot.alerts import Alert
from bot.live import LiveCatalogue
from bot.session import SLOW_DOWN, Event, FloodPolicy, Outgoing, Session
from bot.store import AsyncStore
from tests.conftest import RecordingSink, broken_live, logged_turns

WINDOW = 0.15  # a short burst window keeps the tests quick


@dataclass
class Screen:
    """A channel that only remembers what it was asked to show."""

    name: str = "test"
    shown: list[tuple[str, Outgoing]] = field(default_factory=list)

    async def send(self, key: str, out: Outgoing) -> None:
        self.shown.append((key, out))

    def texts(self) -> list[str]:
        return [out.reply.text for _, out in self.shown]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[AsyncStore]:
    s = await AsyncStore.open(tmp_path / "data", "x" * 32)
    yield s
    await s.close()


async def test_a_message_is_answered_at_once_and_logged(live: LiveCatalogue, tmp_path: Path,
                                                        store: AsyncStore) -> None:
    """A first message gets the engine's answer straight away; the turn is logged."""
    session = Session(live, store, burst_window=WINDOW)
    screen = Screen()
    status = await session.handle(screen, "k1", Event("text", "any football near me"))
    assert status == "answered"
    [(key, out)] = screen.shown
    assert key == "k1" and out.reply.services and out.reply.intent == "sport"
    assert out.turn is not None and isinstance(await out.turn, int)
    await session.close()
    [row] = logged_turns(tmp_path / "data")
    assert row["channel"] == "test" and row["intent"] == "sport"
    assert row["ref"].startswith("c-") and "k1" not in row["ref"]


async def test_a_burst_is_one_turn(live: LiveCatalogue, tmp_path: Path,
                                   store: AsyncStore) -> None:
    """Three messages in quick succession: the first answered, the next two as one turn."""
    session = Session(live, store, burst_window=WINDOW)
    screen = Screen()
    assert await session.handle(screen, "k", Event("text", "hi")) == "answered"
    assert await session.handle(screen, "k", Event("text", "any football")) == "held"
    assert await session.handle(screen, "k", Event("text", "near me?")) == "held"
    assert len(screen.shown) == 1
    await asyncio.sleep(WINDOW * 3)
    assert len(screen.shown) == 2
    merged = screen.shown[1][1]
    assert merged.merged == 2 and merged.reply.intent == "sport"
    await session.close()
    logged = [r["text"] for r in logged_turns(tmp_path / "data")]
    assert logged == ["hi", "any football\nnear me?"]


async def test_a_held_disclosure_is_answered_at_once(live: LiveCatalogue) -> None:
    """A disclosure arriving in a burst is not kept waiting: safety reply first."""
    session = Session(live, burst_window=10.0)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "hello"))
    await session.handle(screen, "k", Event("text", "so basically"))
    status = await session.handle(screen, "k", Event("text", "they stabbed my friend hes "
                                                             "bleeding"))
    assert status == "answered"
    safety = screen.shown[-1][1].reply
    assert safety.kind == "safety" and "999" in safety.text.split("\n")[0]
    assert screen.shown[-1][1].merged == 2
    await session.close()


async def test_a_burst_is_answered_within_max_hold(live: LiveCatalogue) -> None:
    """Someone who keeps sending every half window still gets an answer by max_hold."""
    session = Session(live, burst_window=WINDOW, max_hold=WINDOW * 2)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "hi"))
    for n in range(6):
        await session.handle(screen, "k", Event("text", f"music {n}"))
        await asyncio.sleep(WINDOW / 2)
    assert len(screen.shown) >= 2, "the held messages were answered before the typing stopped"
    await asyncio.sleep(WINDOW * 3)
    assert sum(out.merged for _, out in screen.shown) == 7, "every message was answered"
    await session.close()


async def test_flood_limit_tells_once_and_never_drops_safety(live: LiveCatalogue) -> None:
    """25 messages in a minute: 20 answered, one 'slow down', the disclosure answered."""
    clock = Clock()
    session = Session(live, flood=FloodPolicy(per_minute=20), burst_window=0.0, clock=clock)
    screen = Screen()
    statuses = []
    for n in range(24):
        clock.t += 1.0
        statuses.append(await session.handle(screen, "k", Event("text", f"music {n}")))
    clock.t += 1.0
    danger = await session.handle(screen, "k", Event("text", "i want to kill myself"))
    assert statuses.count("answered") == 20 and statuses.count("skipped") == 4
    assert danger == "answered"
    texts = screen.texts()
    assert texts.count(SLOW_DOWN) == 1 and "999" in SLOW_DOWN
    assert "116 123" in texts[-1]
    clock.t += 61.0  # a minute later the conversation is answered normally again
    assert await session.handle(screen, "k", Event("text", "music")) == "answered"
    await session.close()


async def test_normal_fast_typing_is_not_limited(live: LiveCatalogue) -> None:
    """Fifteen messages in a minute is a chatty person, not abuse: all answered."""
    clock = Clock()
    session = Session(live, burst_window=0.0, clock=clock)
    screen = Screen()
    for n in range(15):
        clock.t += 4.0
        assert await session.handle(screen, "k", Event("text", f"football {n}")) == "answered"
    assert SLOW_DOWN not in screen.texts()
    await session.close()


async def test_engine_crash_gives_999_and_a_scrubbed_trace(
        live: LiveCatalogue, caplog: pytest.LogCaptureFixture) -> None:
    """A crashing engine: the crash reply (or the floor's safety reply); no text logged."""

    broken = broken_live(live)
    session = Session(broken, burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "secret-key-1", Event("text", "any football near me"))
    await session.handle(screen, "secret-key-1", Event("text", "i want to kill myself"))
    plain, danger = screen.texts()
    assert plain == routes.ERROR_REPLY
    assert "116 123" in danger and "999" in danger
    assert "boom on [message text]" in caplog.text
    assert "football" not in caplog.text and "secret-key-1" not in caplog.text
    await session.close()


async def test_alerts_go_through_every_sink_once_per_window(live: LiveCatalogue) -> None:
    """A disclosure alerts each sink once, redacted, with the reference and no key."""
    sinks = [RecordingSink("a"), RecordingSink("b")]
    session = Session(live, sinks=list(sinks), burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "tok-abc", Event("text", "i want to kill myself, ring me "
                                                          "on 07700 900123"))
    await session.handle(screen, "tok-abc", Event("text", "i really want to end it all"))
    await session.close()
    for sink in sinks:
        [alert] = sink.posted
        assert alert.intent == "self_harm" and alert.ref.startswith("c-")
        assert "kill myself" in alert.message and "900123" not in alert.message
        assert "tok-abc" not in alert.ref


async def test_a_failing_sink_does_not_stop_the_others(live: LiveCatalogue) -> None:
    """One sink raising is logged; the next sink still gets the alert."""

    class Down:
        name = "down"

        async def post(self, alert: Alert) -> None:
            raise ConnectionError("network down")

    ok = RecordingSink()
    session = Session(live, sinks=[Down(), ok], burst_window=0.0)
    await session.handle(Screen(), "k", Event("text", "someone pulled a knife on me"))
    await session.close()
    assert len(ok.posted) == 1


async def test_forget_erases_the_log_and_the_memory(live: LiveCatalogue, tmp_path: Path,
                                                    store: AsyncStore) -> None:
    """forget: every turn of this conversation erased, age and area forgotten."""
    session = Session(live, store, burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "im 15 in e17 any football"))
    await session.handle(screen, "other", Event("text", "any music"))
    conv = session.conversation("test", "k")
    assert conv.state.age == 15
    text = await session.forget(conv)
    assert "erased 1 message(s)" in text and conv.state.age is None
    await session.close()
    assert [r["text"] for r in logged_turns(tmp_path / "data")] == ["any music"]


async def test_feedback_only_on_this_conversations_turn(live: LiveCatalogue, tmp_path: Path,
                                                        store: AsyncStore) -> None:
    """Feedback is stored against the turn, and another conversation cannot set it."""
    session = Session(live, store, burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "any football near me"))
    assert screen.shown[0][1].turn is not None
    turn_id = await screen.shown[0][1].turn
    assert not await session.feedback(session.conversation("test", "x"), turn_id, False)
    assert await session.feedback(session.conversation("test", "k"), turn_id, True)
    await session.close()
    assert logged_turns(tmp_path / "data")[0]["helpful"] == 1


async def test_buttons_commands_and_old_buttons(live: LiveCatalogue) -> None:
    """A category button lists services; an unknown button gets the menu; /start welcomes."""
    session = Session(live, burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "k", Event("command", "start"))
    cat = next(b.action for b in screen.shown[0][1].reply.buttons if b.action.startswith("cat:"))
    await session.handle(screen, "k", Event("button", cat))
    await session.handle(screen, "k", Event("button", "svc:retired-long-ago"))
    start, listed, old = (out.reply for _, out in screen.shown)
    assert "bot" in start.text and "999" in start.text
    assert listed.services
    assert "out of date" in old.text and any(b.action.startswith("cat:") for b in old.buttons)
    await session.close()


async def test_a_location_is_used_once_and_never_kept(live: LiveCatalogue) -> None:
    """A shared location gives the nearest services; the conversation does not keep it."""
    session = Session(live, burst_window=0.0)
    screen = Screen()
    await session.handle(screen, "k", Event("location", location=(51.58341, -0.01977)))
    reply = screen.shown[0][1].reply
    assert "nearest" in reply.text and reply.services
    assert session.conversation("test", "k").state.location is None
    await session.close()


async def test_a_button_answers_a_held_burst_first(live: LiveCatalogue) -> None:
    """Held messages are answered before a button pressed after them, in order."""
    session = Session(live, burst_window=10.0)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "hi"))
    await session.handle(screen, "k", Event("text", "any football"))
    await session.handle(screen, "k", Event("button", "menu"))
    kinds = [out.reply.kind for _, out in screen.shown]
    assert len(kinds) == 3 and kinds[-1] == "menu"
    assert screen.shown[1][1].reply.intent == "sport"
    await session.close()


async def test_without_a_store_references_are_still_pseudonymous(live: LiveCatalogue) -> None:
    """No store: the conversation reference is a keyed hash, stable within the process."""
    session = Session(live)
    a = session.conversation("web", "token-1")
    assert a.ref.startswith("c-") and "token" not in a.ref
    assert session.conversation("web", "token-1") is a
    assert session.conversation("telegram", "token-1").ref != a.ref
    await session.close()


async def test_closing_answers_held_bursts(live: LiveCatalogue) -> None:
    """A server stopping answers what is held instead of dropping it."""
    session = Session(live, burst_window=30.0)
    screen = Screen()
    await session.handle(screen, "k", Event("text", "hi"))
    assert await session.handle(screen, "k", Event("text", "any football")) == "held"
    await session.close()
    assert len(screen.shown) == 2 and screen.shown[1][1].reply.intent == "sport"


async def test_closing_does_not_wait_forever_for_alerts(
        live: LiveCatalogue, caplog: pytest.LogCaptureFixture) -> None:
    """An alert sink stuck behind a rate limit: closing gives up after the grace period."""

    class Stuck:
        name = "stuck"

        async def post(self, alert: Alert) -> None:
            await asyncio.sleep(3600)

    session = Session(live, sinks=[Stuck()], burst_window=0.0)
    await session.handle(Screen(), "k", Event("text", "i want to kill myself"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await session.close(grace=0.2)
    assert loop.time() - started < 2.0
    assert "stopping with 1 safety alert(s) not handed to their route" in caplog.text


async def test_idle_conversations_are_forgotten(live: LiveCatalogue) -> None:
    """After two hours of quiet a conversation's memory (age, area) goes; active ones stay."""
    clock = Clock()
    session = Session(live, burst_window=0.0, clock=clock)
    screen = Screen()
    await session.handle(screen, "quiet", Event("text", "im 15 in e17 any football"))
    clock.t += 3600
    await session.handle(screen, "busy", Event("text", "any music"))
    clock.t += 3601
    assert session.expire_idle() == 1
    assert session.find("test", "quiet") is None and session.find("test", "busy") is not None
    assert session.conversation("test", "quiet").state.age is None
    await session.close()
