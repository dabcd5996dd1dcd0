"""`python -m bench NAME [options]`: run one benchmark; `--help` after NAME for its options."""

from __future__ import annotations

import importlib
import sys

BENCHES = {
    "clinc150": "CLINC150 in-scope accuracy and out-of-scope recall against the paper",
    "baselines": "our engine against rapidfuzz WRatio and TF-IDF classifiers",
    "speed": "whole-engine latency, load time, cold start and memory as the catalogue grows",
    "safety": "safety screen recall and false alarms on a blind set, measured once",
    "loso": "the learned safety layer on each measured blind set left out of its training",
    "e2e": "messages per second through the Telegram stack against a loopback fake Bot API",
    "web": "the web chat under load: messages per second, latency and memory of signpost run",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in BENCHES:
        print("usage: python -m bench NAME [options]\n")
        for name, what in BENCHES.items():
            print(f"  {name:<10} {what}")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    module = importlib.import_module(f"bench.{argv[0]}")
    return int(module.main(argv[1:]))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
