"""action_answer runs inside the Rasa process: the same answer as the action server gives, no
HTTP call for it, and questions are still answered while the action server is down."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Dict

import pytest
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_patches
from bot.rasa_patches import local_actions
from bot.settings import Settings
from tests.form_helpers import DOMAIN
from tests.rasa_patches.helpers import patched
from tests.support.stack import LiveStack


def action_call(next_action: str, text: str, intent: str) -> Dict[str, Any]:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return {
        "next_action": next_action,
        "sender_id": "local-test",
        "version": "3.6.21",
        "domain": DOMAIN,
        "tracker": {
            "sender_id": "local-test",
            "slots": {},
            "latest_message": latest,
            "events": [{"event": "user", "text": text, "parse_data": latest}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture()
def installed():
    with patched(local_actions.PATCH):
        assert rasa_patches.apply(Settings(), only=[local_actions.PATCH]) == []  # twice is once
        yield


async def test_a_local_action_is_answered_without_the_action_server(installed) -> None:
    endpoint = EndpointConfig(url="http://127.0.0.1:9/webhook")  # nothing listens on port 9
    answer = await endpoint.request(
        json=action_call("action_answer", "what are the side effects", "ask_side_effects"),
        method="post",
    )
    assert [m["response"] for m in answer["responses"]] == ["utter_side_effects"]
    topics = [e["value"] for e in answer["events"] if e.get("name") == "last_topic"]
    assert topics == ["utter_side_effects"]


async def test_other_actions_still_go_to_the_action_server(installed) -> None:
    from aiohttp import ClientConnectorError

    endpoint = EndpointConfig(url="http://127.0.0.1:9/webhook")
    with pytest.raises(ClientConnectorError):
        await endpoint.request(json=action_call("action_submit_request", "yes", "affirm"))


def token(stack: LiveStack) -> str:
    return (stack.logs / "action-server.token").read_text(encoding="ascii").strip()


def test_the_local_answer_is_the_action_servers_answer(live_stack: LiveStack) -> None:
    """The action server (HTTP) and the in-process executor give the same events and texts."""
    import asyncio

    call = action_call(
        "action_answer", "my dad has bad kidneys can he have it", "ask_contraindications"
    )
    call["tracker"]["latest_message"]["framing"] = "personal"
    request = urllib.request.Request(
        live_stack.action_url + "/webhook",
        data=json.dumps(call).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token(live_stack)}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        remote = json.loads(reply.read())
    local = asyncio.run(local_actions.run_locally(call))
    assert local == remote
    assert any(e.get("name") == "personal_note" and e.get("value") is True for e in local["events"])


def test_questions_are_answered_while_the_action_server_is_stopped(live_stack: LiveStack) -> None:
    import os
    import signal

    actions = live_stack.processes[0]
    os.kill(actions.pid, signal.SIGSTOP)  # stalled, as in the attack of issue 11
    try:
        reply = live_stack.texts("local-actions-stalled", "what are the side effects?")
    finally:
        os.kill(actions.pid, signal.SIGCONT)
    assert "nausea" in reply
