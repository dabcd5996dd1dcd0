"""Logging that cannot leak the bot token.

httpx logs every request URL at INFO, and Telegram puts the token in the URL, so httpx
and httpcore are turned down to WARNING. As a second line of defence every log record is
scrubbed: a record factory replaces the token in the message, its arguments and the
formatted traceback as the record is made (so handlers added later, e.g. by a test
harness, are covered too), and a filter on every handler does the same again.

The application's own loggers (`bot.*`) never log message text or Telegram ids: they
use the pseudonymous conversation reference instead. Third-party loggers are not so careful:
python-telegram-bot logs a whole update (names, user ids, the message) when it cannot parse
one ("Received data was ..."), and the webhook server logs request bodies at DEBUG. So the
same record factory also withholds any line that carries update data (a JSON or repr field
such as update_id, first_name or username), keeping only which logger said what, and drops
such lines from tracebacks. This runs for every record of every logger, secrets or not.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable

REDACTED = "[TOKEN]"
WITHHELD = "[withheld: Telegram update data, which can hold personal details]"
# A field of a Telegram update or user, as JSON ("first_name": ), a dict repr ('chat': {)
# or an object repr (first_name=). Our own lines never name these fields.
_UPDATE_DATA = re.compile(
    r"""["']?\b(?:update_id|message_id|chat_id|user_id|first_name|last_name|username|phone_number|from_user|"""
    r"""callback_query|chat_instance|edited_message|channel_post)\b["']?\s*[:=]"""
    r"""|["']from["']\s*:\s*\{|["']chat["']\s*:\s*\{"""
)
QUIET_LOGGERS = ("httpx", "httpcore")
_secrets: set[str] = set()
_base_factory: Callable[..., logging.LogRecord] | None = None


def redact_secrets(text: str) -> str:
    """`text` with every registered secret replaced."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def holds_update_data(text: str) -> bool:
    """Whether a log line carries (part of) a Telegram update."""
    return bool(_UPDATE_DATA.search(text))


def _withhold(record: logging.LogRecord, message: str) -> str:
    """The message, or its fixed wording with every value withheld if it held update data."""
    if not holds_update_data(message):
        return message
    template = str(record.msg)
    if holds_update_data(template):
        return f"a log line from {record.name} was withheld {WITHHELD}"
    return re.sub(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]", WITHHELD, template)


def _scrub_text(text: str) -> str:
    lines = [WITHHELD if holds_update_data(line) else line for line in text.split("\n")]
    return redact_secrets("\n".join(lines))


def _scrub(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_signpost_scrubbed", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not hide the record
        message = str(record.msg)
    record.msg = redact_secrets(_withhold(record, message))
    record.args = None
    record._signpost_scrubbed = True
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = _scrub_text(record.exc_text)
    if record.stack_info:
        record.stack_info = _scrub_text(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Replaces registered secrets in a record's message and traceback; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record)
        return True


_FILTER = RedactingFilter()


def protect(secret: str) -> None:
    """Register a secret (the bot token, webhook secret) to be scrubbed from all logs."""
    if not secret:
        return
    _secrets.add(secret)
    install()


def install() -> None:
    """Scrub every log record as it is made, and on every handler (idempotent)."""
    global _base_factory
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
    install()


def forget_secrets() -> None:
    """Drop registered secrets (tests run several bots in one process)."""
    _secrets.clear()
