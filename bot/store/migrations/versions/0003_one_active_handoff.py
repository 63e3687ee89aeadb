"""One active handoff per conversation, enforced by the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

`handoffs.enqueue` returns the conversation's active handoff when there is one, but two Rasa servers
(or two quick messages) could both find none and insert. A partial unique index over the active
statuses (waiting, assigned) makes the second insert fail; `enqueue` then returns the first.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('waiting', 'assigned')")


def upgrade() -> None:
    op.create_index("uq_handoffs_active_conversation", "handoffs", ["conversation_id"], unique=True,
                    postgresql_where=ACTIVE, sqlite_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("uq_handoffs_active_conversation", table_name="handoffs")
