"""Helpers shared by the benchmarks: paths, timing, tables and the results folder."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
# CI and developers keep shared/ beside the repository clone.
SHARED = Path(__file__).resolve().parents[2] / "shared"


def cpu_model() -> str:
    """The processor's model name as lscpu reports it."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """What the figures were taken on, including how busy the machine was."""
    load = os.getloadavg()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "load_average_1m": round(load[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def timed(fn: Callable[[Any], Any], items: Sequence[Any],
          repeats: int = 1) -> tuple[list[Any], np.ndarray]:
    """Call fn on each item; per-item wall time in seconds (best of `repeats`)."""
    results: list[Any] = []
    times = np.empty(len(items), dtype=np.float64)
    for n, item in enumerate(items):
        best = float("inf")
        out: Any = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn(item)
            best = min(best, time.perf_counter() - t0)
        results.append(out)
        times[n] = best
    return results, times


def ms(times: np.ndarray) -> dict[str, float]:
    """Median, p90, p99 and max of per-item times, in milliseconds."""
    if not len(times):
        return {"median_ms": 0.0, "p90_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    return {
        "median_ms": round(float(np.median(times)) * 1e3, 3),
        "p90_ms": round(float(np.percentile(times, 90)) * 1e3, 3),
        "p99_ms": round(float(np.percentile(times, 99)) * 1e3, 3),
        "max_ms": round(float(np.max(times)) * 1e3, 3),
    }


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain-text table with columns padded to fit (also valid Markdown)."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
             for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def cold_start_line(what: str, c: dict[str, Any]) -> str:
    """One readable line for a cold-start measurement (median, min, max over runs)."""
    return (f"cold start ({what}): median {c['median_s']:.2f} s over {c['runs']} runs "
            f"(min {c['min_s']:.2f}, max {c['max_s']:.2f})")


def command() -> str:
    """The command line that is running, as a person would type it."""
    if sys.argv and sys.argv[0].endswith("__main__.py"):
        return " ".join(["python -m bench", *sys.argv[1:]])
    return " ".join(["python", *sys.argv])


def save(name: str, data: dict[str, Any], path: str | None = None) -> Path:
    """Write results as JSON to bench/results/NAME.json (git-ignored) or `path`."""
    out = Path(path) if path else RESULTS / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), "command": command(), **data}
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


# Openings and endings young people put around a request; combined with the held-out
# messages they give thousands of distinct, realistic texts, so no timed message is one
# the engine has ranked before (its ranking cache would otherwise answer it).
OPENINGS = ("", "hi ", "hey ", "yo ", "um ", "hello ", "pls ", "so ", "ok ", "quick one ")
ENDINGS = ("", " pls", " im 15", " in e17", " near walthamstow", " for my little brother",
           " tonight", " asap", " thanks", " im 19 in e10", " after school", " at weekends")


def distinct_messages(count: int, seed: int = 13, safety_share: float = 0.1) -> list[str]:
    """`count` different realistic messages; about `safety_share` of them disclosures."""
    import random

    import yaml

    data = REPO / "tests" / "data"
    rows = yaml.safe_load((data / "eval.yaml").read_text(encoding="utf-8"))
    rows += yaml.safe_load((data / "safety.yaml").read_text(encoding="utf-8"))
    danger = {"emergency", "self_harm", "exploitation", "threatened"}
    safe = sorted({r["text"] for r in rows if r.get("intent") not in danger
                   and not str(r["text"]).strip().isdigit()})
    unsafe = sorted({r["text"] for r in rows if r.get("intent") in danger})
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    limit = len(OPENINGS) * len(ENDINGS) * (len(safe) + len(unsafe))
    if count > limit:
        raise ValueError(f"at most {limit} distinct messages can be made, not {count}")
    while len(out) < count:
        base = rng.choice(unsafe if rng.random() < safety_share else safe)
        text = rng.choice(OPENINGS) + base + rng.choice(ENDINGS)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def process_memory(pid: int) -> dict[str, float]:
    """Current and peak RSS of a process in MB, from /proc (empty if it has gone)."""
    out: dict[str, float] = {}
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                int(value.split()[0]) / 1024, 1)
    return out
