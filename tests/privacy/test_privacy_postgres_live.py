"""Issue 12's "done when" on the other store and channel: over socket.io, with PostgreSQL for
both the requests and the conversations, a patient stores a request, asks to delete their data
and confirms; afterwards the request list has no trace of it and the tracker store has no
events of that conversation."""

from __future__ import annotations

from typing import Iterator

import pytest
import sqlalchemy

from tests.support.chat import ChatClient, conversation_of, joined
from tests.support.ports import free_port
from tests.support.postgres import throwaway_database
from tests.support.stack import MODEL, LiveStack, prepared_stack, running
from tests.test_rest_live import listed_requests

pytestmark = pytest.mark.rasa_server
ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    workdir = tmp_path_factory.mktemp("pg-live")
    with throwaway_database() as url:
        stack = prepared_stack(
            workdir,
            free_port(),
            free_port(),
            database_url=url,
            tracker_url=url,
            CORS_ORIGINS=ORIGIN,
        )
        with running(stack, web=False):
            yield stack


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
