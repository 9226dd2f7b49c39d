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

Several servers on one database (docs/deploy.md): ``create_tracker_tables`` makes Rasa's events
table once before the workers fork; ``replay_retries`` answers a REST message sent again with
the same ``message_id`` from the stored turn; ``nginx_config`` writes the balancer's config
from ``deploy/nginx/nginx.conf.template``.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from bot import settings

logger = logging.getLogger(__name__)


class ServingError(ValueError):
    """The worker or lock-store settings cannot work together."""


def worker_count() -> int:
    value = settings.load().rasa_workers
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
    config = settings.load()
    url = config.lock_store_url
    if not url:
        if workers > 1:
            raise ServingError(
                f"RASA_WORKERS={workers} needs a shared lock store: set LOCK_STORE_URL "
                "(redis://host:6379/1), or use one worker"
            )
        os.environ["SANIC_WORKERS"] = "1"
        return endpoints, 1
    prefix = config.lock_store_prefix
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


# ---------------------------------------------------------------- several servers, one database

#: PostgreSQL advisory-lock key under which the tracker tables are created ("mibg" in ASCII).
TABLES_LOCK_KEY = 0x6D696267


def create_tracker_tables(url: str) -> bool:
    """Create Rasa's ``events`` table in ``url`` once, before any worker or server needs it.

    Every Rasa worker's ``SQLTrackerStore`` runs ``create_all`` when it starts. On a fresh
    PostgreSQL database two of them (two workers, or two servers starting together) create the
    table at the same time; one fails with ``UniqueViolation`` on the catalog, which Rasa logs as
    a warning and answers with a 5-second sleep. ``serve-rasa`` calls this before the workers
    fork, under a transaction-level advisory lock, so servers on other machines starting at
    the same moment wait for each other and every worker then finds the table. Returns whether
    the table had to be created.
    """
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": TABLES_LOCK_KEY}
                )
            existed = sa.inspect(connection).has_table(SQLTrackerStore.SQLEvent.__tablename__)
            SQLTrackerStore.Base.metadata.create_all(connection)
        return not existed
    finally:
        engine.dispose()


#: Longest ``message_id`` a client may send with a REST message (letters, digits, ``_``, ``-``).
MAX_CLIENT_MESSAGE_ID = 64
_CLIENT_MESSAGE_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_CLIENT_MESSAGE_ID}}}")


def is_client_message_id(value: Any) -> bool:
    """Whether ``value`` may be used as a client's message id (see :func:`replay_retries`)."""
    return isinstance(value, str) and _CLIENT_MESSAGE_ID.fullmatch(value) is not None


def replies_to(events: List[Any], message_id: str) -> Optional[List[Any]]:
    """The ``BotUttered`` events that answered the user message ``message_id``.

    ``None`` when no user event of ``events`` has that id (the message was never stored).
    """
    from rasa.shared.core.events import BotUttered, UserUttered

    replies: Optional[List[Any]] = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == message_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            replies.append(event)
    return replies


def replay_retries() -> None:
    """Answer a retried message from the stored conversation instead of handling it twice.

    A client whose server died (or whose connection broke) does not know whether its message
    was handled: the server may have stored the turn and died before the reply left. Sending it
    again with the same ``message_id`` (the REST channel passes it on) is safe: under the
    conversation's lock (Rasa's lock store, shared by every server), a message whose id is
    already in the stored conversation is not handled again; the bot messages that followed it
    are sent once more. A message that was not stored is handled as new, and the request it may
    complete is stored once (``save_request`` is keyed by sender and consent time). Only
    messages that carry a client's id (``client_message_id``) pay for the extra look-up.
    """
    from rasa.core.processor import MessageProcessor

    if getattr(MessageProcessor, "_mibg_replays_retries", False):
        return
    handle = MessageProcessor.handle_message

    @functools.wraps(handle)
    async def handle_once(self: Any, message: Any) -> Any:
        client_id = getattr(message, "client_message_id", None)
        if client_id:
            tracker = await self.tracker_store.retrieve(message.sender_id)
            replies = replies_to(list(tracker.events), client_id) if tracker else None
            if replies is not None:
                logger.info("retried message answered from the stored conversation")
                for event in replies:
                    await message.output_channel.send_response(message.sender_id, event.message())
                messages = getattr(message.output_channel, "messages", None)
                return messages if isinstance(messages, list) else None
        return await handle(self, message)

    MessageProcessor.handle_message = handle_once
    MessageProcessor._mibg_replays_retries = True


# ---------------------------------------------------------------- nginx in front of the servers

NGINX_TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "nginx.conf.template"
_ADDRESS = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}")


def nginx_config(
    listen: str,
    servers: List[str],
    runtime_dir: Path,
    sticky_key: str = "$remote_addr",
    worker_processes: int = 1,
) -> str:
    """The nginx.conf balancing ``servers`` (``host:port`` of each Rasa server) on ``listen``.

    ``sticky_key`` decides which server a socket.io client stays on: the client's address by
    default; behind another load balancer, a header that it sets per client (for example
    ``$http_x_forwarded_for``), since every request then comes from the balancer's address.
    """
    from string import Template

    if not servers:
        raise ServingError("nginx needs at least one Rasa server (host:port)")
    for address in [listen, *servers]:
        if not _ADDRESS.fullmatch(address):
            raise ServingError(f"not an address of the form host:port: {address!r}")
    if not re.fullmatch(r"(\$[a-z_]+)+", sticky_key):
        raise ServingError("the sticky key must be nginx variables such as $remote_addr")
    lines = "\n".join(f"        server {s} max_fails=1 fail_timeout=10s;" for s in servers)
    return Template(NGINX_TEMPLATE.read_text(encoding="utf-8")).substitute(
        listen=listen,
        servers=lines,
        runtime_dir=str(runtime_dir.resolve()),
        sticky_key=sticky_key,
        worker_processes=worker_processes,
    )


def write_nginx_config(config: str, runtime_dir: Path) -> Path:
    """Write ``config`` to ``runtime_dir/nginx.conf`` with the directories nginx writes to.

    The directories are 0755: nginx's worker processes run as an unprivileged user when the
    master is root, and must reach their temp directories.
    """
    runtime_dir.mkdir(parents=True, exist_ok=True)
    runtime_dir.chmod(0o755)
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (runtime_dir / name).mkdir(exist_ok=True)
        (runtime_dir / name).chmod(0o755)
    path = runtime_dir / "nginx.conf"
    path.write_text(config, encoding="utf-8")
    return path
