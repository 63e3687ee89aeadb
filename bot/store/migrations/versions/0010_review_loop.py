"""The supervisor's review loop (issue 16): conversation reviews and the unanswered customer messages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversation_reviews",
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("tags", sa.String(400), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", TIMESTAMP, nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_conversation_reviews"),
        sa.ForeignKeyConstraint(["reviewed_by"], ["agents.login"], name="fk_conversation_reviews_reviewed_by_agents"),
        sa.ForeignKeyConstraint(["updated_by"], ["agents.login"], name="fk_conversation_reviews_updated_by_agents"),
    )
    op.create_table(
        "unanswered_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered_messages"),
        sa.CheckConstraint("kind IN ('nlu_fallback', 'no_article')", name=op.f("ck_unanswered_messages_kind")),
    )
    op.create_index("ix_unanswered_messages_conversation_id", "unanswered_messages", ["conversation_id"])
    op.create_index("ix_unanswered_messages_at", "unanswered_messages", ["at"])


def downgrade() -> None:
    op.drop_table("unanswered_messages")
    op.drop_table("conversation_reviews")
