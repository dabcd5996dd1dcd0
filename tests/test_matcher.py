"""The matcher ranks intents with scores on 0-100 and names the example that matched."""

from __future__ import annotations

from bot.catalogue_types import Catalogue
from bot.matcher import Index, rank


def test_ranks_every_intent_best_first(shipped: Catalogue) -> None:
    """All intents come back, sorted, with scores in range."""
    ranked = rank("any boxing near me", shipped)
    assert {c.intent_id for c in ranked} == set(shipped.intents)
    assert ranked[0].intent_id == "sport"
    assert all(0 <= c.score <= 100 for c in ranked)
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)


def test_reports_the_example_that_matched(shipped: Catalogue) -> None:
    """The top candidate names a real example of its intent."""
    top = rank("where can i record my music", shipped)[0]
    assert top.intent_id == "arts"
    assert top.example in shipped.intents["arts"].examples


def test_generalises_beyond_the_examples(shipped: Catalogue) -> None:
    """Phrasings that are not examples still find the right intent."""
    for text, want in [
        ("is there anywhere i can learn to dj on a thursday", "arts"),
        ("my cv is rubbish can someone look at it", "education"),
        ("wanna give something back to my community", "volunteer"),
    ]:
        assert rank(text, shipped)[0].intent_id == want, text


def test_deterministic(shipped: Catalogue) -> None:
    """The same message always gets the same ranking."""
    assert rank("football tonight?", shipped) == rank("football tonight?", shipped)


def test_empty_message_scores_zero(shipped: Catalogue) -> None:
    """Nothing to match means every score is zero."""
    assert all(c.score == 0 for c in rank("   ", shipped))


def test_negative_example_pushes_an_intent_down() -> None:
    """A message close to an intent's negative example is not that intent."""
    ex = {"sport": ["boxing club", "boxing gym near me"], "threat": ["i got boxed in"]}
    plain = Index.from_examples(ex)
    fenced = Index.from_examples(ex, negatives={"sport": ["i got boxed by the opps"]})
    msg = plain.normaliser.normalise("i got boxed by the opps")
    with_neg = {c.intent_id: c.score for c in fenced.rank(msg)}
    without = {c.intent_id: c.score for c in plain.rank(msg)}
    assert with_neg["sport"] < without["sport"]
