"""Inbound SMS kept until its turn has run (issue 17).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

The webhook acknowledges a message before its turn runs. A message is now `pending` (with its text
and a lease held by the server working on it) until its reply is in the outbox, then `done`; a
pending message whose lease ran out — its server died — is run again by another server, at start or
on the gateway's redelivery. Rows from before this revision are `done`.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode: SQLite adds a CHECK constraint only by copying the table.
    with op.batch_alter_table("sms_inbound") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="done"))
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("lease_until", TIMESTAMP, nullable=True))
        batch.create_check_constraint(op.f("ck_sms_inbound_status"), "status IN ('pending', 'done')")
    op.create_index("ix_sms_inbound_status_lease_until", "sms_inbound", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_sms_inbound_status_lease_until", table_name="sms_inbound")
    with op.batch_alter_table("sms_inbound") as batch:
        batch.drop_constraint(op.f("ck_sms_inbound_status"), type_="check")
        batch.drop_column("lease_until")
        batch.drop_column("attempts")
        batch.drop_column("text")
        batch.drop_column("status")
