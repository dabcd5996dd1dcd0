"""Settings for a running bot, read once from environment variables.

Every setting is an environment variable. A `.env`-style file (NAME=value lines) can hold
them too: the file named by SIGNPOST_ENV_FILE, else `./.env` if it exists. A variable
set in the real environment wins over the file. Bad values raise `ConfigError` with a
message written for the operator who has to fix them; nothing here exits the process.

    ConfigError            one or more settings are wrong (message lists each problem)
    └── MissingToken       TELEGRAM_BOT_TOKEN is not set (`signpost run` needs it)
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_ENV_FILE = ".env"

# name -> (default shown in the docs, meaning). docs/operator.md is checked against this.
SETTINGS: dict[str, tuple[str, str]] = {
    "TELEGRAM_BOT_TOKEN": ("(unset: web chat only)", "the bot's token from @BotFather; "
                                                     "setting it turns Telegram on"),
    "SIGNPOST_CATALOGUE": ("current folder", "folder holding services.yaml, settings.yaml, "
                                             "lexicon.yaml and intents/"),
    "SIGNPOST_DATA_DIR": ("./data", "where the conversation log (SQLite) and its secret live"),
    "SIGNPOST_SECRET": ("generated on first run", "key for pseudonymous conversation "
                                                  "references (keep it stable)"),
    "SIGNPOST_RETENTION_DAYS": ("90", "conversation-log turns older than this are deleted "
                                      "on start and daily"),
    "SIGNPOST_BOT_API_URL": ("Telegram's", "a self-hosted Bot API server, e.g. "
                                           "http://127.0.0.1:8081/bot"),
    "SIGNPOST_WEBHOOK_URL": ("(unset: polling)", "public HTTPS address Telegram posts "
                                                 "updates to; setting it turns on webhook mode"),
    "SIGNPOST_WEBHOOK_LISTEN": ("127.0.0.1", "not used by signpost run any more (the webhook "
                                             "is a route of the web chat's server)"),
    "SIGNPOST_WEBHOOK_PORT": ("8443", "not used by signpost run any more (the webhook is "
                                      "served on SIGNPOST_WEB_PORT)"),
    "SIGNPOST_WEBHOOK_SECRET": ("(required for webhooks)", "secret Telegram sends with every "
                                                          "webhook request (1-256 of A-Z a-z "
                                                          "0-9 _ -)"),
    "SIGNPOST_ALERT_CHAT_ID": ("(unset: no alerts)", "Telegram chat id of the trained staff's "
                                                     "private group for safety alerts"),
    # Alert routes other than Telegram (bot/alert_email.py, bot/alert_router.py).
    "SIGNPOST_ALERT_EMAIL_TO": ("(unset: no email alerts)", "addresses safety alerts are "
                                                            "emailed to, comma-separated"),
    "SIGNPOST_SMTP_HOST": ("(required for email alerts)", "your mail server, e.g. "
                                                          "smtp.example.org"),
    "SIGNPOST_SMTP_PORT": ("587 (465 with tls, 25 with none)", "the mail server's port"),
    "SIGNPOST_SMTP_SECURITY": ("starttls", "starttls, tls (port 465) or none (only for a "
                                           "mail relay on this machine)"),
    "SIGNPOST_SMTP_USER": ("(unset: no login)", "user name for the mail server"),
    "SIGNPOST_SMTP_PASSWORD": ("(unset)", "password for the mail server (never logged)"),
    "SIGNPOST_SMTP_FROM": ("SIGNPOST_SMTP_USER", "the From address of alert emails"),
    "SIGNPOST_CONSOLE_URL": ("(unset: no link)", "public address of the staff console; alert "
                                                 "emails link to the conversation there"),
    "SIGNPOST_ADMIN_IDS": ("(none)", "Telegram user ids allowed to use /reload and "
                                     "/catalogue, comma-separated"),
    "SIGNPOST_ADMIN_CHAT_ID": ("(unset)", "chat id where rejected catalogue edits are "
                                          "reported"),
    "SIGNPOST_WEB_LISTEN": ("127.0.0.1", "address the web chat (and the Telegram webhook) "
                                         "listens on"),
    "SIGNPOST_WEB_PORT": ("8080", "port the web chat (and the Telegram webhook) listens on"),
    "SIGNPOST_WEB_EXIT_URL": ("https://www.bbc.co.uk/weather", "the neutral page quick exit "
                                                              "opens instead of the chat"),
    "SIGNPOST_WEB_EMBED_ORIGINS": ("(none: no embedding)", "sites allowed to show the chat "
                                                           "in an iframe, e.g. "
                                                           "https://school.example.org, "
                                                           "space- or comma-separated"),
    "SIGNPOST_TRUSTED_PROXIES": ("(none)", "addresses of your reverse proxies (IPs or "
                                           "networks like 10.0.0.0/8) whose "
                                           "X-Forwarded-For is believed"),
    "SIGNPOST_LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
    "SIGNPOST_ENV_FILE": ("./.env if present", "a file of NAME=value lines read before the "
                                               "environment"),
}

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """Settings are missing or wrong; the message says which and how to fix them."""


class MissingToken(ConfigError):
    """TELEGRAM_BOT_TOKEN is not set."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `signpost run` needs, checked. The secrets are kept out of repr()."""

    token: str = field(repr=False)
    catalogue_dir: Path
    data_dir: Path = Path("data")
    secret: str | None = field(default=None, repr=False)
    retention_days: int = 90
    bot_api_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    alert_chat_id: int | None = None
    # Alert routes other than Telegram: email over SMTP, and the console link in it.
    alert_email_to: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    console_url: str | None = None
    admin_ids: frozenset[int] = frozenset()
    admin_chat_id: int | None = None
    web_listen: str = "127.0.0.1"
    web_port: int = 8080
    web_exit_url: str = "https://www.bbc.co.uk/weather"
    web_embed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "INFO"
    env_file: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def telegram(self) -> bool:
        """Telegram is on only when a token is set; the web chat is always on."""
        return bool(self.token)

    @property
    def alert_email(self) -> bool:
        """Email alerts are on when there is somewhere to send them and a server to use."""
        return bool(self.alert_email_to and self.smtp_host)

    @property
    def webhook(self) -> bool:
        return self.webhook_url is not None

    @property
    def base_file_url(self) -> str | None:
        """The file-download URL that goes with bot_api_url (".../bot" -> ".../file/bot")."""
        if self.bot_api_url is None:
            return None
        root, _, last = self.bot_api_url.rstrip("/").rpartition("/")
        return f"{root}/file/{last}" if root else None

    @property
    def webhook_path(self) -> str:
        """The path part of the webhook URL, which the local server listens on."""
        return urlsplit(self.webhook_url or "").path.strip("/")


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


def load_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None,
                  need_token: bool = True) -> Settings:
    """Read and check every setting; raise ConfigError listing all problems at once."""
    env = dict(os.environ if environ is None else environ)
    cwd = cwd or Path.cwd()
    warnings: list[str] = []
    env_file: Path | None = None
    named = env.get("SIGNPOST_ENV_FILE", "").strip()
    if named:
        env_file = Path(named)
        if not env_file.is_absolute():
            env_file = cwd / env_file
        if not env_file.is_file():
            raise ConfigError(f"SIGNPOST_ENV_FILE names {env_file}, which does not exist. "
                              "Fix the path or unset SIGNPOST_ENV_FILE.")
    elif (cwd / DEFAULT_ENV_FILE).is_file():
        env_file = cwd / DEFAULT_ENV_FILE
    if env_file is not None:
        from_file = read_env_file(env_file)
        env = {**from_file, **env}
        try:
            mode = env_file.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO) and "TELEGRAM_BOT_TOKEN" in from_file:
                warnings.append(f"{env_file} holds the bot token and can be read by other "
                                f"users; run: chmod 600 {env_file}")
        except OSError:
            pass

    problems: list[str] = []

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def integer(name: str, default: int, low: int, high: int) -> int:
        value = get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            problems.append(f"{name} should be a whole number, not {value!r}.")
            return default
        if not low <= number <= high:
            problems.append(f"{name} should be between {low} and {high}, not {number}.")
        return number

    def chat_id(name: str) -> int | None:
        value = get(name)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            problems.append(f"{name} should be a Telegram chat id (a number such as "
                            f"-1001234567890), not {value!r}.")
            return None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is None and need_token:
        raise MissingToken(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram, then "
            "run: TELEGRAM_BOT_TOKEN=123456:ABC... signpost run\n"
            "To try the bot without Telegram, run: signpost chat")
    if token is not None and not _TOKEN_RE.fullmatch(token):
        problems.append("TELEGRAM_BOT_TOKEN does not look like a bot token (it should look "
                        "like 123456789:AAH..., as @BotFather shows it). Copy it again.")

    catalogue = get("SIGNPOST_CATALOGUE")
    catalogue_dir = Path(catalogue) if catalogue else cwd
    data_dir = Path(get("SIGNPOST_DATA_DIR") or "data")
    if not data_dir.is_absolute():
        data_dir = cwd / data_dir
    secret = get("SIGNPOST_SECRET")
    if secret is not None and len(secret) < 16:
        problems.append("SIGNPOST_SECRET is too short: use at least 16 random characters "
                        "(e.g. from: python -c 'import secrets; print(secrets.token_hex())').")
    retention = integer("SIGNPOST_RETENTION_DAYS", 90, 1, 3650)

    api_url = get("SIGNPOST_BOT_API_URL")
    if api_url is not None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"SIGNPOST_BOT_API_URL should be an http(s) address such as "
                            f"http://127.0.0.1:8081/bot, not {api_url!r}.")

    webhook_url = get("SIGNPOST_WEBHOOK_URL")
    webhook_secret = get("SIGNPOST_WEBHOOK_SECRET")
    listen = get("SIGNPOST_WEBHOOK_LISTEN") or "127.0.0.1"
    port = integer("SIGNPOST_WEBHOOK_PORT", 8443, 1, 65535)
    if webhook_url is not None:
        parts = urlsplit(webhook_url)
        schemes = ("https",) if api_url is None else ("https", "http")
        if parts.scheme not in schemes or not parts.netloc:
            problems.append(f"SIGNPOST_WEBHOOK_URL should be the public https:// address "
                            f"Telegram will post to, not {webhook_url!r}.")
        if webhook_secret is None:
            problems.append("SIGNPOST_WEBHOOK_SECRET is required in webhook mode, so that "
                            "only Telegram can post updates. Generate one with: python -c "
                            "'import secrets; print(secrets.token_urlsafe(32))'")
    if webhook_secret is not None and not _SECRET_RE.fullmatch(webhook_secret):
        problems.append("SIGNPOST_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and -, "
                        "1 to 256 characters (Telegram's rule).")

    admin_ids: set[int] = set()
    for item in (get("SIGNPOST_ADMIN_IDS") or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            admin_ids.add(int(item))
        except ValueError:
            problems.append(f"SIGNPOST_ADMIN_IDS should be Telegram user ids separated by "
                            f"commas, e.g. 123456789,987654321; {item!r} is not a number.")

    if get("SIGNPOST_WEBHOOK_LISTEN") or get("SIGNPOST_WEBHOOK_PORT"):
        warnings.append("SIGNPOST_WEBHOOK_LISTEN and SIGNPOST_WEBHOOK_PORT are no longer used: "
                        "Telegram's webhook is served on SIGNPOST_WEB_LISTEN:SIGNPOST_WEB_PORT "
                        "at the path of SIGNPOST_WEBHOOK_URL; point your web server there.")
    web_listen = get("SIGNPOST_WEB_LISTEN") or "127.0.0.1"
    web_port = integer("SIGNPOST_WEB_PORT", 8080, 1, 65535)
    exit_url = get("SIGNPOST_WEB_EXIT_URL") or "https://www.bbc.co.uk/weather"
    parts = urlsplit(exit_url)
    if parts.scheme != "https" or not parts.netloc:
        problems.append(f"SIGNPOST_WEB_EXIT_URL should be a neutral https:// page such as "
                        f"https://www.bbc.co.uk/weather, not {exit_url!r}.")
    embed: list[str] = []
    for item in (get("SIGNPOST_WEB_EMBED_ORIGINS") or "").replace(",", " ").split():
        parts = urlsplit(item)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.path.strip("/"):
            problems.append(f"SIGNPOST_WEB_EMBED_ORIGINS should list origins such as "
                            f"https://school.example.org (no path), not {item!r}.")
        else:
            embed.append(f"{parts.scheme}://{parts.netloc}")
    proxies: list[str] = []
    for item in (get("SIGNPOST_TRUSTED_PROXIES") or "").replace(",", " ").split():
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            problems.append(f"SIGNPOST_TRUSTED_PROXIES should list IP addresses or networks "
                            f"such as 127.0.0.1 or 10.0.0.0/8, not {item!r}.")
        else:
            proxies.append(item)

    level = (get("SIGNPOST_LOG_LEVEL") or "INFO").upper()
    if level not in _LEVELS:
        problems.append(f"SIGNPOST_LOG_LEVEL should be one of {', '.join(_LEVELS)}, "
                        f"not {level!r}.")

    alert_chat = chat_id("SIGNPOST_ALERT_CHAT_ID")
    admin_chat = chat_id("SIGNPOST_ADMIN_CHAT_ID")
    email = _email_settings(get, integer, problems, warnings)
    if problems:
        where = f" (settings read from the environment and {env_file})" if env_file else ""
        raise ConfigError("Signpost cannot start: fix these settings" + where + ":\n"
                          + "\n".join(f"  - {p}" for p in problems))
    return Settings(
        token=token or "",
        catalogue_dir=catalogue_dir,
        data_dir=data_dir,
        secret=secret,
        retention_days=retention,
        bot_api_url=api_url,
        webhook_url=webhook_url,
        webhook_listen=listen,
        webhook_port=port,
        webhook_secret=webhook_secret,
        alert_chat_id=alert_chat,
        **email,
        admin_ids=frozenset(admin_ids),
        admin_chat_id=admin_chat,
        web_listen=web_listen,
        web_port=web_port,
        web_exit_url=exit_url,
        web_embed_origins=tuple(embed),
        trusted_proxies=tuple(proxies),
        log_level=level,
        env_file=env_file,
        warnings=tuple(warnings),
    )


_ADDRESS_RE = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")
_SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _email_settings(get: Callable[[str], str | None], integer: Callable[[str, int, int, int], int],
                    problems: list[str], warnings: list[str]) -> dict[str, Any]:
    """The SIGNPOST_ALERT_EMAIL_TO / SIGNPOST_SMTP_* block, checked; Settings field values."""
    to: list[str] = []
    for item in (get("SIGNPOST_ALERT_EMAIL_TO") or "").replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        if _ADDRESS_RE.fullmatch(item):
            to.append(item)
        else:
            problems.append(f"SIGNPOST_ALERT_EMAIL_TO should list email addresses separated by "
                            f"commas, e.g. safeguarding@example.org; {item!r} is not one.")
    host = get("SIGNPOST_SMTP_HOST")
    security = (get("SIGNPOST_SMTP_SECURITY") or "starttls").lower()
    if security not in _SECURITY_PORTS:
        problems.append(f"SIGNPOST_SMTP_SECURITY should be starttls, tls or none, not "
                        f"{security!r}.")
        security = "starttls"
    port = integer("SIGNPOST_SMTP_PORT", _SECURITY_PORTS[security], 1, 65535)
    user = get("SIGNPOST_SMTP_USER")
    password = get("SIGNPOST_SMTP_PASSWORD")
    sender = get("SIGNPOST_SMTP_FROM")
    if sender is None and user is not None and _ADDRESS_RE.fullmatch(user):
        sender = user
    if to and host is None:
        problems.append("SIGNPOST_ALERT_EMAIL_TO is set but SIGNPOST_SMTP_HOST is not: set it "
                        "to your mail server (e.g. smtp.example.org) so alerts can be sent.")
    if host is not None and not to:
        warnings.append("SIGNPOST_SMTP_HOST is set but SIGNPOST_ALERT_EMAIL_TO is not, so no "
                        "alert emails are sent. Set it to the safeguarding team's address.")
    if to and host is not None:
        if sender is None:
            problems.append("SIGNPOST_SMTP_FROM is not set: give alert emails a From address, "
                            "e.g. signpost@example.org (one your mail server accepts).")
        elif not _ADDRESS_RE.fullmatch(sender):
            problems.append(f"SIGNPOST_SMTP_FROM should be an email address such as "
                            f"signpost@example.org, not {sender!r}.")
        if (user is None) != (password is None):
            problems.append("SIGNPOST_SMTP_USER and SIGNPOST_SMTP_PASSWORD go together: set "
                            "both (to log in to the mail server) or neither.")
        if security == "none" and host.lower() not in _LOOPBACK:
            problems.append(f"SIGNPOST_SMTP_SECURITY=none would send alerts unencrypted to "
                            f"{host}; it is only allowed for a mail relay on this machine "
                            "(127.0.0.1). Use starttls or tls.")
    console = get("SIGNPOST_CONSOLE_URL")
    if console is not None:
        parts = urlsplit(console)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"SIGNPOST_CONSOLE_URL should be the console's address such as "
                            f"https://signpost.example.org/console, not {console!r}.")
        console = console.rstrip("/")
    return {"alert_email_to": tuple(to), "smtp_host": host, "smtp_port": port,
            "smtp_security": security, "smtp_user": user, "smtp_password": password,
            "smtp_from": sender, "console_url": console}
