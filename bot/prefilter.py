"""A literal prefilter for the safety screen's regular expressions.

Most rules can only match if the text contains one of a few literal strings ("myself",
"stab", "bleeding"). `required_literals` reads a compiled pattern's syntax tree and finds
such a set; `Prefilter` finds every literal in a text in one pass (Aho-Corasick, from the
maintained `pyahocorasick` package) and says which rules can possibly match. A rule with
no usable literal always runs. The prefilter never changes a verdict, only skips searches
that cannot succeed (a test checks this over the test sets).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

try:  # the regex parser is private; without it every rule simply runs
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    sre_parse = None

LITERAL = getattr(sre_parse, "LITERAL", None)
SUBPATTERN = getattr(sre_parse, "SUBPATTERN", None)
BRANCH = getattr(sre_parse, "BRANCH", None)
_REPEATS = tuple(getattr(sre_parse, n, None)
                 for n in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"))

_CASE_BLIND_RE = re.compile(r"\(\?[a-zA-Z-]*i")  # (?i) or (?i:...) anywhere in a rule
MIN_LITERAL = 3  # shorter literals ("a", "is") are in nearly every message


def _best(options: list[set[str]]) -> set[str] | None:
    """The most selective set: the one whose shortest literal is longest."""
    good = [o for o in options if o and min(len(x) for x in o) >= MIN_LITERAL]
    if not good:
        return None
    return max(good, key=lambda o: (min(len(x) for x in o), -len(o)))


def _sequence(items: Any) -> set[str] | None:
    options: list[set[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            options.append({"".join(run)})
            run.clear()

    for op, av in items:
        if op is LITERAL:
            run.append(chr(av))
            continue
        flush()
        sub: set[str] | None = None
        if op is SUBPATTERN:
            sub = _sequence(av[-1])
        elif op is BRANCH:
            alts = [_sequence(branch) for branch in av[1]]
            if alts and all(a is not None for a in alts):
                sub = set().union(*[a for a in alts if a is not None])
        elif op in _REPEATS and av[0] >= 1:
            sub = _sequence(av[2])
        if sub is not None:
            options.append(sub)
    flush()
    return _best(options)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Literals of which every match contains at least one, or None if none can be found."""
    return _literals(pattern.pattern, pattern.flags)


@lru_cache(maxsize=4096)  # the floor's rules are the same in every screen built
def _literals(source: str, flags: int) -> frozenset[str] | None:
    if sre_parse is None or flags & re.IGNORECASE or _CASE_BLIND_RE.search(source):
        return None  # literals are read as written; a case-blind rule always runs
    try:
        found = _sequence(sre_parse.parse(source, flags))
    except Exception:  # an unusual construct: run the rule every time
        return None
    return frozenset(found) if found else None


class Prefilter:
    """Which of a list of patterns can possibly match a text."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self.always: list[int] = []
        by_literal: dict[str, list[int]] = {}
        for i, p in enumerate(patterns):
            lits = required_literals(p)
            if lits is None:
                self.always.append(i)
            else:
                for lit in lits:
                    by_literal.setdefault(lit, []).append(i)
        self.size = len(patterns)
        self._automaton: Any = None
        try:
            import ahocorasick
        except ImportError:  # degrade: every rule runs
            self.always = list(range(len(patterns)))
            return
        auto = ahocorasick.Automaton()
        for lit, idx in by_literal.items():
            auto.add_word(lit, tuple(idx))
        if by_literal:
            auto.make_automaton()
            self._automaton = auto

    def candidates(self, texts: Sequence[str]) -> list[int]:
        """Indexes of the patterns that may match one of `texts`, in their original order."""
        if self._automaton is None:
            return sorted(self.always)
        hit: set[int] = set(self.always)
        for text in texts:
            for _end, idx in self._automaton.iter(text):
                hit.update(idx)
        return sorted(hit)
