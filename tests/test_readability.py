"""Every reply and card text reads at about age 11 (Flesch-Kincaid grade 6 or below).

textstat counts syllables with British English hyphenation (pyphen, "en-GB"); its US
English mode downloads a pronouncing dictionary, which cannot happen here. Accessibility
notes ("Step-free access, hearing loop") are left out: they are standard labels people
look for, and a grade computed on a four-word fragment means nothing.
"""

from __future__ import annotations

import pytest
import textstat

from bot import dialogue, dialogue_replies, routes
from bot.catalogue_types import Catalogue
from tests.conftest import REPO

MAX_GRADE = 6.0
textstat.set_lang("en-GB")


def _texts(cat: Catalogue) -> list[tuple[str, str]]:
    out = [(f"intents/{i.id}.yaml reply", i.reply) for i in cat.intents.values()]
    for s in cat.services.values():
        for field in ("description", "fees_description", "alert"):
            value = getattr(s, field)
            if value:
                out.append((f"services.yaml {s.id}.{field}", value))
    return out


def test_there_are_texts_to_read(shipped: Catalogue) -> None:
    """The check below reads every intent reply and every service's card text."""
    texts = _texts(shipped)
    assert len(texts) >= len(shipped.intents) + len(shipped.services)


def test_catalogue_replies_and_cards_read_at_age_11(shipped: Catalogue) -> None:
    """Flesch-Kincaid grade <= 6 for each reply and each card text in the catalogue."""
    hard = [(where, round(textstat.flesch_kincaid_grade(text), 1), text)
            for where, text in _texts(shipped)
            if textstat.flesch_kincaid_grade(text) > MAX_GRADE]
    assert not hard, "\n".join(f"{w}: grade {g}: {t}" for w, g, t in hard) + \
        f"\n(rewrite with shorter sentences and words; see {REPO / 'docs' / 'catalogue.md'})"


@pytest.mark.parametrize("text", [dialogue.WELCOME, dialogue_replies.FALLBACK,
                                  dialogue_replies.NO_SERVICES, routes.ERROR_REPLY,
                                  *routes.FLOOR_REPLIES.values()])
def test_built_in_replies_read_at_age_11(text: str) -> None:
    """The replies that live in code read as simply as the catalogue's."""
    assert textstat.flesch_kincaid_grade(text) <= MAX_GRADE, text


def test_the_measure_can_fail() -> None:
    """A long, wordy sentence scores above the limit, so the checks above can fail."""
    wordy = ("Notwithstanding considerable organisational complexity, participation "
             "requires comprehensive documentation demonstrating eligibility.")
    assert textstat.flesch_kincaid_grade(wordy) > MAX_GRADE
