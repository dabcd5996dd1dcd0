"""Live reload: staff save real files while the bot keeps answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from bot.live import LiveCatalogue
from bot.yamlfile import Problem

FOOTBALL = "i want to play football"


class Rejections:
    """Collects what on_rejected was told, as staff would read it."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, problems: list[Problem]) -> None:
        self.calls.append([str(p) for p in problems])


class Clock:
    """A clock the test moves by hand, so settling needs no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_good_edit_is_served_after_poll(make_catalogue: Callable[..., Path]) -> None:
    """A saved reply change is live after the next poll; nothing changes before it."""
    root = make_catalogue()
    live = LiveCatalogue(root, settle=0)
    assert live.engine.respond(FOOTBALL).text == "Here is some sport."
    first_version = live.catalogue.version if live.catalogue else ""
    assert live.poll() is None  # nothing saved yet

    edit(root / "intents" / "sport.yaml", "Here is some sport.", "Football is on Mondays.")
    assert live.engine.respond(FOOTBALL).text == "Here is some sport."  # not until the poll
    result = live.poll()
    assert result is not None and result.changed and not result.errors
    assert live.engine.respond(FOOTBALL).text == "Football is on Mondays."
    assert live.catalogue is not None and live.catalogue.version != first_version
    assert live.last_reload is not None
    assert live.poll() is None


def test_broken_save_keeps_old_version_and_reports_every_error(
        make_catalogue: Callable[..., Path]) -> None:
    """Errors in two files: old version serves, every error is reported once with file:line."""
    root = make_catalogue()
    told = Rejections()
    live = LiveCatalogue(root, told, settle=0)
    old_version = live.catalogue.version if live.catalogue else ""

    edit(root / "intents" / "sport.yaml", "Here is some sport.", "Boxing tonight.")
    edit(root / "intents" / "sport.yaml", "examples:", "exmples:")
    edit(root / "services.yaml", 'opens_at: "18:00"', 'opens_at: "25:00"')
    result = live.poll()

    assert result is not None and not result.changed
    assert live.engine.respond(FOOTBALL).text == "Here is some sport."
    assert live.catalogue is not None and live.catalogue.version == old_version
    assert len(told.calls) == 1
    reported = told.calls[0]
    assert 'intents/sport.yaml:4:1: exmples: unknown field "exmples" (did you mean ' \
           '"examples"?)' in reported
    assert ('services.yaml:19:19: services[0].schedules[0].opens_at: "25:00" is not a time '
            "(use HH:MM, e.g. 18:30)") in reported
    assert [str(p) for p in result.errors] == reported
    assert live.poll() is None and len(told.calls) == 1  # reported once, not every poll

    edit(root / "intents" / "sport.yaml", "exmples:", "examples:")
    edit(root / "services.yaml", 'opens_at: "25:00"', 'opens_at: "18:00"')
    fixed = live.poll()
    assert fixed is not None and fixed.changed
    assert live.engine.respond(FOOTBALL).text == "Boxing tonight."
    assert len(told.calls) == 1


def test_half_written_file_is_not_reported(make_catalogue: Callable[..., Path]) -> None:
    """A file caught mid-save (a YAML syntax error) is waited out, not reported."""
    root = make_catalogue()
    told = Rejections()
    clock = Clock()
    live = LiveCatalogue(root, told, settle=1.0, clock=clock)
    services = root / "services.yaml"
    full = services.read_text(encoding="utf-8").replace("Boxing Club", "Boxing Club Plus")

    services.write_text(full[: full.index("opens_at")] + 'opens_at: "18', encoding="utf-8")
    assert live.poll() is None and live.pending
    clock.now += 0.5
    services.write_text(full, encoding="utf-8")  # the rest of the save lands
    assert live.poll() is None  # a new change: wait for it to settle too
    clock.now += 1.0
    result = live.poll()

    assert result is not None and result.changed
    assert told.calls == []
    assert live.catalogue is not None and "Boxing Club Plus" in {
        s.name for s in live.catalogue.services.values()}
    assert not live.pending


def test_real_time_settle(make_catalogue: Callable[..., Path]) -> None:
    """With the real clock a change is live within settle seconds of the first look."""
    root = make_catalogue()
    live = LiveCatalogue(root, settle=0.2)
    edit(root / "intents" / "sport.yaml", "Here is some sport.", "Sport, live.")
    assert live.poll() is None
    time.sleep(0.25)
    result = live.poll()
    assert result is not None and result.changed
    assert live.engine.respond(FOOTBALL).text == "Sport, live."


def test_broken_file_that_stays_broken_is_reported_after_settling(
        make_catalogue: Callable[..., Path]) -> None:
    """A YAML syntax error still there after settling is reported with file:line."""
    root = make_catalogue()
    told = Rejections()
    clock = Clock()
    live = LiveCatalogue(root, told, settle=1.0, clock=clock)
    edit(root / "services.yaml", "description: Boxing for beginners.",
         "description: Boxing: for beginners.")
    assert live.poll() is None
    clock.now += 1.5
    result = live.poll()
    assert result is not None and not result.changed
    assert told.calls == [[
        "services.yaml:12:24: YAML syntax error: mapping values are not allowed here "
        "(put quotes around text that contains a colon)"]]
    assert live.engine.respond(FOOTBALL).text == "Here is some sport."


def test_message_in_flight_is_answered_by_one_version(
        make_catalogue: Callable[..., Path]) -> None:
    """The engine a message picked up answers it wholly, even if a swap happens meanwhile."""
    root = make_catalogue()
    live = LiveCatalogue(root, settle=0)
    engine = live.engine  # what a channel reads once per message
    edit(root / "intents" / "sport.yaml", "Here is some sport.", "New sport reply.")
    edit(root / "services.yaml", "name: Boxing Club", "name: Boxing Club Two")
    assert live.poll() is not None
    old = engine.respond(FOOTBALL)
    new = live.engine.respond(FOOTBALL)
    assert (old.text, [p.service.name for p in old.services]) == (
        "Here is some sport.", ["Boxing Club"])
    assert (new.text, [p.service.name for p in new.services]) == (
        "New sport reply.", ["Boxing Club Two"])


def test_concurrent_answers_never_mix_versions(make_catalogue: Callable[..., Path]) -> None:
    """While versions A and B swap back and forth, every answer is all A or all B."""
    root = make_catalogue()
    sport = root / "intents" / "sport.yaml"
    services = root / "services.yaml"
    base_sport = sport.read_text(encoding="utf-8")
    base_services = services.read_text(encoding="utf-8")

    def write(version: str) -> None:
        sport.write_text(base_sport.replace("Here is some sport.", f"Sport {version}."),
                         encoding="utf-8")
        services.write_text(base_services.replace("name: Boxing Club",
                                                  f"name: Boxing {version}"), encoding="utf-8")

    write("A")
    live = LiveCatalogue(root, settle=0)
    seen: list[tuple[str, str]] = []
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            reply = live.engine.respond(FOOTBALL)
            seen.append((reply.text, reply.services[0].service.name))
            # A breath between answers: a loop with none starves the reloads of the GIL and,
            # late in a long test session, of time for garbage collection (6 minutes, not 15 s).
            stop.wait(0.002)

    worker = threading.Thread(target=answer)
    worker.start()
    try:
        swaps = 0
        for version in "BABAB":
            write(version)
            result = live.poll()
            swaps += bool(result and result.changed)
            time.sleep(0.02)
    finally:
        stop.set()
        worker.join()
    assert swaps == 5
    assert seen and set(seen) <= {("Sport A.", "Boxing A"), ("Sport B.", "Boxing B")}
    assert seen[-1] == ("Sport B.", "Boxing B")
