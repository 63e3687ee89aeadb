"""Conversation inbox projected from Rasa's event broker, intent counts, CSAT ratings.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_conversations",
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(16), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("last_at", TIMESTAMP, nullable=False),
        sa.Column("last_customer_at", TIMESTAMP, nullable=True),
        sa.Column("last_text", sa.String(200), nullable=False),
        sa.Column("last_intent", sa.String(64), nullable=True),
        sa.Column("last_confidence", sa.Float(), nullable=True),
        sa.Column("customer_turns", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("low_confidence_turns", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("csat_asked_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_inbox_conversations"),
    )
    op.create_index("ix_inbox_conversations_customer_id", "inbox_conversations", ["customer_id"])
    op.create_index("ix_inbox_conversations_last_at", "inbox_conversations", ["last_at"])
    op.create_index("ix_inbox_conversations_channel_last_at", "inbox_conversations", ["channel", "last_at"])
    op.create_table(
        "intent_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "intent", name="pk_intent_counts"),
    )
    op.create_table(
        "feed_cursors",
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_feed_cursors"),
    )
    op.create_table(
        "csat_ratings",
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("rated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_csat_ratings"),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_ratings_score"),
    )
    op.create_index("ix_csat_ratings_rated_at", "csat_ratings", ["rated_at"])


def downgrade() -> None:
    op.drop_index("ix_csat_ratings_rated_at", table_name="csat_ratings")
    op.drop_table("csat_ratings")
    op.drop_table("feed_cursors")
    op.drop_table("intent_counts")
    op.drop_index("ix_inbox_conversations_channel_last_at", table_name="inbox_conversations")
    op.drop_index("ix_inbox_conversations_last_at", table_name="inbox_conversations")
    op.drop_index("ix_inbox_conversations_customer_id", table_name="inbox_conversations")
    op.drop_table("inbox_conversations")
