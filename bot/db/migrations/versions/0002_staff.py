"""Staff console: accounts, audit log, conversation reviews and conversation summaries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("target", sa.String(500), nullable=True, index=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_table(
        "conversation_reviews",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column(
            "status",
            sa.Enum("unreviewed", "reviewed", name="review_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("tags", sa.String(1000), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(254), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "conversation_summaries",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False, index=True),
        sa.Column("last_at", sa.Float(), nullable=False, index=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("user_messages", sa.Integer(), nullable=False, index=True),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("handoff", sa.Boolean(), nullable=False),
        sa.Column("intents", sa.Text(), nullable=False),
        sa.Column("fallback_texts", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("open_session_users", sa.Integer(), nullable=False),
    )
    op.create_table(
        "summary_sync_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("reconciled_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "summary_sync_state",
        "conversation_summaries",
        "conversation_reviews",
        "audit_log",
        "staff_users",
    ):
        op.drop_table(table)
