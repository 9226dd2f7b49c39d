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
    #: The version of the privacy notice in ``utter_ask_privacy_consent``; bump it on change.
    privacy_notice_version: str = "2026-11-24"
    #: Longest user message passed to the NLU; longer ones are cut (the rest is not needed).
    max_message_chars: int = 2000


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
        privacy_notice_version=os.environ.get("PRIVACY_NOTICE_VERSION")
        or Settings.privacy_notice_version,
        max_message_chars=_int("MAX_MESSAGE_CHARS", 2000),
    )
