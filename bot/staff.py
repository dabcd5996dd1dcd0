"""Tools for the partnership staff who keep the catalogue: see an edit before it goes live.

    signpost schema    JSON Schemas, so editors check the files while staff type
    signpost explain   why the bot answers one message the way it does
    signpost replay    which answers an edit would change (old catalogue vs new)
    signpost lint      deeper checks than validate; advice only, never blocks publishing

Each command is `<name>_args(parser)` + `<name>_run(args) -> int` (registered in
bot.cli.COMMANDS); this module is only that command line. The work is done by plain
functions returning values, each in its own module (bot.staff_schema `schemas`,
bot.staff_explain `explain`, bot.staff_replay `replay`, bot.staff_lint `lint`), so tests
and other tools call them without the CLI.
Exit codes as everywhere: 0 done, 2 cannot run (broken catalogue, missing file or log).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path

from bot.catalogue import LONDON, find_root, load
from bot.cmdargs import add_catalogue_arg, load_for_command
from bot.dialogue import ChatState, Engine, london_now
from bot.staff_explain import explain, explain_text
from bot.staff_lint import lint, lint_text
from bot.staff_replay import file_messages, log_messages, replay, replay_text
from bot.staff_schema import SCHEMA_DIR, catalogue_files, check_schema_lines, write_schemas


def schema_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="where to write the schemas (default: <catalogue>/schemas)")


def schema_run(args: argparse.Namespace) -> int:
    root = find_root(args.catalogue)
    out = args.out or root / SCHEMA_DIR
    try:
        written = write_schemas(out)
    except OSError as exc:
        print(f"signpost: cannot write the schemas to {out}: {exc.strerror}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    problems = check_schema_lines(root, out)
    for msg in problems:
        print(msg)
    files = catalogue_files(root)
    if not problems and files:
        print(f"all {len(files)} catalogue files point at these schemas: editors with YAML "
              "support check them while you type (see docs/catalogue.md)")
    return 0


def _parse_at(value: str | None) -> dt.datetime:
    if not value:
        return london_now()
    when = dt.datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=LONDON)


def _when(value: str) -> str:
    """argparse check for --at, so a bad value gets a usage message, not a traceback."""
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date and time (write it like 2026-11-28 18:30)") from None
    return value


def _at_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", metavar="WHEN", type=_when,
                   help='pretend it is this London time, e.g. "2026-11-28 18:30" '
                        "(for 'open now'; default: now)")


def explain_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("text", help="the message, in quotes")
    p.add_argument("--age", type=int, help="the young person's age, as if they had said it")
    p.add_argument("--area", help="their postcode district, e.g. E17")
    _at_arg(p)
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")


def explain_run(args: argparse.Namespace) -> int:
    engine = Engine(load_for_command(args))
    state = ChatState(age=args.age, district=args.area.strip().upper() if args.area else None)
    e = explain(engine, args.text, state, _parse_at(args.at))
    print(json.dumps(e.as_dict(), indent=2, ensure_ascii=False) if args.json
          else explain_text(e))
    return 0


def _load_version(label: str, root: Path) -> Engine | None:
    """An engine for one version, or None after printing its errors."""
    cat, problems = load(root)
    if cat is None:
        for p in problems:
            if p.severity == "error":
                print(p, file=sys.stderr)
        print(f"signpost: the {label} catalogue in {root} has errors; fix them first "
              "(signpost validate --catalogue DIR).", file=sys.stderr)
        return None
    return Engine(cat)


def replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--old", metavar="DIR", type=Path, required=True,
                   help="the catalogue as it is now (e.g. a copy taken before editing)")
    p.add_argument("--new", metavar="DIR", type=Path,
                   help="the edited catalogue (default: $SIGNPOST_CATALOGUE or this folder)")
    p.add_argument("file", nargs="?", type=Path,
                   help="messages: a YAML list of {text, intent} or a text file, one a line")
    p.add_argument("--from-log", action="store_true",
                   help="replay the (already redacted) messages in the conversation log")
    p.add_argument("--data-dir", metavar="DIR", type=Path,
                   help="folder holding signpost.db (default: $SIGNPOST_DATA_DIR or ./data)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="with --from-log: only the latest N messages")
    p.add_argument("--all", action="store_true", help="list every changed message")
    _at_arg(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def replay_run(args: argparse.Namespace) -> int:
    if args.from_log == (args.file is not None):
        print("signpost: give a FILE of messages or --from-log (one of the two)",
              file=sys.stderr)
        return 2
    messages: list[tuple[str, str | None]]
    if args.from_log:
        data_dir = Path(args.data_dir or os.environ.get("SIGNPOST_DATA_DIR") or "data")
        try:
            messages = [(t, None) for t in log_messages(data_dir, args.limit)]
        except FileNotFoundError as exc:
            print(f"signpost: there is no conversation log at {exc.args[0]}; give the folder "
                  "holding signpost.db with --data-dir DIR (or set SIGNPOST_DATA_DIR), or "
                  "replay a FILE of messages instead", file=sys.stderr)
            return 2
        except sqlite3.Error as exc:
            print(f"signpost: the conversation log in {data_dir} cannot be read ({exc})",
                  file=sys.stderr)
            return 2
    else:
        try:
            messages = file_messages(args.file)
        except OSError as exc:
            print(f"signpost: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
        except (ValueError, UnicodeDecodeError) as exc:
            print(f"signpost: {exc}", file=sys.stderr)
            return 2
    old = _load_version("old", args.old)
    new = _load_version("new", args.new or find_root(None))
    if old is None or new is None:
        return 2
    report = replay(old, new, messages, _parse_at(args.at))
    print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if args.json
          else replay_text(report, limit=10**9 if args.all else 20))
    return 0


def lint_args(p: argparse.ArgumentParser) -> None:
    add_catalogue_arg(p)
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--deep", action="store_true",
                   help="stricter example check: each example is matched as if it were not "
                        "in the catalogue (a few seconds; expect many findings)")
    p.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                   help="judge staleness and past events as of this day (default: today)")


def lint_run(args: argparse.Namespace) -> int:
    found = lint(load_for_command(args), args.today, args.deep)
    if args.json:
        print(json.dumps([asdict(f) for f in found], indent=2, ensure_ascii=False))
    else:
        print(lint_text(found))
    return 0
