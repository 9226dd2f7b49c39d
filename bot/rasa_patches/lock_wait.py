"""A message waiting for its conversation's lock keeps its place until it is served.

Rasa 3.6's ticket lock (``rasa/core/lock_store.py``) gives a waiting message's ticket the same
lifetime (``TICKET_LOCK_LIFETIME``) as a held one and never renews it while the message waits.
When the holder died (a killed server) and the waiter's ticket was issued less than one poll
after the dead one, both tickets expire between two polls: the lock is left with no tickets,
``now_serving`` is 0, and the waiter polls forever. A retried message is then never answered
(tests/test_scaleout_live.py hung this way in about one run of two). The same happens when
another server's read-modify-write of the lock drops the waiter's ticket (the lock store is
not atomic), and a lock that another server deleted fails the message with ``LockError``.

Here a waiter renews its own ticket after each poll, and takes a new ticket when its own is
gone or the lock was deleted, instead of waiting for nothing or failing the message. What a
holder may take is unchanged: a dead server's ticket still expires ``TICKET_LOCK_LIFETIME``
after it was issued, and a waiter whose server died stops being renewed and expires too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, List

from bot.rasa_patches.registry import Patching

logger = logging.getLogger(__name__)


def renew(store: Any, conversation_id: str, number: int, lifetime: float) -> None:
    """Push ticket ``number``'s expiry to ``lifetime`` from now; drop expired tickets."""
    lock = store.get_lock(conversation_id)
    if lock is None:
        return
    lock.remove_expired_tickets()
    for ticket in lock.tickets:
        if ticket.number == number:
            ticket.expires = max(ticket.expires, time.time() + lifetime)
    store.save_lock(lock)


async def wait_for_turn(
    store: Any, conversation_id: str, held: List[int], lifetime: float, poll_s: float
) -> Any:
    """The lock once ``held[0]`` (this message's ticket, replaced when it is lost) is served."""
    while True:
        lock = store.get_lock(conversation_id)
        ticket = lock._ticket_for_ticket_number(held[0]) if lock is not None else None
        if ticket is None:  # expired, dropped by another server's write, or the lock deleted
            logger.info("a waiting message lost its lock ticket: it takes a new one")
            held[0] = store.issue_ticket(conversation_id, lifetime)
            continue
        if not lock.is_locked(held[0]):
            return lock
        await asyncio.sleep(poll_s)
        renew(store, conversation_id, held[0], lifetime)


def install(patching: Patching) -> None:
    """Replace ``LockStore.lock`` (every lock store inherits it) with the renewing wait."""
    from rasa.core.lock_store import LOCK_LIFETIME, LockStore

    @asynccontextmanager
    async def lock(
        self: Any,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[Any]:
        held = [self.issue_ticket(conversation_id, lock_lifetime)]
        try:
            yield await wait_for_turn(
                self, conversation_id, held, lock_lifetime, wait_time_in_seconds
            )
        finally:
            self.cleanup(conversation_id, held[0])

    patching.replace(LockStore, "lock", lock)
