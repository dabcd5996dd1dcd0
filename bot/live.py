"""The catalogue a running bot serves, reloaded safely when staff save a file.

`LiveCatalogue.engine` is read once per message; `poll()` (called every few seconds by
the channel) notices changed files, validates the new version and swaps the engine in
one assignment, so a message is answered wholly by the old or wholly by the new
catalogue. A version with errors is never served: the previous one stays live and the
problems are reported through `on_rejected`.

Saving is not instant: an editor, a sync tool or a copy over the network can leave a
file half-written for a moment. So `poll()` only loads a change once the files have
looked the same for `settle` seconds, and if a file changes again while it is being read
it tries again later instead of reporting the half-saved version as broken.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot import memory
from bot.catalogue import load
from bot.catalogue_types import Catalogue
from bot.dialogue import Engine
from bot.yamlfile import Problem

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]

SETTLE_SECONDS = 1.0  # files must look unchanged this long before a poll loads them
RELOAD_TRIES = 3  # reload() re-reads when files change under it, at most this often


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
    """Holds the engine for the current good catalogue.

    `on_rejected` is called with the errors (each names file:line) when a changed
    catalogue does not validate; the previous version keeps serving.
    """

    def __init__(
        self,
        root: Path,
        on_rejected: Callable[[list[Problem]], None] | None = None,
        *,
        settle: float = SETTLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.on_rejected = on_rejected
        self.settle = settle
        self.clock = clock
        self._sig: Signature = ()  # the files as last loaded (good or rejected)
        self._seen: Signature | None = None  # a change waiting to settle
        self._seen_at = 0.0
        self.catalogue: Catalogue | None = None
        self.engine = Engine(None)  # the safety floor answers until a catalogue loads
        self.last_reload: dt.datetime | None = None
        self.last_problems: tuple[Problem, ...] = ()
        self.reload()

    # ------------------------------------------------------------ public

    def reload(self) -> ReloadResult:
        """Load and validate now; swap in only if there are no errors."""
        for _ in range(RELOAD_TRIES):
            outcome = self._attempt(signature(self.root))
            if outcome is not None:
                return outcome
        # The files kept changing while we read them: judge the last version read.
        return self._attempt(signature(self.root), steady=False) or ReloadResult(False)

    def poll(self) -> ReloadResult | None:
        """Reload if any catalogue file changed and has settled; else None."""
        sig = signature(self.root)
        if sig == self._sig:
            self._seen = None
            return None
        now = self.clock()
        if sig != self._seen:
            self._seen, self._seen_at = sig, now
        if now - self._seen_at < self.settle:
            return None  # still being saved, perhaps: look again next time
        return self._attempt(sig)

    @property
    def pending(self) -> bool:
        """True while a saved change is waiting to settle before it is loaded."""
        return signature(self.root) != self._sig

    # ------------------------------------------------------------ inside

    def _attempt(self, sig: Signature, *, steady: bool = True) -> ReloadResult | None:
        """Load the files; None if they changed while being read (try again later)."""
        try:
            cat, problems = load(self.root)
            engine = Engine(cat) if cat is not None else None
        except Exception as exc:  # never let a reload take the bot down
            log.exception("catalogue reload crashed; keeping the previous version")
            problems = [Problem("catalogue", 1, 1, "", f"could not be loaded: {exc}")]
            cat, engine = None, None
        if steady and signature(self.root) != sig:
            log.info("catalogue files changed while being read; reading them again shortly")
            return None
        self._sig = sig
        self._seen = None
        self.last_problems = tuple(problems)
        if cat is None or engine is None:
            errors = [p for p in problems if p.severity == "error"]
            for p in errors:
                log.error("catalogue not reloaded: %s", p)
            if self.on_rejected is not None:
                try:
                    self.on_rejected(errors)
                except Exception:
                    log.exception("could not report rejected catalogue")
            return ReloadResult(False, tuple(problems))
        self.catalogue = cat
        self.engine = engine  # the swap: one assignment, read once per message
        memory.release()  # the old engine and the training arrays: back to the system
        self.last_reload = dt.datetime.now(dt.UTC)
        log.info("catalogue version %s is live (%d services, %d intents, %d warnings)",
                 cat.version, len(cat.services), len(cat.intents), len(cat.warnings))
        return ReloadResult(True, tuple(problems))
