"""The matcher's learned evidence and its behaviour in big catalogues."""

from __future__ import annotations

import numpy as np

from bot.matcher import Index
from bot.text import Normaliser

EXAMPLES = {
    "balance": ["what is my bank balance", "how much money is in my account",
                "check my balance please", "tell me my account balance"],
    "transfer": ["move money to my savings account", "transfer money to my mum",
                 "send money from my account to another", "transfer 50 pounds to savings"],
    "sport": ["any football near me", "boxing gym for beginners", "basketball courts"],
}


def test_model_build_is_repeatable() -> None:
    """Two builds from the same examples learn exactly the same weights."""
    a = Index.from_examples(EXAMPLES)
    b = Index.from_examples(EXAMPLES)
    assert a.model is not None and b.model is not None
    assert np.array_equal(a.model.weights, b.model.weights)


def test_model_separates_intents_that_share_words() -> None:
    """'savings' and 'account' belong to both intents; the model learns what tells them apart."""

    def gap(index: Index) -> float:
        a, b = index.rank(index.normaliser.normalise("how much is in my savings account"))[:2]
        assert (a.intent_id, b.intent_id) == ("balance", "transfer")
        return a.score - b.score

    # 4 points is the shipped ambiguity margin: without the model the bot would have to ask.
    assert gap(Index.from_examples(EXAMPLES)) > 4 > gap(Index.from_examples(EXAMPLES,
                                                                             w_model=0))


def test_model_off_is_pure_similarity() -> None:
    """With w_model=0 no model is trained and model evidence is zero."""
    index = Index.from_examples(EXAMPLES, w_model=0)
    assert index.model is None
    assert all(c.model == 0 for c in index.rank(index.normaliser.normalise("my balance")))


def test_big_catalogue_returns_the_best_and_every_pinned_intent() -> None:
    """Over max_ranked intents, the best ones and all pinned ones come back, in order."""
    examples = {f"topic{n:03d}": [f"tell me about subject{n} please",
                                  f"subject{n} questions and answers"] for n in range(100)}
    examples["danger"] = ["someone is following me home", "i am being followed"]
    index = Index.from_examples(examples, max_ranked=10, pinned=["danger"])
    ranked = index.rank(index.normaliser.normalise("questions about subject42"))
    assert ranked[0].intent_id == "topic042"
    assert len(ranked) == 11
    assert "danger" in {c.intent_id for c in ranked}
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    full = Index.from_examples(examples, max_ranked=1000)
    best = full.rank(full.normaliser.normalise("questions about subject42"))[0]
    assert (best.intent_id, best.score) == (ranked[0].intent_id, ranked[0].score)


def test_examples_normalise_the_same_as_messages() -> None:
    """Reusing the vocabulary-free pass gives the tokens a full normalisation would."""
    examples = {"arts": ["sooo keen on drama", "wanna do dance classes", "art club"],
                "sport": ["footy on a weekday", "boxing gym", "pleaseee any football"]}
    index = Index.from_examples(examples)
    again = Normaliser(vocabulary=index.normaliser.vocabulary)
    expected = [" ".join(sorted(again.normalise(e).tokens))
                for v in examples.values() for e in v]
    assert index.sorted_text == expected
