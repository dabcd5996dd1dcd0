"""Settings: read from the environment or a .env file, with errors an operator can act on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import SETTINGS, ConfigError, MissingToken, load_settings, read_env_file

TOKEN = "123456789:AAHfakeTokenForSignpostTests_0123456789"
REPO = Path(__file__).resolve().parent.parent


def test_defaults(tmp_path: Path) -> None:
    """Only the token is needed; everything else has the documented default."""
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN}, cwd=tmp_path)
    assert s.telegram.token == TOKEN and s.catalogue_dir == tmp_path
    assert s.data_dir == tmp_path / "data" and s.retention_days == 90
    t = s.telegram
    assert not t.webhook and t.webhook_listen == "127.0.0.1" and t.webhook_port == 8443
    assert t.alert_chat_id is None and t.admin_ids == frozenset() and s.log_level == "INFO"
    assert t.bot_api_url is None and t.base_file_url is None


def test_missing_token_names_the_variable_and_signpost_chat(tmp_path: Path) -> None:
    """Without a token the error names TELEGRAM_BOT_TOKEN and points to `signpost chat`."""
    with pytest.raises(MissingToken) as exc:
        load_settings({}, cwd=tmp_path)
    assert "TELEGRAM_BOT_TOKEN" in str(exc.value) and "signpost chat" in str(exc.value)


def test_token_is_kept_out_of_repr(tmp_path: Path) -> None:
    """Printing the settings never shows the token, webhook secret or log secret."""
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_SECRET": "x" * 32,
                       "SIGNPOST_WEBHOOK_URL": "https://bot.example.org/hook",
                       "SIGNPOST_WEBHOOK_SECRET": "hook-secret-123"}, cwd=tmp_path)
    assert TOKEN not in repr(s) and "hook-secret-123" not in repr(s) and "x" * 32 not in repr(s)


def test_every_problem_listed_at_once(tmp_path: Path) -> None:
    """Several bad values: one error listing each, with what a good value looks like."""
    with pytest.raises(ConfigError) as exc:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_RETENTION_DAYS": "ninety",
                       "SIGNPOST_WEBHOOK_PORT": "70000", "SIGNPOST_ADMIN_IDS": "12, bob",
                       "SIGNPOST_ALERT_CHAT_ID": "staff-group", "SIGNPOST_LOG_LEVEL": "loud"},
                      cwd=tmp_path)
    msg = str(exc.value)
    assert "SIGNPOST_RETENTION_DAYS should be a whole number, not 'ninety'" in msg
    assert "SIGNPOST_WEBHOOK_PORT should be between 1 and 65535, not 70000" in msg
    assert "'bob' is not a number" in msg
    assert "SIGNPOST_ALERT_CHAT_ID should be a Telegram chat id" in msg
    assert "SIGNPOST_LOG_LEVEL should be one of DEBUG, INFO, WARNING, ERROR" in msg


def test_bad_token_shape(tmp_path: Path) -> None:
    """A token pasted wrongly is caught before Telegram is asked, without echoing it."""
    with pytest.raises(ConfigError) as exc:
        load_settings({"TELEGRAM_BOT_TOKEN": "my-bot-token-here"}, cwd=tmp_path)
    assert "does not look like a bot token" in str(exc.value)
    assert "my-bot-token-here" not in str(exc.value)


def test_webhook_needs_a_secret(tmp_path: Path) -> None:
    """Webhook mode without SIGNPOST_WEBHOOK_SECRET refuses, saying how to make one."""
    with pytest.raises(ConfigError) as exc:
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN,
                       "SIGNPOST_WEBHOOK_URL": "https://bot.example.org/tg"}, cwd=tmp_path)
    assert "SIGNPOST_WEBHOOK_SECRET is required" in str(exc.value)
    assert "secrets.token_urlsafe" in str(exc.value)


def test_webhook_rules(tmp_path: Path) -> None:
    """Telegram's secret alphabet and https are enforced; the URL path is served locally."""
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_WEBHOOK_SECRET": "ok_secret-1"}
    with pytest.raises(ConfigError, match="only use A-Z"):
        load_settings({**base, "SIGNPOST_WEBHOOK_URL": "https://x.example.org/h",
                       "SIGNPOST_WEBHOOK_SECRET": "not allowed!"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="public https:// address"):
        load_settings({**base, "SIGNPOST_WEBHOOK_URL": "http://x.example.org/h"}, cwd=tmp_path)
    s = load_settings({**base, "SIGNPOST_WEBHOOK_URL": "https://x.example.org/signpost/tg",
                       "SIGNPOST_WEBHOOK_PORT": "9000"}, cwd=tmp_path)
    t = s.telegram
    assert t.webhook and t.webhook_path == "signpost/tg" and t.webhook_port == 9000
    # A self-hosted Bot API server may post over plain http.
    s = load_settings({**base, "SIGNPOST_WEBHOOK_URL": "http://127.0.0.1:9000/h",
                       "SIGNPOST_BOT_API_URL": "http://127.0.0.1:8081/bot"}, cwd=tmp_path)
    assert s.telegram.webhook


def test_bot_api_url_and_file_url(tmp_path: Path) -> None:
    """A self-hosted Bot API server: the file URL is derived from the API URL."""
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN,
                       "SIGNPOST_BOT_API_URL": "http://127.0.0.1:8081/bot"}, cwd=tmp_path)
    assert s.telegram.bot_api_url == "http://127.0.0.1:8081/bot"
    assert s.telegram.base_file_url == "http://127.0.0.1:8081/file/bot"
    with pytest.raises(ConfigError, match="SIGNPOST_BOT_API_URL should be an http"):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_BOT_API_URL": "localhost:8081"},
                      cwd=tmp_path)


def test_admin_ids_and_chat_ids(tmp_path: Path) -> None:
    """Admin ids are a comma list; chat ids may be negative (groups)."""
    s = load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_ADMIN_IDS": " 11, 22,,33 ",
                       "SIGNPOST_ALERT_CHAT_ID": "-1001234567890",
                       "SIGNPOST_ADMIN_CHAT_ID": "-42"}, cwd=tmp_path)
    assert s.telegram.admin_ids == frozenset({11, 22, 33})
    assert s.telegram.alert_chat_id == -1001234567890 and s.telegram.admin_chat_id == -42


def test_dot_env_file_read_and_environment_wins(tmp_path: Path) -> None:
    """./.env is read (comments, quotes, export); a real environment variable wins."""
    (tmp_path / ".env").write_text(
        "# Signpost settings\n"
        f"export TELEGRAM_BOT_TOKEN={TOKEN}\n"
        "SIGNPOST_RETENTION_DAYS = 30  # a month\n"
        "SIGNPOST_DATA_DIR='/srv/signpost data'\n"
        "\n"
        'SIGNPOST_LOG_LEVEL="debug"\n')
    (tmp_path / ".env").chmod(0o600)
    s = load_settings({"SIGNPOST_RETENTION_DAYS": "14"}, cwd=tmp_path)
    assert s.telegram.token == TOKEN and s.retention_days == 14
    assert s.data_dir == Path("/srv/signpost data") and s.log_level == "DEBUG"
    assert s.env_file == tmp_path / ".env" and s.warnings == ()


def test_named_env_file_and_its_errors(tmp_path: Path) -> None:
    """SIGNPOST_ENV_FILE names the file; a missing file or a bad line is reported by line."""
    f = tmp_path / "signpost.env"
    f.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n")
    f.chmod(0o644)
    s = load_settings({"SIGNPOST_ENV_FILE": str(f)}, cwd=tmp_path)
    assert s.telegram.token == TOKEN
    assert any("chmod 600" in w for w in s.warnings), "a readable token file is flagged"
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({"SIGNPOST_ENV_FILE": str(tmp_path / "nope.env")}, cwd=tmp_path)
    f.write_text("SIGNPOST_DATA_DIR=/srv\nthis line is wrong\n")
    with pytest.raises(ConfigError) as exc:
        read_env_file(f)
    assert str(exc.value).startswith(f"{f}:2: expected NAME=value")


def test_short_log_secret_refused(tmp_path: Path) -> None:
    """SIGNPOST_SECRET must be long enough to keep references pseudonymous."""
    with pytest.raises(ConfigError, match="SIGNPOST_SECRET is too short"):
        load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "SIGNPOST_SECRET": "abc"}, cwd=tmp_path)


@pytest.mark.parametrize("page", ["docs/operator.md", "README.md"])
def test_operator_docs_list_every_setting(page: str) -> None:
    """The settings tables in the README and docs/operator.md name every variable the code reads."""
    doc = (REPO / page).read_text()
    table = set(re.findall(r"^\| `([A-Z_]+)` \|", doc, flags=re.M))
    assert set(SETTINGS) <= table, set(SETTINGS) - table
    code = "".join((REPO / "bot" / name).read_text()
                   for name in ("config.py", "config_channels.py"))
    read = set(re.findall(r'get\("([A-Z_]+)"\)', code)) | set(
        re.findall(r'(?:integer|chat_id|comma_list|spaced_list|web_address)\("([A-Z_]+)"', code))
    assert read <= set(SETTINGS), read - set(SETTINGS)
