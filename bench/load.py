"""The load generator: scripted conversations over REST with aiohttp, and latency statistics.

A phase runs ``conversations`` scripts with at most ``concurrency`` in flight: each of the
``concurrency`` workers takes the next script and sends its turns one after another, each as
soon as the previous answer arrived (no think time), so ``concurrency`` is the number of
requests the server has at once. Every conversation has its own sender id.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Sequence

import aiohttp

from bench.scripted_conversation import REFERENCE_RE, Conversation, ReplyChecker
from bot.channels.text import SERVICE_ERROR_TEXT

REST_PATH = "/webhooks/rest/webhook"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation, ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class PhaseResult:
    """What one load phase measured. Latencies are of answered (HTTP 200) requests."""

    name: str
    concurrency: int
    conversations: int
    messages_sent: int = 0
    answered: int = 0
    wall_s: float = 0.0
    latencies_ms: List[float] = field(default_factory=list)
    #: The same latencies by script step ("greet", "email", ...): which turns are slow.
    step_latencies_ms: Dict[str, List[float]] = field(default_factory=dict)
    http_errors: int = 0
    exceptions: int = 0
    timeouts: int = 0
    #: Answered 200, but with the channel's "something went wrong" text.
    service_errors: int = 0
    #: Conversations where some reply was not the expected one (first failing step counted).
    wrong_flow: int = 0
    missing_reference: int = 0
    failed_steps: Counter = field(default_factory=Counter)
    server_cpu_s: float | None = None
    #: CPU of the (shared) action server during the phase: part of the cost of a message.
    action_cpu_s: float | None = None

    @property
    def request_errors(self) -> int:
        return self.http_errors + self.exceptions + self.timeouts + self.service_errors

    @property
    def errors(self) -> int:
        """Failed requests plus conversations that went the wrong way."""
        return self.request_errors + self.wrong_flow

    @property
    def throughput(self) -> float:
        return self.answered / self.wall_s if self.wall_s else 0.0

    def _per_message_ms(self, seconds: float | None) -> float | None:
        return 1000 * seconds / self.answered if seconds is not None and self.answered else None

    def summary(self) -> Dict[str, Any]:
        data = asdict(self)
        del data["latencies_ms"], data["step_latencies_ms"]
        data["p50_ms_by_step"] = {
            step: percentile(values, 50) for step, values in self.step_latencies_ms.items()
        }
        data["failed_steps"] = dict(self.failed_steps)
        data.update(
            p50_ms=percentile(self.latencies_ms, 50),
            p95_ms=percentile(self.latencies_ms, 95),
            p99_ms=percentile(self.latencies_ms, 99),
            mean_ms=sum(self.latencies_ms) / len(self.latencies_ms) if self.latencies_ms else None,
            max_ms=max(self.latencies_ms) if self.latencies_ms else None,
            throughput_msg_s=self.throughput,
            request_errors=self.request_errors,
            errors=self.errors,
            server_cpu_ms_per_msg=self._per_message_ms(self.server_cpu_s),
            action_cpu_ms_per_msg=self._per_message_ms(self.action_cpu_s),
        )
        return data


async def _send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> tuple[int, Any]:
    async with session.post(url, json={"sender": sender, "message": text}) as reply:
        if reply.status != 200:
            return reply.status, await reply.text()
        return reply.status, await reply.json(content_type=None)


async def _conversation(
    session: aiohttp.ClientSession,
    url: str,
    conversation: Conversation,
    checker: ReplyChecker,
    result: PhaseResult,
    on_message: Callable[[], None],
) -> None:
    """Send every turn; a real user keeps typing, so a wrong turn does not stop the script."""
    failed_step: str | None = None
    got_reference = False
    for turn in conversation.turns:
        started = time.perf_counter()
        result.messages_sent += 1
        problem: str | None
        try:
            status, body = await _send(session, url, conversation.sender, turn.text)
        except asyncio.TimeoutError:
            result.timeouts += 1
            problem = "timeout"
        except aiohttp.ClientError:
            result.exceptions += 1
            problem = "exception"
        else:
            if status != 200:
                result.http_errors += 1
                problem = f"HTTP {status}"
            else:
                result.answered += 1
                latency = 1000 * (time.perf_counter() - started)
                result.latencies_ms.append(latency)
                result.step_latencies_ms.setdefault(turn.step, []).append(latency)
                texts = (
                    [m.get("text") for m in body if isinstance(m, dict)]
                    if isinstance(body, list)
                    else []
                )
                if SERVICE_ERROR_TEXT in texts:
                    result.service_errors += 1
                if turn.needs_reference:
                    got_reference = bool(REFERENCE_RE.search(" ".join(map(str, texts))))
                problem = checker.problem(turn, body)
        on_message()
        if problem and failed_step is None:
            failed_step = f"{turn.step}: {problem}"
    if failed_step:
        result.wrong_flow += 1
        result.failed_steps[failed_step] += 1
    if not got_reference:
        result.missing_reference += 1


async def run_phase(
    base_url: str,
    name: str,
    conversations: Sequence[Conversation],
    concurrency: int,
    checker: ReplyChecker,
    timeout_s: float,
    on_message: Callable[[], None] = lambda: None,
) -> PhaseResult:
    """Run the conversations ``concurrency`` at a time and measure every request."""
    result = PhaseResult(name=name, concurrency=concurrency, conversations=len(conversations))
    pending = list(reversed(conversations))
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while pending:
                await _conversation(
                    session, base_url + REST_PATH, pending.pop(), checker, result, on_message
                )

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result
