"""Client order ids derived from plan and step ids.

The same (plan, step) always gives the same id, so a retry, a restart or a
second submission of an already-sent step is recognised by the venue and by the
journal instead of becoming a second order. Venues accept at most 36 characters
of ``[.A-Za-z0-9:/_-]``; the base id is kept to 29 so that the paper engine can
suffix the runs of a schedule (``.1`` ... ``.100000``).
"""

from __future__ import annotations

import hashlib
import re

PREFIX = "so-"
MAX_BASE = 29
MAX_ID = 36
_ALLOWED = re.compile(r"^[.A-Za-z0-9:/_-]+$")


def client_order_id(plan_id: str, step_id: str) -> str:
    """``so-<plan>:<step>`` when it fits and is clean, else ``so-`` + a digest of both."""
    if not plan_id or not step_id:
        raise ValueError("a client order id needs a plan id and a step id")
    readable = f"{PREFIX}{plan_id}:{step_id}"
    if len(readable) <= MAX_BASE and _ALLOWED.match(readable):
        return readable
    digest = hashlib.sha256(f"{plan_id}\x00{step_id}".encode()).hexdigest()
    return PREFIX + digest[: MAX_BASE - len(PREFIX)]


def run_id(base: str, run: int) -> str:
    """The client order id of one run of a scheduled order."""
    if run < 1:
        raise ValueError("runs are numbered from 1")
    result = f"{base}.{run}"
    if len(result) > MAX_ID:
        raise ValueError(f"client order id too long: {result}")
    return result


def is_valid(client_id: str) -> bool:
    return 0 < len(client_id) <= MAX_ID and bool(_ALLOWED.match(client_id))
