"""Issue 12's "done when" on the other store and channel: over socket.io, with PostgreSQL for
both the requests and the conversations, a patient stores a request, asks to delete their data
and confirms; afterwards the request list has no trace of it and the tracker store has no
events of that conversation."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy

from tests.conftest import (
    MODEL,
    POSTGRES_ADMIN_URL,
    ROOT,
    LiveStack,
    free_port,
    start_servers,
    stop_processes,
)
from tests.test_rest_live import listed_requests
from tests.test_socketio import ChatClient, conversation_of, joined

pytestmark = pytest.mark.rasa_server
ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    name = f"mibg_test_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    workdir = tmp_path_factory.mktemp("pg-live")
    rasa_port, action_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_PORT=str(rasa_port),
        ACTION_PORT=str(action_port),
        DATABASE_URL=url,
        TRACKER_DATABASE_URL=url,
        VAR_DIR=str(workdir),
        CORS_ORIGINS=ORIGIN,
        SANIC_KEEP_ALIVE_TIMEOUT="120",
    )
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    stack = LiveStack(f"http://127.0.0.1:{rasa_port}", "", "", env, Path(workdir))
    start_servers(stack, web=False)
    try:
        yield stack
    finally:
        stop_processes(stack.processes)
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()


def events_of(stack: LiveStack, sender: str) -> int:
    engine = sqlalchemy.create_engine(stack.env["TRACKER_DATABASE_URL"], future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sqlalchemy.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
    finally:
        engine.dispose()


async def test_erasure_over_socketio_on_postgresql_leaves_no_trace(pg_stack: LiveStack) -> None:
    client = ChatClient(pg_stack.rasa_url, ORIGIN)
    try:
        conversation = conversation_of(await client.open())
        script = [
            ("I want to apply for treatment", "Do you agree?"),
            ("yes", "full name"),
            ("Greta Postgres", "email"),
            ("greta.postgres@example.com", "phone"),
            ("+49 30 7654321", "country"),
            ("Germany", "diagnosis"),
            ("neuroblastoma", "Where would you like to be treated"),
            ("Germany", "Anything else"),
            ("no", "Please check your request"),
            ("yes", "MIBG-"),
        ]
        for message, expected in script:
            await client.say(message)
            reply = joined(await client.reply_texts())
            assert expected in reply, (message, reply)
        reference = reply.split("reference number is ")[1].split(".")[0]
        assert [r for r in listed_requests(pg_stack) if r["reference"] == reference]
        assert events_of(pg_stack, conversation) > 0

        await client.say("please delete all my data")
        assert "Shall I delete it?" in joined(await client.reply_texts())
        await client.say("/affirm")
        done = joined(await client.reply_texts())
        assert "Your data was deleted on" in done and "Greta" not in done
    finally:
        await client.close()
    listed = listed_requests(pg_stack)
    assert reference not in str(listed) and "greta" not in str(listed).lower()
    assert events_of(pg_stack, conversation) == 0
