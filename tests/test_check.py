"""`signpost check`: what it prints and its exit code in each case."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import FIXTURES
from tests.fake_telegram import FakeTelegram, text_of
from tests.smtp_server import Mailbox, free_port, start_server

TOKEN = "123456789:AAHfakeTokenForSignpostTests_0123456789"
SECRET = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        make_catalogue: Callable[..., Path]) -> Callable[..., Path]:
    """A clean environment in an empty folder; returns a function that sets variables."""
    for name in list(os.environ):
        if name.startswith(("SIGNPOST_", "TELEGRAM_", "CREDENTIALS_DIRECTORY")):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    catalogue = make_catalogue()
    data = tmp_path / "data"

    def set_env(**values: str) -> Path:
        defaults = {"SIGNPOST_CATALOGUE": str(catalogue), "SIGNPOST_DATA_DIR": str(data)}
        for name, value in {**defaults, **values}.items():
            monkeypatch.setenv(name, value)
        return data

    return set_env


def email_env(port: int) -> dict[str, str]:
    return {"SIGNPOST_ALERT_EMAIL_TO": "safeguarding@example.org",
            "SIGNPOST_SMTP_HOST": "127.0.0.1", "SIGNPOST_SMTP_PORT": str(port),
            "SIGNPOST_SMTP_SECURITY": "none", "SIGNPOST_SMTP_FROM": "signpost@example.org",
            "SIGNPOST_SECRET": SECRET}


def private_data(data: Path) -> None:
    data.mkdir(mode=0o700)
    (data / "signpost.db").touch(mode=0o600)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    server = start_server(box, port)
    yield box, port
    server.stop()


def test_nothing_to_fix(env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """An email route, the key outside the data folder, private files: exit 0."""
    private_data(env(**email_env(2525)))
    assert main(["check"]) == 0
    assert capsys.readouterr().out == (
        "Alert routes: email to safeguarding@example.org (via 127.0.0.1:2525, none)\n"
        "No problems found.\n")


def test_no_alert_route(env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """No Telegram group and no email: the one problem is said plainly; exit 1."""
    private_data(env(SIGNPOST_SECRET=SECRET))
    assert main(["check"]) == 1
    assert capsys.readouterr().out == (
        "Alert routes: none\n"
        "1 problem(s) to fix:\n"
        "  - Safety alerts go nowhere: set SIGNPOST_ALERT_CHAT_ID or SIGNPOST_ALERT_EMAIL_TO "
        "(with SIGNPOST_SMTP_HOST for email). Without one, no staff member is told when a "
        "young person discloses danger.\n")


def test_telegram_group_without_a_token(env: Callable[..., Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A web-only deployment with only a Telegram chat id set tells nobody: both problems."""
    private_data(env(SIGNPOST_SECRET=SECRET, SIGNPOST_ALERT_CHAT_ID="-1001234567890"))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s) to fix:" in out
    assert ("  - SIGNPOST_ALERT_CHAT_ID is set but TELEGRAM_BOT_TOKEN is not, so alerts cannot "
            "reach the Telegram group.") in out
    assert "  - Safety alerts go nowhere" in out


def test_telegram_group_with_a_token_is_a_route(env: Callable[..., Path],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Token and chat id: the Telegram group counts as a route."""
    private_data(env(SIGNPOST_SECRET=SECRET, SIGNPOST_ALERT_CHAT_ID="-1001234567890",
                     TELEGRAM_BOT_TOKEN=TOKEN))
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Alert routes: Telegram staff group (chat -1001234567890)\n")
    assert TOKEN not in out


def test_key_inside_the_data_folder(env: Callable[..., Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """No SIGNPOST_SECRET: the key would live beside the log; exit 1 and say how to move it."""
    values = {k: v for k, v in email_env(2525).items() if k != "SIGNPOST_SECRET"}
    data = env(**values)
    private_data(data)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        "1 problem(s) to fix:\n"
        f"  - The key behind conversation references is kept in the data folder "
        f"({data.resolve() / 'secret.key'}), next to the log it protects: with both, a "
        "reference can be traced back to a Telegram account by trying every id. Move it to "
        "a systemd credential or to SIGNPOST_SECRET in a settings file outside the data "
        "folder (docs/operator.md, section 8).\n")


def test_secret_in_a_settings_file_inside_the_data_folder(
        env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """SIGNPOST_SECRET read from a .env kept in the data folder is the same problem."""
    values = {k: v for k, v in email_env(2525).items() if k != "SIGNPOST_SECRET"}
    data = env(**values)
    private_data(data)
    (data / "env").write_text(f"SIGNPOST_SECRET={SECRET}\n")
    (data / "env").chmod(0o600)
    os.environ["SIGNPOST_ENV_FILE"] = str(data / "env")
    try:
        assert main(["check"]) == 1
    finally:
        del os.environ["SIGNPOST_ENV_FILE"]
    out = capsys.readouterr().out
    assert f"  - SIGNPOST_SECRET is kept in {data / 'env'}, inside the data folder" in out
    assert SECRET not in out


def test_unsafe_permissions(env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A data folder and database others can read: one chmod line for each; exit 1."""
    data = env(**email_env(2525))
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "signpost.db").touch()
    (data / "signpost.db").chmod(0o644)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s) to fix:" in out
    assert (f"  - The data folder {data} can be opened by other users (mode 755); run: "
            f"chmod 700 {data}\n") in out
    assert (f"  - {data / 'signpost.db'} can be read by other users (mode 644); run: "
            f"chmod 600 {data / 'signpost.db'}\n") in out


def test_settings_file_with_secrets_readable_by_others(
        env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """A .env holding the SMTP password that others can read is a problem."""
    private_data(env(**email_env(2525)))
    dotenv = Path.cwd() / ".env"
    dotenv.write_text("SIGNPOST_SMTP_USER=bot\nSIGNPOST_SMTP_PASSWORD=hunter2-hunter2\n")
    dotenv.chmod(0o644)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert (f"  - {dotenv} holds SIGNPOST_SMTP_PASSWORD and can be read by other users "
            f"(mode 644); run: chmod 600 {dotenv}\n") in out
    assert "hunter2" not in out


def test_broken_catalogue(env: Callable[..., Path], tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    """A catalogue with errors is one problem, with its errors listed under it."""
    broken = tmp_path / "catalogue"  # the env fixture's copy, given a bad phone number
    shutil.copy(FIXTURES / "broken" / "bad_phone" / "services.yaml", broken / "services.yaml")
    private_data(env(**email_env(2525)))
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "1 problem(s) to fix:" in out
    assert (f"  - The catalogue in {broken} has 1 error(s), so the bot would answer with the "
            "safety floor only; run 'signpost validate' for all:\n    services.yaml:") in out


def test_bad_settings(env: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Settings `signpost run` would refuse are reported first; exit 1."""
    env(SIGNPOST_ALERT_EMAIL_TO="safeguarding@example.org")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("signpost check: Signpost cannot start: fix these settings:\n")
    assert ("SIGNPOST_ALERT_EMAIL_TO is set but SIGNPOST_SMTP_HOST is not" in out)


def test_send_test_alert_by_email(env: Callable[..., Path], smtp: tuple[Mailbox, int],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """--send-test-alert: the SMTP server gets the test email; each route's result; exit 0."""
    box, port = smtp
    private_data(env(**email_env(port)))
    assert main(["check", "--send-test-alert"]) == 0
    out = capsys.readouterr().out
    assert out.endswith("No problems found.\nTest alert:\n"
                        "  email to safeguarding@example.org: sent\n")
    (got,) = asyncio.run(box.wait_for(1))
    assert got.message["Subject"] == "Signpost TEST alert (no action needed)"


def test_send_test_alert_with_the_mail_server_down(env: Callable[..., Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The route that fails says why; exit 1 even though the settings are fine."""
    private_data(env(**email_env(free_port())))
    assert main(["check", "--send-test-alert"]) == 1
    out = capsys.readouterr().out
    assert "No problems found.\nTest alert:\n  email to safeguarding@example.org: FAILED: " \
           "SMTPConnectError: " in out


def test_send_test_alert_with_nowhere_to_send(env: Callable[..., Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """No route: says no test alert was sent; exit 1."""
    private_data(env(SIGNPOST_SECRET=SECRET))
    assert main(["check", "--send-test-alert"]) == 1
    assert capsys.readouterr().out.endswith(
        "No test alert was sent: there is no alert route.\n")


async def test_send_test_alert_to_telegram_and_email(
        env: Callable[..., Path], smtp: tuple[Mailbox, int],
        capsys: pytest.CaptureFixture[str]) -> None:
    """Both routes on: the staff group (fake Bot API) and the mailbox each get it."""
    box, port = smtp
    fake = await FakeTelegram(TOKEN).start()
    try:
        private_data(env(**email_env(port), TELEGRAM_BOT_TOKEN=TOKEN,
                         SIGNPOST_ALERT_CHAT_ID="-100777", SIGNPOST_BOT_API_URL=fake.base_url))
        code = await asyncio.to_thread(main, ["check", "--send-test-alert"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert out.endswith("Test alert:\n  Telegram staff group: sent\n"
                            "  email to safeguarding@example.org: sent\n")
        assert text_of(fake.bot_messages(-100777)).startswith(
            "Signpost TEST alert (no action needed)\nThis is a test alert")
        await box.wait_for(1)
    finally:
        await fake.stop()


def test_key_as_a_systemd_credential_is_fine(env: Callable[..., Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """The key given as a systemd credential (LoadCredential=) is outside the data folder."""
    values = {k: v for k, v in email_env(2525).items() if k != "SIGNPOST_SECRET"}
    private_data(env(**values))
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "signpost-secret").write_text(SECRET)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    assert main(["check"]) == 0
    assert capsys.readouterr().out.endswith("No problems found.\n")
