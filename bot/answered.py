"""Never leave a person without a reply when a channel's handler crashes.

A channel notes which incoming event each conversation is handling (`handling`) and that
it sent that conversation something (`replied`). Its error handler asks `answered` and,
when nothing was sent, shows `crash_texts`: 999 and a 24/7 human route, or the safety
floor's reply when the message was a disclosure. Both maps are bounded, like the
session's conversations, so a flood of chats cannot grow them without end.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from bot.dialogue import ChatState, crash_reply
from bot.session import MAX_CONVERSATIONS

KEEP_ANSWERED = 1000  # event ids remembered as answered


class Answered:
    """Which event each conversation is handling, and which events have had a reply."""

    def __init__(self, keep: int = KEEP_ANSWERED,
                 conversations: int = MAX_CONVERSATIONS) -> None:
        self.keep = keep
        self.conversations = conversations
        self._current: OrderedDict[Hashable, int] = OrderedDict()  # key -> event id
        self._answered: OrderedDict[int, None] = OrderedDict()

    def handling(self, key: Hashable, event_id: int) -> None:
        """This conversation's event `event_id` is being handled now (one at a time)."""
        self._current[key] = event_id
        self._current.move_to_end(key)
        while len(self._current) > self.conversations:
            self._current.popitem(last=False)

    def replied(self, key: Hashable) -> None:
        """Something was sent to this conversation: its current event has been answered."""
        event_id = self._current.get(key)
        if event_id is None:
            return
        self._answered[event_id] = None
        while len(self._answered) > self.keep:
            self._answered.popitem(last=False)

    def answered(self, event_id: int) -> bool:
        return event_id in self._answered


def crash_texts(text: str) -> list[str]:
    """The crash reply's texts, safety part first (plain: the channel formats them)."""
    return [part.text for part in crash_reply(text, ChatState()).all_parts()]
