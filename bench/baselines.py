"""Our engine against plain baselines, on our own held-out set and on CLINC150's test split.

Baselines: rapidfuzz `process.extractOne` with WRatio over all examples; character n-gram
TF-IDF (2-5, word-bounded) with nearest neighbour and with logistic regression; and the
strongest simple baseline we know of, word 1-2-gram + char 3-5-gram TF-IDF with logistic
regression (scikit-learn: `pip install -e '.[bench]'`). Each answers with "none" below a
threshold:

* CLINC150: every system's threshold is the lowest rejecting >= 60% of oos_val
  (the rule bench/clinc150.py uses); test and oos_test are scored once.
* tests/data/eval.yaml has no validation split, so each baseline gets the threshold that
  is best on eval.yaml itself (an oracle: it flatters the baselines), while the engine
  keeps the shipped settings.yaml threshold.

    python -m bench baselines [--data PATH] [--skip-clinc] [--json [PATH]]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils

from bench import clinc150
from bench.common import REPO, ms, save, table, timed
from bot.catalogue import load_or_raise
from bot.dialogue import Engine
from bot.evaluate import NONE, load_labelled, predict
from bot.matcher import Index
from bot.routes import SAFETY_INTENTS

EVAL = REPO / "tests" / "data" / "eval.yaml"
LATENCY_SAMPLE = 400  # queries timed one by one per system (predictions use them all)
WORD_CHAR = "word 1-2 + char 3-5 TF-IDF logistic regression"


def clear_ranking_cache(engine: Engine) -> None:
    """Forget every ranking the engine has cached (the timed messages must be new to it)."""
    index = engine.index
    cached = getattr(index, "_rank_cached", None) if index is not None else None
    if cached is not None:
        cached.cache_clear()


@dataclass(frozen=True, slots=True)
class Outputs:
    """Top label and score per query (the caller applies the threshold)."""

    labels: list[str]
    scores: np.ndarray


Predictor = Callable[[Sequence[str]], Outputs]


# ---------------------------------------------------------------- baselines


def wratio(examples: dict[str, list[str]]) -> Predictor:
    """Best single example by WRatio, like `process.extractOne` (batched over queries)."""
    texts = [e for v in examples.values() for e in v]
    owner = [k for k, v in examples.items() for _ in v]

    def run(queries: Sequence[str]) -> Outputs:
        labels: list[str] = []
        scores: list[float] = []
        for start in range(0, len(queries), 250):
            m = process.cdist(list(queries[start:start + 250]), texts, scorer=fuzz.WRatio,
                              processor=utils.default_process, dtype=np.float32, workers=-1)
            best = m.argmax(axis=1)  # first best, as extractOne returns
            labels += [owner[b] for b in best]
            scores += m[np.arange(len(best)), best].tolist()
        return Outputs(labels, np.array(scores))

    return run


def wratio_one(examples: dict[str, list[str]]) -> Callable[[str], Any]:
    """One query the way a bot would call it: extractOne on one core."""
    texts = [e for v in examples.values() for e in v]
    return lambda q: process.extractOne(q, texts, scorer=fuzz.WRatio,
                                        processor=utils.default_process)


def tfidf(examples: dict[str, list[str]], model: str) -> tuple[Predictor, Callable[[str], Any]]:
    """Char 2-5 gram TF-IDF with 1-nearest-neighbour ("nn") or logistic regression ("lr");
    "word+char-lr": word 1-2-gram and char 3-5-gram TF-IDF together, logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

    texts = [e for v in examples.values() for e in v]
    owner = np.array([k for k, v in examples.items() for _ in v])
    vec: Any
    if model == "word+char-lr":
        vec = FeatureUnion([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5),
                                     sublinear_tf=True)),
        ])
    else:
        vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    x = vec.fit_transform(texts)
    if model in ("lr", "word+char-lr"):
        clf = LogisticRegression(C=10.0, max_iter=300)
        clf.fit(x, owner)

        def run(queries: Sequence[str]) -> Outputs:
            p = clf.predict_proba(vec.transform(list(queries)))
            best = p.argmax(axis=1)
            return Outputs([str(clf.classes_[b]) for b in best],
                           100 * p[np.arange(len(best)), best])

        return run, lambda q: clf.predict_proba(vec.transform([q]))

    def nn(queries: Sequence[str]) -> Outputs:
        sims = (vec.transform(list(queries)) @ x.T).toarray()
        best = sims.argmax(axis=1)
        return Outputs([str(owner[b]) for b in best], 100 * sims[np.arange(len(best)), best])

    return nn, lambda q: (vec.transform([q]) @ x.T).toarray().argmax()


# ---------------------------------------------------------------- scoring


def decide(out: Outputs, threshold: float) -> list[str]:
    return [lab if s >= threshold else NONE for lab, s in zip(out.labels, out.scores,
                                                              strict=True)]


def eval_metrics(pred: list[str], truth: list[str], safety: list[bool] | None = None
                 ) -> dict[str, float]:
    """Accuracy, out-of-scope rejection and safety recall on a labelled set."""
    p, t = np.array(pred), np.array(truth)
    oos = t == NONE
    is_safety = np.isin(t, list(SAFETY_INTENTS))
    fired = np.array(safety) if safety is not None else np.isin(p, list(SAFETY_INTENTS))
    harmless = ~is_safety
    return {
        "accuracy": round(float((p == t).mean()), 4),
        "oos_rejection": round(float((p[oos] == NONE).mean()) if oos.any() else 0.0, 4),
        "safety_recall": round(float(fired[is_safety].mean()) if is_safety.any() else 0.0, 4),
        "safety_false_positive_rate": round(float(fired[harmless].mean()), 4),
    }


def oracle(out: Outputs, truth: list[str]) -> float:
    """The threshold that maximises accuracy on this very set (flatters a baseline)."""
    best, best_acc = 0.0, -1.0
    for th in np.unique(np.concatenate([[0.0], np.nextafter(out.scores, np.inf)])):
        acc = float(np.mean(np.array(decide(out, float(th))) == np.array(truth)))
        if acc > best_acc:
            best, best_acc = float(th), acc
    return best


def on_eval(sample: int) -> dict[str, Any]:
    """Every system on tests/data/eval.yaml with the shipped catalogue's examples."""
    cat = load_or_raise(REPO)
    items, problems = load_labelled(EVAL)
    if problems:
        raise SystemExit(f"{EVAL}: {problems[0]}")
    texts = [i.text for i in items]
    truth = [i.intent for i in items]
    examples = {i.id: list(i.examples) for i in cat.intents.values()}
    engine = Engine(cat)
    # Warm the code paths with messages that are not timed, then empty the ranking cache,
    # so no timed message is answered from it.
    for t in [e for v in examples.values() for e in v][::25]:
        engine.respond(t)
    clear_ranking_cache(engine)
    answers, seconds = timed(lambda t: predict(engine, t), texts)
    rows: dict[str, Any] = {"Signpost engine (shipped settings)": {
        **eval_metrics([a[0] for a in answers], truth, [a[2] for a in answers]),
        "threshold": cat.settings.match_threshold, **ms(seconds)}}
    systems: list[tuple[str, Predictor, Callable[[str], Any]]] = [
        ("rapidfuzz extractOne WRatio (oracle threshold)", wratio(examples), wratio_one(examples)),
    ]
    for kind, name in (("nn", "char TF-IDF 1-NN"), ("lr", "char TF-IDF logistic regression"),
                       ("word+char-lr", WORD_CHAR)):
        batch, one = tfidf(examples, kind)
        systems.append((f"{name} (oracle threshold)", batch, one))
    for name, batch, one in systems:
        out = batch(texts)
        th = oracle(out, truth)
        _, secs = timed(one, texts[:sample])
        rows[name] = {**eval_metrics(decide(out, th), truth), "threshold": round(th, 2),
                      **ms(secs)}
    return {"messages": len(items), "systems": rows}


def on_clinc(data_path: Path, sample: int, target: float) -> dict[str, Any]:
    """Every system on the CLINC150 test split, thresholds from validation only."""
    data = clinc150.load(data_path)
    examples = clinc150.catalogue(data["train"])
    split = {k: [t for t, _ in data[k]] for k in ("val", "oos_val", "test", "oos_test")}
    val_labels = [i for _, i in data["val"]]
    test_labels = [i for _, i in data["test"]]
    rows: dict[str, Any] = {}

    def metrics(val: Outputs, oos_val: Outputs, test: Outputs, oos_test: Outputs,
                secs: np.ndarray) -> dict[str, Any]:
        th = clinc150.threshold_for(oos_val.scores, target)
        return {
            "in_scope_accuracy": round(float(np.mean(
                np.array(decide(test, th)) == np.array(test_labels))), 4),
            "oos_recall": round(float(np.mean(oos_test.scores < th)), 4),
            "val_in_scope_accuracy": round(float(np.mean(
                np.array(decide(val, th)) == np.array(val_labels))), 4),
            "threshold": round(th, 3), **ms(secs)}

    t0 = time.perf_counter()
    index = Index.from_examples(examples)
    build = time.perf_counter() - t0
    warm = [t for t, _ in data["train"][::300]]  # training queries: never scored
    ours = {k: clinc150.score(index, v, warm=warm) for k, v in split.items()}
    rows["Signpost engine (defaults)"] = {
        **metrics(*(Outputs(s.predicted, s.score) for s in ours.values()),
                  np.concatenate([ours["test"].seconds, ours["oos_test"].seconds])),
        "build_seconds": round(build, 2)}
    systems: list[tuple[str, Callable[[], tuple[Predictor, Callable[[str], Any]]]]] = [
        ("rapidfuzz extractOne WRatio", lambda: (wratio(examples), wratio_one(examples))),
        ("char TF-IDF 1-NN", lambda: tfidf(examples, "nn")),
        ("char TF-IDF logistic regression", lambda: tfidf(examples, "lr")),
        (WORD_CHAR, lambda: tfidf(examples, "word+char-lr")),
    ]
    for name, make in systems:
        t0 = time.perf_counter()
        batch, one = make()
        build = time.perf_counter() - t0
        outs = [batch(split[k]) for k in ("val", "oos_val", "test", "oos_test")]
        _, secs = timed(one, (split["test"] + split["oos_test"])[::11][:sample])
        rows[name] = {**metrics(*outs, secs), "build_seconds": round(build, 2)}
    return {"oos_target": target, "systems": rows}


def report(r: dict[str, Any]) -> str:
    parts = []
    if "eval" in r:
        e = r["eval"]
        parts.append(f"tests/data/eval.yaml ({e['messages']} messages, shipped catalogue):\n"
                     + table(["system", "accuracy", "oos rejection", "safety recall",
                              "safety FP", "threshold", "median ms", "p99 ms"],
                             [[k, v["accuracy"], v["oos_rejection"], v["safety_recall"],
                               v["safety_false_positive_rate"], v["threshold"],
                               v["median_ms"], v["p99_ms"]] for k, v in e["systems"].items()]))
    if "clinc150" in r:
        c = r["clinc150"]
        parts.append("CLINC150 test split (thresholds: lowest rejecting >= "
                     f"{100 * c['oos_target']:.0f}% of oos_val):\n"
                     + table(["system", "in-scope acc %", "oos recall %", "threshold",
                              "build s", "median ms", "p99 ms"],
                             [[k, f"{100 * v['in_scope_accuracy']:.1f}",
                               f"{100 * v['oos_recall']:.1f}", v["threshold"],
                               v["build_seconds"], v["median_ms"], v["p99_ms"]]
                              for k, v in c["systems"].items()]))
    return "\n\n".join(parts)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench baselines", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=clinc150.DATA, help="CLINC150 data_full.json")
    ap.add_argument("--skip-clinc", action="store_true", help="only tests/data/eval.yaml")
    ap.add_argument("--sample", type=int, default=LATENCY_SAMPLE,
                    help="queries timed one at a time per baseline")
    ap.add_argument("--json", nargs="?", const="", default=None, metavar="PATH",
                    help="also write JSON (default bench/results/baselines.json)")
    args = ap.parse_args(argv)
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SystemExit("scikit-learn is missing: pip install -e '.[bench]'") from None
    result: dict[str, Any] = {"eval": on_eval(args.sample)}
    print(report(result), flush=True)
    if not args.skip_clinc:
        result["clinc150"] = on_clinc(args.data, args.sample, 0.6)
        print("\n" + report({"clinc150": result["clinc150"]}))
    if args.json is not None:
        print(f"\nwrote {save('baselines', result, args.json or None)}")
    return 0
