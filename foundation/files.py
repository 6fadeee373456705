"""Reading the files a person points signoff at, with errors that name the file.

Standard library only (the error classes load only on error): ``signoff parse --jsonl``
reads the asset lists through here.
"""

from __future__ import annotations


def read_bytes(path: str) -> bytes:
    """The file's exact bytes; a :class:`~foundation.errors.ConfigError` naming it otherwise."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise _error(path, exc) from None


def read_text(path: str) -> str:
    """The file as UTF-8 text; a :class:`~foundation.errors.ConfigError` naming it otherwise."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from foundation.errors import ConfigError

        raise ConfigError(
            f"not UTF-8 text (byte {exc.start})", source=path, hint="save the file as UTF-8"
        ) from None


def _error(path: str, exc: OSError) -> Exception:
    from foundation.errors import ConfigError

    if isinstance(exc, FileNotFoundError):
        return ConfigError("file not found", source=path)
    if isinstance(exc, IsADirectoryError):
        return ConfigError("is a directory, not a file", source=path)
    return ConfigError(f"cannot read: {exc.strerror or exc}", source=path)
