"""Engines and sessions for the project database (URL from ``DATABASE_URL``).

SQLite files hold personal data: :func:`private_files` makes every process of ours create files
as 0600 (umask 077) and every SQLite engine in the process (ours and Rasa's tracker store) set
its database file and the ``-wal`` / ``-shm`` / ``-journal`` files beside it to 0600 when it
connects (SQLite gives those files the database file's mode).
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import settings


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: ``DATABASE_URL`` as it is now), one per URL."""
    return _engine_for(url or settings.load().database_url)


def _clear_cache() -> None:
    _engine_for.cache_clear()


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    """One engine per URL for the life of the process (engines pool their connections)."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _private_sqlite_files)
    return engine


get_engine.cache_clear = _clear_cache  # type: ignore[attr-defined]


#: Files SQLite keeps beside a database.
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")


def make_private(database: str | os.PathLike) -> None:
    """Mode 0600 for a SQLite database file and the files SQLite keeps beside it."""
    for suffix in SQLITE_SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f"{os.fspath(database)}{suffix}", 0o600)


def _private_sqlite_files(dbapi_connection, _record) -> None:
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    try:
        for _seq, _name, path in cursor.execute("PRAGMA database_list").fetchall():
            if path:  # "" for :memory: and temporary databases
                make_private(path)
    finally:
        cursor.close()


def private_files() -> None:
    """Files this process creates are 0600; SQLite files of every engine are made 0600."""
    os.umask(0o077)
    if not event.contains(Engine, "connect", _private_sqlite_files):
        event.listen(Engine, "connect", _private_sqlite_files)


def use_wal(dbapi_connection: Any, *pragmas: str) -> None:
    """Put a new SQLite connection in WAL mode, then set ``pragmas`` ("foreign_keys=ON").

    WAL lets the staff console read while the action server or Rasa's tracker store writes,
    and a commit costs one fsync instead of two. The one place the journal mode is set: for
    our engines below, and for every SQLite engine of Rasa's process (``bot.speedups``).
    Connections of other databases are left alone.
    """
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        for pragma in pragmas:
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    use_wal(dbapi_connection, "foreign_keys=ON")


def session_factory(url: str | None = None) -> sessionmaker:
    """A ``sessionmaker`` bound to the engine for ``url`` (2.0-style sessions)."""
    return sessionmaker(bind=get_engine(url), class_=Session, future=True, expire_on_commit=False)
