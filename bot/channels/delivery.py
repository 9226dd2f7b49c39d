"""Telegram and Messenger updates: answered at once, stored before replying, replies retried.

Rasa 3.6 sends each reply from inside the turn and saves the conversation only afterwards, and
the messenger channels handled the turn before they answered the webhook. So a reply that could
not be sent (the platform down, a network error) raised out of the turn: the webhook still said
200, the platform did not deliver again, and the tracker held nothing of the patient's message;
staff never saw it. A Messenger batch of 50 took 15 s to answer (Meta expects a 200 within
seconds and delivers again otherwise).

Here, for both channels:

- :class:`BackgroundHandler.offer` runs in the webhook after its secret or signature check. It
  drops platform redeliveries (Telegram ``update_id``, Messenger ``mid``, :class:`RecentIds`),
  asks the visitor limits (``bot/channels/limits.py``) and queues the message; the webhook then
  answers 200. Only when the channel's queue is full does it answer 503, so the platform
  delivers again later (the messages already queued are then skipped as duplicates).
- :class:`SenderQueues` runs the queued work with a fixed number of worker tasks, one message of
  a conversation at a time and in order, while other conversations go on.
- A message is handled by Rasa with a :class:`RecordingOutput`: Rasa's turn, the patient's
  message and every reply, is saved in the tracker before anything is sent.
- The replies are then sent; each platform call is retried (:func:`with_retries`) on network
  errors, timeouts, HTTP 5xx and 429, with exponential backoff, a few times within
  ``CHANNEL_SEND_DEADLINE_SECONDS``; other 4xx are final at once.
- A reply that is finally not sent (and the ones after it in that turn, which are not tried) is
  recorded in the conversation as an ``agent`` event (:func:`failure_event`, no text), which the
  staff transcript shows as "not delivered". Logs carry error types and status codes only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Awaitable, Callable, Deque, Dict, List, Optional, TypeVar

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import AgentUttered

from bot import settings
from bot.channels.limits import PLEASE_WAIT_TEXT, Verdict, VisitorLimits
from bot.channels.text import SERVICE_ERROR_TEXT

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: ``data["delivery"]`` of the ``agent`` event that records replies not delivered.
DELIVERY_FAILED = "failed"
#: Platform update ids remembered to drop redeliveries (Telegram retries for about a day).
MAX_REMEMBERED_IDS = 10_000
#: The pause before a retry is the backoff times 1-1.25 (so retries of many chats spread out).
JITTER = 0.25
#: An attempt with less time than this left before the deadline is not started.
MIN_ATTEMPT_SECONDS = 0.5


class PlatformError(Exception):
    """The platform answered a call with an HTTP error (``status``); never holds message text."""

    def __init__(self, status: int, retry_after: float | None = None, code: object = None):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.code = code


class DeliveryFailed(Exception):
    """A platform call given up after ``attempts`` tries; ``reason`` is safe to log and store."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(f"{reason} after {attempts} attempt(s)")
        self.reason = reason
        self.attempts = attempts


def is_retryable(error: BaseException) -> bool:
    """Network errors, timeouts, HTTP 5xx and 429 may pass; other HTTP errors will not."""
    if isinstance(error, PlatformError):
        return error.status >= 500 or error.status == 429
    return isinstance(error, (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError))


def reason_of(error: BaseException) -> str:
    """What went wrong, without anything the error message might carry."""
    if isinstance(error, PlatformError):
        return f"HTTP {error.status}" + (f" code {error.code}" if error.code is not None else "")
    if isinstance(error, DeliveryFailed):
        return error.reason
    return type(error).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one platform call is tried (the ``CHANNEL_SEND_*`` settings)."""

    attempts: int
    backoff: float
    timeout: float
    deadline: float

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        config = settings.load()
        return cls(
            attempts=config.channel_send_attempts,
            backoff=config.channel_send_backoff_seconds,
            timeout=config.channel_send_timeout_seconds,
            deadline=config.channel_send_deadline_seconds,
        )

    def pause(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
        return self.backoff * 2 ** (attempt - 1) * (1 + random.uniform(0, JITTER))


async def with_retries(
    call: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``call(timeout)`` until it succeeds; raises :class:`DeliveryFailed` when it will not.

    ``timeout`` is the seconds this attempt may take: the policy's, or less near the deadline.
    """
    start = clock()
    attempt = 0
    while True:
        attempt += 1
        limit = min(policy.timeout, policy.deadline - (clock() - start))
        try:
            return await asyncio.wait_for(call(limit), limit)
        except Exception as error:
            reason = reason_of(error)
            pause = policy.pause(attempt)
            if isinstance(error, PlatformError) and error.retry_after:
                pause = max(pause, error.retry_after)
            left = policy.deadline - (clock() - start) - pause
            if not is_retryable(error) or attempt >= policy.attempts or left < MIN_ATTEMPT_SECONDS:
                logger.warning("%s failed: %s (attempt %d, giving up)", what, reason, attempt)
                raise DeliveryFailed(reason, attempt) from error
            logger.info("%s failed: %s (attempt %d, again in %.1f s)", what, reason, attempt, pause)
            await asyncio.sleep(pause)


class RecordingOutput(CollectingOutputChannel):
    """Takes Rasa's replies during the turn instead of sending them; named like the channel
    (Rasa picks channel-specific response variations by ``name()``)."""

    def __init__(self, channel_name: str) -> None:
        super().__init__()
        self.channel_name = channel_name

    def name(self) -> str:
        return self.channel_name

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.messages.append({**message, "recipient_id": recipient_id})


@dataclass
class Outcome:
    """What became of a turn's replies."""

    sent: int
    total: int
    #: Timestamps of the replies' ``bot`` events that did not reach the patient.
    undelivered: List[float]
    reason: str | None = None
    attempts: int = 0


async def send_recorded(output: OutputChannel, messages: List[Dict[str, Any]]) -> Outcome:
    """Send the replies in order; after one that fails for good, the rest are not tried."""
    for index, recorded in enumerate(messages):
        message = dict(recorded)
        recipient_id = message.pop("recipient_id")
        try:
            await output.send_response(recipient_id, message)
        except Exception as error:
            stamps = [m["timestamp"] for m in messages[index:] if m.get("timestamp") is not None]
            attempts = error.attempts if isinstance(error, DeliveryFailed) else 1
            return Outcome(index, len(messages), stamps, reason_of(error), attempts)
    return Outcome(len(messages), len(messages), [])


def failure_event(channel: str, outcome: Outcome) -> AgentUttered:
    """The conversation's record of replies that were not delivered (no text: the replies
    themselves are the ``bot`` events with these timestamps)."""
    return AgentUttered(
        text=None,
        data={
            "delivery": DELIVERY_FAILED,
            "channel": channel,
            "reason": outcome.reason,
            "attempts": outcome.attempts,
            "replies": outcome.total,
            "delivered": outcome.sent,
            "undelivered": outcome.undelivered,
        },
    )


async def record_in_conversation(agent: Any, sender_id: str, event: Any) -> bool:
    """Append ``event`` to the conversation, under its lock like a Rasa turn."""
    tracker_store = getattr(agent, "tracker_store", None)
    lock_store = getattr(agent, "lock_store", None)
    if tracker_store is None or lock_store is None:
        return False
    async with lock_store.lock(sender_id):
        tracker = await tracker_store.retrieve(sender_id)
        if tracker is None:
            return False
        tracker.update(event)
        await tracker_store.save(tracker)
    return True


class RecentIds:
    """The last ``size`` platform update ids seen, to handle each delivery once."""

    def __init__(self, size: int = MAX_REMEMBERED_IDS) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, update_id: str) -> bool:
        return update_id in self._ids

    def add(self, update_id: str) -> None:
        self._ids[update_id] = None
        self._ids.move_to_end(update_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)


Job = Callable[[], Awaitable[object]]


class SenderQueues:
    """At most ``max_pending`` jobs, run by ``workers`` tasks; one job per key at a time, in
    the order given, so a conversation's messages keep their order and a slow one (a reply
    being retried) holds up only its own conversation and one worker."""

    def __init__(self, workers: int, max_pending: int) -> None:
        self.workers = workers
        self.max_pending = max_pending
        self._jobs: Dict[str, Deque[Job]] = {}
        #: Keys with a job to run and no worker on them (each key at most once).
        self._ready: Optional[asyncio.Queue[str]] = None
        self._pending = 0
        self._tasks: List[asyncio.Task] = []

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return self._pending

    def full(self) -> bool:
        return self._pending >= self.max_pending

    def submit(self, key: str, job: Job, force: bool = False) -> bool:
        """Queue ``job`` behind ``key``'s others; ``False`` (nothing queued) when full.

        ``force``: queue it even when full (the replies of a turn already taken; the webhook
        takes nothing new while this queue is full, so it overshoots by at most the turns).
        """
        if self.full() and not force:
            return False
        ready = self._start()
        self._pending += 1
        queue = self._jobs.get(key)
        if queue is None:
            self._jobs[key] = deque([job])
            ready.put_nowait(key)
        else:  # the key is queued or running; its worker takes this job after the others
            queue.append(job)
        return True

    def _start(self) -> asyncio.Queue[str]:
        """The workers, started in the running loop on first use."""
        if self._ready is None or not any(not task.done() for task in self._tasks):
            self._ready = asyncio.Queue()
            for key in self._jobs:  # left by workers of a loop that is gone
                self._ready.put_nowait(key)
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._work(self._ready)) for _ in range(self.workers)]
        return self._ready

    async def _work(self, ready: asyncio.Queue[str]) -> None:
        while True:
            key = await ready.get()
            queue = self._jobs[key]
            try:
                await queue[0]()
            except Exception as error:  # a job logs its own failures; this is the last guard
                logger.error("channel job failed: %s", type(error).__name__)
            finally:
                queue.popleft()
                self._pending -= 1
                if queue:
                    ready.put_nowait(key)  # behind the other conversations: fair
                else:
                    del self._jobs[key]

    async def idle(self) -> None:
        """Wait until nothing is queued or running."""
        while self._pending:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop the workers (what is still queued is dropped)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._ready = None


class Offer(Enum):
    """What the webhook does with one incoming message."""

    QUEUED = "queued"  # handled in the background (or dropped by the visitor limits)
    DUPLICATE = "duplicate"  # a redelivery of an update already taken: nothing to do
    FULL = "full"  # the queue is full: answer 503 so the platform delivers it again


class BackgroundHandler:
    """One channel's background work in two stages, each a :class:`SenderQueues`:

    - ``turns``: Rasa handles the message and saves the turn (quick: no network),
    - ``sends``: the turn's replies go to the platform, with retries, in the conversation's order.

    So a platform that is down slows only the sending: later messages are still handled and
    stored at once. The webhook takes no more while either stage is full (503).
    """

    def __init__(
        self,
        channel_name: str,
        limits: VisitorLimits,
        policy: RetryPolicy | None = None,
        workers: int | None = None,
        max_pending: int | None = None,
    ) -> None:
        config = settings.load()
        self.channel_name = channel_name
        self.limits = limits
        self.policy = policy or RetryPolicy.from_settings()
        workers = workers or config.channel_workers
        max_pending = max_pending or config.channel_queue_limit
        self.turns = SenderQueues(workers, max_pending)
        self.sends = SenderQueues(workers, max_pending)
        self.recent = RecentIds()

    def offer(
        self,
        update_id: str | None,
        message: UserMessage,
        agent: Callable[[], Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        output: OutputChannel,
        before: Callable[[], Awaitable[object]] | None = None,
    ) -> Offer:
        """Queue ``message`` (its output channel is replaced by a :class:`RecordingOutput`).

        Runs without awaiting anything, so the checks and the queueing are one step.
        ``agent()`` gives the Rasa agent at the time of recording (a model reload replaces it).
        """
        if update_id is not None and update_id in self.recent:
            logger.info("%s redelivery of an update already taken: skipped", self.channel_name)
            return Offer.DUPLICATE
        if self.turns.full() or self.sends.full():
            logger.warning("%s queue full: the platform will deliver again", self.channel_name)
            return Offer.FULL
        sender_id = message.sender_id
        verdict = self.limits.admit(sender_id)
        if update_id is not None:
            self.recent.add(update_id)
        if verdict is Verdict.ACCEPT:

            async def turn() -> None:
                try:
                    await self._turn(message, agent, on_new_message, output, before)
                finally:
                    self.limits.done(sender_id)

            self.turns.submit(sender_id, turn)
        elif verdict is Verdict.NOTIFY:
            logger.info("message dropped: its sender is over the message limits")
            # Its own key: the notice need not wait for the sender's replies being sent.
            notice = partial(self._notice, output, sender_id, PLEASE_WAIT_TEXT)
            self.sends.submit(f"{sender_id}\0notice", notice)
        return Offer.QUEUED

    async def _turn(
        self,
        message: UserMessage,
        agent: Callable[[], Any],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        output: OutputChannel,
        before: Callable[[], Awaitable[object]] | None,
    ) -> None:
        """Rasa's turn, saved before this returns; then the replies are queued for sending."""
        sender_id = message.sender_id
        if before is not None:  # stops a button's spinner
            acknowledge = partial(self._notice, output, sender_id, None, before)
            self.sends.submit(sender_id, acknowledge, True)
        recording = RecordingOutput(output.name())
        message.output_channel = recording
        try:
            await on_new_message(message)
        except Exception as error:
            logger.error("%s message failed: %s", self.channel_name, type(error).__name__)
            notice = partial(self._notice, output, sender_id, SERVICE_ERROR_TEXT)
            self.sends.submit(sender_id, notice, True)
            return
        if recording.messages:
            send = partial(self._send, recording.messages, agent, sender_id, output)
            self.sends.submit(sender_id, send, True)

    async def _send(
        self,
        replies: List[Dict[str, Any]],
        agent: Callable[[], Any],
        sender_id: str,
        output: OutputChannel,
    ) -> None:
        outcome = await send_recorded(output, replies)
        if outcome.reason is None:
            return
        name = self.channel_name
        recorded = await record_in_conversation(agent(), sender_id, failure_event(name, outcome))
        logger.warning(
            "%s: %d of %d replies not delivered (%s, %d attempts)%s",
            name,
            outcome.total - outcome.sent,
            outcome.total,
            outcome.reason,
            outcome.attempts,
            "; recorded in the conversation" if recorded else "; could not be recorded",
        )

    async def _notice(
        self,
        output: OutputChannel,
        sender_id: str,
        text: str | None,
        call: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """A message outside the conversation (please wait, service error) or another platform
        call (stopping a button's spinner): a courtesy, so a failure is only logged."""
        try:
            await (call() if call is not None else output.send_text_message(sender_id, text))
        except Exception as error:
            logger.warning("%s notice failed: %s", self.channel_name, reason_of(error))

    async def idle(self) -> None:
        """Wait until every taken update is handled and its replies are sent (or given up)."""
        while self.turns.pending or self.sends.pending:
            await self.turns.idle()
            await self.sends.idle()

    async def close(self) -> None:
        """At server stop: let the taken updates finish, for up to one send deadline and one
        try, then stop the workers."""
        try:
            await asyncio.wait_for(self.idle(), self.policy.deadline + self.policy.timeout)
        except asyncio.TimeoutError:
            logger.warning(
                "%s stopped with %d messages and %d replies not handled",
                self.channel_name,
                self.turns.pending,
                self.sends.pending,
            )
        await self.turns.stop()
        await self.sends.stop()
