"""The architecture the folder promises: rules that keep each layer to its job."""

from __future__ import annotations

import re

from tests.conftest import REPO

SQL = re.compile(r"\.execute(many)?\(|\b(SELECT|INSERT INTO|UPDATE|DELETE FROM)\b [a-z*]")


def test_only_the_store_speaks_sql() -> None:
    """No module outside the bot.store package runs or writes SQL."""
    store = REPO / "bot" / "store"
    offenders = [f"{p.relative_to(REPO)}:{n}" for p in sorted((REPO / "bot").rglob("*.py"))
                 if store not in p.parents
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if SQL.search(line)]
    assert offenders == []
    assert SQL.search((store / "queries.py").read_text()), "the pattern can match"


def test_channels_do_not_reach_the_engine_or_the_store_directly() -> None:
    """The web channel talks to the session only: no engine calls, no store access."""
    for path in (REPO / "bot" / "web").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert ".respond(" not in text and "bot.store" not in text, path.name
