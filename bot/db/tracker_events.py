"""Rasa's tracker-store table ``events`` and the row Rasa writes for an event, defined once.

Rasa 3.6 declares the table as ``rasa.core.tracker_store.SQLTrackerStore.SQLEvent`` and writes
one row per event in ``SQLTrackerStore.save``. Several parts of ours read or write that table
directly: the tracker cache inserts the rows Rasa would (``bot/tracker_cache.py``), the staff
console reads it (``bot/web/staff/tracker.py``), erasure and retention delete from it and the
minimal transcripts rewrite its ``data`` (``bot/privacy/``), and the test data fills it
(``tests/support/sample_data.py``). They all take the table and the row format from here, so a
change in Rasa's schema is one change; ``tests/db/test_tracker_events.py`` checks both against
Rasa's own definition and ``save``.

No Rasa import: the web app and the staff console do not load Rasa.
"""

from __future__ import annotations

import json
from typing import Any, Dict

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, select
from sqlalchemy.engine import Connection, Engine

TABLE_NAME = "events"

metadata = MetaData()
#: The same columns as Rasa's ``SQLEvent`` (SQLAlchemy Core, so it works on SQLite and
#: PostgreSQL alike). ``id`` is the order of events; ``sender_id`` is indexed; ``data`` holds
#: the event's JSON. Rasa's optional sequence on ``id`` is for Oracle only.
events = Table(
    TABLE_NAME,
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def row(sender_id: str, event: Any) -> Dict[str, Any]:
    """The row ``SQLTrackerStore.save`` writes for ``event`` (same columns, same JSON)."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def exists(connection: Connection) -> bool:
    """Whether the table is there yet (Rasa creates it when its tracker store first starts)."""
    return connection.dialect.has_table(connection, TABLE_NAME)


def has_table(engine: Engine) -> bool:
    """:func:`exists` on a connection of its own."""
    with engine.connect() as connection:
        return exists(connection)


def max_id(connection: Connection) -> int:
    """The newest event's id; 0 with no events, or no table yet."""
    if not exists(connection):
        return 0
    return connection.execute(select(func.max(events.c.id))).scalar() or 0
