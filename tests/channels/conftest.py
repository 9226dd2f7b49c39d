"""Fixtures for the messenger channel tests (the app and fake agent are in channel_harness)."""

from __future__ import annotations

import pytest
from channel_harness import FakeAgent
from sanic import Sanic


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure_app names every app alike; Sanic refuses that outside its test mode."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries as the defaults do them, but in milliseconds instead of seconds."""
    monkeypatch.setenv("CHANNEL_SEND_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("CHANNEL_SEND_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("CHANNEL_SEND_DEADLINE_SECONDS", "6")


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@pytest.fixture
def no_channel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean environment: none of the messenger channels' variables set."""
    for name in (
        "TELEGRAM_TOKEN",
        "TELEGRAM_SECRET_TOKEN",
        "TELEGRAM_WEBHOOK_URL",
        "FACEBOOK_VERIFY_TOKEN",
        "FACEBOOK_APP_SECRET",
        "FACEBOOK_PAGE_ACCESS_TOKEN",
        "FACEBOOK_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
