"""How many Rasa worker processes to run, and the lock store that lets them share conversations.

Rasa's server handles messages in one Python process (one core). ``RASA_WORKERS=N`` starts N
Sanic worker processes on the same port. Workers must agree on who is handling which
conversation, which Rasa does with its lock store; the in-memory one cannot be shared, so Rasa
silently falls back to one worker without another. ``LOCK_STORE_URL`` (``redis://host:port/db``,
``rediss://`` for TLS, ``redis://:password@host...``) adds Rasa's Redis lock store to the
endpoints Rasa reads; ``LOCK_STORE_PREFIX`` (letters and digits, default ``mibg``) keeps our
keys apart on a shared Redis.

Defaults: one worker, no Redis (``make run`` needs nothing but the SQLite files). Several
workers need the lock store; asking for them without one is refused rather than quietly
ignored. With several workers, socket.io clients must use the websocket transport or the load
balancer must keep sessions sticky (the widget connects by websocket first; docs/channels.md).

``guard_entities`` (applied by ``serve-rasa``) is the NLU boundary for typed input: entity
values that are not strings of at most ``MAX_ENTITY_CHARS`` characters (``/inform{"tumour":
{"a": 1}}``, ``[1, 2, 3]``, a number) are dropped before Rasa fills slots from them, so they
never reach the action server or a stored request.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlsplit

import yaml

logger = logging.getLogger(__name__)


class ServingError(ValueError):
    """The worker or lock-store settings cannot work together."""


def worker_count() -> int:
    value = os.environ.get("RASA_WORKERS", "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        raise ServingError(f"RASA_WORKERS must be a whole number >= 1, not {value!r}")
    return int(value)


def redis_lock_store(url: str, prefix: str) -> Dict[str, Any]:
    """The ``lock_store`` section of endpoints.yml for ``url`` (Rasa 3.6's RedisLockStore)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ServingError("LOCK_STORE_URL must look like redis://host:6379/1")
    if not re.fullmatch(r"[A-Za-z0-9]+", prefix):
        raise ServingError("LOCK_STORE_PREFIX may hold letters and digits only")
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ServingError("the database in LOCK_STORE_URL must be a number (redis://host/1)")
    section: Dict[str, Any] = {
        "type": "redis",
        "url": parts.hostname,
        "port": parts.port or 6379,
        "db": int(db),
        "key_prefix": prefix,
        "use_ssl": parts.scheme == "rediss",
    }
    if parts.password:
        section["password"] = parts.password
    return section


def configure(endpoints: Path, var_dir: Path) -> Tuple[Path, int]:
    """The endpoints file and worker count to start Rasa with; sets ``SANIC_WORKERS``.

    Without ``LOCK_STORE_URL`` this is ``endpoints`` itself and one worker. With it, a copy
    with the Redis lock store is written to ``var_dir`` (Rasa still fills in its ``${...}``).
    """
    workers = worker_count()
    url = os.environ.get("LOCK_STORE_URL", "").strip()
    if not url:
        if workers > 1:
            raise ServingError(
                f"RASA_WORKERS={workers} needs a shared lock store: set LOCK_STORE_URL "
                "(redis://host:6379/1), or use one worker"
            )
        os.environ["SANIC_WORKERS"] = "1"
        return endpoints, 1
    prefix = os.environ.get("LOCK_STORE_PREFIX", "").strip() or "mibg"
    data = yaml.safe_load(endpoints.read_text(encoding="utf-8")) or {}
    data["lock_store"] = redis_lock_store(url, prefix)
    var_dir.mkdir(parents=True, exist_ok=True)
    derived = var_dir / f"{endpoints.stem}.lock-store.yml"
    derived.touch(mode=0o600)  # may hold the Redis password
    derived.chmod(0o600)
    derived.write_text(
        "# Written by bot/serving.py from "
        + endpoints.name
        + " and LOCK_STORE_URL.\n"
        + yaml.safe_dump(data, sort_keys=False),
        encoding="utf-8",
    )
    os.environ["SANIC_WORKERS"] = str(workers)
    return derived, workers


# ---------------------------------------------------------------- typed input at the NLU boundary

#: Longest entity value passed on to slots; our entities (tumour names, form fields) are short.
MAX_ENTITY_CHARS = 200


def safe_entities(entities: Any) -> List[Dict[str, Any]]:
    """The entities whose type and value are strings of a sane length; the rest is dropped.

    A typed payload such as ``/inform{"tumour": {"a": 1}}`` or ``{"tumour": [1, 2, 3]}`` gives
    entities with a dict or an int as value, which Rasa would put into text slots as they are.
    """
    kept = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, dict) or not isinstance(entity.get("entity"), str):
            continue
        value = entity.get("value")
        if isinstance(value, str) and len(value) <= MAX_ENTITY_CHARS:
            kept.append(entity)
    return kept


def _clean_parse_data(parse_data: Any) -> Any:
    if isinstance(parse_data, dict) and "entities" in parse_data:
        entities = parse_data.get("entities")
        kept = safe_entities(entities)
        if len(kept) != len(entities or []):
            logger.warning(
                "dropped %d entity value(s) that are not short strings",
                len(entities or []) - len(kept),
            )
        parse_data["entities"] = kept
    return parse_data


def guard_entities() -> None:
    """Drop entity values that are not short strings before Rasa fills slots from them.

    Applied to what ``MessageProcessor.parse_message`` returns (typed ``/intent{...}`` payloads
    from Rasa's RegexMessageHandler and the NLU pipeline's output alike, also for
    ``/model/parse``), and to parse data a channel passes in with the message.
    """
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, "_mibg_entities_guarded", False):
        return
    parse_message = MessageProcessor.parse_message
    handle = MessageProcessor._handle_message_with_tracker

    @functools.wraps(parse_message)
    async def guarded_parse(self: Any, message: Any, *args: Any, **kwargs: Any) -> Any:
        return _clean_parse_data(await parse_message(self, message, *args, **kwargs))

    @functools.wraps(handle)
    async def guarded_handle(self: Any, message: Any, tracker: Any) -> Any:
        if getattr(message, "parse_data", None):
            _clean_parse_data(message.parse_data)
        return await handle(self, message, tracker)

    MessageProcessor.parse_message = guarded_parse
    MessageProcessor._handle_message_with_tracker = guarded_handle
    MessageProcessor._mibg_entities_guarded = True
