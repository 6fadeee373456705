"""Request history, kept across runs in ``$SIGNOFF_HOME/tui-history.txt`` (one a line)."""

from __future__ import annotations

import os

LIMIT = 200


def history_path() -> str:
    from foundation.paths import home

    return os.path.join(home(create=True), "tui-history.txt")


def load() -> list[str]:
    try:
        with open(history_path(), encoding="utf-8") as handle:
            lines = [line.rstrip("\n") for line in handle]
    except FileNotFoundError:
        return []
    return [line for line in lines if line.strip()][-LIMIT:]


def append(text: str) -> None:
    from foundation.secrets import redact

    line = redact(" ".join(text.split()))
    if not line:
        return
    path = history_path()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
