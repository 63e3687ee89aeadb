"""Ticket SLA clocks and sources (issue 16): where a ticket came from (`bot`, or `12386` for complaints
forwarded by the regulator's hotline) and the moments the clocks read — first staff response, last
staff update, resolution — filled in from each ticket's history for the tickets already there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
MOMENTS = ("first_response_at", "last_update_at", "resolved_at")
SOURCE_CHECK = "source IN ('bot', '12386')"

# The same definitions bot.store.tickets applies from now on: the first move out of `open`, the last
# status change or note, and the last move to `resolved` while the ticket is still resolved or closed.
BACKFILL = """
UPDATE tickets SET
  first_response_at = (SELECT MIN(e.at) FROM ticket_events e
                       WHERE e.ticket_id = tickets.id AND e.kind = 'status' AND e.from_status = 'open'),
  last_update_at = (SELECT MAX(e.at) FROM ticket_events e
                    WHERE e.ticket_id = tickets.id AND e.kind IN ('status', 'note')),
  resolved_at = CASE WHEN tickets.status IN ('resolved', 'closed') THEN
                  (SELECT MAX(e.at) FROM ticket_events e
                   WHERE e.ticket_id = tickets.id AND e.kind = 'status' AND e.to_status = 'resolved')
                END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in one statement; a separate constraint would mean
        # copying the table, which its foreign keys (ticket_events) make fragile.
        op.execute("ALTER TABLE tickets ADD COLUMN source VARCHAR(8) DEFAULT 'bot' NOT NULL "
                   f"CONSTRAINT ck_tickets_source CHECK ({SOURCE_CHECK})")
    else:
        op.add_column("tickets", sa.Column("source", sa.String(8), server_default="bot", nullable=False))
        op.create_check_constraint("ck_tickets_source", "tickets", SOURCE_CHECK)
    for name in MOMENTS:
        op.add_column("tickets", sa.Column(name, TIMESTAMP, nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    for name in reversed(MOMENTS):
        op.drop_column("tickets", name)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_tickets_source", "tickets", type_="check")
    op.drop_column("tickets", "source")
