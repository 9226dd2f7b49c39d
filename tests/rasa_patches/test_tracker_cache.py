"""The tracker-store session cache (``tracker-cache``) never serves a stale conversation.

Two stores on one database stand in for two workers or servers; a raw DELETE stands in for
an erasure. Rows written through the cache must be the rows Rasa writes itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest
import sqlalchemy as sa
from rasa.core import tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_patches
from bot.rasa_patches import tracker_cache
from bot.settings import Settings
from tests.rasa_patches.helpers import patched

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  email:
    type: text
    mappings: [{type: custom}]
"""
)


@pytest.fixture()
def cached() -> Iterator[None]:
    with patched("tracker-cache"):
        yield


def without_the_cache() -> None:
    rasa_patches.undo("tracker-cache")


def with_the_cache() -> None:
    rasa_patches.apply(Settings(), only=["tracker-cache"])


def store_at(url: str) -> tracker_store.SQLTrackerStore:
    return tracker_store.SQLTrackerStore(DOMAIN, host=url)


def make_store(path: Path) -> tracker_store.SQLTrackerStore:
    return store_at(f"sqlite:///{path}")


def rows(path: Path) -> List[Tuple]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        result = connection.execute(
            sa.text(
                "SELECT sender_id, type_name, intent_name, action_name, data "
                "FROM events ORDER BY id"
            )
        )
        return [tuple(row) for row in result]


def turn(text: str, email: str | None = None) -> list:
    events = [UserUttered(text, {"name": "greet", "confidence": 1.0})]
    if email:
        events.append(SlotSet("email", email))
    events += [ActionExecuted("utter_greet"), BotUttered("hi"), ActionExecuted("action_listen")]
    return events


async def talk(store: tracker_store.SQLTrackerStore, sender: str, text: str, **slot) -> None:
    tracker = await store.retrieve(sender)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(
            sender,
            [ActionExecuted("action_session_start"), SessionStarted()],
            DOMAIN.slots,
        )
    for event in turn(text, **slot):
        tracker.update(event)
    await store.save(tracker)


async def test_retrieve_after_save_comes_from_the_cache(tmp_path, cached) -> None:
    store = make_store(tmp_path / "t.db")
    await talk(store, "s1", "hello")
    await talk(store, "s1", "again", email="a@b.example")  # the first save drops the entry
    cache = tracker_cache._cache(store)
    entry = cache.get("s1")
    assert entry is not None
    tracker = await store.retrieve("s1")
    assert tracker.events[0] is entry.events[0]  # shared objects, not a reload
    assert tracker.get_slot("email") == "a@b.example"
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hello", "again"]


async def test_rows_are_the_ones_rasa_writes(tmp_path, cached) -> None:
    async def conversation(store: tracker_store.SQLTrackerStore) -> None:
        for text in ("one", "two", "three"):
            await talk(store, "s1", text, email=f"{text}@b.example")

    await conversation(make_store(tmp_path / "ours.db"))
    without_the_cache()
    try:
        await conversation(make_store(tmp_path / "rasa.db"))
    finally:
        with_the_cache()
    ours, rasas = rows(tmp_path / "ours.db"), rows(tmp_path / "rasa.db")
    assert len(ours) == len(rasas) > 10
    # The event JSON holds timestamps, which differ between the runs; the rest must match.
    assert [row[:4] for row in ours] == [row[:4] for row in rasas]
    assert [json.loads(row[4])["event"] for row in ours] == [
        json.loads(row[4])["event"] for row in rasas
    ]


async def test_another_worker_writing_is_noticed(tmp_path, cached) -> None:
    path = tmp_path / "t.db"
    first, second = make_store(path), make_store(path)
    await talk(first, "s1", "hello")
    await talk(first, "s1", "from first")
    assert tracker_cache._cache(first).get("s1") is not None
    await talk(second, "s1", "from second", email="x@y.example")  # first's cache is now old
    tracker = await first.retrieve("s1")
    texts = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert texts == ["hello", "from first", "from second"]
    assert tracker.get_slot("email") == "x@y.example"


def user_texts(tracker: DialogueStateTracker) -> List[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


async def test_erased_and_begun_again_elsewhere_is_not_served_from_the_cache(
    tmp_path, cached
) -> None:
    """SQLite reuses the ids of deleted newest rows: the newest id alone looked unchanged."""
    path = tmp_path / "t.db"
    first, second = make_store(path), make_store(path)
    await talk(first, "s1", "hello")
    await talk(first, "s1", "my email", email="old@b.example")
    assert tracker_cache._cache(first).get("s1") is not None
    with second.engine.begin() as connection:  # erased on the other server
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 's1'"))
    await talk(second, "s1", "new start")  # the same rows again, with the same ids
    await talk(second, "s1", "new email", email="new@b.example")
    tracker = await first.retrieve("s1")
    assert user_texts(tracker) == ["new start", "new email"]
    assert tracker.get_slot("email") == "new@b.example"


async def write_between_retrieve_and_save(url: str) -> None:
    """Another process writes while this one holds the tracker (no shared lock, or it expired)."""
    first, second = store_at(url), store_at(url)
    await talk(first, "s1", "hello")
    await talk(first, "s1", "again")
    held = await first.retrieve("s1")  # from the cache
    await talk(second, "s1", "from second", email="x@y.example")
    for event in turn("from first"):
        held.update(event)
    await first.save(held)
    without_the_cache()
    try:  # what the database holds, read the way Rasa reads it
        stored = await store_at(url).retrieve("s1")
    finally:
        with_the_cache()
    tracker = await first.retrieve("s1")
    assert user_texts(tracker) == user_texts(stored)
    assert "from second" in user_texts(tracker)


async def test_a_write_between_retrieve_and_save_is_not_hidden(tmp_path, cached) -> None:
    await write_between_retrieve_and_save(f"sqlite:///{tmp_path / 't.db'}")


async def test_a_write_between_retrieve_and_save_is_not_hidden_on_postgresql(
    postgres_url, cached
) -> None:
    await write_between_retrieve_and_save(postgres_url)


async def test_erased_conversation_is_gone(tmp_path, cached) -> None:
    path = tmp_path / "t.db"
    store = make_store(path)
    await talk(store, "s1", "hello")
    await talk(store, "s1", "my email", email="a@b.example")
    assert await store.retrieve("s1") is not None
    with store.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 's1'"))
    assert await store.retrieve("s1") is None
    assert tracker_cache._cache(store).get("s1") is None


async def test_new_session_follows_rasas_session_query(tmp_path, cached) -> None:
    store = make_store(tmp_path / "t.db")
    await talk(store, "s1", "old session")
    await talk(store, "s1", "still old")
    tracker = await store.retrieve("s1")
    for event in [ActionExecuted("action_session_start"), SessionStarted(), *turn("new")]:
        tracker.update(event)
    await store.save(tracker)
    assert tracker_cache._cache(store).get("s1") is None
    reloaded = await store.retrieve("s1")
    assert [e.text for e in reloaded.events if isinstance(e, UserUttered)] == ["new"]


async def test_cache_size_zero_turns_it_off(tmp_path, cached, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_CACHE_SIZE", "0")
    store = make_store(tmp_path / "t.db")
    for text in ("a", "b", "c"):
        await talk(store, "s1", text)
    assert len(tracker_cache._cache(store)) == 0
    tracker = await store.retrieve("s1")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["a", "b", "c"]


def test_least_recently_used_conversations_leave_first() -> None:
    cache = tracker_cache.SessionCache(2)
    for name in ("a", "b"):
        cache.put(name, tracker_cache.CachedSession(tracker_cache.Stamp(1, 1, 0.0), ()))
    cache.get("a")
    cache.put("c", tracker_cache.CachedSession(tracker_cache.Stamp(1, 1, 0.0), ()))
    assert cache.get("b") is None
    assert cache.get("a") is not None and cache.get("c") is not None
