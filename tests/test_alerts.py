"""Staff alerts: rate-limited per conversation, and nothing that identifies a person."""

from __future__ import annotations

import datetime as dt

from bot.alerts import Alert, AlertLimiter, format_alert
from bot.catalogue import LONDON

T0 = dt.datetime(2026, 11, 25, 18, 30, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_first_trigger_alerts_then_ten_minutes_of_counting() -> None:
    """One alert per conversation per 10 minutes; the next one carries the count."""
    lim = AlertLimiter()
    first = lim.trigger("c-aaa", "self_harm", at(0), "i want to end it")
    assert first is not None and first.further == 0
    assert lim.trigger("c-aaa", "self_harm", at(1), "still here") is None
    assert lim.trigger("c-aaa", "emergency", at(9.9), "now") is None
    later = lim.trigger("c-aaa", "emergency", at(10), "again")
    assert later is not None and later.further == 2 and later.intent == "emergency"


def test_conversations_are_limited_separately() -> None:
    """Another conversation's alert is not held back by the first one's."""
    lim = AlertLimiter()
    assert lim.trigger("c-aaa", "threatened", at(0), "x") is not None
    assert lim.trigger("c-bbb", "threatened", at(0.5), "y") is not None


def test_flush_reports_counted_triggers_once_the_window_closes() -> None:
    """Triggers held back are reported by flush after the window, once, then forgotten."""
    lim = AlertLimiter()
    lim.trigger("c-aaa", "exploitation", at(0), "x")
    lim.trigger("c-aaa", "exploitation", at(3), "y")
    lim.trigger("c-bbb", "threatened", at(1), "z")
    assert lim.flush(at(9)) == []
    summaries = lim.flush(at(12))
    assert [(a.ref, a.further, a.summary) for a in summaries] == [("c-aaa", 1, True)]
    assert lim.flush(at(30)) == []
    fresh = lim.trigger("c-aaa", "exploitation", at(31), "again")
    assert fresh is not None and fresh.further == 0


def test_forget_drops_a_conversation() -> None:
    """/forget: the limiter no longer knows the conversation."""
    lim = AlertLimiter()
    lim.trigger("c-aaa", "self_harm", at(0), "x")
    lim.forget("c-aaa")
    assert lim.trigger("c-aaa", "self_harm", at(1), "y") is not None


def test_format_has_ref_intent_time_and_message_only() -> None:
    """The alert shows the reference, the intent, London time and the redacted message."""
    text = format_alert(Alert("c-3f9a1b", "self_harm", T0, "i cant go on, call me [phone]",
                              further=3), LONDON)
    assert "Conversation: c-3f9a1b" in text
    assert "Safety intent: self_harm (Feeling unsafe)" in text
    assert "Time: 18:30 on Wed 25 Nov 2026" in text
    assert "i cant go on, call me [phone]" in text
    assert "Also 3 further safety message(s)" in text
    assert "signpost review conversation c-3f9a1b" in text


def test_format_has_no_slot_for_identifiers() -> None:
    """An alert is built only from ref, intent, time and message: no name, handle or id."""
    assert set(Alert.__dataclass_fields__) == {"ref", "intent", "at", "message", "further",
                                               "summary"}


def test_long_messages_are_shortened_and_summaries_have_no_message() -> None:
    """A long message is cut; a follow-up summary shows only the count."""
    long = format_alert(Alert("c-1", "threatened", T0, "word " * 500))
    assert "…" in long and len(long) < 1200
    summary = format_alert(Alert("c-1", "threatened", T0, "", further=4, summary=True))
    assert "4 further safety message(s)" in summary and "Message" not in summary
