"""`signpost review ...`: the moderators' view of the conversation log.

Listings (each takes --json, --since, --until):
    unmatched        messages the bot could not answer confidently, similar ones grouped
    safety           safety-triggered turns, newest first, with the turns around them
    feedback         answers marked unhelpful (👎) and what they showed
    stats            one row per ISO week
    conversation     one conversation in order
    audit            who did what, and when
Actions (each needs a moderator name: --as NAME or SIGNPOST_MODERATOR; each is audited):
    export --csv F   the filtered turns as a spreadsheet
    promote ID INT   add a message as an example of an intent, after re-validating
    ignore ID...     take turns off the queues as not useful
    mark-reviewed    take turns off the queues as dealt with

Exit codes: 0 done; 1 refused or not found (the message says why); 2 cannot run (no
conversation log, no moderator name, bad arguments).

This module is the command line only: the listings are in bot.review_listings, the
actions in bot.review_actions, and the turn values they share in bot.review_turns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.catalogue import find_root
from bot.review_actions import export_csv, no_turn_message, promote, set_status
from bot.review_listings import (
    CONTEXT,
    audit,
    conversation,
    feedback,
    safety,
    show_audit,
    show_conversation,
    show_feedback,
    show_safety,
    show_stats,
    show_unmatched,
    stats,
    unmatched,
)
from bot.review_turns import CannotRun, Refused, Window, load_turns
from bot.store import (
    DB_NAME,
    StoreError,
    add_audit,
    connect_existing,
)

# ------------------------------------------------------------------ command line


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a date; write it as YYYY-MM-DD, e.g. 2026-11-01') from None


def _turn_id(value: str) -> int:
    try:
        return int(value.lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'"{value}" is not a turn id; use the number shown as #123 in the listings'
        ) from None


def review_args(p: argparse.ArgumentParser) -> None:
    """Add the review sub-commands to `signpost review`."""
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument("--data-dir", metavar="DIR",
                      help="the bot's data folder (default: $SIGNPOST_DATA_DIR or ./data)")
    span = argparse.ArgumentParser(add_help=False)
    span.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                      help="only messages from this day on")
    span.add_argument("--until", type=_date, metavar="YYYY-MM-DD",
                      help="only messages up to and including this day")
    listing = argparse.ArgumentParser(add_help=False, parents=[base, span])
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    queue = argparse.ArgumentParser(add_help=False)
    queue.add_argument("--all", action="store_true",
                       help="include turns already reviewed, ignored or promoted")
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--as", dest="moderator", metavar="NAME",
                     help="your name for the audit log (default: $SIGNPOST_MODERATOR)")

    sub = p.add_subparsers(dest="review_command", metavar="WHAT")

    def add(name: str, help_: str, parents: list[argparse.ArgumentParser]
            ) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, description=help_, parents=parents)

    add("unmatched", "messages the bot could not answer, similar ones grouped, most "
        "frequent first", [listing, queue])
    s = add("safety", "every safety-triggered message, newest first, with the messages "
            "around it", [listing, queue])
    s.add_argument("--context", type=int, default=CONTEXT, metavar="N",
                   help=f"messages shown before and after each one (default {CONTEXT})")
    add("feedback", "answers marked unhelpful, with what was shown", [listing, queue])
    add("stats", "week by week: conversations, messages, answered rate, top topics, "
        "unmatched, safety, 👍/👎", [listing])
    c = add("conversation", "one conversation in order", [listing])
    c.add_argument("ref", metavar="REF", help="the conversation reference, e.g. c-1a2b3c4d5e6f")
    e = add("export", "save the turns (filtered by --since/--until) as a CSV spreadsheet",
            [base, span, who])
    e.add_argument("--csv", type=Path, required=True, metavar="FILE", help="file to write")
    pr = add("promote", "add a message as a new example of an intent, so the bot learns it",
             [base, who])
    pr.add_argument("turn_id", type=_turn_id, metavar="TURN_ID")
    pr.add_argument("intent", metavar="INTENT", help="intent id, e.g. sport")
    pr.add_argument("--catalogue", metavar="DIR",
                    help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")
    for name, help_ in (("ignore", "take messages off the review lists as not useful"),
                        ("mark-reviewed", "take messages off the review lists as dealt with")):
        a = add(name, help_, [base, who])
        a.add_argument("turn_ids", type=_turn_id, nargs="+", metavar="TURN_ID")
    add("audit", "who promoted, ignored, reviewed or exported what, and when", [listing])
    p.set_defaults(review_parser=p)


def review_run(args: argparse.Namespace) -> int:
    """Run one review sub-command; exit code 0, 1 (refused) or 2 (cannot run)."""
    if not args.review_command:
        args.review_parser.print_help()
        return 2
    try:
        return _dispatch(args)
    except CannotRun as exc:
        print(f"signpost review: {exc}", file=sys.stderr)
        return 2
    except Refused as exc:
        print(exc, file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    cmd: str = args.review_command
    moderator = _moderator(args) if cmd in ACTIONS else ""
    data_dir = Path(args.data_dir or os.environ.get("SIGNPOST_DATA_DIR") or "data")
    try:
        conn = connect_existing(data_dir)
    except StoreError as exc:
        raise CannotRun(
            f"{exc}.\nThere is nothing to review yet, or this is not the bot's data folder: "
            f"give the folder holding {DB_NAME} with --data-dir DIR (or set "
            "SIGNPOST_DATA_DIR)."
        ) from None
    try:
        if cmd in ACTIONS:
            return ACTIONS[cmd](conn, args, moderator)
        return _listing(conn, args)
    finally:
        conn.close()


def _moderator(args: argparse.Namespace) -> str:
    name = (args.moderator or os.environ.get("SIGNPOST_MODERATOR") or "").strip()
    if not name:
        raise CannotRun("every review action is recorded with the name of the person who did "
                        "it, and no name was given. Add --as \"YOUR NAME\" to the command, or "
                        "set SIGNPOST_MODERATOR=\"YOUR NAME\" before running it.")
    return name


def _listing(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    window = Window(args.since, args.until)
    show_all = getattr(args, "all", False)
    cmd = args.review_command
    data: Sequence[Any]
    render: Callable[[], str]
    if cmd == "unmatched":
        groups = unmatched(conn, window, show_all)
        data, render = groups, lambda: show_unmatched(groups, window)
    elif cmd == "safety":
        items = safety(conn, window, show_all, max(0, args.context))
        data, render = items, lambda: show_safety(items, window)
    elif cmd == "feedback":
        turns = feedback(conn, window, show_all)
        data, render = turns, lambda: show_feedback(turns, window)
    elif cmd == "stats":
        weeks = stats(conn, window)
        data, render = weeks, lambda: show_stats(weeks, window)
    elif cmd == "conversation":
        turns = conversation(conn, args.ref, window)
        if not turns:
            raise Refused(f"No messages stored for conversation {args.ref}{window.describe()}. "
                          "It may have been erased with /forget or be older than the "
                          "retention period; check the reference (it looks like c-1a2b3c4d5e6f).")
        data, render = turns, lambda: show_conversation(turns, args.ref)
    else:
        entries = audit(conn, window)
        data, render = entries, lambda: show_audit(entries, window)
    if args.json:
        print(json.dumps([d.as_dict() for d in data], ensure_ascii=False, indent=2))
    else:
        print(render())
    return 0


def _export(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
    window = Window(args.since, args.until)
    turns = load_turns(conn, window)
    try:
        export_csv(turns, args.csv)
    except OSError as exc:
        raise Refused(f"Could not write {args.csv}: {exc.strerror}. Check the folder exists "
                      "and you can write to it.") from None
    add_audit(conn, moderator, "export", None,
              f"{len(turns)} turns{window.describe()} to {args.csv.name}")
    print(f"Saved {len(turns)} message(s){window.describe()} to {args.csv}.\n"
          "This file is outside the bot's 90-day deletion and /forget: keep it somewhere "
          "safe and delete it when the report is done.")
    return 0


def _promote(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
    root = find_root(args.catalogue)
    result = promote(conn, args.turn_id, args.intent, root, moderator)
    print(f'Added "{result.text}" as an example of {result.intent} in {result.file}.')
    if result.now_answers == result.intent:
        print(f"The bot now answers this message with {result.intent} "
              f"(score {result.score:.0f}).")
    elif result.now_answers:
        print(f"Note: the bot still answers this message with {result.now_answers} "
              f"(score {result.score:.0f}); promoting a few more similar messages helps.")
    else:
        print("Note: the bot is still not confident about this message on its own; "
              "promoting a few more similar messages helps.")
    print("A running bot picks up the change within a few seconds.")
    return 0


def _mark(status: str, action: str) -> Callable[[sqlite3.Connection, argparse.Namespace, str],
                                                int]:
    def run(conn: sqlite3.Connection, args: argparse.Namespace, moderator: str) -> int:
        done, missing = set_status(conn, list(dict.fromkeys(args.turn_ids)), status, action,
                                   moderator)
        if done:
            ids = ", ".join(f"#{t}" for t in done)
            print(f"Marked {ids} as {status}; they are off the review lists.")
        for tid in missing:
            print(no_turn_message(tid), file=sys.stderr)
        return 1 if missing else 0
    return run


ACTIONS: dict[str, Callable[[sqlite3.Connection, argparse.Namespace, str], int]] = {
    "export": _export,
    "promote": _promote,
    "ignore": _mark("ignored", "ignore"),
    "mark-reviewed": _mark("reviewed", "mark-reviewed"),
}
