"""Settings for a running bot, read once from environment variables.

`Settings` holds the core (catalogue, data folder, key, retention, log level) and one
section per channel: `telegram`, `web` and `email` (bot/config_channels.py), each read
and checked on its own; Telegram is on only when TELEGRAM_BOT_TOKEN is set.

Every setting is an environment variable. A `.env`-style file (NAME=value lines) can hold
them too: the file named by SIGNPOST_ENV_FILE, else `./.env` if it exists. A variable
set in the real environment wins over the file. Bad values raise `ConfigError` with a
message written for the operator who has to fix them; nothing here exits the process.

    ConfigError            one or more settings are wrong (message lists each problem)
    └── MissingToken       TELEGRAM_BOT_TOKEN is not set (`signpost run` needs it)
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config_channels import (
    EmailSettings,
    TelegramSettings,
    WebSettings,
    email_settings,
    telegram_settings,
    web_settings,
)
from bot.config_env import ConfigError, Reader, read_env_file

__all__ = ["SETTINGS", "ConfigError", "EmailSettings", "MissingToken", "Settings",
           "TelegramSettings", "WebSettings", "load_settings", "read_env_file"]

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

_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class MissingToken(ConfigError):
    """TELEGRAM_BOT_TOKEN is not set."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `signpost run` needs, checked. The secrets are kept out of repr()."""

    catalogue_dir: Path
    data_dir: Path = Path("data")
    secret: str | None = field(default=None, repr=False)
    retention_days: int = 90
    log_level: str = "INFO"
    env_file: Path | None = None
    warnings: tuple[str, ...] = ()
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    web: WebSettings = field(default_factory=WebSettings)
    email: EmailSettings = field(default_factory=EmailSettings)


def load_settings(environ: Mapping[str, str] | None = None, cwd: Path | None = None,
                  need_token: bool = True) -> Settings:
    """Read and check every setting; raise ConfigError listing all problems at once.

    need_token: raise MissingToken when TELEGRAM_BOT_TOKEN is unset (Telegram required);
    without it, an unset token just leaves Telegram off.
    """
    env = dict(os.environ if environ is None else environ)
    cwd = cwd or Path.cwd()
    r = Reader(env)
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
        r.env = {**from_file, **env}
        try:
            mode = env_file.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO) and "TELEGRAM_BOT_TOKEN" in from_file:
                r.warnings.append(f"{env_file} holds the bot token and can be read by other "
                                  f"users; run: chmod 600 {env_file}")
        except OSError:
            pass

    if r.get("TELEGRAM_BOT_TOKEN") is None and need_token:
        raise MissingToken(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram, then "
            "run: TELEGRAM_BOT_TOKEN=123456:ABC... signpost run\n"
            "To try the bot without Telegram, run: signpost chat")
    catalogue = r.get("SIGNPOST_CATALOGUE")
    catalogue_dir = Path(catalogue) if catalogue else cwd
    data_dir = Path(r.get("SIGNPOST_DATA_DIR") or "data")
    if not data_dir.is_absolute():
        data_dir = cwd / data_dir
    secret = r.get("SIGNPOST_SECRET")
    if secret is not None and len(secret) < 16:
        r.problems.append("SIGNPOST_SECRET is too short: use at least 16 random characters "
                          "(e.g. from: python -c 'import secrets; print(secrets.token_hex())').")
    retention = r.integer("SIGNPOST_RETENTION_DAYS", 90, 1, 3650)
    level = (r.get("SIGNPOST_LOG_LEVEL") or "INFO").upper()
    if level not in _LEVELS:
        r.problems.append(f"SIGNPOST_LOG_LEVEL should be one of {', '.join(_LEVELS)}, "
                          f"not {level!r}.")
    # Then each channel's section; problems are listed in this order.
    telegram = telegram_settings(r)
    web = web_settings(r)
    email = email_settings(r)
    if r.problems:
        where = f" (settings read from the environment and {env_file})" if env_file else ""
        raise ConfigError("Signpost cannot start: fix these settings" + where + ":\n"
                          + "\n".join(f"  - {p}" for p in r.problems))
    return Settings(catalogue_dir=catalogue_dir, data_dir=data_dir, secret=secret,
                    retention_days=retention, log_level=level, env_file=env_file,
                    warnings=tuple(r.warnings), telegram=telegram, web=web, email=email)
