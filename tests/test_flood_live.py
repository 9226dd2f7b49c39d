"""Floods on a live stack (issue #11): one visitor's flood must not slow down anyone else.

Before ``bot/channels/limits.py``, 1,000 ``user_uttered`` events on one socket kept Rasa at
100 % CPU and other visitors' REST requests timed out. Now each conversation (and socket) gets
a few messages in flight and a few per minute; the rest is dropped with one "please wait".
The figures of each run are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import List

import aiohttp
import pytest

from bot.channels.limits import PLEASE_WAIT_TEXT
from bot.settings import Settings
from tests.support.flood import QUESTION, Reply, p95, say, socket_flood, texts_of, visitor

pytestmark = pytest.mark.rasa_server

FLOOD = 300
OTHER_MESSAGES = 10
P95_LIMIT = 2.0
REST_TIMEOUT = 10.0
MAX_IN_FLIGHT = Settings.max_in_flight_per_sender
MAX_PER_MINUTE = Settings.max_messages_per_minute


def check_other_visitor(results: List[Reply]) -> float:
    for status, body, _ in results:
        assert status == 200 and body, (status, body)
        texts = texts_of(body)
        assert "nausea" in texts.lower() and PLEASE_WAIT_TEXT not in texts, texts
    return p95([seconds for *_, seconds in results])


async def test_a_socket_flood_leaves_other_visitors_fast(live_stack, chat) -> None:
    probe = chat()
    await probe.open()
    await probe.say(QUESTION)
    per_answer = len(await probe.reply_texts())

    flooder = chat()
    await flooder.open()
    flood = await socket_flood(
        flooder, live_stack.rasa_url, FLOOD, messages=OTHER_MESSAGES, timeout=REST_TIMEOUT
    )

    notices, answers = flood.notices, flood.answers
    other_p95 = check_other_visitor(flood.visitors)
    print(
        f"\nsocket flood: {FLOOD} sent in {flood.sent_in:.2f} s; {len(answers)} bot messages "
        f"(~{len(answers) / per_answer:.0f} answers), {len(notices)} please-wait, "
        f"~{FLOOD - len(answers) / per_answer:.0f} dropped; other visitor p95 {other_p95:.2f} s"
    )
    assert other_p95 < P95_LIMIT
    assert len(answers) <= MAX_PER_MINUTE * per_answer, len(answers)
    assert 1 <= len(notices) <= 2, len(notices)  # one per key per minute


async def test_a_rest_flood_of_one_sender_is_cut_short(live_stack) -> None:
    url = live_stack.rasa_url
    flooder = f"flood-{uuid.uuid4().hex[:8]}"
    others = asyncio.create_task(visitor(url, OTHER_MESSAGES, timeout=REST_TIMEOUT))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        flood = await asyncio.gather(
            *(say(session, url, flooder, QUESTION, REST_TIMEOUT) for _ in range(FLOOD))
        )
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
