"""Canonical bytes of a value: the same content always gives the same bytes.

Approval tokens and audit digests are computed over these bytes, so any change
of content, however small, changes them. Rules: JSON with sorted keys and no
whitespace; ``Decimal`` as its normalised string (``1.50`` and ``1.5`` are the
same amount); datetimes as UTC ISO-8601; tuples as lists; no floats at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot canonicalise {value}")
        normal = value.normalize()
        # normalize() writes 1E+3 for 1000; the fixed-point form is easier to read
        return format(normal, "f") if normal == normal.to_integral_value() else str(normal)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("cannot canonicalise a naive datetime")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        raise TypeError("floats have no place in canonical content; use Decimal")
    raise TypeError(f"cannot canonicalise {type(value).__name__}")


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON encoding of a model, mapping, sequence or scalar."""
    return json.dumps(
        _plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def content_hash(value: Any) -> str:
    """Hex SHA-256 of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()
