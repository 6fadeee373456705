"""Column types that keep money exact and time in UTC on SQLite and PostgreSQL alike.

``Money`` stores a :class:`~decimal.Decimal` as its exact decimal text. A
NUMERIC column would be exact on PostgreSQL but SQLite keeps NUMERIC as a
float, and a fixed scale would round values silently, which would also break
the audit digests computed from the values written.

``UTCDateTime`` takes only timezone-aware datetimes and gives back aware UTC
ones: SQLite has no time zone, so the UTC wall time is stored there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

MONEY_DIGITS = 64
_FIXED_POINT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount, stored as text (``"0.00150000"`` stays as written)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(
                f"money must be a Decimal (or an int), not {type(value).__name__}: "
                "floats are never stored"
            )
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"money must be a finite number, got {number}")
        written = format(number, "f")
        if len(written) > MONEY_DIGITS:
            raise ValueError(
                f"money must be written in at most {MONEY_DIGITS} characters, "
                f"got {len(written)} ({written[:20]}…)"
            )
        return written

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        text = str(value)
        # only what process_bind_param writes: fixed-point text of bounded length (an
        # exponent such as 1e999999999 would expand to a billion digits when shown or hashed)
        if len(text) > MONEY_DIGITS or not _FIXED_POINT.fullmatch(text):
            raise ValueError(f"stored amount is not a decimal: {text[:40]!r}")
        try:
            return Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"stored amount is not a decimal: {text[:40]!r}") from exc


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant; naive datetimes are refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a timezone-aware time")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"stored time is not a datetime: {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
