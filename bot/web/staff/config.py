"""Configuration of the staff console, resolved once when the app is built.

Tests and the benchmark pass a ``StaffConfig`` directly; ``make run`` builds it from the
environment (``bot.settings``) and the NLU threshold in ``config.yml``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot import settings

logger = logging.getLogger(__name__)

#: The FallbackClassifier threshold if ``config.yml`` cannot be read.
DEFAULT_FALLBACK_THRESHOLD = 0.35
#: Intents that count as "the bot did not help" in the list and on the dashboard.
FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
HANDOFF_INTENT = "human_handoff"
#: Not "topics": greetings, yes/no, form answers (and the fallback, counted on its own).
NOT_TOPICS = (
    frozenset(
        {
            "greet",
            "goodbye",
            "thanks",
            "affirm",
            "deny",
            "inform",
            "cancel",
            "change_field",
            "switch_language",
        }
    )
    | FALLBACK_INTENTS
)


@dataclass(frozen=True)
class StaffConfig:
    database_url: str
    tracker_url: str
    secret_key: str
    cookie_secure: bool = False
    timezone: str = "Europe/Berlin"
    fallback_threshold: float = DEFAULT_FALLBACK_THRESHOLD
    page_size: int = 50
    #: A session lasts one working day at most; then the coordinator logs in again.
    session_seconds: int = 12 * 3600
    #: Failed logins allowed per window: per e-mail and address, per account from any
    #: address (then the account is locked until the window has passed), per address.
    login_max_failures: int = 5
    login_account_max_failures: int = 10
    login_address_max_failures: int = 20
    login_window_seconds: int = 15 * 60
    #: How often summaries of senders erased outside the console are looked for.
    reconcile_seconds: float = 60.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def fallback_threshold(config_path: Path = settings.ROOT / "config.yml") -> float:
    """The FallbackClassifier threshold from the NLU pipeline, so both always agree."""
    try:
        pipeline = yaml.safe_load(config_path.read_text(encoding="utf-8")).get("pipeline") or []
    except (OSError, yaml.YAMLError, AttributeError):
        return DEFAULT_FALLBACK_THRESHOLD
    for component in pipeline:
        if isinstance(component, dict) and component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", DEFAULT_FALLBACK_THRESHOLD))
    return DEFAULT_FALLBACK_THRESHOLD


def secret_key(configured: str, key_file: Path) -> str:
    """``configured`` if set; else a random key created once in ``key_file`` with mode 0600.

    A key that survives restarts keeps coordinators logged in across a redeploy
    (``bot.settings.persistent_secret``).
    """
    return settings.persistent_secret(configured, key_file, "STAFF_SECRET_KEY")


def from_environment(key_file: Path | None = None) -> StaffConfig:
    """The console's configuration for ``make run``."""
    env = settings.load()
    return StaffConfig(
        database_url=env.database_url,
        tracker_url=env.tracker_database_url,
        secret_key=secret_key(
            env.staff_secret_key, key_file or settings.VAR_DIR / "staff-secret.key"
        ),
        cookie_secure=env.staff_cookie_secure,
        timezone=env.staff_timezone,
        fallback_threshold=fallback_threshold(),
    )
