"""The audit trail: every transcript view, export, erasure and change, with who and when.

Entries name a sender id or a request reference, never a patient's name, e-mail or message.
The staff console, the chat's privacy actions and the retention job all write here, so the
action names are defined once; the console's audit page reads the same table (``audit_log``).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.engine import session_factory
from bot.db.staff_models import AuditEntry

VIEW_TRANSCRIPT = "view_transcript"
VIEW_REQUEST = "view_request"
EXPORT_REQUESTS = "export_requests"
ERASE_PERSON = "erase_person"
WITHDRAW_CONSENT = "withdraw_consent"
REVIEW_CONVERSATION = "review_conversation"
UPDATE_REQUEST_STATUS = "update_request_status"
RETENTION_RUN = "retention_run"
LOGIN = "login"
LOGOUT = "logout"
#: Actors that are not a staff member's e-mail: the patient in the chat, the retention job.
PATIENT = "patient"
RETENTION = "retention"


def add(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Dict[str, Any] | None = None,
) -> None:
    """Add an entry inside the caller's transaction (it commits with the change it records)."""
    session.add(AuditEntry.of(actor, action, target, detail))


def record(
    sessions: sessionmaker,
    actor: str,
    action: str,
    target: str | None = None,
    detail: Dict[str, Any] | None = None,
) -> None:
    """Add an entry in its own transaction (for reads such as views and exports)."""
    with sessions.begin() as session:
        add(session, actor, action, target, detail)


def record_if_ready(
    actor: str,
    action: str,
    target: Optional[str],
    detail: Optional[Dict[str, Any]] = None,
    database_url: Optional[str] = None,
) -> bool:
    """Write one entry (no personal data: a sender id, counts); False without the table.

    For writers outside the console (the chat, the retention job), which may run before the
    staff tables were migrated.
    """
    sessions = session_factory(database_url)
    if not inspect(sessions.kw["bind"]).has_table(AuditEntry.__tablename__):
        return False
    record(sessions, actor, action, target, detail)
    return True


def recent(sessions: sessionmaker, limit: int = 200, offset: int = 0) -> List[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    with sessions() as session:
        return list(session.execute(query).scalars())
