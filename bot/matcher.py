"""rank(text, catalogue) -> list[Candidate]; pure, no I/O, deterministic.

Each intent is scored from four kinds of evidence, all on 0-100:

* char: rapidfuzz ratio between the message's sorted words and each example's sorted
  words (cheap, forgiving of word order and small spelling slips);
* word: IDF-weighted overlap (weighted Dice) between the message's words and each
  example's words; IDF is computed across intents so words that belong to one intent
  dominate and words every intent uses count for little;
* cover: how much of the message's informative weight the intent's whole vocabulary
  (examples plus keywords) explains; this lets the engine answer phrasings that share
  words with several examples but match none of them closely;
* model: a linear classifier over words and word pairs (an averaged perceptron, trained
  on the examples when the index is built; no neural network): it learns which words
  separate intents that share vocabulary, which plain similarity cannot.

Per intent we take the mean of the best `top_k` example scores (char and word blended)
and mix in cover and model. Messages close to an intent's negative example are pushed
down. Everything per message is a handful of numpy operations over all examples at once,
so cost grows with the catalogue in C/numpy, not in Python loops. In catalogues of more
than `max_ranked` intents, only the intents that words, cover and the model rate highest
(plus `pinned` ones: the safety intents) get character evidence and are returned.

Measured quality and speed, and how each weight was chosen: docs/performance.md.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from bot.text import STOPWORDS, Normalised, Normaliser

_STRETCH_RE = re.compile(r"(\w)\1{2,}")  # as bot.text: a letter three or more times

if TYPE_CHECKING:
    from bot.catalogue_types import Catalogue

W_CHAR = 0.6  # share of example similarity that comes from characters (rest: words)
W_COVER = 0.3  # share of the final score that comes from intent-level word cover
W_MODEL = 0.3  # share of the final score that comes from the linear model
TOP_K = 1  # example scores averaged per intent (the best k)
COVER_SATURATION = 2  # a word seen in this many of an intent's examples counts fully
EXACT_SCORE = 95.0  # floor for a message that equals an example once normalised
NEGATIVE_CUTOFF = 88.0  # a message this close to a negative example is not that intent
MODEL_EPOCHS = 12  # passes of the perceptron over the examples
MODEL_SCALE = 2.0  # model evidence is 100 * tanh(raw / scale), clipped at 0
MODEL_MAX_CELLS = 6_000_000  # weights kept at most (features x intents): bounds memory
MODEL_MAX_STEPS = 200_000  # examples visited at most while training: bounds build time
MODEL_SEED = 20240611  # shuffling order of the perceptron: fixed, so builds are repeatable
MAX_RANKED = 64  # intents scored in full and returned (plus pinned ones); see Index.rank
RIDGE_MAX_ROWS = 4_000  # up to this many examples the model is ridge regression
RIDGE_DENSE_AFTER = 30  # features in more examples than this go through a dense block
RIDGE_LAMBDA = 1.0  # regularisation; 0.3-2 all measured the same on the conversation set
RIDGE_TARGET = 3.0  # one-hot target height, so raw scores sit where the perceptron's did
RANK_CACHE_CANDIDATES = 20_000  # rankings remembered (repeat messages, clause re-ranks)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One intent's score for a message."""

    intent_id: str
    score: float  # 0..100
    example: str  # the catalogue example that scored best
    char: float = 0.0
    word: float = 0.0
    cover: float = 0.0
    model: float = 0.0
    exact: bool = False  # the message equals one of the intent's examples (score floored)
    negative: bool = False  # halved: close to one of the intent's negative examples


@dataclass(slots=True)
class Model:
    """A linear classifier over word and word-pair features (see `train_model`)."""

    features: dict[str, int]  # feature -> row of `weights`
    weights: np.ndarray  # (rows, intents) float32
    buckets: int  # rows; features beyond it share rows (hashing by id)

    def scores(self, tokens: Sequence[str]) -> np.ndarray | None:
        """Raw per-intent scores for a message's tokens, or None when nothing is known."""
        feats = _features(tokens)
        if not feats:
            return None
        ids = [self.features[f] for f in feats if f in self.features]
        if not ids:
            return None
        rows = np.fromiter(ids, dtype=np.int64, count=len(ids)) % self.buckets
        total: np.ndarray = self.weights[rows].sum(axis=0, dtype=np.float64)
        return total / math.sqrt(len(feats))


def _features(tokens: Sequence[str]) -> list[str]:
    """Unique word and adjacent word-pair features, in first-seen order."""
    out = dict.fromkeys(tokens)
    out.update(dict.fromkeys(f"{a} {b}" for a, b in itertools.pairwise(tokens)))
    return list(out)


def _vocabulary(rows: list[tuple[str, ...]]) -> tuple[list[list[str]], dict[str, int]]:
    """Each row's features, and every feature numbered in first-seen order."""
    feats = [_features(r) for r in rows]
    vocab: dict[str, int] = {}
    for fs in feats:
        for f in fs:
            vocab.setdefault(f, len(vocab))
    return feats, vocab


def _again(normaliser: Normaliser, text: str, plain: Normalised) -> Normalised:
    """`text` normalised with the catalogue's vocabulary, reusing `plain` where it can.

    The vocabulary holds every word of `plain`, so typo correction never fires on it; only
    stretched letters ("sooo") are resolved differently once the vocabulary is known.
    """
    if any(_STRETCH_RE.search(before) for before, _ in plain.changes):
        return normaliser.normalise(text)
    return plain


def train_model(rows: list[tuple[str, ...]], labels: np.ndarray, n_intents: int,
                epochs: int = MODEL_EPOCHS, max_cells: int = MODEL_MAX_CELLS) -> Model | None:
    """Averaged multi-class perceptron with a margin; deterministic for the same input.

    Each pass visits the examples in a shuffled (seeded) order; when an example's own
    intent does not beat the best other intent by a margin of 1, the example's features
    move towards its intent and away from the other. The average of the weights over all
    steps is kept, which generalises like a regularised linear classifier.
    """
    if n_intents < 2 or not rows:
        return None
    feats, vocab = _vocabulary(rows)
    buckets = max(1, min(len(vocab), max_cells // n_intents))
    x = [np.unique(np.array([vocab[f] % buckets for f in fs], dtype=np.int64)) for fs in feats]
    scale = [1.0 / math.sqrt(len(fs)) if fs else 0.0 for fs in feats]
    # Feature-major, as when scoring: a step reads a few whole rows (one per feature).
    w = np.zeros((buckets, n_intents), dtype=np.float32)
    acc = np.zeros_like(w)  # sum of step * update, for the average (Daume's trick)
    step = 1
    # Big catalogues get fewer passes (at least one) so building stays quick.
    for epoch in range(max(1, min(epochs, MODEL_MAX_STEPS // len(rows)))):
        updates = 0
        for i in _visit_order(rows, labels, epoch):
            ids = x[i]
            step += 1
            if not len(ids):
                continue
            s = w[ids].sum(axis=0)
            y = int(labels[i])
            truth = s[y]
            s[y] = -np.inf
            p = int(s.argmax())
            if (truth - s[p]) * scale[i] < 1.0:  # wrong, or right by too little
                v = scale[i]
                w[ids, y] += v
                w[ids, p] -= v
                acc[ids, y] += step * v
                acc[ids, p] -= step * v
                updates += 1
        if not updates:
            break
    avg = w - acc / step
    return Model(vocab, avg, buckets)


def train_ridge(rows: list[tuple[str, ...]], labels: np.ndarray, n_intents: int,
                lam: float = 1.0, target: float = 3.0) -> Model | None:
    """Ridge regression onto one-hot intents (solved in closed form; unique answer).

    Unlike the perceptron, whose weights depend on the order it visits examples in, the
    ridge solution is the one minimum of a smooth loss: adding one example moves every
    other answer only as far as that example's words reach. Solved in its dual form,
    (X X^T + lam I)^-1 Y, which is cheap while there are a few thousand examples; X stays
    sparse (memory grows with examples squared, not examples x features).
    """
    if n_intents < 2 or not rows:
        return None
    feats, vocab = _vocabulary(rows)
    # X is sparse (a dozen features per example): it is kept as its non-zero entries, so the
    # dense examples x features matrix never exists.
    rows_nz: list[int] = []
    cols_nz: list[int] = []
    vals_nz: list[float] = []
    for i, fs in enumerate(feats):
        v = 1.0 / math.sqrt(len(fs)) if fs else 0.0
        for f in dict.fromkeys(fs):
            rows_nz.append(i)
            cols_nz.append(vocab[f])
            vals_nz.append(v)
    r_nz = np.array(rows_nz, dtype=np.int64)
    c_nz = np.array(cols_nz, dtype=np.int64)
    v_nz = np.array(vals_nz, dtype=np.float32)
    # X Xᵀ: common features (in many examples) as a small dense block through BLAS, the rest
    # from their postings (each adds the products of its few rows' values).
    n = len(rows)
    counts = np.bincount(c_nz, minlength=len(vocab))
    common = np.flatnonzero(counts > RIDGE_DENSE_AFTER)
    dense_col = np.full(len(vocab), -1, dtype=np.int64)
    dense_col[common] = np.arange(len(common))
    in_dense = dense_col[c_nz] >= 0
    block = np.zeros((n, len(common)), dtype=np.float64)
    block[r_nz[in_dense], dense_col[c_nz[in_dense]]] = v_nz[in_dense]
    gram = block @ block.T
    rare_r, rare_c, rare_v = r_nz[~in_dense], c_nz[~in_dense], v_nz[~in_dense]
    order = np.argsort(rare_c, kind="stable")
    rare_r, rare_v = rare_r[order], rare_v[order].astype(np.float64)
    bounds = np.flatnonzero(np.diff(rare_c[order])) + 1
    cells = [(rr[:, None] * n + rr[None, :]).ravel() for rr in np.split(rare_r, bounds)]
    products = [np.outer(vv, vv).ravel() for vv in np.split(rare_v, bounds)]
    if cells:
        gram += np.bincount(np.concatenate(cells), weights=np.concatenate(products),
                            minlength=n * n).reshape(n, n)
    gram[np.diag_indices_from(gram)] += lam
    y = np.zeros((len(rows), n_intents), dtype=np.float64)
    y[np.arange(len(rows)), labels] = target
    alpha = np.linalg.solve(gram, y)
    del gram
    weights = np.zeros((len(vocab), n_intents), dtype=np.float64)
    np.add.at(weights, c_nz, v_nz.astype(np.float64)[:, None] * alpha[r_nz])
    weights = weights.astype(np.float32)
    return Model(vocab, weights, max(1, len(vocab)))


def _visit_order(rows: list[tuple[str, ...]], labels: np.ndarray, epoch: int) -> list[int]:
    """A shuffled order that depends on each example alone, not on the list around it.

    Each example's place comes from a hash of its words, intent and the pass number, so
    adding or removing one example leaves the order of all the others as it was: an edit
    to one intent then moves other answers as little as possible (see bot/locality.py).
    """
    keys = [zlib.crc32(f"{MODEL_SEED}|{epoch}|{int(labels[i])}|{' '.join(r)}".encode())
            for i, r in enumerate(rows)]
    return sorted(range(len(rows)), key=lambda i: (keys[i], i))


@dataclass(slots=True)
class Index:
    """Everything precomputed from a catalogue that matching needs."""

    normaliser: Normaliser
    intent_ids: list[str]
    starts: np.ndarray  # first example row of each intent
    owner: np.ndarray  # intent number of each example row
    examples: list[str]  # original example text per row
    sorted_text: list[str]  # normalised, sorted words per row
    row_weight: np.ndarray  # total IDF weight of each row's content words
    postings: dict[str, np.ndarray]  # word -> rows containing it
    idf: dict[str, float]
    intent_vocab: list[dict[str, float]]  # word -> 0..1 how typical it is of the intent
    negatives: dict[int, list[str]]  # intent number -> sorted normalised negatives
    default_idf: float
    vocab_postings: dict[str, tuple[np.ndarray, np.ndarray]]  # word -> (intents, typicality)
    name_rank: np.ndarray  # position of each intent id in sorted order (breaks ties)
    pinned: np.ndarray  # bool per intent: always scored in full and returned (safety)
    sorted_rows: np.ndarray  # sorted_text as an object array, to pick rows quickly
    model: Model | None = None
    w_char: float = W_CHAR
    w_cover: float = W_COVER
    w_model: float = W_MODEL
    top_k: int = TOP_K
    model_scale: float = MODEL_SCALE
    max_ranked: int = MAX_RANKED
    _rank_cached: Callable[[tuple[str, ...], int | None], tuple[Candidate, ...]] | None = \
        field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def build(cls, cat: Catalogue) -> Index:
        return cls.from_examples(
            {i.id: list(i.examples) for i in cat.intents.values()},
            lexicon=cat.lexicon,
            keywords={i.id: list(i.keywords) for i in cat.intents.values()},
            negatives={i.id: list(i.negative_examples) for i in cat.intents.values()},
            pinned=[i.id for i in cat.intents.values() if i.is_safety],
        )

    @classmethod
    def from_examples(
        cls,
        examples: dict[str, list[str]],
        lexicon: dict[str, str] | None = None,
        keywords: dict[str, list[str]] | None = None,
        negatives: dict[str, list[str]] | None = None,
        *,
        w_char: float = W_CHAR,
        w_cover: float = W_COVER,
        w_model: float = W_MODEL,
        top_k: int = TOP_K,
        model_scale: float = MODEL_SCALE,
        model_epochs: int = MODEL_EPOCHS,
        model_max_cells: int = MODEL_MAX_CELLS,
        max_ranked: int = MAX_RANKED,
        pinned: Sequence[str] = (),
    ) -> Index:
        """Build an index from plain example lists (also used by the benchmarks)."""
        lexicon = lexicon or {}
        keywords = keywords or {}
        negatives = negatives or {}
        plain = Normaliser(lexicon=lexicon)
        norm_examples = {k: [plain.normalise(e) for e in v] for k, v in examples.items()}
        norm_keywords = {k: [plain.normalise(w) for w in v] for k, v in keywords.items()}
        vocab: set[str] = set()
        for lst in (*norm_examples.values(), *norm_keywords.values()):
            for norm in lst:
                vocab.update(norm.tokens)
        vocab.update(w for v in lexicon.values() for w in v.split())
        normaliser = Normaliser(lexicon=lexicon, vocabulary=frozenset(vocab))
        # Re-normalise with typo correction now that the vocabulary is known.
        intent_ids = [k for k in examples if examples[k]]
        rows: list[Normalised] = []
        owner: list[int] = []
        starts: list[int] = []
        intent_vocab: list[dict[str, float]] = []
        model_rows: list[tuple[str, ...]] = []
        model_labels: list[int] = []
        for n, iid in enumerate(intent_ids):
            starts.append(len(rows))
            these = [_again(normaliser, e, x) for e, x in zip(examples[iid], norm_examples[iid],
                                                              strict=True)]
            rows.extend(these)
            owner.extend([n] * len(these))
            counts: dict[str, int] = defaultdict(int)
            for x in these:
                for t in set(x.content):
                    counts[t] += 1
                model_rows.append(x.tokens)
                model_labels.append(n)
            for k in keywords.get(iid, []):
                kn = normaliser.normalise(k)
                for t in kn.content:
                    counts[t] += COVER_SATURATION
                model_rows.append(kn.tokens)
                model_labels.append(n)
            intent_vocab.append({w: min(1.0, c / COVER_SATURATION) for w, c in counts.items()})
        df: dict[str, int] = defaultdict(int)
        by_word: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for n, words in enumerate(intent_vocab):
            for w, typical in words.items():
                df[w] += 1
                by_word[w][0].append(n)
                by_word[w][1].append(typical)
        n_intents = max(len(intent_ids), 1)
        idf = {w: math.log(1 + n_intents / c) for w, c in df.items()}
        default_idf = math.log(1 + n_intents)
        post: dict[str, list[int]] = defaultdict(list)
        weights: list[float] = []
        for r, x in enumerate(rows):
            content = set(x.content)
            for w in content:
                post[w].append(r)
            weights.append(sum(idf.get(w, default_idf) for w in content))
        neg: dict[int, list[str]] = {}
        for n, iid in enumerate(intent_ids):
            if negatives.get(iid):
                neg[n] = [" ".join(sorted(normaliser.normalise(e).tokens))
                          for e in negatives[iid]]
        sorted_text = [" ".join(sorted(x.tokens)) for x in rows]
        model = None
        if w_model > 0 and len(model_rows) <= RIDGE_MAX_ROWS:
            model = train_ridge(model_rows, np.array(model_labels, dtype=np.int64),
                                len(intent_ids), RIDGE_LAMBDA, RIDGE_TARGET)
        elif w_model > 0:
            model = train_model(model_rows, np.array(model_labels, dtype=np.int64),
                                len(intent_ids), model_epochs, model_max_cells)
        return cls(
            normaliser=normaliser,
            intent_ids=intent_ids,
            starts=np.array(starts, dtype=np.int64),
            owner=np.array(owner, dtype=np.int64),
            examples=[e for iid in intent_ids for e in examples[iid]],
            sorted_text=sorted_text,
            sorted_rows=np.array(sorted_text, dtype=object),
            row_weight=np.array(weights, dtype=np.float64),
            postings={w: np.array(v, dtype=np.int64) for w, v in post.items()},
            idf=idf,
            intent_vocab=intent_vocab,
            negatives=neg,
            default_idf=default_idf,
            vocab_postings={w: (np.array(a, dtype=np.int64), np.array(b, dtype=np.float64))
                            for w, (a, b) in by_word.items()},
            name_rank=np.argsort(np.argsort(np.array(intent_ids, dtype=object))),
            pinned=np.array([i in set(pinned) for i in intent_ids], dtype=bool),
            max_ranked=max_ranked,
            model=model,
            w_char=w_char,
            w_cover=w_cover,
            w_model=w_model if model is not None else 0.0,
            top_k=top_k,
            model_scale=model_scale,
        )

    # ------------------------------------------------------------ scoring

    def scores(self, norm: Normalised) -> dict[str, np.ndarray] | None:
        """Every evidence array for one message (intent-level and example-level)."""
        return self._scores(norm.tokens)

    def _scores(self, tokens: tuple[str, ...]) -> dict[str, np.ndarray] | None:
        if not self.intent_ids:
            return None
        query = " ".join(sorted(tokens))
        if not query:
            return None
        n_rows = len(self.sorted_text)
        n_intents = len(self.intent_ids)
        # Sorted: float sums in a fixed order, whatever the hash seed.
        content = sorted({t for t in tokens if t not in STOPWORDS})
        overlap = np.zeros(n_rows, dtype=np.float64)
        known = np.zeros(n_intents, dtype=np.float64)
        q_weight = 0.0
        for w in content:
            weight = self.idf.get(w, self.default_idf)
            q_weight += weight
            rows = self.postings.get(w)
            if rows is not None:
                overlap[rows] += weight
            vocab = self.vocab_postings.get(w)
            if vocab is not None:
                known[vocab[0]] += weight * vocab[1]
        if q_weight > 0:
            word = (200.0 * overlap) / (q_weight + self.row_weight)
            cover = (100.0 / q_weight) * known
        else:
            word, cover = overlap, known  # all zeros
        w_best = 1 - self.w_cover - self.w_model
        score = self.w_cover * cover
        model = np.zeros(n_intents, dtype=np.float64)
        if self.model is not None and self.w_model > 0:
            raw = self.model.scores(tokens)
            if raw is not None:
                model = 100.0 * np.clip(np.tanh(raw / self.model_scale), 0.0, 1.0)
                score += self.w_model * model
        if n_intents <= self.max_ranked:
            char = process.cdist([query], self.sorted_text, scorer=fuzz.ratio,
                                 dtype=np.float32, workers=1)[0].astype(np.float64)
            combined = self.w_char * char + (1 - self.w_char) * word
            best, best_row = _top_mean(combined, self.starts, self.owner, self.top_k)
            score += w_best * best
            full = np.ones(n_intents, dtype=bool)
        else:
            # Characters are the costly evidence, so in a big catalogue only the intents
            # that words, cover and the model rate highest (plus pinned ones) get it, and
            # only they are ranked: cost stops growing with the number of intents.
            touched = np.flatnonzero(overlap)
            top_word = np.zeros(n_intents, dtype=np.float64)
            np.maximum.at(top_word, self.owner[touched], word[touched])
            floor = score + w_best * (1 - self.w_char) * top_word
            full = self.pinned.copy()
            full[np.lexsort((self.name_rank, -floor))[: self.max_ranked]] = True
            kept = np.flatnonzero(full)
            ends = np.append(self.starts[1:], n_rows)
            size = ends[kept] - self.starts[kept]
            sub_starts = np.cumsum(size) - size
            rows = np.repeat(self.starts[kept] - sub_starts, size) + np.arange(size.sum())
            sub_char = process.cdist([query], self.sorted_rows[rows], scorer=fuzz.ratio,
                                     dtype=np.float32, workers=1)[0].astype(np.float64)
            sub_best, sub_row = _top_mean(
                self.w_char * sub_char + (1 - self.w_char) * word[rows], sub_starts,
                np.repeat(np.arange(len(kept)), size), self.top_k)
            score[kept] += w_best * sub_best
            best_row = self.starts.copy()  # unranked intents: any row will do
            best_row[kept] = rows[sub_row]
            char = np.zeros(n_rows, dtype=np.float64)
            char[rows] = sub_char
        return {"score": score, "best_row": best_row, "char": char, "word": word,
                "cover": cover, "model": model, "full": full}

    def rank(self, norm: Normalised, limit: int | None = None) -> list[Candidate]:
        """Score every intent for an already-normalised message, best first."""
        if self._rank_cached is None:  # first use: one cache per index
            # Bounded by candidates kept, not messages: big catalogues keep fewer messages.
            size = max(8, RANK_CACHE_CANDIDATES // max(1, len(self.intent_ids)))
            self._rank_cached = lru_cache(maxsize=size)(self._rank)
        return list(self._rank_cached(norm.tokens, limit))

    def _rank(self, tokens: tuple[str, ...], limit: int | None) -> tuple[Candidate, ...]:
        return tuple(self._rank_uncached(tokens, limit))

    def _rank_uncached(self, tokens: tuple[str, ...], limit: int | None) -> list[Candidate]:
        ev = self._scores(tokens)
        if ev is None:
            return [Candidate(i, 0.0, "") for n, i in enumerate(self.intent_ids)
                    if n < self.max_ranked or self.pinned[n]][: limit or None]
        full = ev["full"]
        shown = np.flatnonzero(full)  # intents scored in full: the only ones ranked
        best_row = ev["best_row"]
        char, word, cover, model = ev["char"], ev["word"], ev["cover"], ev["model"]
        exact = char[best_row] >= 100.0
        score = np.where(exact, np.maximum(ev["score"], EXACT_SCORE), ev["score"])
        halved = np.zeros(len(score), dtype=bool)
        if self.negatives:
            query = " ".join(sorted(tokens))
            for n, negs in self.negatives.items():
                if full[n] and process.extractOne(query, negs, scorer=fuzz.ratio,
                                                  score_cutoff=NEGATIVE_CUTOFF) is not None:
                    halved[n] = True
            score = np.where(halved, score * 0.5, score)
        score = np.round(np.minimum(score, 100.0), 2)
        # Best first; ties by intent id so the order never depends on catalogue order.
        order = shown[np.lexsort((self.name_rank[shown], -score[shown]))]
        if limit:
            order = order[:limit]
        rows = best_row[order]
        # Whole columns to Python at once: per-element numpy access is what costs here.
        return [
            Candidate(self.intent_ids[n], sc, self.examples[r], ch, wo, co, mo, ex, ha)
            for n, r, sc, ch, wo, co, mo, ex, ha in zip(
                order.tolist(), rows.tolist(), score[order].tolist(),
                np.round(char[rows], 2).tolist(),
                np.round(word[rows], 2).tolist(),
                np.round(cover[order], 2).tolist(), np.round(model[order], 2).tolist(),
                exact[order].tolist(), halved[order].tolist(), strict=True)
        ]


def _top_mean(values: np.ndarray, starts: np.ndarray, owner: np.ndarray,
              k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per intent (contiguous rows from `starts`): mean of the best k values, best row."""
    best = np.maximum.reduceat(values, starts)
    best_row = _first_hit(values, best, owner)
    if k <= 1:
        return best, best_row
    total = best.copy()
    taken = np.ones(len(starts), dtype=np.int64)
    rest = values.copy()
    removed = best_row
    for _ in range(k - 1):
        rest[removed] = -np.inf
        nxt = np.maximum.reduceat(rest, starts)
        ok = np.isfinite(nxt)
        total[ok] += nxt[ok]
        taken[ok] += 1
        removed = _first_hit(rest, nxt, owner)
    return total / taken, best_row


def _first_hit(values: np.ndarray, best: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """The first row of every intent whose value equals the intent's best (like argmax)."""
    hit = np.flatnonzero(values == best[owner])
    first = np.ones(len(hit), dtype=bool)
    first[1:] = owner[hit[1:]] != owner[hit[:-1]]
    return hit[first]


def index_for(cat: Catalogue) -> Index:
    """The index for this catalogue, built once on first use and kept with it."""
    return cat.derived("index", Index.build)


def rank(text: str, cat: Catalogue, limit: int | None = None) -> list[Candidate]:
    """Normalise `text` with the catalogue's lexicon and rank every intent."""
    index = index_for(cat)
    return index.rank(index.normaliser.normalise(text), limit)


__all__ = ["STOPWORDS", "Candidate", "Index", "index_for", "rank"]
