"""Shared fixtures: a live stack (Rasa + action server + web) on free ports, and databases.

The live stack starts once per test session and only when a test asks for it; it uses the
trained model in ``models/`` (``make test`` trains it first) and throw-away SQLite files.
"""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import pytest

from tests.support.ports import free_port
from tests.support.stack import MODEL, LiveStack, prepared_stack, start_servers, stop_processes

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("live")
    stack = prepared_stack(workdir, free_port(), free_port(), free_port())
    start_servers(stack)
    try:
        yield stack
    finally:
        stop_processes(stack.processes)


@pytest.fixture()
def sender_id() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL database on this machine's server, dropped afterwards."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    name = f"mibg_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sqlalchemy.exc.OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        from bot.db.engine import get_engine

        get_engine.cache_clear()
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
