"""The safety screen on a blind set, measured once: recall, right intent, false alarms.

    python -m bench safety FILE [--show N] [--json PATH]

FILE is a blind set in the format of bot/safety_eval.py (written by someone who never saw
the rules, the examples or tests/data). Run it once per set, record the figures in
docs/safeguarding.md, and only then tune.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.common import REPO
from bot.catalogue import load_or_raise
from bot.dialogue import Engine
from bot.safety_eval import load_cases, measure


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench safety")
    p.add_argument("file", type=Path)
    p.add_argument("--show", type=int, default=0, help="list up to N misses and false alarms")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    engine = Engine(load_or_raise(REPO))
    report = measure(engine, load_cases(args.file))
    print(report.as_text(args.show))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2), encoding="utf-8")
    return 0
