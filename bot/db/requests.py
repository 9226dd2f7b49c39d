"""Store, find, export and erase treatment requests.

Functions take a ``sessionmaker`` so the action server, the CLI, the staff console and the tests
all share one implementation, against SQLite or PostgreSQL.
"""

from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Dict, Iterable, List, Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db.models import TreatmentRequest
from bot.domain import treatment_request_form

#: No 0/O, 1/I/L: a reference read out over the phone must not be ambiguous.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "MIBG-"
REFERENCE_LENGTH = 6
#: The request's columns in the export: the patient's answers are the form's text slots
#: (``domain.yml``), in the order the form asks them.
EXPORT_FIELDS = [
    "reference",
    "created_at",
    "status",
    *treatment_request_form().answers,
    "channel",
    "sender_id",
    "consent_at",
    "notice_version",
]


def new_reference() -> str:
    """A random, human-friendly reference such as ``MIBG-7K3Q9X`` (31^6 ≈ 887 million)."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
    )


@dataclass(frozen=True)
class RequestDetails:
    """What the form gathered, plus where and when consent was given."""

    sender_id: str
    channel: Optional[str]
    full_name: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    country: Optional[str]
    diagnosis: Optional[str]
    destination: Optional[str]
    message: Optional[str]
    consent_at: datetime
    notice_version: str


def save_request(sessions: sessionmaker, details: RequestDetails) -> str:
    """Store the request once and return its reference.

    Saving the same form run again (same sender and consent time) returns the first reference
    instead of creating a duplicate; a reference collision is retried with a new one.
    """
    existing = find_reference(sessions, details.sender_id, details.consent_at)
    if existing:
        return existing
    for _ in range(5):
        record = TreatmentRequest(reference=new_reference(), **details.__dict__)
        try:
            with sessions.begin() as session:
                session.add(record)
            return record.reference
        except IntegrityError:
            existing = find_reference(sessions, details.sender_id, details.consent_at)
            if existing:
                return existing
    raise RuntimeError("could not allocate a unique request reference")


def find_reference(sessions: sessionmaker, sender_id: str, consent_at: datetime) -> Optional[str]:
    """The reference of the request from this form run, if it was stored."""
    with sessions() as session:
        return session.execute(
            select(TreatmentRequest.reference).where(
                TreatmentRequest.sender_id == sender_id,
                TreatmentRequest.consent_at == consent_at,
            )
        ).scalar_one_or_none()


def list_requests(sessions: sessionmaker, limit: Optional[int] = None) -> List[TreatmentRequest]:
    """Requests, newest first."""
    query = select(TreatmentRequest).order_by(
        TreatmentRequest.created_at.desc(), TreatmentRequest.id.desc()
    )
    if limit:
        query = query.limit(limit)
    with sessions() as session:
        return list(session.execute(query).scalars())


def as_dict(record: TreatmentRequest) -> Dict[str, Any]:
    """A JSON-friendly view of a record (datetimes as ISO 8601 strings)."""
    result: Dict[str, Any] = {}
    for name in EXPORT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        result[name] = value
    return result


#: A cell starting with one of these is a formula (or becomes one) in some spreadsheet:
#: = + - @, their full-width forms (which Excel and LibreOffice fold to ASCII), tab, CR, LF.
FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
#: Invisible characters a spreadsheet may drop before it reads the cell (zero-width space,
#: joiners, word joiner, byte order mark): a cell starting with one is neutralised too.
INVISIBLE_STARTS = frozenset("\u200b\u200c\u200d\u2060\ufeff")


def spreadsheet_safe(value: Any) -> str:
    """Neutralise cells that a spreadsheet would run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text and (text[0] in FORMULA_STARTS or text[0] in INVISIBLE_STARTS):
        return "'" + text
    visible = text.lstrip(" \u00a0\u3000")
    if visible and visible[0] in FORMULA_STARTS:  # " =1+1": leading spaces are dropped too
        return "'" + text
    return text


def write_csv(records: Iterable[TreatmentRequest], stream: IO[str]) -> int:
    """Write ``records`` as CSV with a header; return the number of rows written."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_FIELDS)
    count = 0
    for record in records:
        row = as_dict(record)
        writer.writerow([spreadsheet_safe(row[name]) for name in EXPORT_FIELDS])
        count += 1
    return count


def erase_sender(sessions: sessionmaker, sender_id: str) -> int:
    """Delete every request of ``sender_id``; return how many were deleted."""
    with sessions.begin() as session:
        result = session.execute(
            delete(TreatmentRequest).where(TreatmentRequest.sender_id == sender_id)
        )
        return result.rowcount or 0
