"""Bounded work per visitor, for every channel: a few messages in flight, a few per minute.

Rasa 3.6 queues every message it is given: each waits for its conversation's lock (polling it
once a second) and all of them hold memory and CPU while they wait. One socket.io client that
sent 1,000 small messages kept the server at 100 % CPU, other visitors' requests timed out and
most of the queued messages were never answered (``LockError``).

So each channel asks a ``VisitorLimits`` before it hands a message to Rasa. A message is let
through only while each of its keys (the conversation, and for socket.io also the socket)

- has fewer than ``MAX_IN_FLIGHT_PER_SENDER`` messages being handled (default 3), and
- had fewer than ``MAX_MESSAGES_PER_MINUTE`` messages let through in the last 60 s (default 30).

Anything beyond is dropped, not queued. The first dropped message of a key gets one polite
``PLEASE_WAIT_TEXT`` reply; further drops within the same minute get nothing (a flood of
replies would be a flood too). 0 turns a limit off. The counts live in each Rasa process:
with ``RASA_WORKERS=2`` a REST sender whose requests reach both workers gets twice the budget.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Awaitable, Callable, Deque, Dict, Iterable, Optional

from bot import settings

logger = logging.getLogger(__name__)

#: The one reply to a message that was dropped because its sender sends too much too fast.
#: (A constant for now; it can move to domain.yml as a response.) No figures: it must stay
#: true whatever the limits are set to.
PLEASE_WAIT_TEXT = (
    "You are sending messages faster than I can answer. Please wait for my reply, "
    "then send your next message."
)
#: Seconds over which ``max_per_minute`` is counted.
WINDOW_SECONDS = 60.0


class Verdict(Enum):
    """What to do with one incoming message."""

    ACCEPT = "accept"  # hand it to Rasa, then call ``done``
    NOTIFY = "notify"  # drop it and send PLEASE_WAIT_TEXT once
    DROP = "drop"  # drop it silently (the sender was told within the last minute)


@dataclass
class _Usage:
    in_flight: int = 0
    accepted: Deque[float] = field(default_factory=deque)
    noticed_at: Optional[float] = None


class VisitorLimits:
    """In-flight and per-minute counts per key (a conversation id, a socket id)."""

    def __init__(
        self,
        max_in_flight: int,
        max_per_minute: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.max_per_minute = max_per_minute
        self.window = window
        self.clock = clock
        self._usage: Dict[str, _Usage] = {}
        self._last_sweep = clock()

    @classmethod
    def from_settings(cls) -> VisitorLimits:
        config = settings.load()
        return cls(config.max_in_flight_per_sender, config.max_messages_per_minute)

    def _blocked(self, usage: _Usage, now: float) -> bool:
        while usage.accepted and usage.accepted[0] <= now - self.window:
            usage.accepted.popleft()
        return (0 < self.max_in_flight <= usage.in_flight) or (
            0 < self.max_per_minute <= len(usage.accepted)
        )

    def admit(self, *keys: str) -> Verdict:
        """Whether a message for ``keys`` may go on; an accepted one must be ``done`` later."""
        now = self.clock()
        self._sweep(now)
        unique = list(dict.fromkeys(keys))
        usages = [self._usage.setdefault(key, _Usage()) for key in unique]
        blocked = [usage for usage in usages if self._blocked(usage, now)]
        if not blocked:
            for usage in usages:
                usage.in_flight += 1
                usage.accepted.append(now)
            return Verdict.ACCEPT
        if any(u.noticed_at is not None and now - u.noticed_at < self.window for u in blocked):
            return Verdict.DROP
        for usage in blocked:
            usage.noticed_at = now
        return Verdict.NOTIFY

    def done(self, *keys: str) -> None:
        """An accepted message for ``keys`` has been handled (or failed)."""
        for key in dict.fromkeys(keys):
            usage = self._usage.get(key)
            if usage is not None and usage.in_flight > 0:
                usage.in_flight -= 1

    def _sweep(self, now: float) -> None:
        """Forget keys with nothing in flight and nothing within the window (once a window)."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        horizon = now - self.window
        for key in [
            key
            for key, usage in self._usage.items()
            if usage.in_flight == 0
            and (not usage.accepted or usage.accepted[-1] <= horizon)
            and (usage.noticed_at is None or usage.noticed_at <= horizon)
        ]:
            del self._usage[key]

    def __len__(self) -> int:
        return len(self._usage)

    async def run(
        self,
        keys: Iterable[str],
        handle: Callable[[], Awaitable[object]],
        notify: Callable[[str], Awaitable[object]],
    ) -> Verdict:
        """``handle()`` if ``keys`` are within their limits; else ``notify(PLEASE_WAIT_TEXT)``
        once and drop the message. Returns what was done."""
        held = tuple(keys)  # read twice (admit, done): a generator would be empty the second time
        verdict = self.admit(*held)
        if verdict is Verdict.ACCEPT:
            try:
                await handle()
            finally:
                self.done(*held)
        elif verdict is Verdict.NOTIFY:
            logger.info("message dropped: its sender is over the message limits")
            try:
                await notify(PLEASE_WAIT_TEXT)
            except Exception as error:  # the notice is a courtesy; never fail the request
                logger.warning("please-wait notice failed: %s", type(error).__name__)
        return verdict
