"""Logging never shows the bot token, whatever logs it and however."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logsafe import REDACTED, forget_secrets, protect, protect_handlers, setup_logging

TOKEN = "123456789:AAHfakeTokenForSignpostTests_0123456789"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    level = logging.getLogger().level
    yield
    logging.getLogger().setLevel(level)
    forget_secrets()
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_signpost", False)]:
        root.removeHandler(h)


def stream_handler() -> tuple[logging.Handler, io.StringIO]:
    buf = io.StringIO()
    h = logging.StreamHandler(buf)
    h.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    return h, buf


def test_token_in_message_args_and_traceback_is_replaced() -> None:
    """The token is scrubbed from the message, its arguments and a traceback."""
    h, buf = stream_handler()
    logger = logging.getLogger("test.logsafe")
    logger.addHandler(h)
    logger.setLevel(logging.DEBUG)
    protect(TOKEN)
    try:
        logger.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.debug(f"inline {TOKEN}")
        try:
            raise RuntimeError(f"InvalidToken: The token `{TOKEN}` was rejected")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(h)
    out = buf.getvalue()
    assert TOKEN not in out
    assert out.count(REDACTED) == 3 and "RuntimeError" in out


def test_handlers_added_later_are_covered(caplog: pytest.LogCaptureFixture) -> None:
    """A handler added after setup (here pytest's) still never sees the token."""
    protect(TOKEN)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").warning("HTTP Request: POST http://x/bot%s/sendMessage", TOKEN)
    assert TOKEN not in caplog.text and REDACTED in caplog.text


def test_filter_on_every_handler() -> None:
    """protect_handlers puts the redacting filter on existing handlers of every logger."""
    h, _ = stream_handler()
    logging.getLogger("test.other").addHandler(h)
    try:
        protect_handlers()
        assert any(type(f).__name__ == "RedactingFilter" for f in h.filters)
    finally:
        logging.getLogger("test.other").removeHandler(h)


def test_setup_quietens_request_logging() -> None:
    """httpx/httpcore log at WARNING only; PTB's parameter dumps (DEBUG) stay off."""
    setup_logging("DEBUG", secrets=[TOKEN])
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    assert logging.getLogger("telegram").level == logging.INFO
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_without_secrets_records_are_untouched() -> None:
    """Nothing is rewritten when no secret is registered."""
    h, buf = stream_handler()
    logger = logging.getLogger("test.plain")
    logger.addHandler(h)
    logger.setLevel(logging.INFO)
    try:
        logger.info("hello %s", "world")
    finally:
        logger.removeHandler(h)
    assert buf.getvalue().strip() == "test.plain INFO hello world"
