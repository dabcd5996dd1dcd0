"""The terminal channel: `signpost chat`. Buttons become numbered choices."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any, TextIO

from bot.catalogue import LONDON
from bot.dialogue import ChatState, Engine, Reply
from bot.render import card_lines


def render(reply: Reply) -> str:
    """Plain-text rendering of a reply (and its follow-on part)."""
    out: list[str] = []
    for part in reply.all_parts():
        out.append(part.text)
        for pick in part.services:
            out.append("")
            out.extend("  " + line for line in card_lines(pick))
        if part.buttons:
            out.append("")
            out.extend(f"  {n}. {b.label}" for n, b in enumerate(part.buttons, 1))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


COMMANDS = ("start", "help", "services", "privacy", "human", "forget", "hide")


def chat(engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run a conversation until EOF, /quit or Ctrl-C."""
    state = ChatState()
    interactive = stdin.isatty()

    def say(reply: Reply) -> None:
        stdout.write(render(reply) + "\n")
        stdout.flush()

    reply = engine.command("start", state)
    say(reply)
    state = reply.state
    stdout.write("(type a message, a number to pick a choice, or /quit to leave)\n\n")
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            break
        if not line:
            break
        text = line.rstrip("\n")
        if text.strip() in ("/quit", "/exit"):
            break
        cmd = text.strip().lstrip("/").split()[0].lower() if text.strip().startswith("/") \
            else ""
        if cmd in ("forget",):
            stdout.write("Nothing from this terminal chat is stored, so there is nothing to "
                         "forget.\n\n")
            continue
        if cmd == "hide":
            stdout.write("\n" * 60 + "Screen cleared. Close this window to leave no trace.\n\n")
            state = reply.state
            continue
        if cmd in COMMANDS:
            reply = engine.command(cmd, state)
        else:
            choice = text.strip()
            if choice.isdigit() and state.choices and 1 <= int(choice) <= len(state.choices):
                action = state.choices[int(choice) - 1].action
                if action == "hide":
                    stdout.write("\n" * 60 + "Screen cleared.\n\n")
                    continue
                reply = engine.act(action, state)
            else:
                reply = engine.respond(text, state)
        say(reply)
        state = reply.state
    stdout.write("Bye for now. In danger? Call 999.\n")
    return 0


# ------------------------------------------------------------------ JSON Lines


def plain_text(reply: Reply) -> str:
    """The whole reply as plain text (every part and card), without the buttons."""
    out: list[str] = []
    for part in reply.all_parts():
        out.append(part.text)
        for pick in part.services:
            out.extend(card_lines(pick))
        out.append("")
    return "\n".join(out).strip()


def parse_now(value: object) -> dt.datetime:
    """'2026-12-05T17:30' read as London time; ValueError says what was wrong."""
    if not isinstance(value, str):
        raise ValueError('"now" should be a date and time like "2026-12-05T17:30"')
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f'"now": "{value[:40]}" is not a date and time like '
                         '"2026-12-05T17:30"') from None
    return when.replace(tzinfo=LONDON) if when.tzinfo is None else when.astimezone(LONDON)


class JsonChat:
    """Conversations driven by JSON events (`signpost chat --json`, conversation tests).

    Each conversation id keeps its own ChatState in memory; conversations may interleave.
    """

    def __init__(self, engine: Engine, now: dt.datetime | None = None) -> None:
        self.engine = engine
        self.now = now
        self.states: dict[str, ChatState] = {}

    def handle_line(self, line: str) -> dict[str, Any]:
        """One JSON line in, one JSON-ready object out; a bad line gets {"error": ...}."""
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            return {"error": f"line is not JSON ({exc.msg} at column {exc.colno})"}
        return self.handle(event)

    def handle(self, event: object) -> dict[str, Any]:
        if not isinstance(event, dict):
            return {"error": 'each line should be a JSON object like '
                             '{"conversation": "a", "text": "hi"}'}
        conv = event.get("conversation")
        if not isinstance(conv, str | int) or isinstance(conv, bool):
            return {"error": 'missing "conversation" (a name or number for the chat)'}
        conv = str(conv)
        try:
            now = parse_now(event["now"]) if "now" in event else self.now
        except ValueError as exc:
            return {"conversation": conv, "error": str(exc)}
        given = [k for k in ("text", "button", "command") if k in event]
        if len(given) != 1 or not isinstance(event[given[0]], str):
            return {"conversation": conv,
                    "error": 'give exactly one of "text", "button" or "command", as a string'}
        kind, value = given[0], event[given[0]]
        state = self.states.get(conv, ChatState())
        if kind in ("button", "command") and value.strip().lstrip("/") == "hide":
            # The terminal and JSON have no messages to delete; say so, keep the state.
            return {"conversation": conv, "intent": None, "safety": False, "services": [],
                    "text": "Hidden. Close this window to leave no trace.", "buttons": []}
        if kind == "text":
            reply = self.engine.respond(value, state, now)
        elif kind == "button":
            reply = self.engine.act(value, state, now)
        else:
            name = value.strip().lstrip("/").lower()
            if name == "forget":
                self.states.pop(conv, None)
                return {"conversation": conv, "intent": None, "safety": False, "services": [],
                        "text": "Forgotten: this conversation starts again.", "buttons": []}
            reply = self.engine.command(name, state, now)
        self.states[conv] = reply.state
        return reply_json(conv, reply)


def reply_json(conv: str, reply: Reply) -> dict[str, Any]:
    """The `chat --json` shape of one reply."""
    buttons = [b for part in reply.all_parts() for b in part.buttons]
    return {
        "conversation": conv,
        "intent": reply.intent,
        "safety": reply.safety is not None,
        "services": reply.service_ids,
        "text": plain_text(reply),
        "buttons": [{"label": b.label, "action": b.action} for b in buttons],
    }


def chat_json(engine: Engine, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
              now: dt.datetime | None = None) -> int:
    """Read JSON Lines events on stdin; print one JSON object per event, in order."""
    session = JsonChat(engine, now)
    for line in stdin:
        if not line.strip():
            continue
        stdout.write(json.dumps(session.handle_line(line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0
