"""Erase one person: their treatment request(s), every event of their conversations, and what
the staff console derived from them (conversation summary, review notes and tags).

Rasa 3.6 has no delete API for trackers, so the rows of its SQL tracker store (table ``events``,
indexed by ``sender_id``) are deleted directly. The command line and the staff console both call
``erase_person``, so an erasure is the same whichever way it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import delete, inspect, text

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
    """Delete the requests, the conversation and the staff notes of ``sender_id``."""
    sessions = session_factory(database_url)
    requests = erase_sender(sessions, sender_id)
    events = erase_conversation(sender_id, tracker_url)
    _forget_staff_data(sessions, sender_id, tracker_url)
    return ErasureResult(requests=requests, events=events)


def _forget_staff_data(sessions, sender_id: str, tracker_url: Optional[str]) -> None:
    """The console's summary row and review of ``sender_id`` (if the staff tables exist)."""
    from bot.db.staff_models import ConversationReview
    from bot.web.staff import summaries

    if not inspect(sessions.kw["bind"]).has_table(ConversationReview.__tablename__):
        return
    summaries.forget_sender(
        sessions, get_engine(tracker_url or settings.load().tracker_database_url), sender_id
    )
    with sessions.begin() as session:
        session.execute(delete(ConversationReview).where(ConversationReview.sender_id == sender_id))
