"""Configuration from the environment, with defaults that are safe on a laptop.

Every setting has one name here, so the Makefile, the servers and the tests agree on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MIBG_VAR_DIR", ROOT / "var"))


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _list(name: str, default: List[str]) -> List[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] or default


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; call ``load()`` again to see changes."""

    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    #: Treatment requests, staff accounts, audit log.
    database_url: str = f"sqlite:///{VAR_DIR / 'requests.db'}"
    #: Rasa's conversation events (the SQL tracker store).
    tracker_database_url: str = f"sqlite:///{VAR_DIR / 'tracker.db'}"
    #: Origins allowed to open the chat (socket.io / REST) from a browser.
    cors_origins: List[str] = field(default_factory=list)
    #: The Rasa server's address as browsers see it (the widget's socket.io URL), e.g.
    #: https://chat.example.org. Empty: the demo page's own host name on ``rasa_port``.
    public_rasa_url: str = ""
    #: The version of the privacy notice in ``utter_ask_privacy_consent``; bump it on change.
    privacy_notice_version: str = "2026-11-24"
    #: Longest user message passed to the NLU; longer ones are cut (the rest is not needed).
    max_message_chars: int = 2000
    #: Signs staff-console cookies. Empty: a random key kept in ``var/staff-secret.key`` (0600).
    staff_secret_key: str = ""
    #: Send the staff session cookie only over HTTPS (set to 1 behind TLS).
    staff_cookie_secure: bool = False
    #: Time zone of the staff console's dates, day buckets and date filters.
    staff_timezone: str = "Europe/Berlin"
    #: Telegram channel (docs/channels.md): off unless the bot token and the secret are set.
    telegram_token: str = field(default="", repr=False)
    #: Telegram sends it back in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -).
    telegram_secret_token: str = field(default="", repr=False)
    #: Public HTTPS URL of /webhooks/telegram/webhook; when set, registered at server start.
    telegram_webhook_url: str = ""
    #: Facebook Messenger channel (docs/channels.md): off unless all three are set.
    facebook_verify_token: str = field(default="", repr=False)
    facebook_app_secret: str = field(default="", repr=False)
    facebook_page_access_token: str = field(default="", repr=False)
    #: Graph API version the Messenger replies are sent with.
    facebook_api_version: str = "23.0"


def load() -> Settings:
    """Read the settings from the environment."""
    web_port = _int("WEB_PORT", 8000)
    return Settings(
        rasa_port=_int("RASA_PORT", 5005),
        action_port=_int("ACTION_PORT", 5055),
        web_port=web_port,
        database_url=os.environ.get("DATABASE_URL") or Settings.database_url,
        tracker_database_url=os.environ.get("TRACKER_DATABASE_URL")
        or Settings.tracker_database_url,
        cors_origins=_list(
            "CORS_ORIGINS", [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
        ),
        public_rasa_url=os.environ.get("PUBLIC_RASA_URL", "").strip().rstrip("/"),
        privacy_notice_version=os.environ.get("PRIVACY_NOTICE_VERSION")
        or Settings.privacy_notice_version,
        max_message_chars=_int("MAX_MESSAGE_CHARS", 2000),
        staff_secret_key=os.environ.get("STAFF_SECRET_KEY", ""),
        staff_cookie_secure=os.environ.get("STAFF_COOKIE_SECURE", "").strip().lower()
        in ("1", "true", "yes", "on"),
        staff_timezone=os.environ.get("STAFF_TIMEZONE") or Settings.staff_timezone,
        telegram_token=os.environ.get("TELEGRAM_TOKEN", "").strip(),
        telegram_secret_token=os.environ.get("TELEGRAM_SECRET_TOKEN", "").strip(),
        telegram_webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip(),
        facebook_verify_token=os.environ.get("FACEBOOK_VERIFY_TOKEN", "").strip(),
        facebook_app_secret=os.environ.get("FACEBOOK_APP_SECRET", "").strip(),
        facebook_page_access_token=os.environ.get("FACEBOOK_PAGE_ACCESS_TOKEN", "").strip(),
        facebook_api_version=os.environ.get("FACEBOOK_API_VERSION", "").strip().lstrip("v")
        or Settings.facebook_api_version,
    )
