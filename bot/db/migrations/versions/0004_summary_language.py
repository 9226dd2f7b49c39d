"""Conversation summaries know each conversation's language (staff console: filter, overview).

The summaries are derived data: they are emptied here and rebuilt from the tracker's events on
the console's next page view, so existing conversations get their language too. Reviews stay.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversation_summaries") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=False, server_default="en"))
        batch.add_column(sa.Column("language_turns", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("language_state", sa.Text(), nullable=True))
    op.create_index("ix_conversation_summaries_language", "conversation_summaries", ["language"])
    op.execute(sa.text("DELETE FROM conversation_summaries"))
    op.execute(sa.text("UPDATE summary_sync_state SET last_event_id = 0, reconciled_at = 0"))


def downgrade() -> None:
    op.drop_index("ix_conversation_summaries_language", "conversation_summaries")
    with op.batch_alter_table("conversation_summaries") as batch:
        batch.drop_column("language_state")
        batch.drop_column("language_turns")
        batch.drop_column("language")
