"""Telegram and Messenger messages are not lost (bot/channels/delivery.py).

Found by an attack: when a reply could not be sent, the webhook answered 200 but the tracker
held nothing of the patient's message, so the platform did not deliver it again and staff never
saw it; a Messenger batch of 50 events took 15 s to answer. Each test here runs both channels
(or the one it names) against a fake platform API on localhost (``FakePlatform``) and a fake
agent that saves its turn the way Rasa does (after sending).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Tuple

import httpx
import pytest
from channel_harness import BUTTONS_QUESTION, Answer, Call, FakeAgent, FakePlatform, serve, settle
from rasa.core.channels.channel import InputChannel
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from bot.channels.delivery import DeliveryFailed, PlatformError, RetryPolicy, with_retries
from bot.channels.facebook import SecureFacebookInput, signature_of
from bot.channels.telegram import SECRET_HEADER, SecureTelegramInput

TG_TOKEN = "123456789:AAHoffline-test-token_not-real"
TG_SECRET = "offline-Secret_token-42"
FB_SECRET = "0123456789abcdef0123456789abcdef"
SENDER = "6254123456789012"  # a Messenger PSID; for Telegram the chat id below
CHAT_ID = 1111111
SECRET_WORDS = "my son has neuroblastoma xyzzy"
IDS = itertools.count(900000001)


@dataclass
class Platform:
    """One channel with its fake API: how to build, post and read back an update."""

    name: str
    api: FakePlatform
    make_channel: Callable[[], InputChannel]
    sender_id: str
    #: Two senders of this platform (for tests with two conversations).
    senders: Tuple[str, str]
    update: Callable[..., Dict[str, Any]]
    post: Callable[[httpx.AsyncClient, Dict[str, Any]], Any]
    sent_texts: Callable[[], List[str]]
    #: A 4xx body as the platform sends it, and the reason the failure record gives for it.
    client_error: Dict[str, Any]
    client_error_reason: str


def telegram_answer(call: Call) -> Answer:
    result: Any = True
    if call.path.endswith("/sendMessage"):
        chat = {"id": int(call.fields["chat_id"]), "type": "private"}
        result = {"message_id": 1, "date": 0, "chat": chat, "text": call.fields["text"]}
    return 200, {"ok": True, "result": result}, {}


def telegram_update(text: str, sender: str = str(CHAT_ID), update_id: int | None = None) -> Dict:
    chat = {"id": int(sender), "first_name": "Zebulon", "type": "private"}
    message = {"message_id": 7, "from": {"id": int(sender)}, "chat": chat, "date": 1, "text": text}
    return {"update_id": update_id or next(IDS), "message": message}


def facebook_answer(call: Call) -> Answer:
    return 200, {"recipient_id": call.json["recipient"]["id"], "message_id": "m_sent"}, {}


def facebook_event(text: str, sender: str = SENDER, mid: str | None = None) -> Dict[str, Any]:
    message = {"mid": mid or f"m_{next(IDS)}", "text": text}
    return {
        "sender": {"id": sender},
        "recipient": {"id": "1041"},
        "timestamp": 1,
        "message": message,
    }


def facebook_body(*events: Dict[str, Any]) -> Dict[str, Any]:
    return {"object": "page", "entry": [{"id": "1041", "time": 1, "messaging": list(events)}]}


async def post_telegram(client: httpx.AsyncClient, update: Dict[str, Any]) -> Any:
    return await client.post(
        "/webhooks/telegram/webhook", json=update, headers={SECRET_HEADER: TG_SECRET}
    )


async def post_facebook(client: httpx.AsyncClient, body: Dict[str, Any]) -> Any:
    if "object" not in body:  # one event
        body = facebook_body(body)
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature_of(FB_SECRET, raw),
    }
    return await client.post("/webhooks/facebook/webhook", content=raw, headers=headers)


@dataclass(frozen=True)
class Channel:
    """What differs between the channels; one :class:`Platform` is made of it per test."""

    answer: Callable[[Call], Answer]
    #: The channel's settings; ``api_url`` names the one that points it at the fake API.
    env: Dict[str, str]
    api_url: str
    make_channel: Callable[[], InputChannel]
    senders: Tuple[str, str]
    update: Callable[..., Dict[str, Any]]
    post: Callable[[httpx.AsyncClient, Dict[str, Any]], Any]
    sent_texts: Callable[[FakePlatform], List[str]]
    client_error: Dict[str, Any]
    client_error_reason: str


CHANNELS: Dict[str, Channel] = {
    "telegram": Channel(
        telegram_answer,
        {"TELEGRAM_TOKEN": TG_TOKEN, "TELEGRAM_SECRET_TOKEN": TG_SECRET},
        "TELEGRAM_API_URL",
        lambda: SecureTelegramInput.from_credentials(None),
        (str(CHAT_ID), str(CHAT_ID + 1)),
        telegram_update,
        post_telegram,
        lambda api: [c.fields["text"] for c in api.calls if c.path.endswith("/sendMessage")],
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
        "HTTP 400",
    ),
    "facebook": Channel(
        facebook_answer,
        {
            "FACEBOOK_VERIFY_TOKEN": "verify",
            "FACEBOOK_APP_SECRET": FB_SECRET,
            "FACEBOOK_PAGE_ACCESS_TOKEN": "EAAGofflinePageAccessToken",
        },
        "FACEBOOK_GRAPH_URL",
        lambda: SecureFacebookInput.from_credentials(None),
        (SENDER, "62"),
        facebook_event,
        post_facebook,
        lambda api: [c.json["message"].get("text") for c in api.calls],
        {"error": {"message": "(#100) No matching user", "type": "OAuth", "code": 100}},
        "HTTP 400 code 100",
    ),
}


@pytest.fixture(params=list(CHANNELS))
async def platform(
    request: pytest.FixtureRequest, no_channel_env: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Platform]:
    """Each channel in turn, switched on, its platform API a fake on localhost."""
    channel = CHANNELS[request.param]
    async with FakePlatform(channel.answer) as api:
        for name, value in {**channel.env, channel.api_url: api.url}.items():
            monkeypatch.setenv(name, value)
        yield Platform(
            request.param,
            api,
            channel.make_channel,
            channel.senders[0],
            channel.senders,
            channel.update,
            channel.post,
            lambda: channel.sent_texts(api),
            channel.client_error,
            channel.client_error_reason,
        )


@contextlib.contextmanager
def held(agent: FakeAgent) -> Iterator[None]:
    """The turn "in Rasa" does not end until the block is left."""
    agent.gate = asyncio.Event()
    try:
        yield
    finally:
        agent.gate.set()


def assert_hello_answered_once(agent: FakeAgent, platform: Platform) -> None:
    assert [m.text for m in agent.messages] == ["hello"]
    assert platform.sent_texts() == [BUTTONS_QUESTION]


async def answer_within(seconds: float, request: Any) -> Any:
    try:
        return await asyncio.wait_for(request, seconds)
    except asyncio.TimeoutError:
        raise AssertionError(f"the webhook did not answer within {seconds} s") from None


async def test_the_webhook_answers_while_the_message_is_still_being_handled(
    platform: Platform, agent: FakeAgent
) -> None:
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        with held(agent):
            reply = await answer_within(5, platform.post(client, platform.update("hello")))
            assert reply.status_code == 200
            assert agent.messages == [] and platform.api.calls == []  # not handled yet
        await settle(channel)
    assert_hello_answered_once(agent, platform)


@pytest.mark.parametrize("platform", ["facebook"], indirect=True)
async def test_a_batch_of_50_messenger_events_is_answered_at_once_and_handled_with_bounded_work(
    platform: Platform, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_WORKERS", "4")
    channel = platform.make_channel()
    senders = [f"{SENDER[:-2]}{n:02d}" for n in range(50)]
    body = facebook_body(*(facebook_event(f"question {n}", s) for n, s in enumerate(senders)))
    async with serve(channel, agent) as client:
        with held(agent):
            reply = await answer_within(5, platform.post(client, body))
            assert (reply.status_code, reply.text) == (200, "EVENT_RECEIVED")
            assert agent.messages == []
            await asyncio.sleep(0.1)
            assert agent.running == 4  # four workers, the other 46 events wait in the queue
        await settle(channel)
    assert agent.most_running == 4
    assert sorted(m.sender_id for m in agent.messages) == sorted(senders)
    assert len(platform.sent_texts()) == 50
    for sender in senders:
        assert [e["event"] for e in await agent.events(sender)][-2:] == ["user", "bot"]


async def test_a_reply_that_cannot_be_sent_leaves_the_message_and_a_failure_record(
    platform: Platform, agent: FakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    platform.api.fail_always(500)
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        reply = await platform.post(client, platform.update(SECRET_WORDS))
        await settle(channel)
    assert reply.status_code == 200
    events = await agent.events(platform.sender_id)
    assert [e["event"] for e in events] == ["action", "user", "bot", "agent"]
    user, bot, record = events[1:]
    assert user["text"] == SECRET_WORDS
    assert record["text"] is None
    assert record["data"] == {
        "delivery": "failed",
        "channel": platform.name,
        "reason": "HTTP 500",
        "attempts": 4,  # CHANNEL_SEND_ATTEMPTS' default
        "replies": 1,
        "delivered": 0,
        "undelivered": [bot["timestamp"]],
    }
    assert len(platform.api.calls) == 4
    assert "not delivered (HTTP 500, 4 attempts); recorded in the conversation" in caplog.text
    for private in ("xyzzy", BUTTONS_QUESTION, "Zebulon", TG_TOKEN):
        assert private not in caplog.text


async def test_while_the_platform_is_down_later_messages_are_still_stored_at_once(
    platform: Platform, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_WORKERS", "1")
    monkeypatch.setenv("CHANNEL_SEND_ATTEMPTS", "2")
    monkeypatch.setenv("CHANNEL_SEND_BACKOFF_SECONDS", "0.5")
    platform.api.fail_always(503)
    channel = platform.make_channel()
    senders = list(platform.senders)
    async with serve(channel, agent) as client:
        for sender in senders:
            await platform.post(client, platform.update("hello", sender))
        for _ in range(30):  # both turns are saved while the first reply is still retried
            if len(agent.messages) == 2:
                break
            await asyncio.sleep(0.01)
        assert len(agent.messages) == 2
        assert channel.background.sends.pending == 2
        for sender in senders:
            assert [e["event"] for e in await agent.events(sender)][-2:] == ["user", "bot"]
        await settle(channel)
    for sender in senders:
        assert (await agent.events(sender))[-1]["event"] == "agent"


async def test_sends_are_retried_on_5xx_and_429_with_growing_pauses(
    platform: Platform, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_SEND_BACKOFF_SECONDS", "0.05")
    for status in (502, 503, 429):
        platform.api.fail(status)
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        await platform.post(client, platform.update("hello"))
        await settle(channel)
    times = [call.at for call in platform.api.calls]
    assert len(times) == 4 and platform.sent_texts() == [BUTTONS_QUESTION] * 4
    pauses = [later - earlier for earlier, later in zip(times, times[1:])]
    assert all(pause >= 0.05 * 2**n for n, pause in enumerate(pauses)), pauses
    assert [e["event"] for e in await agent.events(platform.sender_id)][-1] == "bot"  # no record


async def test_a_client_error_is_not_retried_and_is_recorded(
    platform: Platform, agent: FakeAgent
) -> None:
    platform.api.fail(400, platform.client_error, times=5)
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        await platform.post(client, platform.update("hello"))
        await settle(channel)
    assert len(platform.api.calls) == 1
    record = (await agent.events(platform.sender_id))[-1]
    assert record["event"] == "agent"
    assert (record["data"]["reason"], record["data"]["attempts"]) == (
        platform.client_error_reason,
        1,
    )


@pytest.mark.parametrize("platform", ["telegram"], indirect=True)
async def test_telegram_429_waits_as_long_as_telegram_asks(
    platform: Platform, agent: FakeAgent
) -> None:
    too_many = {"ok": False, "error_code": 429, "parameters": {"retry_after": 1}}
    platform.api.fail(429, too_many)
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        await platform.post(client, platform.update("hello"))
        await settle(channel)
    first, second = (call.at for call in platform.api.calls)
    assert second - first >= 1.0
    assert platform.sent_texts() == [BUTTONS_QUESTION, BUTTONS_QUESTION]


async def test_a_redelivered_update_is_handled_once(platform: Platform, agent: FakeAgent) -> None:
    channel = platform.make_channel()
    update = platform.update("hello")
    again = json.loads(json.dumps(update))
    async with serve(channel, agent) as client:
        with held(agent):
            first = await answer_within(5, platform.post(client, update))
            during = await answer_within(5, platform.post(client, again))  # while handling
        await settle(channel)
        after = await platform.post(client, again)  # after it was answered
        await settle(channel)
    assert [r.status_code for r in (first, during, after)] == [200, 200, 200]
    assert_hello_answered_once(agent, platform)


@pytest.mark.parametrize("platform", ["facebook"], indirect=True)
async def test_a_full_queue_answers_503_and_the_redelivery_is_handled_once(
    platform: Platform, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_QUEUE_LIMIT", "2")
    channel = platform.make_channel()
    body = facebook_body(*(facebook_event("hello", f"{SENDER[:-1]}{n}") for n in range(3)))
    async with serve(channel, agent) as client:
        with held(agent):
            busy = await answer_within(5, platform.post(client, body))
        await settle(channel)
        again = await platform.post(client, body)  # Meta delivers the whole batch again
        await settle(channel)
    assert (busy.status_code, again.status_code) == (503, 200)
    assert sorted(m.sender_id for m in agent.messages) == [f"{SENDER[:-1]}{n}" for n in range(3)]


def staff_client(tmp_path: Path, tracker_url: str) -> TestClient:
    """A logged-in staff console reading ``tracker_url``."""
    from bot.db import migrate
    from bot.db.engine import session_factory
    from bot.staff_accounts import create_user
    from bot.web.staff import create_staff_app
    from bot.web.staff.config import StaffConfig

    database_url = f"sqlite:///{tmp_path / 'requests.db'}"
    migrate.upgrade(database_url)
    create_user(
        session_factory(database_url), "staff@example.org", "long enough password", reset=True
    )
    config = StaffConfig(database_url=database_url, tracker_url=tracker_url, secret_key="k" * 48)
    client = TestClient(Starlette(routes=[Mount("/staff", create_staff_app(config))]))
    page = client.get("/staff/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"email": "staff@example.org", "password": "long enough password", "csrf_token": token}
    assert client.post("/staff/login", data=form).status_code in (200, 303)
    return client


async def test_the_staff_transcript_shows_the_replies_that_were_not_delivered(
    platform: Platform, tmp_path: Path
) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    agent = FakeAgent(store)
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        await platform.post(client, platform.update("delivered please"))
        await settle(channel)
        platform.api.fail_always(503)
        started = time.monotonic()
        await platform.post(client, platform.update("what is mibg"))
        await settle(channel)
    assert time.monotonic() - started < 6 + 1  # CHANNEL_SEND_DEADLINE_SECONDS in these tests

    staff = staff_client(tmp_path, f"sqlite:///{tmp_path / 'tracker.db'}")
    page = staff.get(f"/staff/conversations/{platform.sender_id}")
    assert page.status_code == 200
    assert page.text.count("msg-undelivered") == 1  # the second answer, not the first
    assert "Not delivered</strong> to the patient on " + platform.name in page.text
    assert "1 of 1 reply (HTTP 503, 4 attempts)" in page.text
    items = staff.get(f"/staff/api/conversations/{platform.sender_id}").json()
    items = items.get("items", items) if isinstance(items, dict) else items
    bots = [item for item in items if item["kind"] == "bot"]
    assert [bot["undelivered"] for bot in bots] == [False, True]
    [record] = [item for item in items if item["kind"] == "undelivered"]
    assert (record["channel"], record["reason"], record["attempts"]) == (
        platform.name,
        "HTTP 503",
        4,
    )


async def test_a_platform_that_hangs_is_given_up_at_the_deadline_and_recorded(
    platform: Platform, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNEL_SEND_ATTEMPTS", "10")
    monkeypatch.setenv("CHANNEL_SEND_TIMEOUT_SECONDS", "0.3")
    monkeypatch.setenv("CHANNEL_SEND_DEADLINE_SECONDS", "1.2")
    platform.api.delay = 5  # never answers in time
    channel = platform.make_channel()
    async with serve(channel, agent) as client:
        await platform.post(client, platform.update("hello"))
        started = time.monotonic()
        await settle(channel)
        took = time.monotonic() - started
    record = (await agent.events(platform.sender_id))[-1]
    assert record["event"] == "agent" and record["data"]["reason"] == "TimeoutError"
    # Tries of 0.3 s with pauses of 0.01, 0.02, 0.04 ... until the next would end after 1.2 s.
    assert 2 <= record["data"]["attempts"] < 10
    assert len(platform.api.calls) == record["data"]["attempts"]
    assert took < 1.2 + 0.3 + 1  # the deadline, one try, and slack for a loaded machine


async def test_retries_stop_at_the_deadline_even_with_attempts_left() -> None:
    policy = RetryPolicy(attempts=100, backoff=0.05, timeout=1, deadline=1.0)
    tries: List[float] = []

    async def down(_timeout: float) -> None:
        tries.append(time.monotonic())
        raise PlatformError(503)

    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        await with_retries(down, policy, "test call")
    assert failed.value.reason == "HTTP 503" and failed.value.attempts == len(tries)
    # Pauses 0.05, 0.1, 0.2, 0.4 (x 1-1.25): no try starts after the deadline, none waits
    # past it, and the 100 attempts allowed are far from used.
    assert 2 <= len(tries) <= 4
    assert tries[-1] - started <= 1.0 and time.monotonic() - started <= 1.0
