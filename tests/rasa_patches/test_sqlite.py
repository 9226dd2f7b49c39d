"""The SQLite tracker store: a pool that keeps its connections (``sqlite-pool``) and WAL on its
own engine only (``sqlite-wal``)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rasa.core import tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from tests.rasa_patches.helpers import patched


async def test_sqlite_tracker_store_keeps_its_connections(tmp_path) -> None:
    from sqlalchemy.pool import QueuePool

    original = tracker_store.create_engine_kwargs
    with patched("sqlite-pool"):
        store = tracker_store.SQLTrackerStore(
            Domain.empty(), host=f"sqlite:///{tmp_path / 'tracker.db'}"
        )
        assert isinstance(store.engine.pool, QueuePool)
        tracker = DialogueStateTracker.from_events("s1", [UserUttered("hello")])
        await store.save(tracker)
        retrieved = await store.retrieve("s1")
        assert [e.text for e in retrieved.events if isinstance(e, UserUttered)] == ["hello"]
    assert tracker_store.create_engine_kwargs is original


def pragmas(engine: sa.engine.Engine) -> tuple:
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    return journal, synchronous


def test_wal_is_set_on_the_tracker_stores_engine_only(tmp_path: Path) -> None:
    with patched("sqlite-wal", "sqlite-pool"):
        store = tracker_store.SQLTrackerStore(
            Domain.empty(), host=f"sqlite:///{tmp_path / 'tracker.db'}"
        )
        other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
        assert pragmas(store.engine) == ("wal", 1)  # 1: NORMAL
        assert pragmas(other) == ("delete", 2)  # SQLite's defaults: no listener on this engine
        other.dispose()
    plain = tracker_store.SQLTrackerStore(Domain.empty(), host=f"sqlite:///{tmp_path / 'p.db'}")
    assert pragmas(plain.engine) == ("delete", 2)  # undone
