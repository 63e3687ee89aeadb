"""Assist suggestions and their feedback (issue 16): displayed / used / edited, per showing of the card.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "assist_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assist_id", sa.String(32), nullable=False),
        sa.Column("suggestion_id", sa.String(80), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assist_feedback"),
        sa.ForeignKeyConstraint(["agent"], ["agents.login"], name="fk_assist_feedback_agent_agents"),
        sa.CheckConstraint("event IN ('displayed', 'used', 'edited')", name=op.f("ck_assist_feedback_event")),
    )
    op.create_index("ix_assist_feedback_at", "assist_feedback", ["at"])
    op.create_index("uq_assist_feedback_assist_id_suggestion_id_event", "assist_feedback",
                    ["assist_id", "suggestion_id", "event"], unique=True)
    op.create_index("ix_assist_feedback_suggestion_id_event", "assist_feedback", ["suggestion_id", "event"])


def downgrade() -> None:
    op.drop_table("assist_feedback")
