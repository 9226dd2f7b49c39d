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

Several servers on one database (docs/deploy.md): ``create_tracker_tables`` makes Rasa's events
table once before the workers fork; the patch ``retry-replay`` (bot/rasa_patches/retry_replay.py)
answers a REST message sent again with the same ``message_id`` (``is_client_message_id``) from
the stored turn; ``nginx_config`` writes the balancer's config from
``deploy/nginx/nginx.conf.template``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlsplit

import yaml

from bot import settings


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
    """Whether ``value`` may be used as a client's message id (bot/rasa_patches/retry_replay.py)."""
    return isinstance(value, str) and _CLIENT_MESSAGE_ID.fullmatch(value) is not None


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
