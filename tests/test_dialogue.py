"""Engine decisions: what a young person is shown for each kind of message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.catalogue import LONDON, load_or_raise
from bot.catalogue_types import Catalogue
from bot.dialogue import ChatState, Engine, crash_reply
from bot.routes import ERROR_REPLY
from tests.conftest import WEDNESDAY_EVENING

NOW = WEDNESDAY_EVENING


def test_signposting_answer_shows_up_to_three_services(engine: Engine) -> None:
    """A clear request gets the intent's reply, services and follow-up buttons."""
    r = engine.respond("any boxing near me", now=NOW)
    assert r.kind == "answer" and r.intent == "sport"
    assert 1 <= len(r.services) <= 3
    assert all("sport" in p.service.categories for p in r.services)
    assert any(b.action == "menu" for b in r.buttons)


def test_age_and_district_filter_services(engine: Engine, shipped: Catalogue) -> None:
    """'im 15 in e17' is remembered and only services for a 15-year-old in E17 appear."""
    r = engine.respond("im 15 in e17 any football", now=NOW)
    assert (r.state.age, r.state.district) == (15, "E17")
    for p in r.services:
        assert p.service.suits_age(15) and p.service.serves_area("E17")
    later = engine.respond("any music stuff", r.state, now=NOW)
    assert later.state.age == 15
    assert all(p.service.suits_age(15) for p in later.services)


def test_details_alone_are_acknowledged_and_reapply_the_last_intent(engine: Engine) -> None:
    """Giving age and area after a question re-runs that question with the filter."""
    first = engine.respond("anything for dance", now=NOW)
    r = engine.respond("im 17 in e10", first.state, now=NOW)
    assert r.text.startswith("Got it: age 17 and area E10.")
    assert r.intent == first.intent


def test_m8_is_a_mate_not_a_postcode(engine: Engine) -> None:
    """Only London districts are taken as areas."""
    r = engine.respond("me and my m8 want to play football", now=NOW)
    assert r.state.district is None


def test_past_events_are_never_shown(engine: Engine, shipped: Catalogue) -> None:
    """An event whose dates have passed does not appear, even in its category."""
    past = [s.id for s in shipped.services.values() if s.is_past(NOW.date())]
    assert past
    shown: list[str] = []
    for text in ("whats on", "any events coming up", "any shows"):
        shown += engine.respond(text, now=NOW).service_ids
    for cat in {c for s in past for c in shipped.services[s].categories}:
        shown += [p.service.id for p in engine.act(f"cat:{cat}", now=NOW).services]
    assert not set(past) & set(shown)


def test_open_now_services_come_first(engine: Engine, shipped: Catalogue) -> None:
    """Among equally relevant services, one open right now is listed first."""
    r = engine.act("cat:sport", now=NOW)
    flags = [p.open_now for p in r.services]
    assert flags == sorted(flags, reverse=True)


def test_no_match_gets_fallback_with_menu_and_human(engine: Engine) -> None:
    """Gibberish gets a friendly fallback, the menu and a human route: no dead end."""
    r = engine.respond("qwpoeiru zxmcnv", now=NOW)
    assert r.kind == "fallback" and r.intent is None
    assert "999" in r.text
    actions = [b.action for b in r.buttons]
    assert "human" in actions and any(a.startswith("cat:") for a in actions)


@pytest.fixture
def twin_engine(make_catalogue: Callable[..., Path]) -> Engine:
    """Sport and music with mirror-image examples, so 'play club' ties exactly."""
    root = make_catalogue()
    for name, word in (("sport", "sport"), ("music", "music")):
        path = root / "intents" / f"{name}.yaml"
        text = path.read_text()
        start, end = text.index("examples:"), text.index("reply:")
        path.write_text(text[:start] + f"examples:\n  - play {word}\n  - {word} club\n"
                        + text[end:])
    (root / "settings.yaml").write_text("match_threshold: 10\nambiguity_margin: 4\n"
                                        "menu: [sport, music]\n")
    return Engine(load_or_raise(root, today=NOW.date()))


def test_ambiguous_message_asks_did_you_mean(twin_engine: Engine) -> None:
    """When two intents are neck and neck the engine asks which one, with buttons."""
    r = twin_engine.respond("play club", now=NOW)
    assert r.kind == "clarify"
    # The twins tie exactly, so either may be named first.
    assert r.text in ("Did you mean Music or Sport?", "Did you mean Sport or Music?")
    actions = [b.action for b in r.buttons]
    assert sorted(actions[:2]) == ["intent:music", "intent:sport"] and actions[2] == "menu"
    picked = twin_engine.act("intent:sport", r.state, now=NOW)
    assert picked.intent == "sport" and picked.text == "Here is some sport."


def test_typed_number_picks_a_button(twin_engine: Engine) -> None:
    """Typing '2' after a did-you-mean question picks the second choice."""
    question = twin_engine.respond("play club", now=NOW)
    r = twin_engine.respond("2", question.state, now=NOW)
    assert r.kind == "answer" and f"intent:{r.intent}" == question.buttons[1].action


def test_safety_comes_first_and_the_request_is_still_answered(engine: Engine) -> None:
    """A disclosure plus a request: safety reply first, then the answer."""
    r = engine.respond("they make me sell for them, can u help me find a job", now=NOW)
    assert r.kind == "safety" and r.safety == "exploitation"
    assert r.then is not None and r.then.intent == "education"


def test_safety_interrupts_a_did_you_mean_flow(engine: Engine) -> None:
    """A disclosure typed while choices are pending still gets the safety reply."""
    menu = engine.command("services", now=NOW)
    r = engine.respond("i want to kill myself", menu.state, now=NOW)
    assert r.kind == "safety" and r.safety == "self_harm"


def test_safety_reply_offers_talk_now_human_and_hide(engine: Engine) -> None:
    """Every safety reply carries talk-now, a person, and hide-this-chat buttons."""
    r = engine.respond("someone got stabbed outside my house", now=NOW)
    assert r.safety == "emergency"
    assert r.text.splitlines()[0].count("999") == 1
    actions = [b.action for b in r.buttons]
    assert {"talknow", "human", "hide"} <= set(actions)


def test_talk_now_lists_only_routes_open_now(engine: Engine, shipped: Catalogue) -> None:
    """At 3am only 24/7 lines are offered; partnership drop-ins by their schedule."""
    night = dt.datetime(2026, 11, 26, 3, 0, tzinfo=LONDON)
    r = engine.act("talknow", now=night)
    assert r.services
    assert all(p.service.open_24_7 for p in r.services)
    evening = engine.act("talknow", now=NOW)
    assert not evening.services[0].service.open_24_7
    assert evening.services[0].service.is_open(NOW)


def test_old_or_unknown_button_gets_the_menu(engine: Engine) -> None:
    """A button from a previous catalogue version still gets a sensible answer."""
    r = engine.act("cat:no-longer-exists", now=NOW)
    assert r.kind == "menu" and r.buttons
    r2 = engine.act("zzz:whatever", now=NOW)
    assert "out of date" in r2.text


def test_more_like_this_pages_through_services(engine: Engine) -> None:
    """'More like this' shows the next services, not the same ones."""
    first = engine.act("cat:sport", now=NOW)
    more = [b for b in first.buttons if b.label == "More like this"]
    assert more
    second = engine.act(more[0].action, first.state, now=NOW)
    assert not {p.service.id for p in first.services} & {p.service.id for p in second.services}


def test_location_gives_nearest_services(engine: Engine) -> None:
    """A shared location orders services by distance."""
    state = ChatState(location=(51.583, -0.02))
    r = engine.nearest(state, now=NOW)
    d = [p.distance_km for p in r.services]
    assert d and all(x is not None for x in d) and d == sorted(d)  # type: ignore[type-var]


def test_start_command_says_bot_privacy_and_999(engine: Engine) -> None:
    """/start says it's a bot, the privacy line, 999 and shows the menu."""
    r = engine.command("start", now=NOW)
    assert "bot" in r.text and "999" in r.text and "/privacy" in r.text
    assert any(b.action.startswith("cat:") for b in r.buttons)


def test_privacy_command_mentions_staff(engine: Engine) -> None:
    """/privacy says plainly that trained staff may see messages about danger."""
    assert "staff" in engine.command("privacy", now=NOW).text.lower()


def test_engine_crash_still_gives_999(engine: Engine, monkeypatch: object) -> None:
    """If matching raises, the reply still carries 999 and a human route."""
    broken = Engine(engine.cat)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("simulated failure")

    broken.analyse = boom  # type: ignore[method-assign]
    r = broken.respond("any football")
    assert r.kind == "error" and r.text == ERROR_REPLY and "999" in r.text
    r2 = broken.respond("i want to kill myself")
    assert r2.kind == "safety" and "116 123" in r2.text


def test_no_catalogue_still_answers_danger() -> None:
    """With no catalogue at all the floor recognises danger and answers with 999."""
    bare = Engine(None)
    r = bare.respond("my mate has been stabbed hes bleeding loads")
    assert r.safety == "emergency" and "999" in r.text.splitlines()[0]
    r2 = bare.respond("hello")
    assert "999" in r2.text


def test_crash_reply_for_empty_text() -> None:
    """The crash reply for a non-text failure is the error reply with 999."""
    assert "999" in crash_reply("", ChatState()).text


def test_engine_failure_log_has_no_message_text(engine: Engine,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """When the engine fails, the log names the failure but never the young person's words."""
    broken = Engine(engine.cat)

    def boom(text: str) -> None:
        raise ValueError(f"could not parse {text!r}")

    broken.analyse = boom  # type: ignore[method-assign,assignment]
    with caplog.at_level("DEBUG"):
        broken.respond("my secret words 07700 900123")
    assert "ValueError" in caplog.text and "engine failed on a message" in caplog.text
    assert "secret words" not in caplog.text and "07700" not in caplog.text


def test_age_phrasings_are_understood(engine: Engine) -> None:
    """'im 16', '16 yo', 'age 16', '16 year olds' all set the age to 16."""
    for text in ("im 16 any football", "16 yo looking for a job", "age 16 any music",
                 "anything for 16 year olds", "i'm 16", "16yo"):
        assert engine.respond(text, now=NOW).state.age == 16, text


def test_known_details_replace_the_question_about_them(engine: Engine) -> None:
    """Once age and area are known the reply stops asking for them and says who it's for."""
    r = engine.respond("im 17 from e17 wanna do some boxing", now=NOW)
    assert "Tell me your age" not in r.text
    assert r.text.endswith("Picked for age 17 in E17.")


def test_talk_now_is_short_and_never_lists_999_as_a_chat(engine: Engine) -> None:
    """'Talk to someone now' lists at most four routes, one local worker first, no 999 card."""
    r = engine.act("talknow", now=NOW)
    ids = [p.service.id for p in r.services]
    assert 1 <= len(ids) <= 4 and "emergency-999" not in ids
    assert not r.services[0].service.open_24_7  # a partnership worker is open at 18:30
    assert "999" in r.text


def test_matcher_failure_keeps_the_catalogue_safety_rules(engine: Engine) -> None:
    """If ranking crashes, catalogue rules still pick the safety reply, with its services."""
    broken = Engine(engine.cat)

    class BrokenIndex:
        normaliser = engine.index.normaliser  # type: ignore[union-attr]

        def rank(self, *_a: object) -> None:
            raise RuntimeError("simulated failure")

    broken.index = BrokenIndex()  # type: ignore[assignment]
    r = broken.respond("they said i owe them so now i gotta do runs for them", now=NOW)
    assert r.kind == "safety" and r.safety == "exploitation"
    assert "0800 1111" in r.text and r.services
