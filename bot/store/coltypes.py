"""Column types that behave the same on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, String, TypeDecorator

from bot.common.clock import as_utc


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out.

    SQLite keeps no offset and PostgreSQL returns the session's zone; normalising here means
    callers compare instants without caring which database is behind the session.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class DecimalText(TypeDecorator):
    """Exact decimals stored as text: SQLite's NUMERIC is a float, and 万分之1.5 must stay 0.00015."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Optional[str]:
        if value is None:
            return None
        # str() first so a float from YAML ("0.00015") is not turned into a binary expansion.
        return str(Decimal(str(value)))

    def process_result_value(self, value: Optional[str], dialect: Dialect) -> Optional[Decimal]:
        return None if value is None else Decimal(value)
