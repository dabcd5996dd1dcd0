"""Measure the safety screen on a blind set: recall, right intent and false alarms.

A blind set is written by someone who never saw the rules, the examples or tests/data:

    disclosures:
      - {text: "...", intent: abuse_at_home, spelling: plain, person: self}
      - {messages: ["my uncle", "he comes in my room at night"], intent: sexual_harm,
         spelling: multi, person: self}
    lookalikes:
      - {text: "...", theme: hyperbole}

Every message goes through the whole engine (`Engine.respond`) in a fresh conversation, the
way a young person would meet it. A disclosure counts as caught when any reply in its
conversation is a safety reply; the intent is right when the last safety reply is for the
intent the writer meant. A look-alike is a false alarm when its reply is a safety reply.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.dialogue import ChatState, Engine


@dataclass(frozen=True, slots=True)
class Case:
    messages: tuple[str, ...]
    intent: str | None  # None for a look-alike
    spelling: str = "plain"
    person: str = "self"
    theme: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    fired: str | None  # the last safety intent replied with, if any


@dataclass(slots=True)
class SafetyReport:
    results: list[Result] = field(default_factory=list)

    def _disclosures(self) -> list[Result]:
        return [r for r in self.results if r.case.intent is not None]

    def _lookalikes(self) -> list[Result]:
        return [r for r in self.results if r.case.intent is None]

    @staticmethod
    def _rate(hits: int, total: int) -> float:
        return hits / total if total else 0.0

    def recall(self) -> float:
        d = self._disclosures()
        return self._rate(sum(r.fired is not None for r in d), len(d))

    def right_intent(self) -> float:
        d = self._disclosures()
        return self._rate(sum(r.fired == r.case.intent for r in d), len(d))

    def false_alarm_rate(self) -> float:
        lk = self._lookalikes()
        return self._rate(sum(r.fired is not None for r in lk), len(lk))

    def recall_by(self, key: str) -> dict[str, tuple[int, int]]:
        """{group: (caught, total)} by intent, spelling or person."""
        caught: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for r in self._disclosures():
            group = str(getattr(r.case, key))
            total[group] += 1
            caught[group] += r.fired is not None
        return {g: (caught[g], total[g]) for g in sorted(total)}

    def misses(self) -> list[Result]:
        return [r for r in self._disclosures() if r.fired is None]

    def wrong_intent(self) -> list[Result]:
        return [r for r in self._disclosures() if r.fired not in (None, r.case.intent)]

    def false_alarms(self) -> list[Result]:
        return [r for r in self._lookalikes() if r.fired is not None]

    def as_dict(self) -> dict[str, Any]:
        return {
            "disclosures": len(self._disclosures()),
            "lookalikes": len(self._lookalikes()),
            "recall": round(self.recall(), 4),
            "right_intent": round(self.right_intent(), 4),
            "false_alarm_rate": round(self.false_alarm_rate(), 4),
            "by_intent": self.recall_by("intent"),
            "by_spelling": self.recall_by("spelling"),
            "by_person": self.recall_by("person"),
        }

    def as_text(self, show: int = 0) -> str:
        d, lk = self._disclosures(), self._lookalikes()
        lines = [
            f"disclosures {len(d)}: caught {sum(r.fired is not None for r in d)} "
            f"(recall {self.recall():.3f}), right intent {self.right_intent():.3f}",
            f"look-alikes {len(lk)}: false alarms {len(self.false_alarms())} "
            f"({self.false_alarm_rate():.3f})",
        ]
        for key in ("intent", "spelling", "person"):
            parts = [f"{g} {c}/{t}" for g, (c, t) in self.recall_by(key).items()]
            lines.append(f"recall by {key}: " + ", ".join(parts))
        if show:
            for title, rows in (("missed", self.misses()), ("wrong intent", self.wrong_intent()),
                                ("false alarms", self.false_alarms())):
                lines.append(f"-- {title} ({len(rows)})")
                for r in rows[:show]:
                    lines.append(f"   [{r.case.intent or r.case.theme} -> {r.fired}] "
                                 + " / ".join(r.case.messages))
        return "\n".join(lines)


def load_cases(path: Path) -> list[Case]:
    """Read a blind set (format in this module's docstring)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    cases: list[Case] = []
    for item in data.get("disclosures", []) or []:
        msgs = item.get("messages") or [item.get("text", "")]
        cases.append(Case(tuple(str(m) for m in msgs), str(item["intent"]),
                          str(item.get("spelling", "plain")), str(item.get("person", "self"))))
    for item in data.get("lookalikes", []) or []:
        cases.append(Case((str(item["text"]),), None, str(item.get("spelling", "plain")),
                          theme=str(item.get("theme", ""))))
    return cases


def run_case(engine: Engine, case: Case) -> Result:
    state = ChatState()
    fired: str | None = None
    for text in case.messages:
        reply = engine.respond(text, state)
        state = reply.state
        for part in reply.all_parts():
            if part.safety:
                fired = part.safety
    return Result(case, fired)


def measure(engine: Engine, cases: list[Case]) -> SafetyReport:
    return SafetyReport([run_case(engine, c) for c in cases])
