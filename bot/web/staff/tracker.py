"""Read Rasa's SQL tracker store (table ``events``) without importing Rasa.

The table and its columns are defined once, in ``bot.db.tracker_events``; queries here are
SQLAlchemy Core, so they work on SQLite and PostgreSQL alike. ``id`` is the reliable order of
events; ``sender_id`` is indexed; ``data`` holds the event's JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Set

from sqlalchemy import Text, and_, case, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.expression import ColumnElement

from bot.db.tracker_events import events, has_table
from bot.i18n.conversation import LANGUAGE_SLOT

#: Events that open a conversation session (the custom ``action_session_start`` runs first and
#: emits ``session_started`` after its disclaimer, Rasa's default emits it first).
SESSION_START_ACTION = "action_session_start"
SESSION_STARTED = "session_started"


@dataclass(frozen=True)
class Event:
    """One row of ``events``; ``data`` is parsed only where it was fetched."""

    id: int
    sender_id: str
    type_name: str
    timestamp: float | None
    intent_name: str | None
    action_name: str | None
    data: Dict[str, Any]

    @property
    def starts_session(self) -> bool:
        return self.type_name == SESSION_STARTED or (
            self.type_name == "action" and self.action_name == SESSION_START_ACTION
        )


def _parse(raw: str | None) -> Dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _event(row: Sequence[Any]) -> Event:
    """An ``events`` row, its seven columns in the table's order, with ``data`` parsed."""
    event_id, sender_id, type_name, timestamp, intent_name, action_name, data = row
    return Event(event_id, sender_id, type_name, timestamp, intent_name, action_name, _parse(data))


def max_event_id(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.max(events.c.id))).scalar() or 0


def events_after(engine: Engine, last_id: int, limit: int) -> List[Event]:
    """Events with ``id > last_id`` in order; JSON only for user events and ``language`` slot
    events (the only ones needed).

    Leaving ``data`` of actions, bot messages and other slots in the database keeps a rebuild of
    10,000 conversations from moving and parsing several hundred megabytes.
    """
    wanted = or_(
        events.c.type_name == "user",
        and_(events.c.type_name == "slot", events.c.action_name == LANGUAGE_SLOT),
    )
    user_data: ColumnElement[Text] = case((wanted, events.c.data), else_=None)
    query = (
        select(
            events.c.id,
            events.c.sender_id,
            events.c.type_name,
            events.c.timestamp,
            events.c.intent_name,
            events.c.action_name,
            user_data,
        )
        .where(events.c.id > last_id)
        .order_by(events.c.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [_event(row) for row in connection.execute(query)]


def events_of(engine: Engine, sender_id: str) -> List[Event]:
    """Every event of one sender, in order, with its JSON (for the transcript)."""
    query = select(events).where(events.c.sender_id == sender_id).order_by(events.c.id)
    with engine.connect() as connection:
        return [_event(row) for row in connection.execute(query)]


def has_sender(engine: Engine, sender_id: str) -> bool:
    """Whether the tracker holds any event of ``sender_id`` (one index lookup)."""
    if not has_table(engine):
        return False
    query = select(events.c.id).where(events.c.sender_id == sender_id).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def sender_ids(engine: Engine) -> Set[str]:
    """Every sender with at least one event (a scan of the ``sender_id`` index)."""
    with engine.connect() as connection:
        return set(connection.execute(select(events.c.sender_id).distinct()).scalars())
