"""Tables owned by this project. Rasa's own ``events`` table (tracker store) is not here."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import Column, DateTime, Enum, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declarative_base

#: Typing of the models (mypy with SQLAlchemy 1.4's plugin, pyproject.toml): a column that is
#: never NULL says so with ``Mapped[X]``; a nullable one stays bare, which the plugin reads as
#: ``Optional[X]`` (``Mapped[Optional[X]]`` spelled out fails its check under mypy >= 1.14,
#: sqlalchemy#12257).
Base = declarative_base()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RequestStatus(str, enum.Enum):
    """Where a coordinator is with a request."""

    new = "new"
    contacted = "contacted"
    closed = "closed"


class TreatmentRequest(Base):
    """A patient's request for treatment, stored only after explicit consent."""

    __tablename__ = "treatment_requests"
    __table_args__ = (
        # One form run (one consent) in one conversation gives at most one record.
        UniqueConstraint("sender_id", "consent_at", name="uq_request_sender_consent"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    sender_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    full_name = Column(String(200), nullable=True)
    email = Column(String(254), nullable=True)
    phone = Column(String(32), nullable=True)
    country = Column(String(100), nullable=True)
    diagnosis = Column(String(500), nullable=True)
    destination = Column(String(100), nullable=True)
    message = Column(Text, nullable=True)
    consent_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False)
    notice_version: Mapped[str] = Column(String(32), nullable=False)
    status: Mapped[RequestStatus] = Column(
        Enum(RequestStatus, name="request_status", native_enum=False, length=16),
        nullable=False,
        default=RequestStatus.new,
    )
    #: Set when the status becomes closed (console, consent withdrawn), cleared on reopening;
    #: the retention job empties the personal fields some days after it.
    closed_at = Column(DateTime(timezone=True), nullable=True)
