"""RASA_WORKERS=2 on a fresh PostgreSQL database starts without a table-creation race.

Each worker's SQL tracker store creates the ``events`` table when it starts; on PostgreSQL two
at once made one of them log ``UniqueViolation`` (and sleep 5 s). ``serve-rasa`` now creates the
table once before the workers fork (``bot.serving.create_tracker_tables``).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from bench.stack import redis_answers
from tests.conftest import MODEL, ROOT, LiveStack, start_servers, stop_processes
from tests.test_scaleout_live import (
    REDIS_URL,
    create_database,
    drop_database,
    forget_locks,
    free_ports,
)
from tests.test_workers_live import children

pytestmark = pytest.mark.rasa_server


@pytest.fixture(scope="module")
def workers_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    if not redis_answers(REDIS_URL):
        pytest.fail(f"Redis does not answer at {REDIS_URL}")
    admin, name, url = create_database()
    workdir = tmp_path_factory.mktemp("workers-pg")
    rasa_port, action_port = free_ports(2)
    prefix = f"workerspg{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        DATABASE_URL=url,
        TRACKER_DATABASE_URL=url,  # fresh: no events table yet
        VAR_DIR=str(workdir),
        RASA_WORKERS="2",
        LOCK_STORE_URL=REDIS_URL,
        LOCK_STORE_PREFIX=prefix,
        SANIC_KEEP_ALIVE_TIMEOUT="120",
    )
    stack = LiveStack(f"http://127.0.0.1:{rasa_port}", "", "", env, Path(workdir))
    start_servers(stack, web=False)
    try:
        yield stack
    finally:
        stop_processes(stack.processes)
        drop_database(admin, name)
        forget_locks(prefix)


def test_two_workers_on_a_fresh_database_log_no_unique_violation(workers_on_postgres) -> None:
    stack = workers_on_postgres
    assert len(children(stack.processes[1].pid)) >= 2, "serve-rasa did not start two workers"
    sender = f"workers-pg-{uuid.uuid4().hex[:8]}"
    assert "nausea" in stack.texts(sender, "what are the side effects?")
    log = (stack.logs / "rasa.log").read_text(errors="ignore")
    assert "UniqueViolation" not in log and "Could not create tables" not in log
