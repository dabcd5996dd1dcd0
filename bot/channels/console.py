"""The terminal channel: `signpost chat`. Buttons become numbered choices."""

from __future__ import annotations

import sys
from typing import TextIO

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
