"""Property tests: the engine never raises and never leaves a reply empty."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dialogue import ChatState, Engine

ANY_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=None), max_size=4096
) | st.text(alphabet="abc \u202e\u200f\u0000\u0007\x1b😀🔪مرحبا\n\t", max_size=400)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT)
def test_respond_never_raises_and_is_never_empty(engine: Engine, text: str) -> None:
    """Any text up to 4,096 characters gets a non-empty reply with a way forward."""
    r = engine.respond(text, ChatState())
    assert r.text.strip()
    assert r.kind in {"safety", "answer", "clarify", "fallback", "menu", "category", "info",
                      "error"}
    if r.kind in ("fallback", "error"):
        assert "999" in r.text
    if r.kind in ("safety", "clarify", "fallback", "menu"):
        assert r.buttons, "this kind of reply must offer a way forward"
    if r.kind == "safety":
        assert "999" in r.text or "116 123" in r.text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(action=st.text(max_size=80))
def test_any_button_action_gets_an_answer(engine: Engine, action: str) -> None:
    """Forged or stale callback data never breaks the engine."""
    r = engine.act(action, ChatState())
    assert r.text.strip()
