"""Floods on a live stack (issue #11): one visitor's flood must not slow down anyone else.

Before ``bot/channels/limits.py``, 1,000 ``user_uttered`` events on one socket kept Rasa at
100 % CPU and other visitors' REST requests timed out. Now each conversation (and socket) gets
a few messages in flight and a few per minute; the rest is dropped with one "please wait".
The figures of each run are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import List, Tuple

import aiohttp
import pytest

from bot.channels.limits import PLEASE_WAIT_TEXT
from bot.settings import Settings
from tests.test_socketio import ChatClient, chat  # noqa: F401 (the fixture)

pytestmark = pytest.mark.rasa_server

QUESTION = "what are the side effects of mibg?"
FLOOD = 300
OTHER_MESSAGES = 10
P95_LIMIT = 2.0
REST_TIMEOUT = 10.0
MAX_IN_FLIGHT = Settings.max_in_flight_per_sender
MAX_PER_MINUTE = Settings.max_messages_per_minute


def p95(latencies: List[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered) + 0.5)) - 1)]


async def rest(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> Tuple:
    """(status, bot messages, seconds); a timeout gives status 0 and REST_TIMEOUT seconds."""
    started = time.monotonic()
    try:
        async with session.post(
            url + "/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=aiohttp.ClientTimeout(total=REST_TIMEOUT),
        ) as reply:
            body = await reply.json(content_type=None)
            return reply.status, body, time.monotonic() - started
    except asyncio.TimeoutError:
        return 0, None, REST_TIMEOUT


async def other_visitor(url: str) -> List[Tuple]:
    """Ten questions, one after the other, as an ordinary visitor asks them."""
    sender = f"other-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        return [await rest(session, url, sender, QUESTION) for _ in range(OTHER_MESSAGES)]


def check_other_visitor(results: List[Tuple]) -> float:
    for status, body, _ in results:
        assert status == 200 and body, (status, body)
        texts = " ".join(m.get("text") or "" for m in body)
        assert "nausea" in texts.lower() and PLEASE_WAIT_TEXT not in texts, texts
    return p95([seconds for *_, seconds in results])


async def drain(client: ChatClient, quiet: float = 5.0, limit: float = 90.0) -> List[dict]:
    """Every bot message the client gets until none came for ``quiet`` seconds."""
    messages: List[dict] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            messages.append(await asyncio.wait_for(client.replies.get(), quiet))
        except asyncio.TimeoutError:
            break
    return messages


async def test_a_socket_flood_leaves_other_visitors_fast(live_stack, chat) -> None:  # noqa: F811
    probe = chat()
    await probe.open()
    await probe.say(QUESTION)
    per_answer = len(await probe.reply_texts())

    flooder = chat()
    await flooder.open()
    others = asyncio.create_task(other_visitor(live_stack.rasa_url))
    started = time.monotonic()
    for n in range(FLOOD):
        await flooder.say(f"{QUESTION} {n}")
    sent_in = time.monotonic() - started
    results = await others
    got = await drain(flooder)

    notices = [m for m in got if m.get("text") == PLEASE_WAIT_TEXT]
    answers = [m for m in got if m.get("text") != PLEASE_WAIT_TEXT]
    other_p95 = check_other_visitor(results)
    print(
        f"\nsocket flood: {FLOOD} sent in {sent_in:.2f} s; {len(answers)} bot messages "
        f"(~{len(answers) / per_answer:.0f} answers), {len(notices)} please-wait, "
        f"~{FLOOD - len(answers) / per_answer:.0f} dropped; other visitor p95 {other_p95:.2f} s"
    )
    assert other_p95 < P95_LIMIT
    assert len(answers) <= MAX_PER_MINUTE * per_answer, len(answers)
    assert 1 <= len(notices) <= 2, len(notices)  # one per key per minute


async def test_a_rest_flood_of_one_sender_is_cut_short(live_stack) -> None:
    url = live_stack.rasa_url
    flooder = f"flood-{uuid.uuid4().hex[:8]}"
    others = asyncio.create_task(other_visitor(url))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        flood = await asyncio.gather(*(rest(session, url, flooder, QUESTION) for _ in range(FLOOD)))
    results = await others

    answered = [body for status, body, _ in flood if status == 200]
    refused = [body for status, body, _ in flood if status == 429]
    notices = [b for b in refused if b and b[0].get("text") == PLEASE_WAIT_TEXT]
    other_p95 = check_other_visitor(results)
    print(
        f"\nREST flood: {FLOOD} sent; {len(answered)} answered, {len(refused)} refused (429, "
        f"{len(notices)} with please-wait), {FLOOD - len(answered) - len(refused)} other; "
        f"other visitor p95 {other_p95:.2f} s"
    )
    assert other_p95 < P95_LIMIT
    assert len(answered) + len(refused) == FLOOD  # every request got an answer, none timed out
    assert len(answered) <= MAX_PER_MINUTE
    assert 1 <= len(notices) <= 2
