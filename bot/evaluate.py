"""`signpost evaluate`: how well the engine answers a labelled set of messages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.dialogue import Engine
from bot.routes import SAFETY_INTENTS
from bot.yamlfile import Problem, load_yaml

NONE = "none"


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    intent: str  # an intent id or "none"


@dataclass(frozen=True, slots=True)
class Outcome:
    text: str
    expected: str
    predicted: str  # intent id or "none"
    score: float
    safety: bool


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        ok = sum(o.expected == o.predicted for o in self.outcomes)
        return ok / len(self.outcomes) if self.outcomes else 0.0

    def per_intent(self) -> dict[str, dict[str, float]]:
        labels = sorted({o.expected for o in self.outcomes} | {o.predicted for o in self.outcomes})
        out: dict[str, dict[str, float]] = {}
        for lab in labels:
            tp = sum(o.expected == lab and o.predicted == lab for o in self.outcomes)
            fp = sum(o.expected != lab and o.predicted == lab for o in self.outcomes)
            fn = sum(o.expected == lab and o.predicted != lab for o in self.outcomes)
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            out[lab] = {"precision": p, "recall": r, "f1": f1, "support": tp + fn}
        return out

    def confusions(self, top: int = 10) -> list[tuple[str, str, int]]:
        c = Counter((o.expected, o.predicted) for o in self.outcomes
                    if o.expected != o.predicted)
        return [(a, b, n) for (a, b), n in c.most_common(top)]

    @property
    def out_of_scope_rejection(self) -> float:
        oos = [o for o in self.outcomes if o.expected == NONE]
        return sum(o.predicted == NONE for o in oos) / len(oos) if oos else 0.0

    @property
    def safety_recall(self) -> float:
        pos = [o for o in self.outcomes if o.expected in SAFETY_INTENTS]
        return sum(o.safety for o in pos) / len(pos) if pos else 1.0

    @property
    def safety_false_positive_rate(self) -> float:
        neg = [o for o in self.outcomes if o.expected not in SAFETY_INTENTS]
        return sum(o.safety for o in neg) / len(neg) if neg else 0.0

    def misclassified(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.expected != o.predicted]

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": len(self.outcomes),
            "accuracy": round(self.accuracy, 4),
            "out_of_scope_rejection": round(self.out_of_scope_rejection, 4),
            "safety_recall": round(self.safety_recall, 4),
            "safety_false_positive_rate": round(self.safety_false_positive_rate, 4),
            "per_intent": {k: {m: round(v, 4) for m, v in d.items()}
                           for k, d in self.per_intent().items()},
            "confusions": [{"expected": a, "predicted": b, "count": n}
                           for a, b, n in self.confusions()],
            "misclassified": [{"text": o.text, "expected": o.expected,
                               "predicted": o.predicted, "score": o.score, "safety": o.safety}
                              for o in self.misclassified()],
        }

    def as_text(self) -> str:
        lines = [
            f"messages:                    {len(self.outcomes)}",
            f"accuracy:                    {self.accuracy:.3f}",
            f"out-of-scope rejection:      {self.out_of_scope_rejection:.3f}",
            f"safety recall:               {self.safety_recall:.3f}",
            f"safety false-positive rate:  {self.safety_false_positive_rate:.3f}",
            "",
            f"{'intent':<16} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>4}",
        ]
        for k, d in self.per_intent().items():
            lines.append(f"{k:<16} {d['precision']:>9.2f} {d['recall']:>7.2f} "
                         f"{d['f1']:>6.2f} {int(d['support']):>4}")
        if self.confusions():
            lines += ["", "most confused (expected -> predicted):"]
            lines += [f"  {a} -> {b}: {n}" for a, b, n in self.confusions()]
        wrong = self.misclassified()
        if wrong:
            lines += ["", f"misclassified ({len(wrong)}):"]
            lines += [f"  [{o.expected} -> {o.predicted} {o.score:.0f}] {o.text}" for o in wrong]
        return "\n".join(lines)


def predict(engine: Engine, text: str) -> tuple[str, float, bool]:
    """(intent or 'none', score, safety fired) as the engine would answer."""
    reply = engine.respond(text)
    if reply.safety:
        return reply.safety, reply.score, True
    if reply.kind == "answer" and reply.intent:
        return reply.intent, reply.score, False
    if reply.kind == "clarify" and reply.alternatives:
        return reply.alternatives[0].intent_id, reply.score, False
    return NONE, reply.score, False


def evaluate(engine: Engine, items: list[Labelled]) -> Report:
    report = Report()
    for item in items:
        intent, score, safety = predict(engine, item.text)
        report.outcomes.append(Outcome(item.text, item.intent, intent, score, safety))
    return report


def load_labelled(path: Path) -> tuple[list[Labelled], list[Problem]]:
    """Read a YAML list of {text, intent}."""
    doc, problems = load_yaml(path, str(path))
    if doc is None:
        return [], problems
    if not isinstance(doc.data, list):
        return [], [doc.problem((), "should be a list of {text, intent} items",
                                "write lines like: - {text: hi, intent: greeting}")]
    items: list[Labelled] = []
    for i, row in enumerate(doc.data):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) \
                or not isinstance(row.get("intent"), str):
            problems.append(doc.problem((i,), "needs text and intent",
                                        "write it as {text: ..., intent: ...}"))
            continue
        items.append(Labelled(row["text"], row["intent"]))
    return items, problems
