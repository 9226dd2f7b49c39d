"""A circuit breaker for calls to a server that may be down or stalled.

While the action server is down, every form message would otherwise wait for a refused
connection or, worse, a full timeout when the server is stalled (SIGSTOP, a deadlock): the
patient's FAQ questions inside the form would crawl too, because the form's validation runs
first. After ``failures`` consecutive failures the breaker *opens*: calls are skipped and the
caller answers at once. After ``cooldown_s`` one call is let through (*half-open*): its success
closes the breaker, its failure opens it for another cool-down. Only one call probes at a time;
the others are still skipped until it ends.

Pure and synchronous (the clock is injectable): one instance per endpoint and process, used from
one event loop.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Callable, Optional


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass
class CircuitBreaker:
    """Counts consecutive failures; see the module docstring. ``failures <= 0``: always closed."""

    failures: int
    cooldown_s: float
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    consecutive: int = 0
    opened_at: Optional[float] = None
    probing: bool = False

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return State.CLOSED
        if self.probing or self.clock() - self.opened_at >= self.cooldown_s:
            return State.HALF_OPEN
        return State.OPEN

    def allow(self) -> bool:
        """May a call go out now? (In the half-open state, True once: for the probe.)"""
        if self.opened_at is None:
            return True
        if self.probing or self.clock() - self.opened_at < self.cooldown_s:
            return False
        self.probing = True
        return True

    def success(self) -> None:
        """The server answered: close."""
        self.consecutive = 0
        self.opened_at = None
        self.probing = False

    def failure(self) -> bool:
        """The call failed; True if this opened (or re-opened) the breaker."""
        self.consecutive += 1
        was_probing, self.probing = self.probing, False
        if self.failures > 0 and (was_probing or self.consecutive >= self.failures):
            self.opened_at = self.clock()
            return True
        return False

    def abandon(self) -> None:
        """The call ended without telling (cancelled): let the next one probe."""
        self.probing = False
