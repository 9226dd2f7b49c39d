"""``lock-wait``: a message waiting behind a dead server's lock ticket is served once that
ticket expires, even when its own ticket would have expired meanwhile (the hang seen in
tests/test_scaleout_live.py)."""

from __future__ import annotations

import asyncio
import time
from typing import List

import pytest
from rasa.core.lock_store import InMemoryLockStore, LockError

from bot.rasa_patches import lock_wait
from tests.rasa_patches.helpers import patched

LIFETIME = 0.4
POLL = 0.5


def dead_holder(store: InMemoryLockStore, conversation: str) -> None:
    """A ticket issued by a server that died before it could clean up."""
    store.issue_ticket(conversation, LIFETIME)


async def served_within(store: InMemoryLockStore, conversation: str, limit: float) -> bool:
    async def take() -> None:
        async with store.lock(conversation, LIFETIME, POLL):
            pass

    try:
        await asyncio.wait_for(take(), limit)
    except asyncio.TimeoutError:
        return False
    return True


async def retried_after_a_dead_server(store: InMemoryLockStore) -> bool:
    """The waiter's ticket is issued 0.2 s after the dead one: both expire between two polls."""
    dead_holder(store, "c1")
    await asyncio.sleep(0.2)
    return await served_within(store, "c1", 3.0)


def test_without_the_patch_rasa_waits_forever_when_both_tickets_expire() -> None:
    """The bug the patch fixes (fails, and the patch may go, once Rasa handles it itself)."""
    assert asyncio.run(retried_after_a_dead_server(InMemoryLockStore())) is False


def test_with_the_patch_the_waiter_is_served_after_the_dead_ticket_expires() -> None:
    with patched("lock-wait"):
        store = InMemoryLockStore()
        started = time.monotonic()
        assert asyncio.run(retried_after_a_dead_server(store)) is True
        assert time.monotonic() - started < 1.5
        assert store.get_lock("c1") is None  # cleaned up: nobody else waits


async def holder_and_waiter(store: InMemoryLockStore, order: List[str]) -> None:
    """A live holder works 0.8 s; a waiter comes 0.05 s later with a 0.4 s ticket, polled
    every 0.3 s (without renewal its ticket expires while it waits)."""

    async def holder() -> None:
        async with store.lock("c2", 2.0, 0.3):
            order.append("holder starts")
            await asyncio.sleep(0.8)
            order.append("holder ends")

    async def waiter() -> None:
        await asyncio.sleep(0.05)
        async with store.lock("c2", LIFETIME, 0.3):
            order.append("waiter")

    await asyncio.gather(holder(), waiter())


def test_without_the_patch_a_long_wait_fails_the_waiting_message() -> None:
    with pytest.raises(LockError):
        asyncio.run(holder_and_waiter(InMemoryLockStore(), []))


def test_a_waiter_keeps_its_place_while_the_holder_works() -> None:
    """Renewed while it waits: served once the live holder finishes, not before."""
    order: List[str] = []
    with patched("lock-wait"):
        asyncio.run(holder_and_waiter(InMemoryLockStore(), order))
    assert order == ["holder starts", "holder ends", "waiter"]


def test_a_waiter_whose_lock_was_deleted_takes_a_new_ticket() -> None:
    """Rasa raises ``LockError`` here (another server's cleanup deleted the lock)."""
    store = InMemoryLockStore()
    dead_holder(store, "c3")
    held = [store.issue_ticket("c3", LIFETIME)]
    store.delete_lock("c3")
    lock = asyncio.run(lock_wait.wait_for_turn(store, "c3", held, LIFETIME, POLL))
    assert lock.now_serving == held[0]
