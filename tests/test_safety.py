"""The safety screen: every disclosure reaches help, through the engine the channels use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot import routes
from bot.catalogue import load
from bot.catalogue_types import Catalogue, Rules
from bot.cli import main
from bot.dialogue import Engine
from bot.dialogue_replies import third_person_line
from bot.matcher import index_for
from bot.routes import SAFETY_INTENTS
from bot.safety import Screen, floor_screen
from tests.conftest import DATA, WEDNESDAY_EVENING

NOW = WEDNESDAY_EVENING

# Ordinary chatter that should never trigger anything on its own (about 3,000 characters).
CHATTER = ("had football then went to the chicken shop with the mandem, the queue was long "
           "and we talked about the new trainers and what film to watch at the weekend. ") * 20

# One plain disclosure per safety intent, not taken from the held-out sets.
PLAIN = {
    "emergency": "my brother has been stabbed and hes bleeding a lot",
    "self_harm": "i want to kill myself",
    "exploitation": "they said i owe them so now i have to sell for them",
    "threatened": "some boys said theyre gonna stab me after school",
    "abuse_at_home": "my dad hits me when hes been drinking",
    "sexual_harm": "a man i met online keeps asking for nudes and wants to meet",
    "hurting_others": "im going to stab the boy who jumped my cousin",
    "weapon_carrying": "thinking of carrying a blade just in case",
    "running_away": "my mum kicked me out and i have nowhere to sleep tonight",
}


def _rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = yaml.safe_load((DATA / "safety.yaml").read_text())
    return rows


def _replies(cat: Catalogue) -> dict[str, dict[str, str]]:
    return {
        "catalogue": {sid: cat.intents[sid].reply for sid in SAFETY_INTENTS},
        "floor": dict(routes.FLOOR_REPLIES),
    }


# ------------------------------------------------------------------ the proof set


def test_every_disclosure_gets_a_safety_reply_and_few_look_alikes_do(engine: Engine) -> None:
    """Recall is 1.0 and the false-positive rate at most 0.05 on tests/data/safety.yaml."""
    rows = _rows()
    replies = [(r, engine.respond(r["text"], now=NOW)) for r in rows]
    missed = [r["text"] for r, reply in replies if r["intent"] != "none" and not reply.safety]
    harmless = [(r, reply) for r, reply in replies if r["intent"] == "none"]
    alarms = [f'{r["text"]} -> {reply.safety}' for r, reply in harmless if reply.safety]
    assert missed == [], f"missed disclosures: {missed}"
    assert len(alarms) / len(harmless) <= 0.05, f"false alarms: {alarms}"


def test_most_disclosures_get_the_right_kind_of_help(engine: Engine) -> None:
    """At least 90% of disclosures in the proof set get the reply for their own intent."""
    rows = [r for r in _rows() if r["intent"] != "none"]
    wrong = [f'{r["text"]} -> {engine.respond(r["text"], now=NOW).safety} '
             f'(expected {r["intent"]})' for r in rows
             if engine.respond(r["text"], now=NOW).safety != r["intent"]]
    assert len(wrong) <= 0.1 * len(rows), wrong


def test_the_floor_alone_never_fires_on_the_look_alikes() -> None:
    """With no catalogue at all the built-in rules stay quiet on harmless look-alikes."""
    bare = Engine(None)
    alarms = [r["text"] for r in _rows()
              if r["intent"] == "none" and bare.respond(r["text"], now=NOW).safety]
    assert alarms == []


# ------------------------------------------------------------------ the replies


@pytest.mark.parametrize("source", ["catalogue", "floor"])
@pytest.mark.parametrize("intent", SAFETY_INTENTS)
def test_every_safety_reply_carries_its_routes(intent: str, source: str,
                                               shipped: Catalogue) -> None:
    """Each safety reply names its required routes; the emergency reply opens with 999."""
    text = _replies(shipped)[source][intent]
    assert routes.missing_routes(intent, text) == []
    if intent == "emergency":
        assert "999" in text.splitlines()[0]


@pytest.mark.parametrize("intent", SAFETY_INTENTS)
def test_the_young_person_sees_the_catalogue_reply_with_routes(intent: str,
                                                               engine: Engine) -> None:
    """A plain disclosure shows that intent's reply, routes, talk-now, person and hide."""
    r = engine.respond(PLAIN[intent], now=NOW)
    assert r.kind == "safety" and r.safety == intent
    expected = engine.cat.intents[intent].reply  # type: ignore[union-attr]
    if intent == "emergency":  # "my brother ...": the worried-friend line after the 999 line
        first, _, rest = expected.partition("\n")
        expected = f"{first}\n{third_person_line('sibling')}\n{rest}"
    assert r.text == expected
    assert routes.missing_routes(intent, r.text) == []
    assert {"talknow", "human", "hide"} <= {b.action for b in r.buttons}


@pytest.mark.parametrize("source", ["catalogue", "floor"])
def test_replies_follow_child_protection_guidance(source: str, shipped: Catalogue) -> None:
    """No "why" questions, no blame, no promise of secrecy; says it is not their fault."""
    for intent, text in _replies(shipped)[source].items():
        low = text.lower()
        sentences = re.split(r"(?<=[.!?])\s+|\n", low)
        assert not [s for s in sentences if s.strip().startswith("why") and "?" in s], intent
        for promise in ("won't tell", "will not tell", "wont tell", "secret", "confidential",
                        "between us", "nobody will know", "no one will know"):
            assert promise not in low, f"{intent} ({source}) promises secrecy: {promise}"
        assert "not your fault" in low, intent
        assert "right thing" in low, intent


# ------------------------------------------------------------------ safety comes first


def test_safety_first_inside_a_did_you_mean_flow(engine: Engine) -> None:
    """A disclosure typed while a did-you-mean question is pending gets the safety reply."""
    asks = [engine.respond(t, now=NOW) for t in ("music or sport", "music or football",
                                                  "sport or drama", "music or college")]
    question = next(r for r in asks if r.kind == "clarify")
    assert question.state.choices
    r = engine.respond("someone is following me home every day", question.state, now=NOW)
    assert r.kind == "safety" and r.safety == "threatened"
    assert [b.action for b in r.state.choices] == [b.action for b in r.buttons]


def test_safety_first_inside_a_category_menu(engine: Engine) -> None:
    """A disclosure typed after opening a category list gets the safety reply first."""
    listing = engine.act("cat:sport", now=NOW)
    assert listing.kind == "category" and listing.state.choices
    r = engine.respond("my mate got stabbed hes bleeding bad", listing.state, now=NOW)
    assert r.kind == "safety" and r.safety == "emergency"
    assert "999" in r.text.splitlines()[0]


def test_safety_reply_then_the_service_that_was_asked_for(engine: Engine) -> None:
    """A disclosure that also asks for a service: safety reply first, then the answer."""
    r = engine.respond("i want to kill myself but also are there any boxing gyms near me",
                       now=NOW)
    assert r.kind == "safety" and r.safety == "self_harm"
    assert r.then is not None and r.then.intent == "sport" and r.then.services


# ------------------------------------------------------------------ the floor


def test_floor_answers_with_no_catalogue() -> None:
    """With no catalogue, clear disclosures of each kind still get a reply with routes."""
    bare = Engine(None)
    for intent, text in PLAIN.items():
        r = bare.respond(text, now=NOW)
        assert r.safety == intent, text
        assert r.text == routes.FLOOR_REPLIES[intent]
    assert "999" in bare.respond("my friend is not breathing", now=NOW).text.splitlines()[0]


def test_validate_refuses_a_gutted_safety_intent(make_catalogue: Callable[..., Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Emptying self_harm's rules and examples makes `signpost validate` fail and say why."""
    root = make_catalogue("shipped")
    path = root / "intents" / "self_harm.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["rules"] = {}
    doc["examples"] = []
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    code = main(["validate", "--catalogue", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "self_harm" in out and "the bot will not use this catalogue" in out
    cat, _ = load(root)
    assert cat is None


def test_a_gutted_self_harm_intent_still_gets_samaritans_and_999(shipped: Catalogue) -> None:
    """If self_harm is emptied in memory, the floor still answers with its routes."""
    empty = replace(shipped.intents["self_harm"], examples=(), negative_examples=(),
                    keywords=(), rules=Rules(), reply="")
    gutted = replace(shipped, intents={**shipped.intents, "self_harm": empty})
    r = Engine(gutted).respond("i want to kill myself", now=NOW)
    assert r.kind == "safety" and r.safety == "self_harm"
    assert "116 123" in r.text and "999" in r.text


@pytest.mark.parametrize("step", ["matcher", "services", "answer_rest"])
def test_a_crash_in_a_later_step_still_gives_the_emergency_line(
        step: str, shipped: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    """If matching, service picking or the follow-up answer raises, 999 is still shown."""
    broken = Engine(shipped)

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("simulated failure")

    class BrokenIndex:
        normaliser = index_for(shipped).normaliser
        rank = staticmethod(boom)

    if step == "matcher":
        monkeypatch.setattr(broken, "index", BrokenIndex())
    else:
        monkeypatch.setattr(broken, {"services": "_pick_services",
                                     "answer_rest": "_answer_rest"}[step], boom)
    r = broken.respond("my mate got stabbed hes bleeding bad, any boxing near me", now=NOW)
    assert r.safety == "emergency" and "999" in r.text.splitlines()[0]
    r2 = broken.respond("i want to kill myself", now=NOW)
    assert "116 123" in r2.text and "999" in r2.text
    if step != "answer_rest":  # a plain request never reaches _answer_rest
        assert "999" in broken.respond("any boxing near me", now=NOW).text


# ------------------------------------------------------------------ the screen itself


def test_the_screen_is_deterministic(shipped: Catalogue) -> None:
    """Two screens built from the same catalogue give identical verdicts and reasons."""
    a, b = Engine(shipped), Engine(shipped)
    for row in _rows()[::3]:
        assert a.analyse(row["text"])[2] == b.analyse(row["text"])[2]
        assert a.analyse(row["text"])[2] == a.analyse(row["text"])[2]


@pytest.mark.parametrize("where", ["start", "middle", "end", "after 6000 characters"])
def test_a_disclosure_hidden_in_a_long_message_is_caught(where: str, engine: Engine) -> None:
    """A disclosure anywhere inside thousands of characters of chatter still fires."""
    disclosure = " honestly i just want to die. "
    text = {"start": disclosure + CHATTER, "middle": CHATTER[:1500] + disclosure + CHATTER[1500:],
            "end": CHATTER + disclosure,
            "after 6000 characters": CHATTER * 2 + disclosure}[where]
    assert engine.respond(CHATTER, now=NOW).safety is None
    assert engine.respond(text, now=NOW).safety == "self_harm"


def test_exclusions_only_cut_out_their_own_words(engine: Engine) -> None:
    """A harmless idiom does not hide a disclosure elsewhere in the same message."""
    assert engine.respond("we killed it at the showcase", now=NOW).safety is None
    assert engine.respond("lol im dead 💀", now=NOW).safety is None
    assert engine.respond("we killed it at the showcase but after they said theyll stab me",
                          now=NOW).safety == "threatened"
    assert engine.respond("they made a drill track about me saying im next",
                          now=NOW).safety == "threatened"
    assert engine.respond("dead tired and i want to kill myself", now=NOW).safety == "self_harm"


def test_every_verdict_says_why(engine: Engine) -> None:
    """A safety verdict lists the rule or example that fired, for `signpost explain`."""
    verdict = engine.analyse("theyre chasing me with a knife")[2]
    assert verdict.intent == "emergency"
    assert verdict.reasons and all(r.startswith(tuple(SAFETY_INTENTS)) for r in verdict.reasons)
    assert Screen.build(None).screen("hello").reasons == ()
    assert floor_screen("theyre chasing me with a knife").intent == "emergency"


def test_the_safeguarding_guide_quotes_the_replies_young_people_see(shipped: Catalogue) -> None:
    """docs/safeguarding.md quotes every safety reply word for word, so it never falls behind."""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "safeguarding.md").read_text()
    quoted = {line[2:].strip() for line in guide.splitlines() if line.startswith("> ")}
    for sid in SAFETY_INTENTS:
        missing = [line for line in shipped.intents[sid].reply.splitlines()
                   if line.strip() and line.strip() not in quoted]
        assert missing == [], f"docs/safeguarding.md does not quote the {sid} reply: {missing}"


NEW_KINDS = ("abuse_at_home", "sexual_harm", "hurting_others", "weapon_carrying", "running_away")


@pytest.mark.parametrize("sid", NEW_KINDS)
def test_validate_refuses_a_catalogue_without_a_new_safety_intent(
        sid: str, make_catalogue: Callable[..., Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Deleting any of the nine safety intents makes `signpost validate` fail, naming it."""
    root = make_catalogue("shipped")
    (root / "intents" / f"{sid}.yaml").unlink()
    code = main(["validate", "--catalogue", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"safety intent {sid} is missing" in out


@pytest.mark.parametrize("sid", NEW_KINDS)
def test_validate_refuses_a_new_safety_reply_without_its_routes(
        sid: str, make_catalogue: Callable[..., Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    """A reply stripped of its routes is refused: each kind names the routes it needs."""
    root = make_catalogue("shipped")
    path = root / "intents" / f"{sid}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["reply"] = "Thank you for telling me. It is not your fault. You did the right thing."
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    code = main(["validate", "--catalogue", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert sid in out and "999" in out
