"""Tables of the staff console: accounts, audit trail, reviews and conversation summaries.

They live in the project database (``DATABASE_URL``) next to ``treatment_requests``, so the
console can join reviews, summaries and requests in one query. Rasa's ``events`` table stays in
the tracker database; ``conversation_summaries`` is a derived, rebuildable copy of what the list
page needs from it (see ``bot.web.staff.summaries``).
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any, Dict, Optional

from sqlalchemy import Boolean, Column, DateTime, Enum, Float, Integer, String, Text
from sqlalchemy.orm import Mapped

from bot.db.models import Base, utc_now


class ReviewStatus(str, enum.Enum):
    """Whether a coordinator has read a conversation."""

    unreviewed = "unreviewed"
    reviewed = "reviewed"


class StaffUser(Base):
    """A coordinator who may log in to the console (created with ``python -m bot staff add``)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = Column(Integer, primary_key=True)
    email: Mapped[str] = Column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    is_active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    #: Part of every session cookie; bumping it (logout, password reset) ends all sessions.
    session_epoch: Mapped[int] = Column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = Column(DateTime(timezone=True), nullable=False, default=utc_now)
    last_login_at = Column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """Who did what to whom, when: transcript views, exports, erasures, status changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[datetime] = Column(
        DateTime(timezone=True), nullable=False, default=utc_now, index=True
    )
    #: The staff e-mail, copied so the trail survives the account.
    actor: Mapped[str] = Column(String(254), nullable=False)
    action: Mapped[str] = Column(String(64), nullable=False, index=True)
    #: A sender id, a request reference or a description of an export's filters.
    target = Column(String(500), nullable=True, index=True)
    detail = Column(Text, nullable=True)

    @classmethod
    def of(
        cls,
        actor: str,
        action: str,
        target: Optional[str] = None,
        detail: Optional[Dict[str, Any]] = None,
    ) -> AuditEntry:
        """An entry with the target cut to the column and the detail as sorted JSON."""
        return cls(
            actor=actor,
            action=action,
            target=(target or "")[:500] or None,
            detail=json.dumps(detail, sort_keys=True) if detail else None,
        )


class ConversationReview(Base):
    """A coordinator's review of one person's conversation (keyed like the tracker: sender_id)."""

    __tablename__ = "conversation_reviews"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    status: Mapped[ReviewStatus] = Column(
        Enum(ReviewStatus, name="review_status", native_enum=False, length=16),
        nullable=False,
        default=ReviewStatus.unreviewed,
    )
    #: Normalised tags wrapped in commas (",dosing,follow-up,") so one LIKE finds a whole tag.
    tags: Mapped[str] = Column(String(1000), nullable=False, default="")
    notes = Column(Text, nullable=True)
    reviewed_by = Column(String(254), nullable=True)
    reviewed_at = Column(DateTime(timezone=True), nullable=True)


class ConversationSummary(Base):
    """One row per sender_id, derived from the tracker's events (rebuildable at any time)."""

    __tablename__ = "conversation_summaries"

    sender_id: Mapped[str] = Column(String(255), primary_key=True)
    first_event_id: Mapped[int] = Column(Integer, nullable=False)
    last_event_id: Mapped[int] = Column(Integer, nullable=False)
    #: Epoch seconds, like the tracker's ``timestamp``: dialect-neutral range filters.
    started_at: Mapped[float] = Column(Float, nullable=False, index=True)
    last_at: Mapped[float] = Column(Float, nullable=False, index=True)
    channel = Column(String(64), nullable=True)
    sessions: Mapped[int] = Column(Integer, nullable=False, default=1)
    user_messages: Mapped[int] = Column(Integer, nullable=False, default=0, index=True)
    fallbacks: Mapped[int] = Column(Integer, nullable=False, default=0)
    handoff: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    #: JSON object intent -> number of user turns.
    intents: Mapped[str] = Column(Text, nullable=False, default="{}")
    #: JSON list of the (first few) user messages that fell back.
    fallback_texts: Mapped[str] = Column(Text, nullable=False, default="[]")
    #: Lower-cased user messages, one per line, for the full-text filter.
    search_text: Mapped[str] = Column(Text, nullable=False, default="")
    #: User turns in the newest session; a session start after zero turns is not a new session.
    open_session_users: Mapped[int] = Column(Integer, nullable=False, default=0)
    #: The conversation's language: its newest user turn's (``bot.web.staff.languages``).
    language: Mapped[str] = Column(String(8), nullable=False, default="en", index=True)
    #: JSON object language -> {"turns", "fallbacks", "intents"} of the user turns in it; ""
    #: when all were in ``language`` (``bot.web.staff.languages.pack``).
    language_turns: Mapped[str] = Column(Text, nullable=False, default="")
    #: JSON {"slot": language slot now, "turn": newest user turn while a slot may still move it}.
    language_state = Column(Text, nullable=True)


class SummarySyncState(Base):
    """How far ``conversation_summaries`` has read the tracker's ``events`` (one row)."""

    __tablename__ = "summary_sync_state"

    id: Mapped[int] = Column(Integer, primary_key=True)
    #: The tracker URL without password: a different tracker means a rebuild.
    source: Mapped[str] = Column(String(500), nullable=False)
    last_event_id: Mapped[int] = Column(Integer, nullable=False, default=0)
    #: When summaries of erased senders were last looked for (epoch seconds).
    reconciled_at: Mapped[float] = Column(Float, nullable=False, default=0.0)
