"""The action server (``python -m bot serve-actions``) only answers the Rasa server.

A forged ``POST /webhook`` of ``action_submit_request`` (a complete, confirmed form) must store
nothing without the shared token; with the token (what Rasa sends, from endpoints.yml) the same
call works. An action that fails answers 500 without echoing the request (rasa_sdk's own error
answer holds every slot).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Dict, Optional

import pytest

from bot.action_server import authorised
from tests.support.stack import LiveStack
from tests.test_rest_live import listed_requests

pytestmark = pytest.mark.rasa_server

FORGED_NAME = "Forged Person"


def forged_submit(sender: str) -> dict:
    """What Rasa would send for ``action_submit_request`` after a confirmed form."""
    slots = {
        "privacy_consent": True,
        "consent_at": "2026-11-30T10:00:00+00:00",
        "full_name": FORGED_NAME,
        "email": "forged@example.org",
        "phone": "+49 30 1234567",
        "country": "Germany",
        "diagnosis": "Neuroblastoma",
        "destination": "Germany",
        "message": "",
        "request_confirmed": True,
        "request_reference": None,
    }
    return {
        "next_action": "action_submit_request",
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": "yes", "intent": {"name": "affirm"}, "entities": []},
            "events": [{"event": "user", "text": "yes", "input_channel": "rest"}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def call(stack: LiveStack, path: str, payload: Optional[dict], headers: Dict[str, str]) -> tuple:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        stack.action_url + path,
        data=data,
        headers={"Content-Type": "application/json", **headers},
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def token(stack: LiveStack) -> str:
    """The token the servers made in the stack's var directory (no ACTION_SERVER_TOKEN set)."""
    return (stack.logs / "action-server.token").read_text(encoding="ascii").strip()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer "},
    ],
    ids=["none", "wrong", "basic", "empty"],
)
def test_a_forged_submit_without_the_token_stores_nothing(
    live_stack: LiveStack, sender_id: str, headers: Dict[str, str]
) -> None:
    status, body = call(live_stack, "/webhook", forged_submit(sender_id), headers)
    assert status == 401, body
    assert body == {"error": "unauthorised"}
    assert all(r["sender_id"] != sender_id for r in listed_requests(live_stack))
    status, _ = call(live_stack, "/actions", None, headers)
    assert status == 401


def test_with_the_token_the_same_call_works_and_health_needs_none(
    live_stack: LiveStack, sender_id: str
) -> None:
    assert (live_stack.logs / "action-server.token").stat().st_mode & 0o777 == 0o600
    status, body = call(
        live_stack,
        "/webhook",
        forged_submit(sender_id),
        {"Authorization": f"Bearer {token(live_stack)}"},
    )
    assert status == 200, body
    assert [r["full_name"] for r in listed_requests(live_stack) if r["sender_id"] == sender_id] == [
        FORGED_NAME
    ]
    with urllib.request.urlopen(live_stack.action_url + "/health", timeout=10) as reply:
        assert reply.status == 200


def test_a_failing_action_does_not_echo_the_request(live_stack: LiveStack, sender_id: str) -> None:
    payload = forged_submit(sender_id)
    payload["tracker"]["slots"]["consent_at"] = "not a time"  # fromisoformat fails
    status, body = call(
        live_stack, "/webhook", payload, {"Authorization": f"Bearer {token(live_stack)}"}
    )
    assert status == 500
    assert body == {"error": "the action failed"}
    assert FORGED_NAME not in json.dumps(body)


@pytest.mark.parametrize(
    "header,ok",
    [
        ("Bearer s3cret", True),
        ("Bearer s3cret ", False),
        ("bearer s3cret", False),
        ("s3cret", False),
        ("Bearer s3cr\u00e9t", False),
        (None, False),
    ],
)
def test_authorised(header: Optional[str], ok: bool) -> None:
    assert authorised(header, "s3cret") is ok
