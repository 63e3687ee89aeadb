"""SMS conversations keyed by a pseudonym of the number, the number kept in one table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Before, the conversation id was `sms:<phone>`, so every tracker, log line and Rasa API URL carried
the number. Conversations started before this revision keep their old id until the customer writes
again (then a new conversation starts under the pseudonym).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_senders",
        sa.Column("pseudonym", sa.String(32), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pseudonym", name="pk_sms_senders"),
        sa.UniqueConstraint("phone", name="uq_sms_senders_phone"),
    )


def downgrade() -> None:
    op.drop_table("sms_senders")
