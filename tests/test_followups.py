"""Conversations as a young person has them: what was asked, follow-ups, who it's about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from bot.catalogue import LONDON, load, load_or_raise
from bot.catalogue_types import Catalogue
from bot.channels.console import plain_text
from bot.dialogue import ChatState, Engine, Reply
from tests.conftest import WEDNESDAY_EVENING

NOW = WEDNESDAY_EVENING


def talk(engine: Engine, *messages: str, now: dt.datetime = NOW) -> list[Reply]:
    """Send messages one after another in one conversation; return every reply."""
    state, out = ChatState(), []
    for m in messages:
        r = engine.respond(m, state, now=now)
        out.append(r)
        state = r.state
    return out


# ------------------------------------------------------------------ what was asked


def test_the_activity_asked_for_leads(engine: Engine) -> None:
    """'boxin 🥊' shows the boxing club first, and drama, graffiti and studio work alike."""
    for text, first in (("boxin 🥊", "knockout-boxing-club"),
                        ("is there a drama club", "backstage-drama-club"),
                        ("graffiti walthamstow", "spray-and-design-studio"),
                        ("wanna spit bars where can i record", "bars-and-beats-workshop"),
                        ("basketball", "hoops-basketball-nights")):
        r = engine.respond(text, now=NOW)
        assert r.service_ids[0] == first, text


def test_far_events_never_lead_unless_that_time_is_asked(engine: Engine) -> None:
    """A tournament six weeks off doesn't lead 'football'; it does for 'in january'."""
    r = engine.respond("football 5 a side im 17", now=NOW)
    assert r.service_ids[0] == "midnight-football-league"
    jan = engine.respond("any football in january", now=NOW)
    assert jan.service_ids[0] == "new-year-football-tournament"


def test_nothing_fits_is_said_honestly(engine: Engine) -> None:
    """Boxing for an 11-year-old: says there is none, offers others, never the boxing club."""
    r = engine.respond("boxing club for 11 year olds?", now=NOW)
    text = plain_text(r)
    assert "No boxing for age 11" in text
    assert "knockout-boxing-club" not in r.service_ids and r.services


def test_an_activity_filed_elsewhere_still_surfaces(engine: Engine) -> None:
    """Films are drama and art; asking about acting at 20 finds the film crew."""
    r = engine.respond("acting classes im 20", now=NOW)
    assert r.service_ids[0] == "scene-change-film-crew"


# ------------------------------------------------------------------ time and place


def test_place_names_become_districts(engine: Engine) -> None:
    """'walthamstow' alone is E17 and re-answers the last question for that area."""
    _, r = talk(engine, "youth clubs", "chingford")
    assert r.state.district == "E4" and r.text.startswith("Got it: area E4")
    assert r.service_ids[0] == "northfield-youth-hub"
    assert engine.respond("walthamstow", now=NOW).state.district == "E17"


def test_days_pick_sessions_that_run_then(engine: Engine) -> None:
    """'footy friday in tottenham' on a Thursday picks the Friday league."""
    thursday = dt.datetime(2026, 11, 26, 15, 0, tzinfo=LONDON)
    r = engine.respond("footy in tottenham friday, im 19", now=thursday)
    assert r.service_ids[0] == "midnight-football-league"
    assert "runs on Friday" in " ".join(r.notes)


# ------------------------------------------------------------------ follow-ups


def test_follow_ups_answer_from_the_service_shown(engine: Engine) -> None:
    """Cost, number, where, when, age, joining: all from the boxing club's own fields."""
    replies = talk(engine, "boxing e17", "is it free", "whats the number", "where is it",
                   "what days", "is there an age limit", "how do i join")
    cost, phone, where, days, age, join = (plain_text(r) for r in replies[1:])
    assert "£1 a session" in cost
    assert "020 7946 0141" in phone
    assert "E17 6ZX" in where and "openstreetmap.org/?mlat=51.5910&mlon=-0.0220" in where
    assert "Mondays, Wednesdays and Fridays 17:00 to 19:00" in days
    assert "ages 13 to 25" in age
    assert "turn up" in join and "020 7946 0141" in join
    for r in replies[1:]:
        assert r.safety is None and r.intent is None


def test_follow_ups_never_reach_alarming_topics(engine: Engine) -> None:
    """'is it free', 'whats the address', 'idk'-style questions stay on the list shown."""
    for q in ("is it free", "whats the address", "what time does it close", "how much",
              "do i need to book", "can i bring my mate"):
        r = talk(engine, "youth club chingford im 15", q)[1]
        assert r.safety is None and r.intent not in ("mental_health", "report_crime",
                                                     "thanks", "worried_friend"), q


def test_it_with_several_services_answers_each_and_offers_buttons(engine: Engine) -> None:
    """Several shown, none asked for by name: one line each and 'More about' buttons."""
    shown, r = talk(engine, "sport", "how much")
    assert len(shown.services) >= 2
    lines = r.text.splitlines()
    assert len(lines) == len(shown.services) and all(line.startswith("• ") for line in lines)
    assert "£1 a session" in r.text
    assert sum(b.label.startswith("More about") for b in r.buttons) >= 2


def test_the_first_one_and_the_boxing_one(engine: Engine) -> None:
    """'the first one' shows its whole card; 'the boxing one how much' answers for it."""
    first = talk(engine, "youth clubs e10", "the first one")[1]
    assert first.services[0].full and "E10 6ZX" in plain_text(first)
    boxing = talk(engine, "sports in walthamstow", "the boxing one how much")[1]
    assert boxing.text.startswith("Knockout Boxing Club: £1")


def test_more_and_none_of_these(engine: Engine) -> None:
    """'anything else' shows services not yet shown; 'none of these' drops the list."""
    first, more = talk(engine, "boxing", "anything else")
    assert more.service_ids and not set(more.service_ids) & set(first.service_ids)
    none = talk(engine, "dance", "none of these")[1]
    assert none.state.focus == () and not none.services


def test_a_new_topic_is_not_a_follow_up(engine: Engine) -> None:
    """'what about dance then' after boxing is a new question, not about the boxing club."""
    r = talk(engine, "boxing", "what about dance then")[1]
    assert r.intent == "arts" and "move-dance-crew" in r.service_ids


# ------------------------------------------------------------------ who it's about


def test_a_friends_age_is_the_friends(engine: Engine) -> None:
    """'hes 15' after a worried-friend message is the friend's age, not the parent answer."""
    _, r = talk(engine, "im worried about my mate hes been moving different lately",
                    "hes 15")
    assert r.state.subject == "friend" and r.state.subject_age == 15 and r.state.age is None
    assert r.intent == "worried_friend" and "your friend is 15" in r.text
    for p in r.services:
        assert p.service.suits_age(15)


def test_details_about_a_child_stay_with_the_parent_answer(engine: Engine) -> None:
    """A mum's follow-up about her son does not get 'good that you care about your friend'.

    New trainers and money he won't explain are signs of exploitation: she gets that
    reply's routes, spoken to her as a parent."""
    r = talk(engine, "im a mum, worried about my son hes 14 and staying out really late",
             "he has new trainers and money and wont say where from")[1]
    assert r.intent in ("parent", "exploitation") and "your friend" not in r.text
    if r.safety:
        assert "looking out for your child" in r.text and "fearless.org" in r.text


# ------------------------------------------------------------------ chat and insults


def test_small_talk_is_short_with_a_way_back(engine: Engine) -> None:
    """'tell me a joke' gets a short reply and at most four buttons, not the 14-button menu."""
    r = engine.respond("tell me a joke", now=NOW)
    assert r.intent == "smalltalk" and len(r.buttons) <= 4 and len(r.text) < 200


def test_repeated_insults_get_a_calm_boundary(engine: Engine) -> None:
    """The first insult is shrugged off; the second gets a brief boundary; both <= 4 buttons."""
    one, two = talk(engine, "ur shit", "stfu bot")
    assert one.intent == two.intent == "insult"
    assert "bot" in one.text and "won't keep going with insults" in two.text
    assert len(one.buttons) <= 4 and len(two.buttons) <= 4


# ------------------------------------------------------------------ safety in conversations


def test_a_disclosure_split_over_messages_is_caught(
        make_catalogue: Callable[..., Path]) -> None:
    """Neither half fires alone; the two together get the safety reply."""
    eng = Engine(load_or_raise(make_catalogue(), WEDNESDAY_EVENING.date()))
    assert eng.respond("i honestly want to", now=NOW).safety is None
    assert eng.respond("be dead", now=NOW).safety is None
    first, second = talk(eng, "i honestly want to", "be dead")
    assert first.safety is None and second.safety == "self_harm"
    assert len(second.state.recent) == 0  # screened once, then forgotten


def test_only_the_last_three_messages_are_kept(engine: Engine) -> None:
    """The conversation remembers at most three messages, in memory."""
    replies = talk(engine, "hi", "boxing", "is it free", "where is it", "thanks")
    assert len(replies[-1].state.recent) == 3
    assert replies[-1].state.recent[-1] == "thanks"


def test_after_a_safety_reply_the_conversation_stays_gentle(engine: Engine) -> None:
    """'thanks', 'ok', 'but i cant tell anyone' repeat the routes warmly, never 'Good luck'."""
    replies = talk(engine, "honestly i dont wanna be alive anymore", "ok",
                   "but i cant tell anyone", "thanks")
    assert replies[0].safety == "self_harm"
    for r in replies[1:]:
        text = plain_text(r)
        assert "good luck" not in text.lower()
        assert "116 123" in text or "0800 1111" in text
        assert r.safety == "self_harm"


def test_a_new_request_after_safety_is_answered(engine: Engine) -> None:
    """After the safety reply, 'is there boxing in e17' is answered as a request."""
    r = talk(engine, "ive been cutting again", "thanks", "is there boxing in e17 tho")[2]
    assert r.safety is None and "knockout-boxing-club" in r.service_ids


def test_a_disclosure_about_a_friend_gets_friend_wording_and_routes(engine: Engine) -> None:
    """'my friend wants to kill himself': the self-harm routes plus the worried-friend line."""
    r = engine.respond("my friend said he wants to kill himself", now=NOW)
    assert r.safety == "self_harm"
    assert "looking out for your friend" in r.text and "116 123" in r.text


# ------------------------------------------------------------------ phone-sized


def test_lists_are_one_line_per_service(engine: Engine) -> None:
    """Each listed service is a name and one line; the whole card comes on request."""
    r = engine.respond("boxing", now=NOW)
    assert all(not p.full for p in r.services)
    text = plain_text(r)
    assert len(text.splitlines()) <= 12
    card = engine.act("svc:knockout-boxing-club", r.state, now=NOW)
    assert card.services[0].full and "How to join:" in plain_text(card)


# ------------------------------------------------------------------ places.yaml


def test_places_file_mistakes_name_the_line(make_catalogue: Callable[..., Path]) -> None:
    """A bad district or a name used for two districts is an error with file:line."""
    root = make_catalogue()
    (root / "places.yaml").write_text(
        "places:\n"
        "  - name: walthamstow\n"
        "    district: e17 9zz\n"
        "  - name: leyton\n"
        "    district: E10\n"
        "  - name: leytonstone\n"
        "    district: E11\n"
        "    also: [leyton]\n", encoding="utf-8")
    cat, problems = load(root, WEDNESDAY_EVENING.date())
    msgs = [str(p) for p in problems if p.severity == "error"]
    assert cat is None
    assert any(m.startswith("places.yaml:3:") and "district" in m for m in msgs), msgs
    assert any(m.startswith("places.yaml:8:") and "already mapped to E10" in m
               for m in msgs), msgs


def test_shipped_places_map_the_borough(shipped: Catalogue) -> None:
    """The borough's own place names are in the shipped table."""
    for name, district in (("walthamstow", "E17"), ("leyton", "E10"),
                           ("leytonstone", "E11"), ("chingford", "E4"),
                           ("tottenham", "N17")):
        assert shipped.places[name] == district


def test_a_follow_up_with_nothing_shown_asks_which_one(engine: Engine) -> None:
    """'is it free', 'whats the number', 'can i bring my mate' first: no unrelated topic."""
    for q in ("is it free", "whats the number", "what time does it close", "how much",
              "can i bring my mate", "do i need to book"):
        r = engine.respond(q, now=NOW)
        assert r.intent is None and r.safety is None and not r.services, q
        assert r.text.startswith("Which one do you mean?") and len(r.buttons) <= 4, q


def test_a_time_alone_asks_whats_on_then(engine: Engine) -> None:
    """'anything weekends?' lists things that run on Saturday or Sunday."""
    r = engine.respond("anything weekends?", now=NOW)
    assert r.intent == "events" and r.services
    for p in r.services:
        assert any({"SA", "SU"} & set(s.days) for s in p.service.schedules), p.service.id


def test_a_place_alone_lists_what_is_near(engine: Engine) -> None:
    """'walthamstow' as a first message shows things that serve E17."""
    r = engine.respond("walthamstow", now=NOW)
    assert r.state.district == "E17" and r.services
    assert all(p.service.serves_area("E17") for p in r.services)


def test_recent_messages_are_never_stored(engine: Engine, tmp_path: Path) -> None:
    """Logging a turn writes its own redacted text, never the messages kept in ChatState."""
    from bot.store import Store

    _, second = talk(engine, "my secret word is zebracorn", "boxing e17")
    assert second.state.recent[0] == "my secret word is zebracorn"
    store = Store.open(tmp_path)
    assert store.log_turn(store.conversation_ref("web", "x"), "web", "boxing e17", second,
                          at=NOW) is not None
    store.close()
    data = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"boxing" in data and b"zebracorn" not in data


def test_a_long_genuine_message_is_read_clause_by_clause(engine: Engine) -> None:
    """A long message about stress at home gets help with feelings, not 'not sure I got that'."""
    r = engine.respond("honestly things at home have been really stressful lately, my mum and "
                       "stepdad argue all the time and i cant concentrate on anything at "
                       "school and i dont really know who to talk to about it", now=NOW)
    assert r.kind == "answer" and r.intent == "mental_health" and r.services


def test_a_whole_card_is_not_repeated_in_the_next_reply(engine: Engine) -> None:
    """Asking for the same card twice in a row points back to it instead of repeating it."""
    r = engine.respond("boxing", now=NOW)
    card = engine.act("svc:knockout-boxing-club", r.state, now=NOW)
    again = engine.act("svc:knockout-boxing-club", card.state, now=NOW)
    assert card.services and card.services[0].full
    assert not again.services and again.text == "That's the card just above."
    later = engine.act("svc:knockout-boxing-club", engine.respond("hi", again.state,
                                                                  now=NOW).state, now=NOW)
    assert later.services and later.services[0].full
