"""Engines and sessions for the project database (URL from ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    kwargs = {"future": True, "pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


get_engine.cache_clear = _clear_cache  # type: ignore[attr-defined]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the staff console read while the action server writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def session_factory(url: str | None = None) -> sessionmaker:
    """A ``sessionmaker`` bound to the engine for ``url`` (2.0-style sessions)."""
    return sessionmaker(bind=get_engine(url), class_=Session, future=True, expire_on_commit=False)
