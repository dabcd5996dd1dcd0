"""Reading settings: `.env` files, and `Reader`, which checks values and collects problems.

Every parser of a settings section (bot/config.py for the core, bot/config_channels.py for
Telegram, the web chat and email alerts) reads through one `Reader`, so a whole run's
problems are listed at once, each written for the operator who has to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(Exception):
    """Settings are missing or wrong; the message says which and how to fix them."""


def read_env_file(path: Path) -> dict[str, str]:
    """Parse NAME=value lines (# comments, blank lines, optional quotes and `export`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the settings file ({exc.strerror}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not a UTF-8 text file.") from None
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, eq, value = line.partition("=")
        name = name.strip()
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ConfigError(f"{path}:{n}: expected NAME=value, e.g. SIGNPOST_DATA_DIR=/srv/data")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[name] = value
    return out


def is_web_address(value: str, schemes: tuple[str, ...] = ("http", "https")) -> bool:
    """Whether `value` is an absolute address with one of `schemes` and a host."""
    parts = urlsplit(value)
    return parts.scheme in schemes and bool(parts.netloc)


class Reader:
    """Typed, checked values from the settings; problems and warnings are collected."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def get(self, name: str) -> str | None:
        """The value, stripped; None when unset or blank."""
        value = self.env.get(name, "").strip()
        return value or None

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.problems.append(f"{name} should be a whole number, not {value!r}.")
            return default
        if not low <= number <= high:
            self.problems.append(f"{name} should be between {low} and {high}, not {number}.")
        return number

    def chat_id(self, name: str) -> int | None:
        value = self.get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            self.problems.append(f"{name} should be a Telegram chat id (a number such as "
                                 f"-1001234567890), not {value!r}.")
            return None

    def comma_list(self, name: str) -> list[str]:
        """Items separated by commas (or semicolons); blank items skipped."""
        items = (self.get(name) or "").replace(";", ",").split(",")
        return [item.strip() for item in items if item.strip()]

    def spaced_list(self, name: str) -> list[str]:
        """Items separated by spaces (or commas)."""
        return (self.get(name) or "").replace(",", " ").split()

    def web_address(self, name: str, example: str) -> str | None:
        """An http(s) address, or None; a wrong one is a problem showing `example`."""
        value = self.get(name)
        if value is not None and not is_web_address(value):
            self.problems.append(f"{name} should be {example}, not {value!r}.")
        return value
