"""Treatment requests as the console needs them: filtered, paged, exported, status changed.

Storage, CSV format and formula-injection protection stay in ``bot.db.requests``; this module only
adds the queries the console's filters need.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, overload

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import sessionmaker

from bot.db.models import RequestStatus, TreatmentRequest
from bot.web.staff.conversations import Page
from bot.web.staff.filters import RequestFilters, day_bounds, like_pattern

SEARCHED_FIELDS = (
    TreatmentRequest.reference,
    TreatmentRequest.full_name,
    TreatmentRequest.email,
    TreatmentRequest.phone,
    TreatmentRequest.country,
    TreatmentRequest.diagnosis,
    TreatmentRequest.sender_id,
)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _where(filters: RequestFilters, tz):
    conditions = []
    if filters.status:
        conditions.append(TreatmentRequest.status == RequestStatus(filters.status))
    start, end = day_bounds(filters.date_from, filters.date_to, tz)
    # Stored as UTC; SQLite compares the text form, so the bounds must be UTC too.
    if start:
        conditions.append(TreatmentRequest.created_at >= start.astimezone(timezone.utc))
    if end:
        conditions.append(TreatmentRequest.created_at < end.astimezone(timezone.utc))
    for word in filters.q.split()[:8]:
        pattern = like_pattern(word)
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in SEARCHED_FIELDS)))
    return and_(true(), *conditions)


def _ordered(filters: RequestFilters, tz):
    return (
        select(TreatmentRequest)
        .where(_where(filters, tz))
        .order_by(TreatmentRequest.created_at.desc(), TreatmentRequest.id.desc())
    )


def list_page(sessions: sessionmaker, filters: RequestFilters, tz, page_size: int) -> Page:
    query = _ordered(filters, tz).limit(page_size).offset((filters.page - 1) * page_size)
    count = select(func.count()).select_from(TreatmentRequest).where(_where(filters, tz))
    with sessions() as session:
        total = session.execute(count).scalar_one()
        rows = list(session.execute(query).scalars())
    return Page(rows=rows, total=total, page=filters.page, page_size=page_size)


def matching(sessions: sessionmaker, filters: RequestFilters, tz) -> List[TreatmentRequest]:
    """Every request matching ``filters`` (the export: no paging)."""
    with sessions() as session:
        return list(session.execute(_ordered(filters, tz)).scalars())


def by_reference(sessions: sessionmaker, reference: str) -> TreatmentRequest | None:
    with sessions() as session:
        return session.execute(
            select(TreatmentRequest).where(TreatmentRequest.reference == reference)
        ).scalar_one_or_none()


def of_sender(sessions: sessionmaker, sender_id: str) -> List[TreatmentRequest]:
    with sessions() as session:
        return list(
            session.execute(
                select(TreatmentRequest)
                .where(TreatmentRequest.sender_id == sender_id)
                .order_by(TreatmentRequest.created_at.desc())
            ).scalars()
        )


def status_counts(sessions: sessionmaker) -> dict:
    with sessions() as session:
        rows = session.execute(
            select(TreatmentRequest.status, func.count()).group_by(TreatmentRequest.status)
        ).all()
    counts = {status.value: 0 for status in RequestStatus}
    for status, number in rows:
        counts[getattr(status, "value", status)] = number
    return counts
