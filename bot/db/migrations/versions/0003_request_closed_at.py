"""When a request was closed (the retention job counts its days from then).

Requests that are already closed get the time of this migration: their retention period starts
now, none is emptied earlier than the privacy notice says.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("treatment_requests") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    requests = sa.table(
        "treatment_requests",
        sa.column("status", sa.String(16)),
        sa.column("closed_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        requests.update()
        .where(requests.c.status == "closed")
        .values(closed_at=datetime.now(timezone.utc))
    )


def downgrade() -> None:
    with op.batch_alter_table("treatment_requests") as batch:
        batch.drop_column("closed_at")
