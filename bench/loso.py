"""Leave one blind set out: how the learned safety layer does on a set it never trained on.

    python -m bench loso [SETS ...] [--threshold P] [--short P] [--veto P] [--veto-me P]
                         [--kind-sure P] [--l2 X]

For each measured blind set in bot/data/safety_corpus/ (blind_a.yaml ...), the learned layer
trains on everything except that set, and the set goes through the whole engine as in
`python -m bench safety`. The rules were tuned on these sets, so the figures compare
settings of the learned layer; they are not the evidence a fresh blind set is. This is how
the threshold, the veto, the weight penalty and the kind choice were chosen
(docs/safeguarding.md).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.common import REPO


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench loso")
    p.add_argument("sets", nargs="*", help="set letters, e.g. e f g (default: every set)")
    p.add_argument("--threshold", type=float, help="the learned layer's threshold")
    p.add_argument("--veto", type=float, help="the veto's probability of harmless")
    p.add_argument("--veto-me", type=float, help="... for a message that says 'kill me'")
    p.add_argument("--short", type=float, help="the threshold under four words of substance")
    p.add_argument("--kind-sure", type=float, help="probability at which it names the kind")
    p.add_argument("--l2", type=float, help="weight penalty")
    p.add_argument("--show", type=int, default=0, help="list up to N misses per set")
    args = p.parse_args(argv)
    os.environ["SIGNPOST_CACHE_DIR"] = tempfile.mkdtemp(prefix="signpost-loso-")

    from bot import safety, safety_corpus, safety_model
    from bot.catalogue import load_or_raise
    from bot.dialogue import Engine
    from bot.safety_eval import SafetyReport, load_cases, measure

    if args.threshold is not None:
        safety.THRESHOLD = args.threshold  # the screen passes it to the model's judge()
    if args.veto is not None:
        safety.HARMLESS = args.veto
    if args.veto_me is not None:
        safety.HARMLESS_ME = args.veto_me
    if args.short is not None:
        safety.SHORT_THRESHOLD = args.short
    if args.kind_sure is not None:
        safety.KIND_SURE = args.kind_sure
    if args.l2 is not None:
        safety_model.L2 = args.l2
    letters = args.sets or sorted(f.stem.removeprefix("blind_")
                                  for f in safety_corpus.CORPUS.glob("blind_*.yaml"))
    read = safety_corpus._read
    everything = SafetyReport()
    for letter in letters:
        left_out = f"blind_{letter}.yaml"

        def without(path: Path, data: dict[str, Any], left_out: str = left_out) -> Any:
            return [] if path.name == left_out else read(path, data)

        safety_corpus._read = without
        safety_corpus.forget()
        engine = Engine(load_or_raise(REPO))
        report = measure(engine, load_cases(safety_corpus.CORPUS / left_out))
        print(f"{letter}: recall {report.recall():.3f}  right kind {report.right_intent():.3f}"
              f"  false alarms {report.false_alarm_rate():.3f}")
        if args.show:
            print(report.as_text(args.show))
        everything.results += report.results
    safety_corpus._read = read
    safety_corpus.forget()
    print("all:", everything.as_text())
    return 0
