"""The normaliser: case, emoji, stretched letters, slang and typos."""

from __future__ import annotations

from bot.catalogue_types import Catalogue
from bot.matcher import index_for
from bot.text import Normaliser, build_lexicon, fold


def test_fold_lowercases_and_drops_punctuation() -> None:
    """Case and punctuation never change what a message means to the matcher."""
    assert fold("Any FOOTBALL?!  near me...") == "any football near me"


def test_fold_turns_meaningful_emoji_into_words() -> None:
    """Emoji that carry meaning become words; decorative ones disappear."""
    assert fold("⚽⚽ tonight ✨") == "football football tonight"
    assert fold("he has a 🔪") == "he has a knife"


def test_fold_removes_apostrophes_inside_words() -> None:
    """don't and dont read the same."""
    assert fold("I don’t know") == fold("i dont know") == "i dont know"


def test_fold_keeps_other_scripts() -> None:
    """Arabic, Polish and other letters survive folding."""
    assert fold("مرحبا Cześć") == "مرحبا cześć"


def test_stretched_letters_are_collapsed() -> None:
    """'pleaseeee' and 'helllp' are the words they stretch."""
    n = Normaliser(vocabulary=frozenset({"please", "help", "good"}))
    assert n.normalise("pleaseeee helllp").tokens == ("please", "help")
    assert n.normalise("soooo goood").tokens == ("so", "good")


def test_lexicon_maps_slang_including_phrases() -> None:
    """Slang variants, single words and phrases, become their canonical words."""
    lex = build_lexicon({"knife": ["shank", "jook"], "county lines": ["going country"],
                         "football": ["footy"]})
    n = Normaliser(lexicon=lex)
    out = n.normalise("man pulled a SHANK, now im going country")
    assert out.text == "man pulled a knife now i am county lines"
    assert ("shank", "knife") in out.changes and ("going country", "county lines") in out.changes


def test_text_speak_is_expanded() -> None:
    """u, ur, pls, wanna and friends become plain words."""
    assert Normaliser().normalise("u wanna come pls").text == "you want to come please"


def test_typos_are_corrected_against_the_vocabulary() -> None:
    """One slip in a short word, two in a long one, but never the first letter."""
    n = Normaliser(vocabulary=frozenset({"boxing", "college", "volunteering", "mentor"}))
    assert n.normalise("boxign colege volunteerng").tokens == ("boxing", "college",
                                                                "volunteering")
    assert n.normalise("tentor").tokens == ("tentor",)


def test_shipped_lexicon_knows_common_slang(shipped: Catalogue) -> None:
    """The shipped lexicon expands the slang DOMAIN.md lists."""
    norm = index_for(shipped).normaliser
    assert "knife" in norm.normalise("he pulled out a shank").tokens
    assert "football" in norm.normalise("any footy").tokens
    assert "school" in norm.normalise("after skl").tokens


def test_overlong_text_is_truncated_not_rejected() -> None:
    """A 100 kB message is cut to 4,096 characters before any work is done."""
    out = Normaliser().normalise("a " * 50_000)
    assert len(out.tokens) <= 2048
