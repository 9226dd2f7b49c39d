"""Configuration from the environment, with defaults that are safe on a laptop.

Every setting has one name here, so the Makefile, the servers and the tests agree on it, and
no other module of ``bot/``, ``actions/`` or ``bench/`` reads the environment for one.

One naming scheme: a setting's variable is its field name in upper case (``tracker_cache_size``
is ``TRACKER_CACHE_SIZE``). Three settings were once named with a ``MIBG_`` prefix; those names
(``OLD_NAMES``) still work when the new one is not set.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

logger = logging.getLogger(__name__)

#: Variables read under their earlier name when the current one is not set.
OLD_NAMES = {
    "VAR_DIR": "MIBG_VAR_DIR",
    "LOCAL_ACTIONS": "MIBG_LOCAL_ACTIONS",
    "TF_FREE": "MIBG_TF_FREE",
}
#: How a switch is turned off (switches that are on by default) or on (off by default).
OFF = ("0", "false", "no", "off")
ON = ("1", "true", "yes", "on")


def _raw(name: str) -> Optional[str]:
    """The environment's value of ``name`` (or of its old name); ``None`` when unset."""
    value = os.environ.get(name)
    if value is None and name in OLD_NAMES:
        value = os.environ.get(OLD_NAMES[name])
    return value


def _get(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None else value


def _text(name: str) -> str:
    return _get(name).strip()


def _int(name: str, default: int) -> int:
    value = _get(name)
    return int(value) if value.strip() else default


def _float(name: str, default: float) -> float:
    value = _get(name)
    return float(value) if value.strip() else default


def _list(name: str, default: List[str]) -> List[str]:
    value = _get(name)
    return [item.strip() for item in value.split(",") if item.strip()] or default


def _on(name: str) -> bool:
    """Off unless set to 1, true, yes or on."""
    return _text(name).lower() in ON


def _not_off(name: str) -> bool:
    """On unless set to 0, false, no or off."""
    return _text(name).lower() not in OFF


#: The switches of bot/rasa_patches, named in its refusals: ``off`` serves (and tests, trains)
#: with Rasa as released; a comma-separated list leaves single patches out.
RASA_PATCHES = "RASA_PATCHES"
RASA_PATCHES_DISABLED = "RASA_PATCHES_DISABLED"

ROOT = Path(__file__).resolve().parent.parent
#: Where the SQLite files, keys and tokens are kept (``VAR_DIR``, once ``MIBG_VAR_DIR``).
VAR_DIR = Path(_get("VAR_DIR", str(ROOT / "var")))


def persistent_secret(configured: str, key_file: Path, variable: str) -> str:
    """``configured`` if set; else a random secret created once in ``key_file`` with mode 0600.

    Creating it with O_EXCL means two processes starting at once end up with the same secret
    (the Rasa server and the action server both read the action-server token this way).
    """
    if configured:
        return configured
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = key_file.read_text(encoding="ascii").strip()
            if key:
                if key_file.stat().st_mode & 0o077:
                    os.chmod(key_file, 0o600)
                return key
            time.sleep(0.05)
        raise RuntimeError(f"{key_file} is empty: delete it or set {variable}") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(key + "\n")
    logger.info("created a new secret file for %s", variable)
    return key


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; call ``load()`` again to see changes."""

    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    #: Addresses the three servers listen on: loopback unless set (e.g. 0.0.0.0 in a container
    #: behind a proxy).
    rasa_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    #: The Rasa server sends it to the action server, which refuses calls without it. Empty: a
    #: random token kept in ``var/action-server.token`` (0600), shared by both processes.
    action_server_token: str = field(default="", repr=False)
    #: Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the web app
    #: believes (uvicorn's ``forwarded_allow_ips``). Empty: no proxy headers are believed.
    trusted_proxies: List[str] = field(default_factory=list)
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
    privacy_notice_version: str = "2026-12-01"
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
    #: Where the Telegram Bot API and the Graph API are (a local Bot API server, a test fake).
    telegram_api_url: str = "https://api.telegram.org"
    facebook_graph_url: str = "https://graph.facebook.com"
    #: Telegram and Messenger replies (bot/channels/delivery.py): attempts per platform call on
    #: network errors, HTTP 5xx and 429, the first pause between them (doubled each time), the
    #: timeout of one attempt and the time after which a reply is given up and recorded as not
    #: delivered in the conversation.
    channel_send_attempts: int = 4
    channel_send_backoff_seconds: float = 1.0
    channel_send_timeout_seconds: float = 10.0
    channel_send_deadline_seconds: float = 30.0
    #: Messenger webhook updates handled at once in the background, and waiting at most per
    #: channel; beyond that the webhook answers 503 and the platform delivers again later.
    channel_workers: int = 8
    channel_queue_limit: int = 500
    #: Messages of one conversation (or socket) handled at once; more are dropped with one
    #: "please wait" reply (bot/channels/limits.py). 0: no limit.
    max_in_flight_per_sender: int = 3
    #: Messages of one conversation (or socket) let through per minute; 0: no limit.
    max_messages_per_minute: int = 30
    #: Signs the widget's socket.io session tokens. Empty: a random key kept in
    #: ``var/socketio-session.key`` (0600), shared by the Rasa workers.
    socketio_session_secret: str = field(default="", repr=False)
    #: Answer questions in the Rasa process (bot/rasa_patches/local_actions.py); 0 sends them
    #: to the action server like every other action. (``LOCAL_ACTIONS``, once
    #: ``MIBG_LOCAL_ACTIONS``; the same as ``RASA_PATCHES_DISABLED=local-answers``.)
    local_actions: bool = True
    #: Change Rasa's behaviour with bot/rasa_patches at all (speed, guards, the erasure hook);
    #: they refuse to start on another Rasa version than theirs (docs/performance.md).
    rasa_patches: bool = True
    #: Names of single patches left out (comma-separated, ``bot.rasa_patches.PATCHES``).
    rasa_patches_disabled: List[str] = field(default_factory=list)
    #: Serve without TensorFlow when the model does not need it (bot/rasa_patches/tf_free.py);
    #: 0 always loads it (as ``RASA_PATCHES_DISABLED=tf-free``). (``TF_FREE``, once
    #: ``MIBG_TF_FREE``.)
    tf_free: bool = True
    #: Conversations whose events each Rasa process keeps between messages
    #: (bot/rasa_patches/tracker_cache.py); 0: off.
    tracker_cache_size: int = 2000
    #: Rasa worker processes on the Rasa port; more than 1 needs ``lock_store_url``. Kept as
    #: text: ``bot.serving`` checks it and names the variable when it is not a count.
    rasa_workers: str = "1"
    #: Redis lock store shared by the workers (redis://host:6379/1); empty: in-memory locks.
    lock_store_url: str = field(default="", repr=False)
    #: Key prefix of our locks on a shared Redis (letters and digits).
    lock_store_prefix: str = "mibg"
    #: ``python -m bot staff add``: the new account's password; unset: asked at the prompt.
    staff_password: Optional[str] = field(default=None, repr=False)
    #: Days after a request is closed in the console until its personal fields are emptied
    #: (bot/privacy/retention.py); ``utter_privacy`` and ``utter_ask_privacy_consent`` say it.
    request_retention_days_after_close: int = 30
    #: Days after its last event until a conversation with no request is deleted.
    transcript_retention_days: int = 90
    #: Run the retention job once a day in the web app (``serve-web``); 0: only by hand.
    retention_schedule: bool = True
    #: Seconds the Rasa server waits for the action server's answer to one action (form,
    #: consent, privacy) before the patient hears ``utter_action_unavailable``
    #: (bot/rasa_patches/action_client.py). Rasa's own limit is 300 s: a stalled action server
    #: held every form message that long.
    action_timeout_s: float = 5.0
    #: Consecutive failed action-server calls after which the Rasa server stops calling it for
    #: ``action_breaker_cooldown_s`` and answers at once (bot/supervision/breaker.py); 0: off.
    action_breaker_failures: int = 2
    #: Seconds calls are skipped once the breaker opened; then one call is tried.
    action_breaker_cooldown_s: float = 5.0


def policy_figures() -> frozenset:
    """The only figures a policy text may say: the retention defaults, which the privacy
    texts state (checked by tests/content/test_content_grounding.py and the blind evaluation)."""
    return frozenset(
        {str(Settings.request_retention_days_after_close), str(Settings.transcript_retention_days)}
    )


def load() -> Settings:
    """Read the settings from the environment."""
    web_port = _int("WEB_PORT", 8000)
    return Settings(
        rasa_port=_int("RASA_PORT", 5005),
        action_port=_int("ACTION_PORT", 5055),
        web_port=web_port,
        rasa_host=_text("RASA_HOST") or Settings.rasa_host,
        action_host=_text("ACTION_HOST") or Settings.action_host,
        web_host=_text("WEB_HOST") or Settings.web_host,
        action_server_token=_text("ACTION_SERVER_TOKEN"),
        trusted_proxies=_list("TRUSTED_PROXIES", []),
        database_url=_get("DATABASE_URL") or Settings.database_url,
        tracker_database_url=_get("TRACKER_DATABASE_URL") or Settings.tracker_database_url,
        cors_origins=_list(
            "CORS_ORIGINS", [f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"]
        ),
        public_rasa_url=_text("PUBLIC_RASA_URL").rstrip("/"),
        privacy_notice_version=_get("PRIVACY_NOTICE_VERSION") or Settings.privacy_notice_version,
        max_message_chars=_int("MAX_MESSAGE_CHARS", 2000),
        staff_secret_key=_get("STAFF_SECRET_KEY"),
        staff_cookie_secure=_on("STAFF_COOKIE_SECURE"),
        staff_timezone=_get("STAFF_TIMEZONE") or Settings.staff_timezone,
        telegram_token=_text("TELEGRAM_TOKEN"),
        telegram_secret_token=_text("TELEGRAM_SECRET_TOKEN"),
        telegram_webhook_url=_text("TELEGRAM_WEBHOOK_URL"),
        facebook_verify_token=_text("FACEBOOK_VERIFY_TOKEN"),
        facebook_app_secret=_text("FACEBOOK_APP_SECRET"),
        facebook_page_access_token=_text("FACEBOOK_PAGE_ACCESS_TOKEN"),
        facebook_api_version=_text("FACEBOOK_API_VERSION").lstrip("v")
        or Settings.facebook_api_version,
        telegram_api_url=_text("TELEGRAM_API_URL").rstrip("/") or Settings.telegram_api_url,
        facebook_graph_url=_text("FACEBOOK_GRAPH_URL").rstrip("/") or Settings.facebook_graph_url,
        channel_send_attempts=max(1, _int("CHANNEL_SEND_ATTEMPTS", 4)),
        channel_send_backoff_seconds=_float("CHANNEL_SEND_BACKOFF_SECONDS", 1.0),
        channel_send_timeout_seconds=_float("CHANNEL_SEND_TIMEOUT_SECONDS", 10.0),
        channel_send_deadline_seconds=_float("CHANNEL_SEND_DEADLINE_SECONDS", 30.0),
        channel_workers=max(1, _int("CHANNEL_WORKERS", 8)),
        channel_queue_limit=max(1, _int("CHANNEL_QUEUE_LIMIT", 500)),
        max_in_flight_per_sender=_int("MAX_IN_FLIGHT_PER_SENDER", 3),
        max_messages_per_minute=_int("MAX_MESSAGES_PER_MINUTE", 30),
        socketio_session_secret=_text("SOCKETIO_SESSION_SECRET"),
        local_actions=_not_off("LOCAL_ACTIONS"),
        rasa_patches=_not_off(RASA_PATCHES),
        rasa_patches_disabled=_list(RASA_PATCHES_DISABLED, []),
        request_retention_days_after_close=_int("REQUEST_RETENTION_DAYS_AFTER_CLOSE", 30),
        transcript_retention_days=_int("TRANSCRIPT_RETENTION_DAYS", 90),
        retention_schedule=_not_off("RETENTION_SCHEDULE"),
        action_timeout_s=_float("ACTION_TIMEOUT_S", Settings.action_timeout_s),
        action_breaker_failures=_int("ACTION_BREAKER_FAILURES", Settings.action_breaker_failures),
        action_breaker_cooldown_s=_float(
            "ACTION_BREAKER_COOLDOWN_S", Settings.action_breaker_cooldown_s
        ),
        tf_free=_not_off("TF_FREE"),
        tracker_cache_size=_int("TRACKER_CACHE_SIZE", Settings.tracker_cache_size),
        rasa_workers=_text("RASA_WORKERS") or Settings.rasa_workers,
        lock_store_url=_text("LOCK_STORE_URL"),
        lock_store_prefix=_text("LOCK_STORE_PREFIX") or Settings.lock_store_prefix,
        staff_password=_raw("STAFF_PASSWORD"),
    )


@dataclass(frozen=True)
class BenchSettings:
    """Switches of the benchmark and its live stacks (``bench/``); the product never reads them."""

    #: Rasa workers of our bot in ``make bench``, sharing a Redis lock store at
    #: ``bench_redis_url``; 1, or no Redis answering there: one worker.
    bench_workers: int = 2
    bench_redis_url: str = "redis://127.0.0.1:6379/1"
    #: Keep a live stack's directory with its logs after it stopped (any value).
    keep_stack_logs: bool = False
    #: Print the end of the stack's logs after ``bench.adversarial`` (any value).
    adversarial_show_logs: bool = False
    #: A PostgreSQL server's admin URL; the variants create and drop a database on it.
    test_postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    #: The Python of a venv with TensorFlow, for the baseline bot: the runtime venv has none
    #: (`make bench` builds .venv-tensorflow and sets it). Empty: this Python, if it has it.
    tensorflow_python: str = ""


def load_bench() -> BenchSettings:
    """Read the benchmark's switches from the environment."""
    return BenchSettings(
        bench_workers=_int("BENCH_WORKERS", BenchSettings.bench_workers),
        bench_redis_url=_get("BENCH_REDIS_URL", BenchSettings.bench_redis_url),
        keep_stack_logs=bool(_get("KEEP_STACK_LOGS")),
        adversarial_show_logs=bool(_get("ADVERSARIAL_SHOW_LOGS")),
        test_postgres_url=_get("TEST_POSTGRES_URL", BenchSettings.test_postgres_url),
        tensorflow_python=_text("TENSORFLOW_PYTHON"),
    )


def action_server_token() -> str:
    """The shared action-server token: ``ACTION_SERVER_TOKEN``, or the one kept in ``var/``."""
    return persistent_secret(
        load().action_server_token, VAR_DIR / "action-server.token", "ACTION_SERVER_TOKEN"
    )


def socketio_session_secret() -> str:
    """The key that signs socket.io session tokens: ``SOCKETIO_SESSION_SECRET`` or ``var/``'s."""
    return persistent_secret(
        load().socketio_session_secret,
        VAR_DIR / "socketio-session.key",
        "SOCKETIO_SESSION_SECRET",
    )
