"""Do edits stay local? Add one harmless example to an intent and replay labelled sets.

Staff add examples all the time. Adding one harmless example to a non-safety intent must
not change any safety answer, and should change only a handful of other answers. This
module makes such an edit in a copy of the catalogue and replays messages through the old
and the new engine (bot.staff_replay.replay), so tests and `python -m bench locality` share it.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from bot.catalogue import load_or_raise
from bot.dialogue import Engine
from bot.staff_replay import ReplayReport, replay

# One harmless example per non-safety intent: what a young person might add to each.
HARMLESS: dict[str, str] = {
    "arts": "any pottery classes on a weekday",
    "sport": "any table tennis on a saturday",
    "mentoring": "want a mentor who knows about music",
    "gang_exit": "how do i stop hanging round with my old crew",
    "education": "any coding courses for beginners",
    "youth_club": "is there a youth club with a games room",
    "worried_friend": "my friend keeps skipping football training",
    "parent": "my son wants to join a club what is there",
    "mental_health": "i get nervous before exams",
    "volunteer": "can i volunteer at a food bank",
    "events": "anything on at the library this week",
    "report_crime": "how do i report graffiti on my street",
    "greeting": "hey there bot",
    "thanks": "thanks a million",
    "goodbye": "gotta go now",
    "bot_identity": "are you a robot or what",
    "privacy": "where does my data go",
    "help": "what sort of things can you find",
    "human": "can i speak to a youth worker",
    "smalltalk": "whats your favourite colour",
    "insult": "you are so boring",
}


def harmless_example(intent_id: str, title: str) -> str:
    """The example to add to an intent: its own from HARMLESS, else one made from its title."""
    return HARMLESS.get(intent_id) or f"can you tell me a bit more about {title.lower()}"


CATALOGUE_FILES = ("settings.yaml", "services.yaml", "lexicon.yaml", "places.yaml")


def copy_catalogue(src: Path, dst: Path) -> Path:
    """A throwaway copy of a catalogue folder."""
    shutil.copytree(src / "intents", dst / "intents")
    for name in CATALOGUE_FILES:
        if (src / name).exists():
            shutil.copy(src / name, dst / name)
    return dst


def add_example(root: Path, intent_id: str, example: str) -> None:
    """Insert one example at the top of an intent's examples list, as staff would."""
    path = root / "intents" / f"{intent_id}.yaml"
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(r"^examples:\n", f'examples:\n  - "{example}"\n', text, count=1,
                     flags=re.M)
    if n != 1:
        raise ValueError(f"{path}: no 'examples:' line to add to")
    path.write_text(new, encoding="utf-8")


def edit_effect(src: Path, work: Path, intent_id: str, example: str,
                messages: Iterable[tuple[str, str | None]], now: dt.datetime,
                base: Engine | None = None) -> ReplayReport:
    """Answers that change when `example` is added to `intent_id` (in a copy of `src`)."""
    base = base or Engine(load_or_raise(src, now.date()))
    root = copy_catalogue(src, work)
    add_example(root, intent_id, example)
    edited = Engine(load_or_raise(root, now.date()))
    return replay(base, edited, messages, now)
