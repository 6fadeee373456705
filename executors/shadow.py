"""Shadow mode: the executor evaluates a candidate policy beside the live one and records
where they disagree, changing nothing.

The candidate is the policy file named by ``$SIGNOFF_SHADOW_POLICY`` (unset: shadow mode
is off and :func:`shadow_check` returns at once). Disagreements are appended as JSON
lines to ``$SIGNOFF_HOME/shadow-disagreements.jsonl`` (or ``$SIGNOFF_SHADOW_LOG``): when,
which plan and step, the live and candidate policies and decisions, and the rules.

The executor hook is one line, after the live decision and before acting on it::

    shadow_check(steps, decisions, account=..., market=..., counters=..., now=..., plan_id=...)

It never raises and never alters its arguments: a candidate that does not load, or any
failure while evaluating it, is recorded as a line of its own (``"error"``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from datetime import datetime

from foundation import paths
from intent.market import AccountSnapshot, MarketData
from intent.resolved import ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision
from policy.lifecycle import Disagreement, shadow
from policy.model import Policy

__all__ = ["ENV_SHADOW", "candidate_policy", "shadow_check", "shadow_log_path"]

ENV_SHADOW = "SIGNOFF_SHADOW_POLICY"
ENV_SHADOW_LOG = "SIGNOFF_SHADOW_LOG"

_LOADED: dict[tuple[str, int, int], Policy] = {}


def shadow_log_path() -> str:
    configured = os.environ.get(ENV_SHADOW_LOG, "").strip()
    if configured:
        return os.path.expanduser(configured)
    return os.path.join(paths.home(), "shadow-disagreements.jsonl")


def candidate_policy() -> Policy | None:
    """The candidate named by ``$SIGNOFF_SHADOW_POLICY``, loaded once per file version."""
    from executors.policy_file import load_policy_file

    path = os.environ.get(ENV_SHADOW, "").strip()
    if not path:
        return None
    info = os.stat(path)
    key = (path, info.st_mtime_ns, info.st_size)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_policy_file(path)
    return _LOADED[key]


def _append(record: dict[str, object]) -> None:
    log = shadow_log_path()
    os.makedirs(os.path.dirname(log) or ".", mode=0o700, exist_ok=True)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True, default=str) + "\n")


def shadow_check(
    steps: Sequence[ResolvedStep],
    decisions: Sequence[StepDecision],
    *,
    account: AccountSnapshot,
    market: MarketData,
    counters: Counters,
    now: datetime,
    plan_id: str | None = None,
    firing: bool = False,
    candidate: Policy | None = None,
) -> list[Disagreement]:
    """Evaluate the candidate beside the live decisions; record and return the disagreements."""
    try:
        policy = candidate if candidate is not None else candidate_policy()
        if policy is None:
            return []
        found = shadow(
            steps,
            decisions,
            policy,
            account=account,
            market=market,
            counters=counters,
            now=now,
            plan_id=plan_id,
            firing=firing,
        )
        live = decisions[0].policy if decisions else None
        for d in found:
            _append(
                {
                    "at": now.isoformat(),
                    "plan_id": plan_id,
                    "step_id": d.step_id,
                    "step": d.step,
                    "live_policy": f"{live.id}@{live.version}" if live else None,
                    "candidate_policy": f"{policy.id}@{policy.version}",
                    "candidate_hash": policy.hash,
                    "live": d.live,
                    "candidate": d.candidate,
                    "live_rules": list(d.live_rules),
                    "candidate_rules": list(d.candidate_rules),
                    "candidate_reasons": list(d.candidate_reasons),
                    "firing": firing,
                }
            )
        return found
    except Exception as exc:  # shadow mode must never disturb the live path
        with contextlib.suppress(OSError):
            _append({"at": now.isoformat(), "plan_id": plan_id, "error": repr(exc)})
        return []
