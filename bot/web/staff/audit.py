"""The audit trail: every transcript view, export, erasure and change, with who and when.

Entries name a sender id or a request reference, never a patient's name, e-mail or message.
"""

from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db.staff_models import AuditEntry

VIEW_TRANSCRIPT = "view_transcript"
VIEW_REQUEST = "view_request"
EXPORT_REQUESTS = "export_requests"
ERASE_PERSON = "erase_person"
REVIEW_CONVERSATION = "review_conversation"
UPDATE_REQUEST_STATUS = "update_request_status"
LOGIN = "login"
LOGOUT = "logout"


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


def recent(sessions: sessionmaker, limit: int = 200, offset: int = 0) -> List[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    with sessions() as session:
        return list(session.execute(query).scalars())
