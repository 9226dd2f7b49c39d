"""``bot.db.tracker_events`` is Rasa's table and Rasa's row, not a copy that drifts from them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.db import tracker_events


def _columns(table: sa.Table) -> list:
    return [
        (c.name, type(c.type).__name__, getattr(c.type, "length", None), c.nullable, c.index)
        for c in table.columns
    ]


def test_the_table_has_rasas_columns() -> None:
    rasa_table = SQLTrackerStore.SQLEvent.__table__
    assert tracker_events.events.name == rasa_table.name == tracker_events.TABLE_NAME
    assert _columns(tracker_events.events) == _columns(rasa_table)
    assert [c.name for c in tracker_events.events.primary_key] == ["id"]


async def test_a_row_is_what_rasas_own_save_writes(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    events = [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=2.0),
        UserUttered("hi", {"name": "greet", "confidence": 0.9}, timestamp=3.0),
        ActionExecuted("utter_greet", policy="RulePolicy", confidence=1.0, timestamp=4.0),
        BotUttered("hello", {"buttons": None}, {"utter_action": "utter_greet"}, timestamp=5.0),
        ActiveLoop("treatment_request_form", timestamp=6.0),
        SlotSet("email", "a@example.org", timestamp=7.0),
    ]
    await store.save(DialogueStateTracker.from_events("s-1", events))
    with store.engine.connect() as connection:
        table = tracker_events.events
        stored = [
            dict(row._mapping)
            for row in connection.execute(
                sa.select(*[c for c in table.columns if c.name != "id"]).order_by(table.c.id)
            )
        ]
        assert tracker_events.exists(connection)
        assert tracker_events.max_id(connection) == len(events)
    assert stored == [tracker_events.row("s-1", event) for event in events]


def test_no_table_yet(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert not tracker_events.has_table(engine)
    with engine.connect() as connection:
        assert tracker_events.max_id(connection) == 0
