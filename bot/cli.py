"""The `signpost` command: thin wrappers that turn library results into messages.

Each subcommand is a (module, function) pair registered in COMMANDS, so the parts of the
product (Telegram, review tools, staff tools) each keep their command next to their code.
Exit codes: 0 fine, 1 a check failed (e.g. validate found errors), 2 cannot run (bad
arguments, missing token, unreadable catalogue).
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot import __version__
from bot.catalogue import find_root, load
from bot.cmdargs import add_catalogue_arg, load_for_command
from bot.dialogue import Engine

# name -> (module, help). The module provides add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("bot.cli", "talk to the bot in this terminal (no token, no network)"),
    "match": ("bot.cli", "show how messages are matched (one JSON object per line with --json)"),
    "evaluate": ("bot.cli", "measure accuracy on a labelled YAML file"),
    "validate": ("bot.cli", "check the catalogue files and list every problem"),
    "run": ("bot.runner", "serve the web chat (and Telegram when TELEGRAM_BOT_TOKEN is set)"),
    "review": ("bot.review", "moderators: review the conversation log and teach the bot"),
    "users": ("bot.console.users", "admins: web console accounts (add, list, disable, reset)"),
    "schema": ("bot.staff", "write JSON Schemas so editors check catalogue files as you type"),
    "explain": ("bot.staff", "staff: show step by step why the bot answers a message as it does"),
    "replay": ("bot.staff", "staff: list answers an edit would change (old vs new catalogue)"),
    "lint": ("bot.staff", "staff: deeper catalogue checks than validate (advice, never blocks)"),
    "export": ("bot.openreferral", "write the services as Open Referral UK JSON"),
    "import": ("bot.openreferral", "turn Open Referral UK JSON into a services.yaml"),
    "check": ("bot.check", "operators: list every setting to fix (alert routes, key, "
                           "permissions, catalogue); --send-test-alert"),
}


# ------------------------------------------------------------------ chat


def chat_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--json", action="store_true",
                   help='read JSON Lines events on stdin ({"conversation": "a", "text": "hi"}, '
                        '"button" or "command" instead of "text"); print one JSON reply each')
    p.add_argument("--now", metavar="TIME",
                   help='pretend it is this London time, e.g. 2026-12-05T17:30 (with --json)')


def chat_run(args: argparse.Namespace) -> int:
    from bot.channels.console import chat, chat_json, parse_now

    now = None
    if args.now is not None:
        try:
            now = parse_now(args.now)
        except ValueError as exc:
            print(f"signpost chat: --now: {exc}", file=sys.stderr)
            return 2
    engine = Engine(load_for_command(args))
    if args.json:
        return chat_json(engine, now=now)
    return chat(engine)


# ------------------------------------------------------------------ match


def match_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("text", nargs="*", help="messages to match (default: one per line on stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object per input line")


def match_result(engine: Engine, text: str) -> dict[str, Any]:
    """The --json shape of one message."""
    reply = engine.respond(text)
    confident = reply.kind in ("answer", "safety") and reply.intent is not None
    alts = reply.alternatives
    return {
        "text": text,
        "intent": reply.intent if confident else None,
        "score": round(float(reply.score), 2),
        "safety": reply.safety is not None,
        "services": reply.service_ids,
        "alternatives": [{"intent": c.intent_id, "score": round(c.score, 2)} for c in alts],
    }


def stdin_lines() -> Iterator[str]:
    """Lines of stdin as UTF-8 whatever the locale; a bad byte becomes U+FFFD, never a crash."""
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:  # already text (tests, embedding)
        yield from sys.stdin
        return
    yield from io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline=None)


def match_run(args: argparse.Namespace) -> int:
    engine = Engine(load_for_command(args))
    lines = args.text if args.text else (line.rstrip("\r\n") for line in stdin_lines())
    # A terminal that cannot show UTF-8 gets escapes, never a crash that loses the batch.
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    if not utf8 and isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    for text in lines:
        r = match_result(engine, text)
        if args.json:
            print(json.dumps(r, ensure_ascii=not utf8), flush=True)
        else:
            intent = r["intent"] or "(no confident match)"
            flag = "  SAFETY" if r["safety"] else ""
            alts = ", ".join(f"{a['intent']} {a['score']:.0f}" for a in r["alternatives"])
            print(f"{intent:<16} {r['score']:5.1f}{flag}  {text}")
            if alts:
                print(f"{'':16}       candidates: {alts}")
            if r["services"]:
                print(f"{'':16}       services: {', '.join(r['services'])}")
    return 0


# ------------------------------------------------------------------ evaluate


def evaluate_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("file", type=Path, nargs="?",
                   help="YAML list of {text, intent} (intent may be none)")
    p.add_argument("--conversations", type=Path, metavar="FILE",
                   help="replay multi-turn conversations with expectations per turn "
                        "(see tests/data/conversations.yaml)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def evaluate_run(args: argparse.Namespace) -> int:
    from bot.evaluate import evaluate, load_labelled

    if args.conversations is not None:
        return _evaluate_conversations(args)
    if args.file is None:
        print("signpost evaluate: give a labelled YAML file, or --conversations FILE",
              file=sys.stderr)
        return 2
    return _measure(args, load_labelled(args.file), evaluate)


def _evaluate_conversations(args: argparse.Namespace) -> int:
    from bot.stories import load_stories, replay

    return _measure(args, load_stories(args.conversations), replay)


def _measure(args: argparse.Namespace, loaded: tuple[Any, list[Any]],
             measure: Callable[[Engine, Any], Any]) -> int:
    """Print a loaded set's problems (exit 2), or measure the engine on it and print the
    report (as JSON with --json)."""
    items, problems = loaded
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 2
    report = measure(Engine(load_for_command(args)), items)
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json
          else report.as_text())
    return 0


# ------------------------------------------------------------------ validate


def validate_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")


def validate_run(args: argparse.Namespace) -> int:
    root = find_root(args.catalogue)
    cat, problems = load(root)
    for p in problems:
        print(p)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if cat is None or (args.strict and warnings):
        print(f"{errors} error(s), {warnings} warning(s) in {root}: the bot will not use this "
              "catalogue until the errors are fixed.")
        return 1
    examples = sum(len(i.examples) for i in cat.intents.values())
    print(f"OK: {len(cat.services)} services, {len(cat.categories)} categories, "
          f"{len(cat.intents)} intents, {examples} examples, {len(cat.lexicon)} lexicon "
          f"variants; {warnings} warning(s); version {cat.version}")
    return 0


# ------------------------------------------------------------------ main


def _resolve(name: str) -> tuple[Callable[[argparse.ArgumentParser], None],
                                 Callable[[argparse.Namespace], int]]:
    module_name, _ = COMMANDS[name]
    mod = sys.modules[__name__] if module_name == __name__ else importlib.import_module(
        module_name)
    prefix = name.replace("-", "_")
    add = getattr(mod, f"{prefix}_args", None) or mod.add_arguments
    run = getattr(mod, f"{prefix}_run", None) or mod.run
    return add, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signpost",
        description="Signpost: helps young people find local youth services, safety first.",
    )
    parser.add_argument("--version", action="version", version=f"signpost {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        add, _run = _resolve(name)
        add(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    _, run = _resolve(args.command)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
