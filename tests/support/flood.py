"""One visitor floods the server while others chat: what the live flood test
(tests/test_flood_live.py) and ``make test-adversarial`` (bench/adversarial.py) both run.

A flooder sends many ``user_uttered`` events on one socket while ordinary visitors ask over
REST; :func:`socket_flood` returns what each side got, and the callers judge it with their own
limits (``bot/channels/limits.py`` drops most of a flood with one "please wait").
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

import aiohttp

from bot.channels.limits import PLEASE_WAIT_TEXT
from tests.support.chat import ChatClient

QUESTION = "what are the side effects of mibg?"
REST_PATH = "/webhooks/rest/webhook"
#: (HTTP status, parsed body or text, seconds); status 0 when the server did not answer.
Reply = Tuple[int, Any, float]


def p95(values: Sequence[float]) -> float:
    """The 95th percentile by nearest rank (the value at rank ceil(0.95 n))."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def texts_of(body: Any) -> str:
    """The texts of the bot messages in a REST reply body (anything else: "")."""
    if not isinstance(body, list):
        return ""
    return " ".join(str(m.get("text") or "") for m in body if isinstance(m, dict))


async def post(
    session: aiohttp.ClientSession,
    url: str,
    data: bytes,
    content_type: Optional[str] = "application/json",
    timeout: float = 30.0,
) -> Reply:
    """POST ``data`` (raw bytes: crafted payloads too) and time the answer."""
    headers = {"Content-Type": content_type} if content_type else {}
    started = time.monotonic()
    try:
        async with session.post(
            url, data=data, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as reply:
            raw = await reply.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            return reply.status, body, time.monotonic() - started
    except (asyncio.TimeoutError, aiohttp.ClientError):
        return 0, None, time.monotonic() - started


def rest_body(sender: str, message: Any) -> bytes:
    return json.dumps({"sender": sender, "message": message}).encode()


async def say(
    session: aiohttp.ClientSession, rasa_url: str, sender: str, text: Any, timeout: float = 30.0
) -> Reply:
    """One message over Rasa's REST channel."""
    return await post(session, rasa_url + REST_PATH, rest_body(sender, text), timeout=timeout)


async def visitor(
    rasa_url: str, messages: int, pause: float = 0.0, timeout: float = 30.0
) -> List[Reply]:
    """An ordinary visitor: ``messages`` questions one after the other, ``pause`` s apart."""
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    found: List[Reply] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(messages):
            found.append(await say(session, rasa_url, sender, QUESTION, timeout))
            if pause:
                await asyncio.sleep(pause)
    return found


async def drain(client: ChatClient, quiet: float, limit: float) -> List[dict]:
    """Every bot message the client gets until none came for ``quiet`` seconds."""
    messages: List[dict] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            messages.append(await asyncio.wait_for(client.replies.get(), quiet))
        except asyncio.TimeoutError:
            break
    return messages


@dataclass
class SocketFlood:
    """What a flood sent and what everybody got back."""

    sent: int
    sent_in: float
    #: Every bot message the flooder got.
    replies: List[dict]
    #: Every visitor request, in order per visitor.
    visitors: List[Reply]

    @property
    def notices(self) -> List[dict]:
        return [m for m in self.replies if m.get("text") == PLEASE_WAIT_TEXT]

    @property
    def answers(self) -> List[dict]:
        return [m for m in self.replies if m.get("text") != PLEASE_WAIT_TEXT]

    @property
    def visitors_p95(self) -> float:
        return p95([seconds for _status, _body, seconds in self.visitors])


async def socket_flood(
    flooder: ChatClient,
    rasa_url: str,
    count: int,
    visitors: int = 1,
    messages: int = 10,
    pause: float = 0.0,
    timeout: float = 30.0,
    quiet: float = 5.0,
    limit: float = 90.0,
) -> SocketFlood:
    """``count`` messages on the flooder's (open) socket while ``visitors`` visitors each ask
    ``messages`` questions over REST; then the flooder's replies until ``quiet`` s of silence."""
    tasks = [
        asyncio.create_task(visitor(rasa_url, messages, pause, timeout)) for _ in range(visitors)
    ]
    started = time.monotonic()
    for n in range(count):
        await flooder.say(f"{QUESTION} {n}")
    sent_in = time.monotonic() - started
    results = [reply for task in tasks for reply in await task]
    replies = await drain(flooder, quiet, limit)
    return SocketFlood(count, sent_in, replies, results)
