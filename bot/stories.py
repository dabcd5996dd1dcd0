"""`signpost evaluate --conversations FILE`: replay multi-turn conversations, Rasa-story style.

A conversations file is a YAML list. Each conversation has an `id`, an optional `now`
(London time, e.g. "2026-11-25T18:30") and `turns`. A turn is one event, as
`signpost chat --json` reads them (`user: text`, `button: action` or `command: name`),
with the expectations it must meet:

    - id: boxing-then-cost
      now: "2026-11-25T18:30"
      turns:
        - user: "boxin 🥊"
          expect:
            intent: sport                  # null or none: no intent
            safety: false
            first_service: knockout-boxing-club
            services_contain: [knockout-boxing-club]
            text_contains: ["boxing"]      # exact, case and all; a string or a list
            text_not_contains: ["Good luck"]  # in any case
        - user: "is it free"
          expect: {text_contains: ["£1"]}

The file may also be a mapping with the list under `conversations:`; `name:` may stand
for `id:`; expectations may also be written directly on the turn.

A turn passes when every expectation it states holds; a conversation passes when all of
its turns do. Each conversation starts with an empty ChatState.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.channels.console import JsonChat, parse_now
from bot.dialogue import Engine
from bot.yamlfile import Problem, YamlDoc, load_yaml

DEFAULT_NOW = "2026-11-25T18:30"  # a Wednesday evening in term time, as the tests use

EVENT_KEYS = {"user": "text", "text": "text", "say": "text", "button": "button",
              "command": "command"}
EXPECT_KEYS = ("intent", "safety", "first_service", "services_contain", "services_exclude",
               "text_contains", "text_not_contains", "buttons_contain", "no_services")
ALIASES = {"services_first": "first_service", "not_contains": "text_not_contains",
           "contains": "text_contains", "services": "services_contain",
           "text_excludes": "text_not_contains"}
NOTE_KEYS = ("note", "notes", "comment", "why")


@dataclass(frozen=True, slots=True)
class Turn:
    kind: str  # text | button | command
    value: str
    expect: dict[str, Any]
    line: int = 0


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    turns: tuple[Turn, ...]
    now: dt.datetime | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class TurnResult:
    story: str
    number: int  # 1-based
    said: str
    problems: tuple[str, ...]
    got: dict[str, Any]
    line: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class StoryReport:
    results: list[TurnResult] = field(default_factory=list)

    @property
    def turn_accuracy(self) -> float:
        return sum(r.ok for r in self.results) / len(self.results) if self.results else 0.0

    def by_story(self) -> dict[str, list[TurnResult]]:
        out: dict[str, list[TurnResult]] = {}
        for r in self.results:
            out.setdefault(r.story, []).append(r)
        return out

    @property
    def conversation_accuracy(self) -> float:
        stories = self.by_story()
        return sum(all(r.ok for r in rs) for rs in stories.values()) / len(stories) \
            if stories else 0.0

    def failures(self) -> list[TurnResult]:
        return [r for r in self.results if not r.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "conversations": len(self.by_story()),
            "turns": len(self.results),
            "turn_accuracy": round(self.turn_accuracy, 4),
            "conversation_accuracy": round(self.conversation_accuracy, 4),
            "failures": [{"conversation": r.story, "turn": r.number, "said": r.said,
                          "line": r.line, "problems": list(r.problems),
                          "got": {k: r.got.get(k) for k in ("intent", "safety", "services")}}
                         for r in self.failures()],
        }

    def as_text(self) -> str:
        stories = self.by_story()
        passed = sum(all(r.ok for r in rs) for rs in stories.values())
        ok_turns = sum(r.ok for r in self.results)
        lines = [
            f"conversations:          {len(stories)} ({passed} passed)",
            f"turns:                  {len(self.results)} ({ok_turns} passed)",
            f"turn accuracy:          {self.turn_accuracy:.3f}",
            f"conversation accuracy:  {self.conversation_accuracy:.3f}",
        ]
        wrong = self.failures()
        if wrong:
            lines += ["", f"failed turns ({len(wrong)}):"]
            for r in wrong:
                got = r.got
                lines.append(f"  {r.story} turn {r.number} (line {r.line}): {r.said!r}")
                lines.append(f"      got intent={got.get('intent')} safety={got.get('safety')}"
                             f" services={got.get('services')}")
                lines += [f"      - {p}" for p in r.problems]
        return "\n".join(lines)


def check_turn(expect: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Every expectation of a turn that the reply `got` does not meet."""
    problems: list[str] = []
    if "error" in got:
        return [f"error: {got['error']}"]
    text = str(got.get("text", ""))
    services: list[str] = list(got.get("services") or [])
    if "intent" in expect:
        want = expect["intent"]
        want = None if want in (None, "none", "null") else want
        if got.get("intent") != want:
            problems.append(f"intent: expected {want}, got {got.get('intent')}")
    if "safety" in expect and bool(got.get("safety")) != bool(expect["safety"]):
        problems.append(f"safety: expected {expect['safety']}, got {got.get('safety')}")
    if "first_service" in expect:
        want_first = expect["first_service"]
        options = want_first if isinstance(want_first, list) else [want_first]
        if not services or services[0] not in options:
            problems.append(f"first service: expected {' or '.join(options)}, got "
                            f"{services[0] if services else 'none'}")
    for sid in _as_list(expect.get("services_contain")):
        if sid not in services:
            problems.append(f"services: expected {sid} among {services}")
    for sid in _as_list(expect.get("services_exclude")):
        if sid in services:
            problems.append(f"services: {sid} should not be shown")
    if expect.get("no_services") and services:
        problems.append(f"services: expected none, got {services}")
    for want_text in _as_list(expect.get("text_contains")):
        if want_text not in text:
            problems.append(f"text: expected to contain {want_text!r}")
    for bad in _as_list(expect.get("text_not_contains")):
        if bad.lower() in text.lower():
            problems.append(f"text: must not contain {bad!r}")
    labels = [str(b.get("label", "")).lower() for b in got.get("buttons") or []]
    for want_button in _as_list(expect.get("buttons_contain")):
        if not any(want_button.lower() in lab for lab in labels):
            problems.append(f"buttons: expected one labelled {want_button!r}")
    return problems


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def replay(engine: Engine, stories: list[Story]) -> StoryReport:
    """Run every conversation from a fresh state and check each turn."""
    report = StoryReport()
    default_now = parse_now(DEFAULT_NOW)
    for story in stories:
        chat = JsonChat(engine, story.now or default_now)
        for n, turn in enumerate(story.turns, 1):
            got = chat.handle({"conversation": story.id, turn.kind: turn.value})
            report.results.append(TurnResult(story.id, n, f"{_prefix(turn.kind)}{turn.value}",
                                             tuple(check_turn(turn.expect, got)), got,
                                             turn.line))
    return report


def _prefix(kind: str) -> str:
    return {"button": "[button] ", "command": "/"}.get(kind, "")


def load_stories(path: Path) -> tuple[list[Story], list[Problem]]:
    """Read a conversations file; every problem names file:line."""
    doc, problems = load_yaml(path, str(path))
    if doc is None:
        return [], problems
    data = doc.data
    base: tuple[str, ...] = ()
    if isinstance(data, dict) and isinstance(data.get("conversations"), list):
        data, base = data["conversations"], ("conversations",)
    if not isinstance(data, list):
        return [], [doc.problem((), "should be a list of conversations",
                                "write - id: name, then turns: with one item per message")]
    stories: list[Story] = []
    seen: set[str] = set()
    for i, conv in enumerate(data):
        path_: tuple[str | int, ...] = (*base, i)
        if not isinstance(conv, dict) or not isinstance(conv.get("turns"), list):
            problems.append(doc.problem(path_, "needs turns: (a list of messages)",
                                        "see the top of tests/data/conversations.yaml"))
            continue
        cid = str(conv.get("id") or conv.get("name") or f"conversation-{i + 1}")
        if cid in seen:
            problems.append(doc.problem((*path_, "id"), f'id "{cid}" is used twice',
                                        "give each conversation its own id"))
            continue
        seen.add(cid)
        now = None
        if "now" in conv:
            try:
                now = parse_now(str(conv["now"]))
            except ValueError as exc:
                problems.append(doc.problem((*path_, "now"), str(exc)))
        turns: list[Turn] = []
        for j, raw in enumerate(conv["turns"]):
            turn = _turn(raw, doc, (*path_, "turns", j), problems)
            if turn is not None:
                turns.append(turn)
        stories.append(Story(cid, tuple(turns), now, doc.pos(path_)[0]))
    return stories, problems


def _turn(raw: Any, doc: YamlDoc, path: tuple[str | int, ...],
          problems: list[Problem]) -> Turn | None:
    if not isinstance(raw, dict):
        problems.append(doc.problem(path, "a turn should be a set of fields",
                                    "write - user: what they type"))
        return None
    events = [k for k in raw if k in EVENT_KEYS]
    if len(events) != 1 or not isinstance(raw[events[0]], str | int):
        problems.append(doc.problem(path, "needs exactly one of user, button, command",
                                    "write - user: what they type"))
        return None
    expect: dict[str, Any] = {}
    fields = {k: (v, (*path, k)) for k, v in raw.items()}
    nested, _ = fields.pop("expect", (None, path))
    if isinstance(nested, dict):  # `expect: {intent: sport}` reads like fields on the turn
        fields.update({k: (v, (*path, "expect", k)) for k, v in nested.items()})
    elif nested is not None:
        problems.append(doc.problem((*path, "expect"), "expect should be a set of fields",
                                    "write expect: {intent: sport, safety: false}"))
    for key, (value, where) in fields.items():
        if key in EVENT_KEYS or key in NOTE_KEYS:
            continue
        name = ALIASES.get(key, key)
        if name not in EXPECT_KEYS:
            problems.append(doc.problem(where, f'unknown expectation "{key}"',
                                        "use one of " + ", ".join(EXPECT_KEYS)))
            continue
        expect[name] = value
    line = doc.pos(path)[0]
    return Turn(EVENT_KEYS[events[0]], str(raw[events[0]]), expect, line)
