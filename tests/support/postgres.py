"""Throw-away PostgreSQL databases on this machine's server, for tests and the benchmark.

One way to make them: ``postgres_url`` (tests/conftest.py), the live PostgreSQL stacks and the
benchmark's PostgreSQL variant each get a fresh database with :func:`throwaway_database` and
lose it on exit, its open connections ended first (a server still connected would block the
``DROP``).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

from bot import settings


class Unreachable(RuntimeError):
    """No PostgreSQL server answered at ``TEST_POSTGRES_URL`` (``settings.load_bench()``)."""


@contextlib.contextmanager
def throwaway_database(prefix: str = "mibg_test") -> Iterator[str]:
    """The URL of a new, empty database ``<prefix>_<random>``; dropped on exit."""
    import sqlalchemy

    admin_url = settings.load_bench().test_postgres_url
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        raise Unreachable(f"PostgreSQL at {admin_url} is not reachable: {error}") from error
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from bot.db.engine import get_engine

        get_engine.cache_clear()  # engines of this process on the database go with it
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
