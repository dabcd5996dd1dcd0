"""Per-channel settings: Telegram, the web chat, and email alerts; each checked on its own.

    TelegramSettings   on only when TELEGRAM_BOT_TOKEN is set; polling or webhook, the
                       staff group, admins
    WebSettings        the web chat's (and the webhook's) address, quick exit, embedding,
                       trusted proxies
    EmailSettings      on when there is somewhere to send alerts and a server to use

Each `*_settings(reader)` reads its variables through one `Reader` (bot/config_env.py),
which collects every problem; bot/config.py puts the sections together.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.config_env import Reader, is_web_address

_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
_ADDRESS_RE = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+")
_SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


# ---------------------------------------------------------------- Telegram


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Telegram's settings; `on` only with a token. The secrets are kept out of repr()."""

    token: str = field(default="", repr=False)
    bot_api_url: str | None = None
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    alert_chat_id: int | None = None
    admin_ids: frozenset[int] = frozenset()
    admin_chat_id: int | None = None

    @property
    def on(self) -> bool:
        """Telegram is on only when a token is set; the web chat is always on."""
        return bool(self.token)

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


def telegram_settings(r: Reader) -> TelegramSettings:
    """TELEGRAM_BOT_TOKEN and the SIGNPOST_* settings that are about Telegram, checked."""
    token = r.get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.fullmatch(token):
        r.problems.append("TELEGRAM_BOT_TOKEN does not look like a bot token (it should look "
                          "like 123456789:AAH..., as @BotFather shows it). Copy it again.")
    api_url = r.web_address("SIGNPOST_BOT_API_URL",
                            "an http(s) address such as http://127.0.0.1:8081/bot")
    webhook_url = r.get("SIGNPOST_WEBHOOK_URL")
    webhook_secret = r.get("SIGNPOST_WEBHOOK_SECRET")
    listen = r.get("SIGNPOST_WEBHOOK_LISTEN") or "127.0.0.1"
    port = r.integer("SIGNPOST_WEBHOOK_PORT", 8443, 1, 65535)
    if webhook_url is not None:
        schemes = ("https",) if api_url is None else ("https", "http")
        if not is_web_address(webhook_url, schemes):
            r.problems.append(f"SIGNPOST_WEBHOOK_URL should be the public https:// address "
                              f"Telegram will post to, not {webhook_url!r}.")
        if webhook_secret is None:
            r.problems.append("SIGNPOST_WEBHOOK_SECRET is required in webhook mode, so that "
                              "only Telegram can post updates. Generate one with: python -c "
                              "'import secrets; print(secrets.token_urlsafe(32))'")
    if webhook_secret is not None and not _SECRET_RE.fullmatch(webhook_secret):
        r.problems.append("SIGNPOST_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and -, "
                          "1 to 256 characters (Telegram's rule).")
    admin_ids: set[int] = set()
    for item in r.comma_list("SIGNPOST_ADMIN_IDS"):
        try:
            admin_ids.add(int(item))
        except ValueError:
            r.problems.append(f"SIGNPOST_ADMIN_IDS should be Telegram user ids separated by "
                              f"commas, e.g. 123456789,987654321; {item!r} is not a number.")
    if r.get("SIGNPOST_WEBHOOK_LISTEN") or r.get("SIGNPOST_WEBHOOK_PORT"):
        r.warnings.append("SIGNPOST_WEBHOOK_LISTEN and SIGNPOST_WEBHOOK_PORT are no longer "
                          "used: Telegram's webhook is served on "
                          "SIGNPOST_WEB_LISTEN:SIGNPOST_WEB_PORT at the path of "
                          "SIGNPOST_WEBHOOK_URL; point your web server there.")
    return TelegramSettings(
        token=token or "", bot_api_url=api_url, webhook_url=webhook_url,
        webhook_listen=listen, webhook_port=port, webhook_secret=webhook_secret,
        alert_chat_id=r.chat_id("SIGNPOST_ALERT_CHAT_ID"), admin_ids=frozenset(admin_ids),
        admin_chat_id=r.chat_id("SIGNPOST_ADMIN_CHAT_ID"))


# ---------------------------------------------------------------- the web chat


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The web chat's server (which also serves Telegram's webhook)."""

    listen: str = "127.0.0.1"
    port: int = 8080
    exit_url: str = "https://www.bbc.co.uk/weather"
    embed_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()


def web_settings(r: Reader) -> WebSettings:
    """The SIGNPOST_WEB_* and SIGNPOST_TRUSTED_PROXIES settings, checked."""
    listen = r.get("SIGNPOST_WEB_LISTEN") or "127.0.0.1"
    port = r.integer("SIGNPOST_WEB_PORT", 8080, 1, 65535)
    exit_url = r.get("SIGNPOST_WEB_EXIT_URL") or "https://www.bbc.co.uk/weather"
    if not is_web_address(exit_url, ("https",)):
        r.problems.append(f"SIGNPOST_WEB_EXIT_URL should be a neutral https:// page such as "
                          f"https://www.bbc.co.uk/weather, not {exit_url!r}.")
    embed: list[str] = []
    for item in r.spaced_list("SIGNPOST_WEB_EMBED_ORIGINS"):
        parts = urlsplit(item)
        if not is_web_address(item) or parts.path.strip("/"):
            r.problems.append(f"SIGNPOST_WEB_EMBED_ORIGINS should list origins such as "
                              f"https://school.example.org (no path), not {item!r}.")
        else:
            embed.append(f"{parts.scheme}://{parts.netloc}")
    proxies: list[str] = []
    for item in r.spaced_list("SIGNPOST_TRUSTED_PROXIES"):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            r.problems.append(f"SIGNPOST_TRUSTED_PROXIES should list IP addresses or networks "
                              f"such as 127.0.0.1 or 10.0.0.0/8, not {item!r}.")
        else:
            proxies.append(item)
    return WebSettings(listen=listen, port=port, exit_url=exit_url,
                       embed_origins=tuple(embed), trusted_proxies=tuple(proxies))


# ---------------------------------------------------------------- email alerts


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """Safety alerts by email over SMTP, and the console link in them."""

    to: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    console_url: str | None = None

    @property
    def on(self) -> bool:
        """Email alerts are on when there is somewhere to send them and a server to use."""
        return bool(self.to and self.smtp_host)


def email_settings(r: Reader) -> EmailSettings:
    """The SIGNPOST_ALERT_EMAIL_TO / SIGNPOST_SMTP_* / SIGNPOST_CONSOLE_URL block, checked."""
    to: list[str] = []
    for item in r.comma_list("SIGNPOST_ALERT_EMAIL_TO"):
        if _ADDRESS_RE.fullmatch(item):
            to.append(item)
        else:
            r.problems.append(f"SIGNPOST_ALERT_EMAIL_TO should list email addresses separated "
                              f"by commas, e.g. safeguarding@example.org; {item!r} is not one.")
    host = r.get("SIGNPOST_SMTP_HOST")
    security = (r.get("SIGNPOST_SMTP_SECURITY") or "starttls").lower()
    if security not in _SECURITY_PORTS:
        r.problems.append(f"SIGNPOST_SMTP_SECURITY should be starttls, tls or none, not "
                          f"{security!r}.")
        security = "starttls"
    port = r.integer("SIGNPOST_SMTP_PORT", _SECURITY_PORTS[security], 1, 65535)
    user = r.get("SIGNPOST_SMTP_USER")
    password = r.get("SIGNPOST_SMTP_PASSWORD")
    sender = r.get("SIGNPOST_SMTP_FROM")
    if sender is None and user is not None and _ADDRESS_RE.fullmatch(user):
        sender = user
    if to and host is None:
        r.problems.append("SIGNPOST_ALERT_EMAIL_TO is set but SIGNPOST_SMTP_HOST is not: set "
                          "it to your mail server (e.g. smtp.example.org) so alerts can be "
                          "sent.")
    if host is not None and not to:
        r.warnings.append("SIGNPOST_SMTP_HOST is set but SIGNPOST_ALERT_EMAIL_TO is not, so "
                          "no alert emails are sent. Set it to the safeguarding team's "
                          "address.")
    if to and host is not None:
        if sender is None:
            r.problems.append("SIGNPOST_SMTP_FROM is not set: give alert emails a From "
                              "address, e.g. signpost@example.org (one your mail server "
                              "accepts).")
        elif not _ADDRESS_RE.fullmatch(sender):
            r.problems.append(f"SIGNPOST_SMTP_FROM should be an email address such as "
                              f"signpost@example.org, not {sender!r}.")
        if (user is None) != (password is None):
            r.problems.append("SIGNPOST_SMTP_USER and SIGNPOST_SMTP_PASSWORD go together: set "
                              "both (to log in to the mail server) or neither.")
        if security == "none" and host.lower() not in _LOOPBACK:
            r.problems.append(f"SIGNPOST_SMTP_SECURITY=none would send alerts unencrypted to "
                              f"{host}; it is only allowed for a mail relay on this machine "
                              "(127.0.0.1). Use starttls or tls.")
    console = r.web_address("SIGNPOST_CONSOLE_URL",
                            "the console's address such as https://signpost.example.org/console")
    return EmailSettings(to=tuple(to), smtp_host=host, smtp_port=port, smtp_security=security,
                         smtp_user=user, smtp_password=password, smtp_from=sender,
                         console_url=console.rstrip("/") if console is not None else None)
