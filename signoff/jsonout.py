"""JSON with exact decimal numbers.

``json`` writes ``Decimal`` only as a string (or lossily via float); this writer emits
each ``Decimal`` as the JSON number it is, digit for digit and without an exponent, so
``0.1`` stays ``0.1`` and
a third stays ``33.33333333333333333333333333``. Read it back exactly with
``json.loads(text, parse_float=Decimal)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from json.encoder import encode_basestring as _encode_str
from typing import Any

encode_str = _encode_str
"""A JSON string literal for ``text``."""


_PLAIN = frozenset({list, tuple, bool, int, float})


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def dumps(value: Any, *, indent: int | None = None) -> str:
    out: list[str] = []
    _write(value, out, indent, 0)
    return "".join(out)


def _write(value: Any, out: list[str], indent: int | None, level: int) -> None:
    # ordered by how often each type occurs in a parse result
    kind = type(value)
    if kind is str:
        out.append(_encode_str(value))
    elif value is None:
        out.append("null")
    elif kind is Decimal:
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        out.append(format(value, "f"))
    elif kind is dict or (kind not in _PLAIN and _is_mapping(value)):
        if not value:
            out.append("{}")
            return
        pad, inner = _pads(indent, level)
        sep = ": " if indent is not None else ":"
        out.append("{")
        first = True
        for key, item in value.items():
            if first:
                first = False
            else:
                out.append(",")
            out.append(inner)
            out.append(_encode_str(str(key)))
            out.append(sep)
            _write(item, out, indent, level + 1)
        out.append(pad + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        pad, inner = _pads(indent, level)
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            out.append(inner)
            _write(item, out, indent, level + 1)
        out.append(pad + "]")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(str(value))
    elif isinstance(value, float):
        raise TypeError("floats are not written; use Decimal")
    elif isinstance(value, int):  # subclasses of int
        out.append(str(int(value)))
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _pads(indent: int | None, level: int) -> tuple[str, str]:
    if indent is None:
        return "", ""
    return "\n" + " " * (indent * level), "\n" + " " * (indent * (level + 1))
