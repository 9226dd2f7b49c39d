"""Erase one person: their treatment request(s), every event of their conversations, and what
the staff console derived from them (conversation summary, review notes and tags).

Rasa 3.6 has no delete API for trackers, so the rows of its SQL tracker store (table ``events``,
indexed by ``sender_id``) are deleted directly. The command line, the staff console and the
chat (``action_privacy_confirm``) all call :func:`erase_person`.

A patient who withdraws consent for a pending request without asking to delete the conversation
gets :func:`withdraw_consent`: the request stays as a closed record with its reference and dates
(so staff know not to contact them), and every personal field of it is emptied.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, cast

from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import settings
from bot.db import tracker_events
from bot.db.engine import get_engine, session_factory
from bot.db.models import RequestStatus, TreatmentRequest, utc_now
from bot.db.requests import erase_sender
from bot.domain import treatment_request_form

#: Held while the console folds events into summaries and while a summary is forgotten.
SUMMARY_LOCK = threading.Lock()
#: The request fields that hold personal data (emptied when consent is withdrawn): every
#: answer the form took (its text slots, ``domain.yml``).
PERSONAL_FIELDS = treatment_request_form().answers
#: Requests a withdrawal applies to: those a coordinator may still act on.
PENDING = (RequestStatus.new, RequestStatus.contacted)


@dataclass(frozen=True)
class ErasureResult:
    requests: int
    events: int


def delete_events(connection: Connection, sender_id: str) -> int:
    """Delete the tracker-store rows of ``sender_id`` on ``connection``; 0 without a table."""
    if not tracker_events.exists(connection):
        return 0
    table = tracker_events.events
    result = connection.execute(delete(table).where(table.c.sender_id == sender_id))
    return result.rowcount or 0


def erase_person(
    sender_id: str, database_url: Optional[str] = None, tracker_url: Optional[str] = None
) -> ErasureResult:
    """Delete the requests, the conversation and the staff notes of ``sender_id``."""
    sessions = session_factory(database_url)
    tracker = get_engine(tracker_url or settings.load().tracker_database_url)
    requests = erase_sender(sessions, sender_id)
    with tracker.begin() as connection:
        events = delete_events(connection, sender_id)
    forget_staff_data(sessions, tracker, sender_id)
    return ErasureResult(requests=requests, events=events)


def forget_staff_data(sessions: sessionmaker, tracker: Engine, sender_id: str) -> None:
    """The console's summary row and review of ``sender_id`` (if the staff tables exist)."""
    from bot.db.staff_models import ConversationReview

    if not inspect(sessions.kw["bind"]).has_table(ConversationReview.__tablename__):
        return
    forget_summary(sessions, tracker, sender_id)
    with sessions.begin() as session:
        session.execute(delete(ConversationReview).where(ConversationReview.sender_id == sender_id))


def forget_summary(sessions: sessionmaker, tracker: Engine, sender_id: str) -> None:
    """Drop one sender's summary after their events were erased.

    SQLite hands out ``max(id) + 1`` again once the newest rows are deleted, so the read position
    moves back to the new maximum: new events reusing those ids are then still read (everything
    up to that maximum was read before). A later event of the same sender starts a new summary.
    """
    from bot.db.staff_models import ConversationSummary, SummarySyncState

    with SUMMARY_LOCK, sessions.begin() as session:
        session.execute(
            delete(ConversationSummary).where(ConversationSummary.sender_id == sender_id)
        )
        with tracker.connect() as connection:
            top = tracker_events.max_id(connection)
        session.execute(
            update(SummarySyncState)
            .where(SummarySyncState.id == 1, SummarySyncState.last_event_id > top)
            .values(last_event_id=top)
        )


def withdraw_consent(sender_id: str, database_url: Optional[str] = None) -> List[str]:
    """Close the pending requests of ``sender_id`` and empty their personal fields.

    Returns the references of the requests withdrawn (none: nothing was pending).
    """
    sessions = session_factory(database_url)
    with sessions.begin() as session:
        references = list(
            session.execute(
                select(TreatmentRequest.reference).where(
                    TreatmentRequest.sender_id == sender_id,
                    TreatmentRequest.status.in_(PENDING),
                )
            ).scalars()
        )
        if references:
            session.execute(
                update(TreatmentRequest)
                .where(TreatmentRequest.reference.in_(references))
                .values(status=RequestStatus.closed, closed_at=utc_now())
            )
            empty_personal_fields(session, references)
    return references


def empty_personal_fields(
    session: Session, references: List[str], fields: Tuple[str, ...] = PERSONAL_FIELDS
) -> int:
    """Set ``fields`` of the requests ``references`` to NULL; returns how many rows changed.

    Used by a consent withdrawal (every personal field) and by the retention of closed
    requests (``bot.privacy.retention``: every one but the country).
    """
    if not references:
        return 0
    # An UPDATE's result is a CursorResult, which has the rowcount (typed as any Result).
    result = cast(
        CursorResult,
        session.execute(
            update(TreatmentRequest)
            .where(TreatmentRequest.reference.in_(references))
            .values(**{name: None for name in fields})
        ),
    )
    return result.rowcount or 0


def stored_requests(sender_id: str, database_url: Optional[str] = None) -> List[Dict[str, Any]]:
    """What is stored for ``sender_id`` (its own requests only), oldest first."""
    sessions = session_factory(database_url)
    query = (
        select(TreatmentRequest)
        .where(TreatmentRequest.sender_id == sender_id)
        .order_by(TreatmentRequest.created_at, TreatmentRequest.id)
    )
    with sessions() as session:
        records = list(session.execute(query).scalars())
    return [
        {
            "reference": r.reference,
            "status": getattr(r.status, "value", r.status),
            "created_at": r.created_at,
            **{name: getattr(r, name) for name in PERSONAL_FIELDS},
        }
        for r in records
    ]


def count_requests(sender_id: str, database_url: Optional[str] = None) -> Dict[str, int]:
    """How many requests ``sender_id`` has: all of them, and those still pending."""
    sessions = session_factory(database_url)
    with sessions() as session:
        rows = session.execute(
            select(TreatmentRequest.status, func.count())
            .where(TreatmentRequest.sender_id == sender_id)
            .group_by(TreatmentRequest.status)
        ).all()
    counts = {getattr(status, "value", status): number for status, number in rows}
    pending = sum(counts.get(s.value, 0) for s in PENDING)
    return {"all": sum(counts.values()), "pending": pending}
