"""CLINC150 (Full): in-scope accuracy and out-of-scope recall, as Larson et al. (2019) define them.

The training split becomes a catalogue (one intent per class, its queries as examples).
Only the no-match threshold is chosen, on the validation split and oos_val; the test split
and oos_test are scored once. Per-query latency is normalise + rank at ~15,000 examples.

    python -m bench clinc150 [--data PATH] [--oos-target 0.6] [--json [PATH]]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import SHARED, ms, save, table, timed
from bot.matcher import Index

DATA = SHARED / "benchmarks" / "clinc150" / "data_full.json"
OOS = "oos"

# Table 2 of the paper, Full data set: (in-scope accuracy, out-of-scope recall).
PUBLISHED: dict[str, dict[str, tuple[float, float]]] = {
    "FastText": {"threshold": (88.6, 28.3), "oos-train": (89.0, 9.7)},
    "SVM (bag of words)": {"threshold": (88.2, 18.0), "oos-train": (91.0, 14.5)},
    "CNN": {"threshold": (90.9, 30.9), "oos-train": (91.2, 18.9)},
    "Dialogflow": {"threshold": (90.8, 26.7), "oos-train": (91.7, 14.0)},
    "Rasa": {"threshold": (90.9, 31.2), "oos-train": (91.5, 45.3)},
    "MLP on USE embeddings": {"threshold": (93.4, 49.1), "oos-train": (93.5, 47.4)},
    "BERT fine-tuned": {"threshold": (96.2, 52.3), "oos-train": (96.9, 40.3)},
}


@dataclass(frozen=True, slots=True)
class Scored:
    """Top intent and its score for each query, with per-query seconds."""

    predicted: list[str]
    score: np.ndarray
    seconds: np.ndarray


def load(path: Path) -> dict[str, list[tuple[str, str]]]:
    """The data file: split name -> [(text, intent)]."""
    if not path.exists():
        raise SystemExit(f"{path}: CLINC150 data not found (pass --data PATH to data_full.json)")
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: [(str(t), str(i)) for t, i in v] for k, v in raw.items()}


def catalogue(train: list[tuple[str, str]]) -> dict[str, list[str]]:
    """One intent per class, its training queries as examples, in file order."""
    out: dict[str, list[str]] = defaultdict(list)
    for text, intent in train:
        out[intent].append(text)
    return dict(out)


def score(index: Index, texts: list[str], repeats: int = 1,
          warm: list[str] | None = None) -> Scored:
    """Normalise and rank each query one at a time, as the bot does.

    `warm` messages (never the timed ones) run first, then the ranking cache is emptied, so
    no timed query is answered from it.
    """

    def top(text: str) -> tuple[str, float]:
        ranked = index.rank(index.normaliser.normalise(text), limit=1)
        return (ranked[0].intent_id, ranked[0].score) if ranked else (OOS, 0.0)

    for text in warm or []:
        top(text)
    cached = getattr(index, "_rank_cached", None)
    if cached is not None:
        cached.cache_clear()
    results, seconds = timed(top, texts, repeats)
    return Scored([r[0] for r in results], np.array([r[1] for r in results]), seconds)


def threshold_for(oos_scores: np.ndarray, target: float) -> float:
    """The lowest threshold that rejects at least `target` of out-of-scope queries.

    A query is answered when its top score >= threshold; in-scope accuracy can only fall
    as the threshold rises, so the lowest threshold meeting the target is the best one.
    """
    ordered = np.sort(oos_scores)
    need = int(np.ceil(target * len(ordered)))
    if need <= 0:
        return 0.0
    return float(np.nextafter(ordered[need - 1], np.inf))


def in_scope_accuracy(s: Scored, labels: list[str], threshold: float) -> float:
    """Share of in-scope queries answered with the right intent (no-match counts wrong)."""
    ok = [p == y and sc >= threshold for p, y, sc in zip(s.predicted, labels, s.score,
                                                         strict=True)]
    return float(np.mean(ok)) if ok else 0.0


def oos_recall(s: Scored, threshold: float) -> float:
    """Share of out-of-scope queries the engine declines to answer."""
    return float(np.mean(s.score < threshold)) if len(s.score) else 0.0


def run(data_path: Path, oos_target: float, weights: dict[str, Any]) -> dict[str, Any]:
    """Build, tune the threshold on validation, score test once; return every figure."""
    data = load(data_path)
    t0 = time.perf_counter()
    index = Index.from_examples(catalogue(data["train"]), **weights)
    build = time.perf_counter() - t0
    warm = [t for t, _ in data["train"][::300]]  # training queries: never scored
    val = score(index, [t for t, _ in data["val"]], warm=warm)
    oos_val = score(index, [t for t, _ in data["oos_val"]], warm=warm)
    threshold = threshold_for(oos_val.score, oos_target)
    val_labels = [i for _, i in data["val"]]
    curve = []
    for target in (0.0, 0.5, 0.6, 0.7, 0.8, 0.9):
        th = threshold_for(oos_val.score, target)
        curve.append({"oos_val_target": target, "threshold": round(th, 3),
                      "val_in_scope_accuracy": round(in_scope_accuracy(val, val_labels, th), 4),
                      "oos_val_recall": round(oos_recall(oos_val, th), 4)})
    # The test split, scored once.
    test = score(index, [t for t, _ in data["test"]], warm=warm)
    oos_test = score(index, [t for t, _ in data["oos_test"]], warm=warm)
    test_labels = [i for _, i in data["test"]]
    seconds = np.concatenate([test.seconds, oos_test.seconds])
    return {
        "baseline": strongest_baseline(data, oos_target),
        "data": str(data_path),
        "examples": len(data["train"]),
        "intents": len(index.intent_ids),
        "weights": {"w_char": index.w_char, "w_cover": index.w_cover,
                    "w_model": index.w_model, "top_k": index.top_k,
                    "model_scale": index.model_scale, "max_ranked": index.max_ranked},
        "build_seconds": round(build, 2),
        "oos_target": oos_target,
        "threshold": round(threshold, 3),
        "validation": {
            "in_scope_accuracy": round(in_scope_accuracy(val, val_labels, threshold), 4),
            "oos_recall": round(oos_recall(oos_val, threshold), 4),
            "curve": curve,
        },
        "test": {
            "in_scope_accuracy": round(in_scope_accuracy(test, test_labels, threshold), 4),
            "oos_recall": round(oos_recall(oos_test, threshold), 4),
            "in_scope_accuracy_no_threshold": round(in_scope_accuracy(test, test_labels, 0.0), 4),
            "queries": len(seconds),
            **ms(seconds),
        },
    }


def strongest_baseline(data: dict[str, list[tuple[str, str]]], oos_target: float
                       ) -> dict[str, Any] | None:
    """Word 1-2 + char 3-5 TF-IDF with logistic regression, under the same threshold rule;
    None without scikit-learn (pip install -e '.[bench]')."""
    try:
        from bench.baselines import WORD_CHAR, tfidf
    except ImportError:
        return None
    try:
        batch, one = tfidf(catalogue(data["train"]), "word+char-lr")
    except ImportError:
        return None
    outs = {k: batch([t for t, _ in data[k]]) for k in ("val", "oos_val", "test", "oos_test")}
    th = threshold_for(outs["oos_val"].scores, oos_target)
    labels = [i for _, i in data["test"]]
    ok = [p == y and sc >= th for p, y, sc in zip(outs["test"].labels, labels,
                                                   outs["test"].scores, strict=True)]
    queries = [t for k in ("test", "oos_test") for t, _ in data[k]][::11][:400]
    _, secs = timed(one, queries)
    return {"name": WORD_CHAR, "threshold": round(th, 3),
            "in_scope_accuracy": round(float(np.mean(ok)), 4),
            "oos_recall": round(float(np.mean(outs["oos_test"].scores < th)), 4), **ms(secs)}


def report(r: dict[str, Any]) -> str:
    """The comparison table, our row first."""
    t = r["test"]
    rows: list[list[Any]] = [[
        "Signpost (this engine, no neural model)",
        f"{100 * t['in_scope_accuracy']:.1f}", f"{100 * t['oos_recall']:.1f}",
        f"{t['median_ms']:.2f} / {t['p99_ms']:.2f}",
    ]]
    b = r.get("baseline")
    if b:
        rows.append([f"{b['name']} (same threshold rule)",
                     f"{100 * b['in_scope_accuracy']:.1f}", f"{100 * b['oos_recall']:.1f}",
                     f"{b['median_ms']:.2f} / {b['p99_ms']:.2f}"])
    for name, figs in PUBLISHED.items():
        a, o = figs["threshold"]
        rows.append([f"{name} (paper, oos-threshold)", f"{a:.1f}", f"{o:.1f}", "-"])
    a, o = PUBLISHED["Rasa"]["oos-train"]
    rows.append(["Rasa (paper, oos-train extra class)", f"{a:.1f}", f"{o:.1f}", "-"])
    v = r["validation"]
    head = (f"CLINC150 Full: {r['examples']} examples, {r['intents']} intents; index built in "
            f"{r['build_seconds']:.1f} s; weights {r['weights']}\n"
            f"threshold {r['threshold']:.2f}: the lowest rejecting >= {100 * r['oos_target']:.0f}%"
            f" of oos_val (validation: in-scope {100 * v['in_scope_accuracy']:.1f}%, oos recall "
            f"{100 * v['oos_recall']:.1f}%)\n"
            f"test in-scope accuracy with no threshold: "
            f"{100 * t['in_scope_accuracy_no_threshold']:.1f}%\n")
    curve = table(["oos_val target", "threshold", "val in-scope acc", "oos_val recall"],
                  [[c["oos_val_target"], c["threshold"], c["val_in_scope_accuracy"],
                    c["oos_val_recall"]] for c in v["curve"]])
    return (head + "\n" + table(["system", "in-scope accuracy %", "oos recall %",
                                 "latency median / p99 ms"], rows)
            + "\n\nvalidation only (how the threshold was chosen):\n" + curve)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench clinc150", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA, help="path to data_full.json")
    ap.add_argument("--oos-target", type=float, default=0.6,
                    help="share of oos_val the threshold must reject (default 0.6)")
    ap.add_argument("--w-char", type=float, help="override the matcher's char weight")
    ap.add_argument("--w-cover", type=float, help="override the matcher's cover weight")
    ap.add_argument("--w-model", type=float, help="override the matcher's model weight")
    ap.add_argument("--top-k", type=int, help="override examples averaged per intent")
    ap.add_argument("--model-scale", type=float, help="override the model's tanh scale")
    ap.add_argument("--json", nargs="?", const="", default=None, metavar="PATH",
                    help="also write JSON (default bench/results/clinc150.json)")
    args = ap.parse_args(argv)
    weights = {k: v for k, v in {"w_char": args.w_char, "w_cover": args.w_cover,
                                 "w_model": args.w_model, "top_k": args.top_k,
                                 "model_scale": args.model_scale}.items() if v is not None}
    result = run(args.data, args.oos_target, weights)
    print(report(result))
    if args.json is not None:
        print(f"\nwrote {save('clinc150', result, args.json or None)}")
    return 0
