"""`signpost users add|list|disable|reset`: console accounts from the command line.

    add NAME --role ROLE   a new account; prints a one-time setup link (valid 3 days)
    list                   every account, its role and state
    disable NAME           the account can no longer log in; its sessions end now
    reset NAME             forget password and code; prints a new setup link

Exit codes: 0 done; 1 refused (the message says why); 2 cannot run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sqlite3
import sys
from pathlib import Path

from bot import store as db
from bot.console import auth

DEFAULT_URL = "http://127.0.0.1:8080/console"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._'-]{0,62}")


class UserError(Exception):
    """An account change was refused; the message says why, for a person."""


def console_url(explicit: str | None = None) -> str:
    return (explicit or os.environ.get("SIGNPOST_CONSOLE_URL") or DEFAULT_URL).rstrip("/")


def setup_link(url: str, token: str) -> str:
    return f"{url}/setup/{token}"


def add(conn: sqlite3.Connection, name: str, role: str, url: str,
        who: str = "(command line)", now: dt.datetime | None = None) -> str:
    """Create an account waiting for setup; its one-time setup link."""
    name = name.strip()
    if not NAME_RE.fullmatch(name):
        raise UserError(f'"{name}" cannot be used as a name: use 1-63 letters, digits, spaces, '
                        "dots, dashes or apostrophes, starting with a letter or digit.")
    if role not in auth.ROLES:
        raise UserError(f'"{role}" is not a role; choose one of: {", ".join(auth.ROLES)}.')
    token = auth.new_token()
    now = now or dt.datetime.now(dt.UTC)
    if not db.add_user(conn, name, role, token, now + auth.SETUP_VALID):
        raise UserError(f'There is already an account called "{name}". Pick another name, '
                        f"or use: signpost users reset {name}")
    db.add_audit(conn, who, "user-add", None, f"{name} as {role}")
    return setup_link(url, token)


def reset(conn: sqlite3.Connection, name: str, url: str, who: str = "(command line)",
          now: dt.datetime | None = None) -> str:
    token = auth.new_token()
    now = now or dt.datetime.now(dt.UTC)
    if not db.reset_user(conn, name, token, now + auth.SETUP_VALID):
        raise UserError(f'There is no account called "{name}" (see: signpost users list).')
    db.add_audit(conn, who, "user-reset", None, name)
    return setup_link(url, token)


def disable(conn: sqlite3.Connection, name: str, who: str = "(command line)") -> None:
    if not db.disable_user(conn, name):
        raise UserError(f'There is no account called "{name}" (see: signpost users list).')
    db.add_audit(conn, who, "user-disable", None, name)


# ---------------------------------------------------------------- command line


def users_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", metavar="DIR",
                   help="the bot's data folder (default: $SIGNPOST_DATA_DIR or ./data)")
    p.add_argument("--url", metavar="URL", help="the console's address, for setup links "
                   f"(default: $SIGNPOST_CONSOLE_URL or {DEFAULT_URL})")
    sub = p.add_subparsers(dest="users_command", metavar="WHAT")
    a = sub.add_parser("add", help="create an account and print its one-time setup link")
    a.add_argument("name", metavar="NAME")
    a.add_argument("--role", required=True, choices=auth.ROLES,
                   help="moderator: inbox and feedback; safeguarding: also the safety queue "
                        "and safety intents; editor: services; admin: users and audit log")
    sub.add_parser("list", help="every account with its role and state")
    for name, help_ in (("disable", "stop an account logging in (ends its sessions now)"),
                        ("reset", "forget an account's password and code; print a new "
                                  "setup link")):
        sub.add_parser(name, help=help_).add_argument("name", metavar="NAME")
    p.set_defaults(users_parser=p)


def users_run(args: argparse.Namespace) -> int:
    if not args.users_command:
        args.users_parser.print_help()
        return 2
    data_dir = Path(args.data_dir or os.environ.get("SIGNPOST_DATA_DIR") or "data")
    try:
        if args.users_command == "add":
            db.Store.open(data_dir).close()  # creates the database on a new server
        conn = db.connect_existing(data_dir)
    except db.StoreError as exc:
        print(f"signpost users: {exc}. Give the bot's data folder with --data-dir DIR (or "
              "set SIGNPOST_DATA_DIR).", file=sys.stderr)
        return 2
    url = console_url(args.url)
    try:
        cmd = args.users_command
        if cmd == "add":
            link = add(conn, args.name, args.role, url)
            print(f"Created {args.name} ({args.role}). Send them this one-time link; it works "
                  f"for 3 days:\n{link}")
        elif cmd == "reset":
            link = reset(conn, args.name, url)
            print(f"{args.name} must set a new password (and code); their sessions have "
                  f"ended. One-time link (3 days):\n{link}")
        elif cmd == "disable":
            disable(conn, args.name)
            print(f"{args.name} can no longer log in; their sessions have ended.")
        else:
            rows = db.list_users(conn)
            if not rows:
                print("No console accounts yet. Create the first with: signpost users add "
                      "NAME --role admin")
            for r in rows:
                locked = " (locked)" if r["locked_until"] and db.parse_stamp(
                    str(r["locked_until"])) > dt.datetime.now(dt.UTC) else ""
                last = f", last login {r['last_login']}" if r["last_login"] else ""
                print(f"{r['name']}  {r['role']}  {r['state']}{locked}{last}")
        return 0
    except UserError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        conn.close()
