"""Erase one person: their treatment request(s) and every event of their conversations.

Rasa 3.6 has no delete API for trackers, so the rows of its SQL tracker store (table ``events``,
indexed by ``sender_id``) are deleted directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import text

from bot import settings
from bot.db.engine import get_engine, session_factory
from bot.db.requests import erase_sender


@dataclass(frozen=True)
class ErasureResult:
    requests: int
    events: int


def erase_conversation(sender_id: str, tracker_url: Optional[str] = None) -> int:
    """Delete the tracker-store events of ``sender_id``; 0 if the store has no table yet."""
    engine = get_engine(tracker_url or settings.load().tracker_database_url)
    with engine.begin() as connection:
        if not engine.dialect.has_table(connection, "events"):
            return 0
        result = connection.execute(
            text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id}
        )
        return result.rowcount or 0


def erase_person(
    sender_id: str, database_url: Optional[str] = None, tracker_url: Optional[str] = None
) -> ErasureResult:
    """Delete the requests and the conversation of ``sender_id``."""
    requests = erase_sender(session_factory(database_url), sender_id)
    events = erase_conversation(sender_id, tracker_url)
    return ErasureResult(requests=requests, events=events)
