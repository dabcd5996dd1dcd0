"""The key behind conversation references (`c-…`): found, or made once, never half-written.

Where the key comes from, first match wins:

    SIGNPOST_SECRET                  the environment (or the .env file), read by bot.config
    $CREDENTIALS_DIRECTORY/signpost-secret   a systemd credential (LoadCredential=)
    <data folder>/secret.key         made on first start if missing

Keeping the key away from the database is better: with both, a reference can be turned
back into a Telegram id by trying every id. docs/operator.md says how.

A new secret.key is written atomically: a temporary file is written, flushed to disk and
then linked into place, so a full disk or a crash leaves either no key or a whole one,
never an empty file. An empty secret.key (left by older versions) is treated as missing,
with an ERROR saying what happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

log = logging.getLogger("bot.store")

SECRET_NAME = "secret.key"
CREDENTIAL_NAME = "signpost-secret"


class KeyUnavailable(OSError):
    """secret.key could not be read or written now (disk full, read-only, ...)."""


def parse_secret(value: str) -> bytes:
    """SIGNPOST_SECRET / secret.key content: hex if it looks like hex, else the text itself."""
    value = value.strip()
    if len(value) >= 32 and len(value) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", value):
        return bytes.fromhex(value)
    return value.encode("utf-8")


def credential_secret() -> str | None:
    """The key from a systemd credential, if the service was given one."""
    folder = os.environ.get("CREDENTIALS_DIRECTORY")
    if not folder:
        return None
    path = Path(folder) / CREDENTIAL_NAME
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return value or None


def load_or_create(data_dir: Path, new_key: bytes) -> bytes:
    """The key in data_dir/secret.key, creating it from `new_key` if there is none.

    Raises KeyUnavailable (after logging an ERROR that says what to do) when the key can
    be neither read nor saved; the caller keeps `new_key` in memory and tries again later.
    """
    key = data_dir / SECRET_NAME
    try:
        content = _read(key)
    except FileNotFoundError:
        content = None
    except OSError as exc:
        log.error("cannot read %s (%s); check its owner and permissions. Nothing is logged "
                  "until it can be read.", key, exc.strerror or exc)
        raise KeyUnavailable(exc.errno, str(exc.strerror)) from None
    if content:
        return parse_secret(content)
    if content is not None:
        log.error("%s is empty: the disk was probably full when it was first written. A new "
                  "key is being made; conversations logged before it cannot be found by "
                  "/forget any more (they still expire after the retention period). To avoid "
                  "this, set SIGNPOST_SECRET or a systemd credential (docs/operator.md).", key)
    _write_atomically(key, new_key.hex() + "\n", replace=content is not None)
    log.info("conversation log: created a new secret key in %s", key)
    # Another process may have won the race to create it: always use what is on disk.
    return parse_secret(_read(key) or new_key.hex())


def _read(key: Path) -> str:
    mode = key.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s could be read by other users (mode %o); making it owner-only", key,
                    mode)
        key.chmod(0o600)
    return key.read_text(encoding="utf-8").strip()


def _write_atomically(path: Path, text: str, *, replace: bool) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            data = text.encode("utf-8")
            if os.write(fd, data) != len(data):
                raise OSError(28, "No space left on device")
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, path)
        else:
            # Fails if another process made one meanwhile: keep theirs.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        log.error("cannot save the conversation-reference key to %s (%s). Nothing is logged "
                  "until it can be saved; free some disk space or fix the folder's "
                  "permissions, and the bot will try again by itself.", path,
                  exc.strerror or exc)
        raise KeyUnavailable(exc.errno, str(exc.strerror)) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
