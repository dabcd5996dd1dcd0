"""The architecture the folder promises: rules that keep each layer to its job."""

from __future__ import annotations

import ast
import re
from pathlib import Path

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


def _module_imports(path: Path) -> set[str]:
    """bot.* modules a file imports when it is loaded (not under TYPE_CHECKING, not inside
    functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            continue
        for sub in ([node] if not isinstance(node, ast.If | ast.Try) else ast.walk(node)):
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith("bot"):
                found.add(sub.module)
                found.update(f"{sub.module}.{a.name}" for a in sub.names)
            elif isinstance(sub, ast.Import):
                found.update(a.name for a in sub.names if a.name.startswith("bot"))
    return found


def test_no_import_cycles_between_bot_modules() -> None:
    """Loading any bot module never needs a module that needs it back (cli <-> staff and
    friends stay broken)."""
    modules = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (REPO / "bot").rglob("*.py")}
    graph = {m: {i for i in _module_imports(p) if i in modules and i != m}
             for m, p in modules.items()}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        for n in graph[m]:
            if n in path:
                cycles.append([*path[path.index(n):], n])
            elif len(path) < 12:
                visit(n, [*path, n])

    for m in sorted(graph):
        visit(m, [m])
    assert not cycles, cycles[:3]
    assert "bot.cli" not in graph["bot.staff"] and "bot.cli" not in graph["bot.openreferral"]
