"""The REST channel passes a client's ``message_id`` on, so a retry can be recognised
(``retry-replay``, bot/rasa_patches/retry_replay.py, docs/deploy.md)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.rest import SafeRestInput
from tests.channels.channel_harness import FakeAgent, serve


async def test_a_client_message_id_reaches_rasa_marked_as_the_clients() -> None:
    agent = FakeAgent()
    async with serve(SafeRestInput(), agent) as client:
        with_id = {"sender": "s1", "message": "hi", "message_id": "turn-1"}
        assert (await client.post("/webhooks/rest/webhook", json=with_id)).status_code == 200
        without = {"sender": "s1", "message": "hi"}
        assert (await client.post("/webhooks/rest/webhook", json=without)).status_code == 200
    first, second = agent.messages
    assert (first.message_id, first.client_message_id) == ("turn-1", "turn-1")
    assert second.client_message_id is None and second.message_id  # Rasa's own random id


@pytest.mark.parametrize("message_id", ["", "a b", "x" * 65, 7, ["a"]])
async def test_a_bad_message_id_is_refused(message_id: Any) -> None:
    agent = FakeAgent()
    async with serve(SafeRestInput(), agent) as client:
        body = {"sender": "s1", "message": "hi", "message_id": message_id}
        reply = await client.post("/webhooks/rest/webhook", json=body)
    assert reply.status_code == 400 and "message_id" in reply.json()["error"]
    assert agent.messages == []
