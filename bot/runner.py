"""`signpost run`: start the Telegram bot (polling, or webhook when configured).

Kept apart from bot.channels.telegram so `signpost --help` does not import PTB.
Exit codes: 0 stopped cleanly (SIGINT/SIGTERM), 1 failed while running, 2 cannot start
(missing token, bad settings, catalogue with errors, token rejected by Telegram).
"""

from __future__ import annotations

import argparse
import logging
import sys

from bot.config import ConfigError, MissingToken, load_settings
from bot.logsafe import redact_secrets, setup_logging

log = logging.getLogger("bot.runner")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--catalogue", metavar="DIR",
                   help="catalogue folder (default: $SIGNPOST_CATALOGUE or the current folder)")
    p.epilog = ("Settings come from environment variables (or a .env file); see "
                "docs/operator.md. Needs TELEGRAM_BOT_TOKEN; to try the bot without "
                "Telegram, use: signpost chat")


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except MissingToken as exc:
        print(f"signpost: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"signpost: {exc}", file=sys.stderr)
        return 2
    if args.catalogue:
        from dataclasses import replace
        from pathlib import Path

        settings = replace(settings, catalogue_dir=Path(args.catalogue))
    setup_logging(settings.log_level,
                  secrets=[s for s in (settings.token, settings.webhook_secret) if s])
    for warning in settings.warnings:
        log.warning("%s", warning)

    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram import run_bot
    from bot.live import LiveCatalogue

    live = LiveCatalogue(settings.catalogue_dir)
    if live.catalogue is None:
        for p in live.last_problems:
            if p.severity == "error":
                print(p, file=sys.stderr)
        print(f"signpost: the catalogue in {settings.catalogue_dir} has errors; fix them "
              "(run 'signpost validate') before starting the bot.", file=sys.stderr)
        return 2
    try:
        run_bot(settings, live)
    except InvalidToken:
        print("signpost: Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token again from "
              "@BotFather (/mybots, then API Token).", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"signpost: could not talk to Telegram: {redact_secrets(str(exc))}",
              file=sys.stderr)
        return 1
    except Exception as exc:  # the message may quote a URL; never print the token
        log.error("stopped after an error: %s", type(exc).__name__, exc_info=True)
        print(f"signpost: stopped after an error: {redact_secrets(str(exc))}", file=sys.stderr)
        return 1
    return 0
