"""The catalogue a running bot serves, reloaded safely when staff save a file.

`LiveCatalogue.engine` is read once per message; `poll()` (called every few seconds by
the channel) notices changed files, validates the new version and swaps the engine in
one assignment, so a message is answered wholly by the old or wholly by the new
catalogue. A version with errors is never served: the previous one stays live and the
problems are reported through `on_rejected`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.catalogue import Catalogue, load
from bot.dialogue import Engine
from bot.yamlfile import Problem

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What a reload attempt did."""

    changed: bool  # a new version is now live
    problems: tuple[Problem, ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def signature(root: Path) -> Signature:
    """Names, sizes and modification times of every catalogue file."""
    files = [root / "settings.yaml", root / "services.yaml", root / "lexicon.yaml"]
    intents = root / "intents"
    if intents.is_dir():
        files += sorted(intents.glob("*.y*ml"))
    out = []
    for f in files:
        try:
            st = f.stat()
            out.append((str(f), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(f), -1, -1))
    return tuple(out)


class LiveCatalogue:
    """Holds the engine for the current good catalogue."""

    def __init__(
        self,
        root: Path,
        on_rejected: Callable[[list[Problem]], None] | None = None,
    ) -> None:
        self.root = root
        self.on_rejected = on_rejected
        self._sig: Signature = ()
        self.catalogue: Catalogue | None = None
        self.engine = Engine(None)  # the safety floor answers until a catalogue loads
        self.last_reload: dt.datetime | None = None
        self.last_problems: tuple[Problem, ...] = ()
        self.reload()

    def reload(self) -> ReloadResult:
        """Load and validate now; swap in only if there are no errors."""
        self._sig = signature(self.root)
        try:
            cat, problems = load(self.root)
            engine = Engine(cat) if cat is not None else None
        except Exception as exc:  # never let a reload take the bot down
            log.exception("catalogue reload crashed; keeping the previous version")
            problems = [Problem("catalogue", 1, 1, "", f"could not be loaded: {exc}")]
            cat, engine = None, None
        self.last_problems = tuple(problems)
        if cat is None or engine is None:
            for p in problems:
                if p.severity == "error":
                    log.error("catalogue not reloaded: %s", p)
            if self.on_rejected is not None:
                try:
                    self.on_rejected([p for p in problems if p.severity == "error"])
                except Exception:
                    log.exception("could not report rejected catalogue")
            return ReloadResult(False, tuple(problems))
        self.catalogue = cat
        self.engine = engine
        self.last_reload = dt.datetime.now(dt.UTC)
        log.info("catalogue version %s is live (%d services, %d intents, %d warnings)",
                 cat.version, len(cat.services), len(cat.intents), len(cat.warnings))
        return ReloadResult(True, tuple(problems))

    def poll(self) -> ReloadResult | None:
        """Reload if any catalogue file changed since the last look; else None."""
        if signature(self.root) == self._sig:
            return None
        return self.reload()


def default_root() -> Path:
    env = os.environ.get("SIGNPOST_CATALOGUE")
    return Path(env) if env else Path.cwd()
