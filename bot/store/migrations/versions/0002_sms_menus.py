"""SMS menus, and an index for the SMS channel's per-number rate limit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

`sms_menus` (the numbered options last sent to a number) used to be created by the SMS channel
itself (`CREATE TABLE IF NOT EXISTS`, before any migration knew about it). A database where the
channel has already run therefore has the table: it is adopted as it is (same columns), its
PostgreSQL primary key renamed to the naming convention's `pk_sms_menus`. Elsewhere it is created.

`ix_sms_inbound_phone_received_at` serves the rate limit's count of a number's recent messages.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
MENU_COLUMNS = {"phone", "options", "sent_at"}


def _adopt_menus(bind: sa.engine.Connection) -> None:
    """Keeps the `sms_menus` table the channel created itself (its rows are menus customers may answer)."""
    inspector = sa.inspect(bind)
    columns = {column["name"] for column in inspector.get_columns("sms_menus")}
    if columns != MENU_COLUMNS:
        raise RuntimeError(
            f"sms_menus already exists with columns {sorted(columns)}, not those the SMS channel "
            f"created ({sorted(MENU_COLUMNS)}): move it aside, then upgrade again"
        )
    pk_name = inspector.get_pk_constraint("sms_menus").get("name")
    if bind.dialect.name == "postgresql" and pk_name and pk_name != "pk_sms_menus":
        op.execute(sa.text(f'ALTER TABLE sms_menus RENAME CONSTRAINT "{pk_name}" TO pk_sms_menus'))


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("sms_menus"):
        _adopt_menus(bind)
    else:
        op.create_table(
            "sms_menus",
            sa.Column("phone", sa.String(20), nullable=False),
            sa.Column("options", sa.Text(), nullable=False),
            sa.Column("sent_at", TIMESTAMP, nullable=False),
            sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_menus")),
        )
    op.create_index("ix_sms_inbound_phone_received_at", "sms_inbound", ["phone", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_inbound_phone_received_at", table_name="sms_inbound")
    op.drop_table("sms_menus")
