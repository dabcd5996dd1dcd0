"""Measure bot.redact on a blind redaction set: per-entry pass rate, recall, over-redaction.

    python bench/redaction_recall.py /work/blind/redaction_1.yaml

A set is a YAML list of {text, must_not_contain, must_contain}. An entry passes when no
must_not_contain item survives and every must_contain item does. Recall is the share of
must_not_contain items removed; over-redaction the share of must_contain items lost.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from bot.redact import redact


def measure(path: Path, show: bool = False) -> dict[str, float]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))
    passed = hidden = secret = lost = kept = 0
    for case in cases:
        out = redact(case["text"])
        leaked = [s for s in case.get("must_not_contain") or [] if s in out]
        gone = [s for s in case.get("must_contain") or [] if s not in out]
        secret += len(case.get("must_not_contain") or [])
        hidden += len(case.get("must_not_contain") or []) - len(leaked)
        kept += len(case.get("must_contain") or [])
        lost += len(gone)
        passed += not leaked and not gone
        if show and (leaked or gone):
            print(f"FAIL {case['text']!r}\n  -> {out!r}\n  leaked={leaked} lost={gone}")
    return {"entries": len(cases), "pass_rate": passed / len(cases),
            "recall": hidden / secret if secret else 1.0,
            "over_redaction": lost / kept if kept else 0.0,
            "secret_items": secret, "keep_items": kept}


if __name__ == "__main__":
    r = measure(Path(sys.argv[1]), show="-v" in sys.argv)
    print(f"{r['entries']} entries: pass {r['pass_rate']:.1%}, recall of must_not_contain "
          f"{r['recall']:.1%} ({r['secret_items']} items), over-redaction of must_contain "
          f"{r['over_redaction']:.1%} ({r['keep_items']} items)")
