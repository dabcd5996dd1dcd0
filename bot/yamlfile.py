"""Read a YAML file safely, remembering the line and column of every value.

Staff edit the catalogue by hand, so every error must point at file:line:column.
PyYAML's composer gives us nodes with marks; we build plain Python values from them
with the safe constructor and keep a map from value path to position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a look) in a catalogue file."""

    file: str
    line: int
    column: int
    where: str  # dotted field path, e.g. services[3].schedules[0].opens_at
    message: str
    fix: str = ""
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        fix = f" ({self.fix})" if self.fix else ""
        where = f" {self.where}:" if self.where else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}:{where} {label}{self.message}{fix}"


@dataclass(slots=True)
class YamlDoc:
    """A parsed YAML document and where each value came from."""

    file: str
    data: Any
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def pos(self, path: Path_) -> tuple[int, int]:
        """Line and column of the value at `path`, or of its nearest parent."""
        p = tuple(path)
        while p:
            if p in self.marks:
                return self.marks[p]
            p = p[:-1]
        return self.marks.get((), (1, 1))

    def key_pos(self, path: Path_) -> tuple[int, int]:
        """Line and column of the key naming `path` (falls back to the value)."""
        return self.marks.get((*path, "<key>"), self.pos(path))

    def problem(
        self,
        path: Path_,
        message: str,
        fix: str = "",
        severity: str = "error",
        *,
        at_key: bool = False,
    ) -> Problem:
        line, col = self.key_pos(path) if at_key else self.pos(path)
        return Problem(self.file, line, col, dotted(path), message, fix, severity)


def dotted(path: Path_) -> str:
    """Render ('services', 3, 'name') as services[3].name."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def load_yaml(path: Path, display: str | None = None) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one file; on a syntax error return (None, [problem]) instead of raising."""
    name = display or path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(name, 1, 1, "", "file is missing", "create it or restore it")]
    except UnicodeDecodeError as exc:
        return None, [
            Problem(name, 1, 1, "", f"is not UTF-8 text ({exc.reason})", "save it as UTF-8")
        ]
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot be read: {exc.strerror}", "")]
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse YAML text with the safe loader, keeping positions."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDoc(name, None, {(): (1, 1)}), []
        doc = YamlDoc(name, None)
        problems: list[Problem] = []
        doc.data = _build(loader, node, (), doc, problems)
        return doc, problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "YAML syntax error"
        hint = _syntax_hint(what)
        return None, [Problem(name, line, col, "", f"YAML syntax error: {what}", hint)]
    except yaml.YAMLError as exc:
        return None, [Problem(name, 1, 1, "", f"YAML error: {exc}", "")]
    finally:
        loader.dispose()


def _syntax_hint(problem: str) -> str:
    if "tab" in problem:
        return "use spaces, not tabs, to indent"
    if "mapping values are not allowed" in problem:
        return "put quotes around text that contains a colon"
    if "expected <block end>" in problem or "did not find expected" in problem:
        return "check the indentation of this line matches the lines above it"
    if "found character" in problem:
        return "put quotes around text that starts with a special character"
    return "check indentation and quotes on this line and the one above"


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path_,
    doc: YamlDoc,
    problems: list[Problem],
) -> Any:
    doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        # Collections are built here, not by the safe constructor, so refuse tags ourselves.
        raise yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {node.tag!r}",
            node.start_mark)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                key = str(key)
            child = (*path, str(key))
            if key in out:
                line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
                problems.append(
                    Problem(
                        doc.file, line, col, dotted(child),
                        f'"{key}" appears twice here', "delete or rename one of them",
                    )
                )
            doc.marks[(*child, "<key>")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = _build(loader, value_node, child, doc, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, i), doc, problems) for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
