"""Logging that cannot leak the bot token.

httpx logs every request URL at INFO, and Telegram puts the token in the URL, so httpx
and httpcore are turned down to WARNING. As a second line of defence every log record is
scrubbed: a record factory replaces the token in the message, its arguments and the
formatted traceback as the record is made (so handlers added later, e.g. by a test
harness, are covered too), and a filter on every handler does the same again.

The application's own loggers (`bot.*`) never log message text or Telegram ids: they
use the pseudonymous conversation reference instead.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Iterable

REDACTED = "[TOKEN]"
QUIET_LOGGERS = ("httpx", "httpcore")
_secrets: set[str] = set()
_base_factory: Callable[..., logging.LogRecord] | None = None


def redact_secrets(text: str) -> str:
    """`text` with every registered secret replaced."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub(record: logging.LogRecord) -> logging.LogRecord:
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not hide the record
        message = str(record.msg)
    record.msg = redact_secrets(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact_secrets(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_secrets(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Replaces registered secrets in a record's message and traceback; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record)
        return True


_FILTER = RedactingFilter()


def protect(secret: str) -> None:
    """Register a secret (the bot token, webhook secret) to be scrubbed from all logs."""
    global _base_factory
    if not secret:
        return
    _secrets.add(secret)
    if _base_factory is None:
        base = logging.getLogRecordFactory()
        _base_factory = base

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            return _scrub(base(*args, **kwargs))

        logging.setLogRecordFactory(factory)
    protect_handlers()


def protect_handlers(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Add the redacting filter to these handlers (default: every handler of every logger)."""
    if handlers is None:
        found: list[logging.Handler] = list(logging.getLogger().handlers)
        for logger in list(logging.Logger.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger):
                found.extend(logger.handlers)
        handlers = found
    for h in handlers:
        if _FILTER not in h.filters:
            h.addFilter(_FILTER)


def setup_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, with request logging turned down and secrets scrubbed."""
    root = logging.getLogger()
    if not any(getattr(h, "_signpost", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._signpost = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # At DEBUG, PTB logs every Bot API call with its parameters (message text, chat ids).
    logging.getLogger("telegram").setLevel(max(logging.INFO, logging.getLevelName(level)))
    for s in secrets:
        protect(s)
    protect_handlers()


def forget_secrets() -> None:
    """Drop registered secrets (tests run several bots in one process)."""
    _secrets.clear()
