"""Reading the files a person points signoff at, with errors that name the file.

The one reader: every file signoff reads (policy, personal file, account, quotes,
plan, scenario, asset list, markets, exchanges config) comes through here, bounded:

- a regular file only: a FIFO, a device (``/dev/zero``, ``/dev/urandom``), a socket
  or a directory is refused at once (a FIFO is opened non-blocking, so it never hangs);
- at most :data:`MAX_FILE_BYTES` (the check reads one byte past it, never the whole);
- TOML and JSON nested at most :data:`MAX_DEPTH` levels (:func:`parse_toml`,
  :func:`parse_json`): a 100,000-deep document is a clear error, not a RecursionError.

Standard library only (the error classes load only on error): ``signoff parse --jsonl``
reads the asset lists through here.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from foundation.numbers import MAX_FRACTION_DIGITS, MAX_WHOLE_DIGITS, number_problem

if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 4 * 1024 * 1024
"""No configuration, account, quotes, plan or scenario file is larger than this."""

MAX_DEPTH = 32
"""Tables and arrays nested deeper than this are no document a person wrote."""

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_bytes(path: str, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's exact bytes; a :class:`~foundation.errors.ConfigError` naming it otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _error(path, exc) from None
    except ValueError:  # an embedded NUL in the path
        raise _config_error("not a usable file name", path) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _config_error("is a directory, not a file", path)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise _config_error(f"is {kind}, not a regular file", path)
        if info.st_size > limit:
            raise _too_large(path, limit)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise _too_large(path, limit)
        return b"".join(chunks)
    except OSError as exc:
        raise _error(path, exc) from None
    finally:
        os.close(fd)


def read_text(path: str, *, limit: int = MAX_FILE_BYTES) -> str:
    """The file as UTF-8 text; a :class:`~foundation.errors.ConfigError` naming it otherwise."""
    return decode(read_bytes(path, limit=limit), path)


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); an error naming ``source`` otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from foundation.errors import ConfigError

        raise ConfigError(
            f"not UTF-8 text (byte {exc.start})", source=source, hint="save the file as UTF-8"
        ) from None


def parse_toml(text: str, source: str, *, exact: bool = True) -> dict[str, Any]:
    """A TOML document, floats as exact decimals when ``exact``; bounded in depth."""
    import tomllib

    check_toml_keys(text, source)
    try:
        if exact:
            from decimal import Decimal

            doc = tomllib.loads(text, parse_float=Decimal)
        else:
            doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _config_error(f"not valid TOML: {exc}", source) from None
    except RecursionError:
        raise _too_deep(source) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise _config_error(f"not valid TOML: {exc}", source) from None
    check_depth(doc, source)
    return doc


def check_toml_keys(text: str, source: str, *, limit: int = MAX_DEPTH) -> None:
    """Refuse dotted keys deeper than ``limit`` before parsing: ``tomllib`` takes time
    quadratic in a key's parts (a 100,000-part key would run for minutes)."""
    for line in text.splitlines():
        key = line.partition("=")[0]
        if key.count(".") > limit and not key.lstrip().startswith("#"):
            raise _too_deep(source, limit)


def parse_json(text: str, source: str) -> Any:
    """A JSON document, numbers with a point as exact decimals; bounded in depth."""
    import json
    from decimal import Decimal

    try:
        doc = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _config_error(f"not valid JSON: {exc}", source) from None
    except RecursionError:
        raise _too_deep(source) from None
    except ValueError as exc:
        raise _config_error(f"not valid JSON: {exc}", source) from None
    check_depth(doc, source)
    return doc


def check_depth(doc: object, source: str, *, limit: int = MAX_DEPTH) -> None:
    """Refuse a document nested deeper than ``limit``, or holding a number out of range
    (:func:`number_problem`): checked without recursion, naming the key."""
    stack: list[tuple[object, int, str]] = [(doc, 1, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, dict):
            children: Any = [(f"{where}.{k}" if where else str(k), v) for k, v in node.items()]
        elif isinstance(node, list | tuple):
            children = [(f"{where}[{i}]", v) for i, v in enumerate(node)]
        else:
            problem = number_problem(node)
            if problem is not None:
                raise _config_error(
                    f"key '{where}': {problem}" if where else problem,
                    source,
                    hint=f"numbers have at most {MAX_WHOLE_DIGITS} digits before the point "
                    f"and {MAX_FRACTION_DIGITS} after",
                )
            continue
        if depth > limit:
            raise _too_deep(source, limit)
        stack.extend((child, depth + 1, name) for name, child in children)


def _too_deep(source: str, limit: int = MAX_DEPTH) -> Exception:
    return _config_error(
        f"nested more than {limit} levels deep",
        source,
        hint="tables and lists in signoff's files are only a few levels deep",
    )


def _too_large(path: str, limit: int) -> Exception:
    return _config_error(f"larger than {limit:,} bytes", path, hint="is this the right file?")


def _config_error(message: str, path: str, hint: str | None = None) -> Exception:
    from foundation.errors import ConfigError

    return ConfigError(message, source=path, hint=hint)


def _error(path: str, exc: OSError) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return _config_error("file not found", path)
    if isinstance(exc, IsADirectoryError):
        return _config_error("is a directory, not a file", path)
    return _config_error(f"cannot read: {exc.strerror or exc}", path)
