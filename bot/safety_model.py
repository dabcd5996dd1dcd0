"""The learned layer of the safety screen: a small linear model trained when the catalogue loads.

Classes: "none" and each safety intent. Training data: the safety intents' examples (their
intent), and every other intent's examples plus the safety intents' negative examples
("none"). Features: words, word pairs and character 3-4-grams of the normalised text, so
it reads spellings and phrasings that no single rule names. Multinomial logistic
regression, full-batch gradient descent in numpy, fixed iterations: the same catalogue
always gives the same model.

It fires for a safety intent whose probability reaches THRESHOLD. THRESHOLD was chosen on
data the model never trains on (tests/data/safety.yaml and eval.yaml, see
docs/safeguarding.md), for few false alarms: the rules stay the main layer and this one
catches what is close in meaning to many examples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from bot.routes import SAFETY_INTENTS

if TYPE_CHECKING:
    from bot.catalogue import Catalogue
    from bot.text import Normaliser

THRESHOLD = 0.60
ITERATIONS = 40
LEARNING_RATE = 1.0
L2 = 1e-4
NONE = "none"


def features(text: str) -> list[str]:
    """Words, word pairs and character 3-4-grams of a normalised message."""
    words = text.split()
    feats = [f"w:{w}" for w in words]
    feats += [f"b:{a} {b}" for a, b in pairwise(words)]
    padded = f" {text[:300]} "
    for n in (3, 4):
        feats += [f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1)]
    return feats


@dataclass(slots=True)
class SafetyModel:
    classes: tuple[str, ...]
    vocab: dict[str, int]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)

    @classmethod
    def train(cls, cat: Catalogue, normaliser: Normaliser) -> SafetyModel:
        classes = (NONE, *[s for s in SAFETY_INTENTS if s in cat.intents])
        texts: list[str] = []
        labels: list[int] = []
        for intent in cat.intents.values():
            label = classes.index(intent.id) if intent.id in classes else 0
            for ex in intent.examples:
                texts.append(normaliser.normalise(ex).text)
                labels.append(label)
            if intent.id in classes:
                for ex in intent.negative_examples:
                    texts.append(normaliser.normalise(ex).text)
                    labels.append(0)
        return cls.fit(texts, labels, classes)

    @classmethod
    def fit(cls, texts: list[str], labels: list[int], classes: tuple[str, ...]) -> SafetyModel:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        kept: list[int] = []
        for t, label in zip(texts, labels, strict=True):
            feats = set(features(t))
            if not feats:
                continue
            r = len(kept)
            kept.append(label)
            for f in feats:
                cols.append(vocab.setdefault(f, len(vocab)))
                rows.append(r)
        n, k = len(kept), len(classes)
        row = np.asarray(rows, dtype=np.int64)  # ascending: one run per example
        col = np.asarray(cols, dtype=np.int64)
        row_starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        by_col = np.argsort(col, kind="stable")  # every feature occurs, so one run each
        col_sorted = col[by_col]
        col_starts = np.flatnonzero(np.r_[True, col_sorted[1:] != col_sorted[:-1]])
        # each example's features weigh 1/sqrt(count), so long examples don't dominate
        counts = np.bincount(row, minlength=n).astype(np.float64)
        val = (1.0 / np.sqrt(counts[row]))[:, None].astype(np.float32)
        y = np.zeros((n, k), dtype=np.float32)
        y[np.arange(n), np.asarray(kept)] = 1.0
        w = np.zeros((len(vocab), k), dtype=np.float32)  # float32: half the memory traffic
        b = np.zeros(k, dtype=np.float32)
        gw_sq = np.full_like(w, 1e-8)
        gb_sq = np.full_like(b, 1e-8)
        for _ in range(ITERATIONS):
            logits = np.add.reduceat(w[col] * val, row_starts, axis=0) + b
            d = (_softmax(logits) - y) / n
            gw = np.add.reduceat((d[row] * val)[by_col], col_starts, axis=0) + L2 * w
            gb = d.sum(axis=0)
            gw_sq += gw * gw  # Adagrad: rare features (most of them) still learn
            gb_sq += gb * gb
            w -= LEARNING_RATE * gw / np.sqrt(gw_sq)
            b -= LEARNING_RATE * gb / np.sqrt(gb_sq)
        return cls(classes, vocab, w, b)

    def probabilities(self, text: str) -> dict[str, float]:
        ids = sorted({self.vocab[f] for f in features(text) if f in self.vocab})
        if not ids:
            return {}
        scale = 1.0 / np.sqrt(len(set(features(text))))
        logits = self.weights[ids].sum(axis=0) * scale + self.bias
        p = _softmax(logits[None, :])[0]
        return {c: float(p[i]) for i, c in enumerate(self.classes)}

    def verdict(self, text: str, threshold: float = THRESHOLD) -> tuple[str, float] | None:
        """(safety intent, probability) if one reaches the threshold, else None."""
        words = text.split()
        if not any(f"b:{a} {b}" in self.vocab for a, b in pairwise(words)):
            return None  # character n-grams alone never fire it: a known word pair must be there
        probs = self.probabilities(text)
        best = max((c for c in probs if c != NONE), key=probs.__getitem__, default=None)
        if best is None or probs[best] < threshold:
            return None
        return best, probs[best]


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def top(probs: dict[str, float], k: int = 3) -> Iterable[tuple[str, float]]:
    return sorted(probs.items(), key=lambda kv: -kv[1])[:k]
