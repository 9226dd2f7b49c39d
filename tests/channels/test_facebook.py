"""The Facebook Messenger channel, offline: signed Page webhooks in, Send API calls to a fake
Graph API on localhost."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
from pathlib import Path
from typing import Any, AsyncIterator, Dict, List

import pytest
from channel_harness import (
    BUTTONS,
    BUTTONS_QUESTION,
    LONG_REPLY,
    MANY_BUTTONS,
    Answer,
    Call,
    FakeAgent,
    FakePlatform,
    serve,
    settle,
)
from rasa.core.run import create_http_input_channels
from rasa.shared.utils.io import read_config_file

from bot.channels.facebook import SecureFacebookInput
from bot.channels.limits import PLEASE_WAIT_TEXT
from bot.channels.messages import TOKEN_PREFIX, utf16_len
from bot.channels.text import EMPTY_MESSAGE_PAYLOAD, SERVICE_ERROR_TEXT

ROOT = Path(__file__).resolve().parents[2]
VERIFY_TOKEN = "offline-verify-token"
APP_SECRET = "0123456789abcdef0123456789abcdef"
PAGE_TOKEN = "EAAGofflinePageAccessToken"
PAGE_ID = "104112345678901"
PSID = "6254123456789012"
WEBHOOK = "/webhooks/facebook/webhook"
SEND_PATH = "/v23.0/me/messages"
MIDS = itertools.count(1)


def sign(body: bytes, secret: str = APP_SECRET, method: str = "sha256") -> str:
    return f"{method}=" + hmac.new(secret.encode(), body, getattr(hashlib, method)).hexdigest()


def delivery(*events: Dict[str, Any], kind: str = "page") -> bytes:
    """A webhook body as Meta posts it: one entry holding ``events``."""
    entry = {"id": PAGE_ID, "time": 1764000000000, "messaging": list(events)}
    return json.dumps({"object": kind, "entry": [entry]}).encode()


def event(sender: str = PSID, **content: Any) -> Dict[str, Any]:
    return {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1764000000000,
        **content,
    }


def text_event(text: str, sender: str = PSID) -> Dict[str, Any]:
    return event(sender, message={"mid": f"m_AG5Hz2Uq7tuwNEhX{next(MIDS)}", "text": text})


def quick_reply_event(title: str, payload: str) -> Dict[str, Any]:
    message = {"mid": f"m_quick{next(MIDS)}", "text": title, "quick_reply": {"payload": payload}}
    return event(message=message)


def postback_event(title: str, payload: str) -> Dict[str, Any]:
    return event(postback={"mid": f"m_postback{next(MIDS)}", "title": title, "payload": payload})


NOT_FOR_THE_ASSISTANT = {
    "echo": event(
        PAGE_ID,
        message={"is_echo": True, "app_id": 1517776481860111, "mid": "m_echo", "text": "hi"},
    ),
    "delivery": event(delivery={"mids": ["m_1"], "watermark": 1764000000000}),
    "read": event(read={"watermark": 1764000000000}),
    "image": event(
        message={
            "mid": "m_image",
            "attachments": [
                {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/scan.jpg"}}
            ],
        }
    ),
    "reaction": event(reaction={"reaction": "love", "emoji": "\u2764", "action": "react"}),
    "bad_sender": text_event("hello", sender="../../etc"),
    "sender_not_object": {**text_event("hello"), "sender": PSID},
    "message_not_object": event(message="hello"),
    "text_not_string": event(message={"mid": "m_odd", "text": 42}),
}


class SendApi:
    """The Send API calls that reached the fake Graph API: message bodies and URL parameters."""

    def __init__(self, platform: FakePlatform) -> None:
        self.platform = platform

    @staticmethod
    def answer(call: Call) -> Answer:
        assert call.path == SEND_PATH
        return 200, {"recipient_id": call.json["recipient"]["id"], "message_id": "m_sent"}, {}

    @property
    def calls(self) -> List[Call]:
        return self.platform.calls

    def bodies(self) -> List[Dict[str, Any]]:
        return [call.json for call in self.calls]

    def messages(self) -> List[Dict[str, Any]]:
        return [body["message"] for body in self.bodies()]

    def params(self, index: int) -> Dict[str, List[str]]:
        return {name: [value] for name, value in self.calls[index].query.items()}


@pytest.fixture
async def send_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SendApi]:
    async with FakePlatform(SendApi.answer) as platform:
        monkeypatch.setenv("FACEBOOK_GRAPH_URL", platform.url)
        yield SendApi(platform)


@pytest.fixture
def env(
    no_channel_env: None, monkeypatch: pytest.MonkeyPatch, send_api: SendApi
) -> pytest.MonkeyPatch:
    monkeypatch.setenv("FACEBOOK_VERIFY_TOKEN", VERIFY_TOKEN)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("FACEBOOK_PAGE_ACCESS_TOKEN", PAGE_TOKEN)
    return monkeypatch


@pytest.fixture
def channel(env: pytest.MonkeyPatch) -> SecureFacebookInput:
    channel = SecureFacebookInput.from_credentials(None)
    assert channel.enabled
    return channel


async def post(client: Any, body: bytes, headers: Dict[str, str] | None = None) -> Any:
    if headers is None:
        headers = {"X-Hub-Signature-256": sign(body)}
    return await client.post(
        WEBHOOK, content=body, headers={"Content-Type": "application/json", **headers}
    )


BODY = delivery(text_event("hello"))
BAD_SIGNATURES = {
    "missing": {},
    "empty": {"X-Hub-Signature-256": ""},
    "legacy_sha1_only": {"X-Hub-Signature": sign(BODY, method="sha1")},
    "sha1_in_the_256_header": {"X-Hub-Signature-256": sign(BODY, method="sha1")},
    "md5": {"X-Hub-Signature-256": sign(BODY, method="md5")},
    "wrong_secret": {"X-Hub-Signature-256": sign(BODY, secret="another-app-secret")},
    "other_body": {"X-Hub-Signature-256": sign(delivery(text_event("hullo")))},
    "no_prefix": {"X-Hub-Signature-256": sign(BODY)[len("sha256=") :]},
    "upper_case": {"X-Hub-Signature-256": sign(BODY).upper()},
    "not_ascii": {"X-Hub-Signature-256": "sha256=\u00e9"},
    # Latin-1 bytes, not UTF-8: Sanic decodes them with surrogateescape (was HTTP 500).
    "not_utf8": {"X-Hub-Signature-256": b"sha256=\xe9" + sign(BODY)[7:].encode()},
    "not_utf8_only": {"X-Hub-Signature-256": b"\xff\xfe"},
}


@pytest.mark.parametrize("kind", sorted(BAD_SIGNATURES))
async def test_a_delivery_without_a_valid_sha256_signature_is_refused(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi, kind: str
) -> None:
    headers = {
        name: value if isinstance(value, bytes) else value.encode()
        for name, value in BAD_SIGNATURES[kind].items()
    }
    async with serve(channel, agent) as client:
        reply = await post(client, BODY, headers=headers)
    assert reply.status_code == 403
    assert agent.messages == []
    assert not send_api.calls


async def test_a_signed_text_message_reaches_rasa_and_buttons_become_quick_replies(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, delivery(text_event("  what is cafe\u0301\x00 therapy? ")))
    assert reply.status_code == 200
    [message] = agent.messages
    assert (message.text, message.sender_id) == ("what is caf\u00e9 therapy?", PSID)
    assert message.input_channel == "facebook"
    [body] = send_api.bodies()
    assert body["recipient"] == {"id": PSID}
    assert body["messaging_type"] == "RESPONSE"
    assert body["message"] == {
        "text": BUTTONS_QUESTION,
        "quick_replies": [
            {"content_type": "text", "title": "Neuroblastoma", "payload": BUTTONS[0]["payload"]},
            {
                "content_type": "text",
                "title": "Medullary thyroid c\u2026",
                "payload": BUTTONS[1]["payload"],
            },
            {"content_type": "text", "title": "Something else", "payload": BUTTONS[2]["payload"]},
        ],
    }
    params = send_api.params(0)
    proof = hmac.new(APP_SECRET.encode(), PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert params == {"access_token": [PAGE_TOKEN], "appsecret_proof": [proof]}


async def test_quick_replies_postbacks_and_a_whole_batch_are_passed_on_in_order(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi
) -> None:
    body = delivery(
        quick_reply_event("Neuroblastoma", BUTTONS[0]["payload"]),
        NOT_FOR_THE_ASSISTANT["echo"],
        postback_event("Get started", "/greet"),
        NOT_FOR_THE_ASSISTANT["delivery"],
        text_event("thanks"),
    )
    async with serve(channel, agent) as client:
        reply = await post(client, body)
    assert reply.status_code == 200
    assert [(m.text, m.sender_id) for m in agent.messages] == [
        (BUTTONS[0]["payload"], PSID),
        ("/greet", PSID),
        ("thanks", PSID),
    ]
    assert len(send_api.bodies()) == 3


@pytest.mark.parametrize("kind", sorted(NOT_FOR_THE_ASSISTANT))
async def test_events_other_than_text_are_acknowledged_and_dropped(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi, kind: str
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, delivery(NOT_FOR_THE_ASSISTANT[kind]))
    assert reply.status_code == 200
    assert agent.messages == []
    assert not send_api.calls


@pytest.mark.parametrize(
    "body",
    [
        delivery(text_event("hello"), kind="instagram"),
        json.dumps({"object": "page", "entry": {"messaging": []}}).encode(),
        json.dumps({"object": "page", "entry": ["x", {"messaging": "x"}]}).encode(),
        b"[1, 2]",
    ],
)
async def test_other_objects_and_odd_shapes_are_dropped(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi, body: bytes
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, body)
        not_json = await post(client, b"{not json")
    assert (reply.status_code, not_json.status_code) == (200, 400)
    assert agent.messages == [] and not send_api.calls


async def test_at_most_13_quick_replies_and_a_payload_over_1000_bytes_comes_back_whole(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi
) -> None:
    async with serve(channel, agent) as client:
        await post(client, delivery(text_event("many buttons please")))
        await settle(channel)
        [message] = send_api.messages()
        replies = message["quick_replies"]
        token = replies[0]["payload"]
        await post(client, delivery(quick_reply_event("Huge", token)))
        await post(client, delivery(quick_reply_event("Huge", TOKEN_PREFIX + "unknown")))
        unknown = {"mid": "m_odd", "text": None, "quick_reply": {"payload": TOKEN_PREFIX + "x"}}
        await post(client, delivery(event(message=unknown)))
    assert len(replies) == 13
    assert [r["title"] for r in replies] == [b["title"] for b in MANY_BUTTONS[:13]]
    assert all(len(r["title"]) <= 20 and len(r["payload"].encode()) <= 1000 for r in replies)
    assert token.startswith(TOKEN_PREFIX)
    assert [r["payload"] for r in replies[1:]] == [b["payload"] for b in MANY_BUTTONS[1:13]]
    # A known token is the whole payload; an unknown one (after a restart) the tapped title.
    # Neither: the polite "not understood" fallback.
    assert [m.text for m in agent.messages[1:]] == [
        MANY_BUTTONS[0]["payload"],
        "Huge",
        EMPTY_MESSAGE_PAYLOAD,
    ]


async def test_a_long_answer_is_split_at_paragraphs_within_2000_characters(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi
) -> None:
    async with serve(channel, agent) as client:
        await post(client, delivery(text_event("long answer please")))
    parts = [message["text"] for message in send_api.messages()]
    assert len(parts) == 3
    assert all(utf16_len(part) <= 2000 for part in parts)
    assert [p for part in parts for p in part.split("\n\n")] == LONG_REPLY.split("\n\n")
    assert all(set(message) == {"text"} for message in send_api.messages())


async def test_a_failure_in_rasa_still_answers_the_patient(
    channel: SecureFacebookInput, agent: FakeAgent, send_api: SendApi
) -> None:
    async with serve(channel, agent) as client:
        reply = await post(client, delivery(text_event("fail please")))
    assert reply.status_code == 200
    assert send_api.messages() == [{"text": SERVICE_ERROR_TEXT}]


async def test_neither_text_nor_tokens_reach_the_log(
    channel: SecureFacebookInput,
    agent: FakeAgent,
    send_api: SendApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve(channel, agent) as client:
        await post(client, delivery(text_event("my son has neuroblastoma xyzzy")))
        await post(client, delivery(text_event("fail please")))
        await post(client, BODY, headers={"X-Hub-Signature-256": "sha256=00"})
    assert len(agent.messages) == 2 and len(send_api.bodies()) == 2
    for private in ("xyzzy", "fail please", PAGE_TOKEN, APP_SECRET, BUTTONS_QUESTION):
        assert private not in caplog.text
    # Sending is intercepted above urllib3, which would log the URL with the page token.
    assert not logging.getLogger("urllib3.connectionpool").isEnabledFor(logging.DEBUG)


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN}, 200, "1158201444"),
        ({"hub.mode": "subscribe", "hub.verify_token": "guess"}, 403, None),
        ({"hub.mode": "subscribe"}, 403, None),
        ({"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN}, 403, None),
    ],
)
async def test_the_verify_token_handshake(
    channel: SecureFacebookInput,
    agent: FakeAgent,
    send_api: SendApi,
    query: Dict[str, str],
    status: int,
    text: str | None,
) -> None:
    async with serve(channel, agent) as client:
        reply = await client.get(WEBHOOK, params={**query, "hub.challenge": "1158201444"})
    assert reply.status_code == status
    if text is not None:
        assert reply.text == text
    assert agent.messages == [] and not send_api.calls


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"FACEBOOK_VERIFY_TOKEN": VERIFY_TOKEN, "FACEBOOK_APP_SECRET": APP_SECRET},
        {"FACEBOOK_PAGE_ACCESS_TOKEN": PAGE_TOKEN},
    ],
)
async def test_without_its_settings_the_channel_is_off_and_silent(
    no_channel_env: None,
    monkeypatch: pytest.MonkeyPatch,
    agent: FakeAgent,
    send_api: SendApi,
    variables: Dict[str, str],
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    channel = SecureFacebookInput.from_credentials(None)
    assert not channel.enabled
    assert channel.get_output_channel() is None
    async with serve(channel, agent) as client:
        replies = [
            await post(client, BODY),
            await client.get(WEBHOOK, params={"hub.mode": "subscribe", "hub.verify_token": ""}),
            await client.get("/webhooks/facebook/"),
        ]
    assert [reply.status_code for reply in replies] == [404, 404, 404]
    assert agent.messages == [] and not send_api.calls


def test_credentials_yml_lists_the_channel_and_loads_it_from_the_environment(
    no_channel_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    key = "bot.channels.facebook.SecureFacebookInput"
    assert key in read_config_file(str(ROOT / "credentials.yml"))
    credentials = tmp_path / "credentials.yml"
    credentials.write_text(f"{key}:\n")
    [off] = create_http_input_channels(None, str(credentials))
    assert isinstance(off, SecureFacebookInput) and not off.enabled
    monkeypatch.setenv("FACEBOOK_VERIFY_TOKEN", VERIFY_TOKEN)
    monkeypatch.setenv("FACEBOOK_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("FACEBOOK_PAGE_ACCESS_TOKEN", PAGE_TOKEN)
    [on] = create_http_input_channels(None, str(credentials))
    assert on.enabled
    assert (on.fb_verify, on.fb_secret, on.fb_access_token) == (
        VERIFY_TOKEN,
        APP_SECRET,
        PAGE_TOKEN,
    )


async def test_a_sender_over_its_message_limit_gets_one_please_wait_and_is_dropped(
    env: pytest.MonkeyPatch, agent: FakeAgent, send_api: SendApi
) -> None:
    env.setenv("MAX_MESSAGES_PER_MINUTE", "2")
    channel = SecureFacebookInput.from_credentials(None)
    body = delivery(*(text_event(f"question {n}") for n in range(4)))
    async with serve(channel, agent) as client:
        first = await post(client, body)
        second = await post(client, delivery(text_event("one more")))
    assert (first.status_code, second.status_code) == (200, 200)
    assert [m.text for m in agent.messages] == ["question 0", "question 1"]
    # The notice goes out at once, beside the answers still being worked on (its own queue).
    texts = sorted(message.get("text") for message in send_api.messages())
    assert texts == sorted([BUTTONS_QUESTION, BUTTONS_QUESTION, PLEASE_WAIT_TEXT])
