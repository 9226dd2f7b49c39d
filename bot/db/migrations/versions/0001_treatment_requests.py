"""Create the treatment_requests table.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "treatment_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("country", sa.String(100), nullable=True),
        sa.Column("diagnosis", sa.String(500), nullable=True),
        sa.Column("destination", sa.String(100), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new", "contacted", "closed", name="request_status", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.UniqueConstraint("sender_id", "consent_at", name="uq_request_sender_consent"),
    )


def downgrade() -> None:
    op.drop_table("treatment_requests")
