"""``python -m bot staff add`` and the console's configuration (secret key file, threshold)."""

from __future__ import annotations

import os
import stat

import pytest

from bot import cli
from bot.db import migrate
from bot.db.engine import session_factory
from bot.staff_accounts import authenticate
from bot.web.staff.config import fallback_threshold, secret_key


@pytest.fixture()
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'requests.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    return url


def test_staff_add_from_the_environment(database, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough secret")
    assert cli.main(["staff", "add", "Coord@Example.org"]) == 0
    assert "created: coord@example.org" in capsys.readouterr().out
    assert authenticate(session_factory(database), "coord@example.org", "a long enough secret")
    assert cli.main(["staff", "add", "coord@example.org"]) == 1
    assert "exists" in capsys.readouterr().err
    monkeypatch.setenv("STAFF_PASSWORD", "another long secret")
    assert cli.main(["staff", "add", "coord@example.org", "--reset-password"]) == 0
    assert authenticate(session_factory(database), "coord@example.org", "another long secret")
    assert not authenticate(session_factory(database), "coord@example.org", "a long enough secret")


def test_staff_add_refuses_short_passwords_and_bad_emails(database, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STAFF_PASSWORD", "short pw 11")  # 11 characters
    assert cli.main(["staff", "add", "a@example.org"]) == 1
    assert "at least 12" in capsys.readouterr().err
    monkeypatch.setenv("STAFF_PASSWORD", "a long enough secret")
    assert cli.main(["staff", "add", "not-an-email"]) == 1


def test_staff_add_prompts_twice(database, monkeypatch, capsys) -> None:
    answers = iter(["a long enough secret", "a long enough secreT"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["staff", "add", "b@example.org"]) == 1
    assert "do not match" in capsys.readouterr().err
    answers = iter(["a long enough secret", "a long enough secret"])
    assert cli.main(["staff", "add", "b@example.org"]) == 0
    stored = authenticate(session_factory(database), "b@example.org", "a long enough secret")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


def test_secret_key_file_is_created_once_with_0600(tmp_path) -> None:
    key_file = tmp_path / "var" / "staff-secret.key"
    first = secret_key("", key_file)
    assert len(first) >= 40
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert secret_key("", key_file) == first
    os.chmod(key_file, 0o644)
    assert secret_key("", key_file) == first
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert secret_key("from-the-environment", key_file) == "from-the-environment"


def test_fallback_threshold_comes_from_config_yml(tmp_path) -> None:
    assert fallback_threshold() == 0.35
    other = tmp_path / "config.yml"
    other.write_text("pipeline:\n  - name: FallbackClassifier\n    threshold: 0.5\n")
    assert fallback_threshold(other) == 0.5
    assert fallback_threshold(tmp_path / "missing.yml") == 0.35
