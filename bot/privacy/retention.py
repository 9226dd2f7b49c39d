"""Keep personal data only as long as the privacy notice says (``utter_privacy``).

- A request closed in the staff console (or by a consent withdrawal) has its personal fields
  emptied ``REQUEST_RETENTION_DAYS_AFTER_CLOSE`` days (default 30) after ``closed_at``; its
  reference, status, dates, channel, consent time, notice version and country stay, for
  statistics. The emptying is :func:`bot.privacy.erasure.empty_personal_fields`, the same as a
  consent withdrawal's.
- A conversation of a sender with no request at all is deleted ``TRANSCRIPT_RETENTION_DAYS``
  days (default 90) after its last event, with the console's summary and review of it: the
  same :func:`~bot.privacy.erasure.delete_events` and
  :func:`~bot.privacy.erasure.forget_staff_data` as an erasure.

:func:`run` does it once (``python -m bot retention run [--dry-run]``); :func:`run_daily` is
the background loop the web app (``serve-web``, one process) starts. Each real run writes one
audit entry (actor ``retention``, action ``retention_run``, the counts; no sender ids).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Sequence, Set

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from bot import audit, settings
from bot.db import tracker_events
from bot.db.engine import get_engine, session_factory
from bot.db.models import RequestStatus, TreatmentRequest
from bot.privacy.erasure import (
    PERSONAL_FIELDS,
    delete_events,
    empty_personal_fields,
    forget_staff_data,
)

logger = logging.getLogger(__name__)

#: What the retention of a closed request empties: every personal field but the country.
RETENTION_FIELDS = tuple(name for name in PERSONAL_FIELDS if name != "country")
#: The first scheduled run waits this long after start (a restart loop must not hammer the
#: databases; tests that start the app briefly never trigger it), then one run a day.
FIRST_DELAY_SECONDS = 300.0
INTERVAL_SECONDS = 24 * 3600.0
IN_CHUNK = 500


@dataclass(frozen=True)
class RetentionResult:
    requests_emptied: int
    conversations_deleted: int
    events_deleted: int
    dry_run: bool

    def describe(self) -> str:
        verb = ("would empty", "would delete") if self.dry_run else ("emptied", "deleted")
        return (
            f"retention: {verb[0]} the personal fields of {self.requests_emptied} closed"
            f" request(s); {verb[1]} {self.conversations_deleted} conversation(s) without a"
            f" request ({self.events_deleted} event(s))"
        )


def _utc(moment: Optional[datetime]) -> datetime:
    moment = moment or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def expired_requests(database_url: Optional[str], now: datetime, days: int) -> List[str]:
    """References of closed requests past their retention that still hold personal data."""
    cutoff = now - timedelta(days=days)
    holds_data = or_(*(getattr(TreatmentRequest, name).isnot(None) for name in RETENTION_FIELDS))
    query = select(TreatmentRequest.reference).where(
        and_(
            TreatmentRequest.status == RequestStatus.closed,
            TreatmentRequest.closed_at.isnot(None),
            TreatmentRequest.closed_at <= cutoff,
            holds_data,
        )
    )
    with session_factory(database_url)() as session:
        return sorted(session.execute(query).scalars())


def _request_senders(database_url: Optional[str], senders: Sequence[str]) -> Set[str]:
    found: Set[str] = set()
    with session_factory(database_url)() as session:
        for start in range(0, len(senders), IN_CHUNK):
            chunk = list(senders[start : start + IN_CHUNK])
            found.update(
                session.execute(
                    select(TreatmentRequest.sender_id).where(TreatmentRequest.sender_id.in_(chunk))
                ).scalars()
            )
    return found


def _idle_senders(connection: Connection, cutoff: float) -> dict:
    """sender id -> events, for conversations whose newest event is older than ``cutoff``."""
    if not tracker_events.exists(connection):
        return {}
    table = tracker_events.events
    rows = connection.execute(
        select(table.c.sender_id, func.count())
        .group_by(table.c.sender_id)
        .having(func.max(table.c.timestamp) < cutoff)
    )
    return {sender: count for sender, count in rows}


def _still_idle(connection: Connection, sender: str, cutoff: float) -> bool:
    table = tracker_events.events
    newest = connection.execute(
        select(func.max(table.c.timestamp)).where(table.c.sender_id == sender)
    ).scalar()
    return newest is not None and newest < cutoff


def expired_conversations(
    database_url: Optional[str], tracker_url: str, now: datetime, days: int
) -> dict:
    """sender id -> events, for idle conversations of senders who have no request."""
    cutoff = (now - timedelta(days=days)).timestamp()
    with get_engine(tracker_url).connect() as connection:
        idle = _idle_senders(connection, cutoff)
    keep = _request_senders(database_url, sorted(idle))
    return {sender: count for sender, count in idle.items() if sender not in keep}


def run(
    now: Optional[datetime] = None,
    dry_run: bool = False,
    database_url: Optional[str] = None,
    tracker_url: Optional[str] = None,
) -> RetentionResult:
    """Apply both retention periods as of ``now`` (default: the current UTC time)."""
    config = settings.load()
    now = _utc(now)
    database_url = database_url or config.database_url
    tracker_url = tracker_url or config.tracker_database_url
    references = expired_requests(database_url, now, config.request_retention_days_after_close)
    conversations = expired_conversations(
        database_url, tracker_url, now, config.transcript_retention_days
    )
    if dry_run:
        return RetentionResult(
            len(references), len(conversations), sum(conversations.values()), True
        )
    sessions = session_factory(database_url)
    emptied = 0
    if references:
        with sessions.begin() as session:
            emptied = empty_personal_fields(session, references, RETENTION_FIELDS)
    cutoff = (now - timedelta(days=config.transcript_retention_days)).timestamp()
    tracker = get_engine(tracker_url)
    deleted, events = 0, 0
    for sender in sorted(conversations):
        with tracker.begin() as connection:
            if not _still_idle(connection, sender, cutoff):  # a new message meanwhile
                continue
            events += delete_events(connection, sender)
        if _request_senders(database_url, [sender]):  # a request was stored meanwhile
            continue
        forget_staff_data(sessions, tracker, sender)
        deleted += 1
    result = RetentionResult(emptied, deleted, events, False)
    detail = {key: value for key, value in asdict(result).items() if key != "dry_run"}
    detail.update(
        request_days=config.request_retention_days_after_close,
        transcript_days=config.transcript_retention_days,
    )
    audit.record_if_ready(audit.RETENTION, audit.RETENTION_RUN, None, detail, database_url)
    logger.info(result.describe())
    return result


async def run_daily(
    first_delay: float = FIRST_DELAY_SECONDS, interval: float = INTERVAL_SECONDS
) -> None:
    """Run :func:`run` after ``first_delay`` seconds, then every ``interval``; until cancelled."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await asyncio.to_thread(run)
        except Exception as error:  # noqa: BLE001 - keep the loop alive; log the type only
            logger.warning("retention run failed: %s", type(error).__name__)
        await asyncio.sleep(interval)
