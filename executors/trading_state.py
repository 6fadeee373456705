"""The firm-wide trading state (ACTIVE, REDUCING, HALTED): one signed log every executor reads.

``$SIGNOFF_HOME/trading-state.jsonl`` (or ``$SIGNOFF_TRADING_STATE``) is an append-only
log, one JSON line per change: the new state, why, who, when, whether open orders are
to be cancelled, the hash of the line before, and the signature of the person who made
it (their foundation.identity key, over the line's canonical bytes with the kind
``signoff/trading-state/v1``). The current state is the last line's.

Every executor calls :func:`current_state` before each send. It re-reads the file only
when it changed (size, mtime, inode), verifies every line against the identities file,
and fails closed: a line that does not verify, a broken chain, or an unreadable file
gives HALTED, saying why.

Who may write what:

- a person's line (``signoff halt`` / ``signoff resume``) must be signed by an identity
  with the ``compliance`` role;
- the loss breaker (:func:`latch_loss_breaker`) writes unsigned lines as
  ``loss-breaker:<rule id>``; an unsigned line may only make the state stricter, never
  lift it; once tripped it stays until a compliance identity resumes.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any, Literal

from foundation import paths
from foundation.errors import IdentityError
from foundation.identity import IdentityRegistry, SigningKey, identities_path
from intent.canonical import canonical_bytes
from intent.market import AccountSnapshot
from intent.resolved import ResolvedOrder
from policy.context import fmt_exact, fmt_observed
from policy.counters import Counters
from policy.model import STATE_SEVERITY, LossBreaker, Policy

__all__ = [
    "KIND",
    "StateChange",
    "TradingState",
    "append_change",
    "breaker_window_start",
    "current_state",
    "latch_loss_breaker",
    "refusal",
    "state_history",
    "state_path",
]

KIND = "signoff/trading-state/v1"
ENV_STATE = "SIGNOFF_TRADING_STATE"
SYSTEM_PREFIX = "loss-breaker:"
State = Literal["ACTIVE", "REDUCING", "HALTED"]


def state_path() -> str:
    """The log: ``$SIGNOFF_TRADING_STATE``, else ``$SIGNOFF_HOME/trading-state.jsonl``."""
    configured = os.environ.get(ENV_STATE, "").strip()
    if configured:
        return os.path.expanduser(configured)
    return os.path.join(paths.home(), "trading-state.jsonl")


@dataclass(frozen=True)
class StateChange:
    """One line of the log."""

    seq: int
    state: State
    reason: str
    by: str
    at: datetime
    cancel_open: bool
    prev: str
    signature: str | None

    def body(self) -> dict[str, Any]:
        """What is signed: every field but the signature, with the domain-separating kind."""
        return {
            "kind": KIND,
            "seq": self.seq,
            "state": self.state,
            "reason": self.reason,
            "by": self.by,
            "at": self.at.astimezone(UTC).isoformat(),
            "cancel_open": self.cancel_open,
            "prev": self.prev,
        }

    def payload(self) -> bytes:
        return canonical_bytes(self.body())

    def line(self) -> str:
        data = self.body()
        data["signature"] = self.signature
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @property
    def system(self) -> bool:
        return self.by.startswith(SYSTEM_PREFIX)


@dataclass(frozen=True)
class TradingState:
    """The state every executor must respect before each send."""

    state: State
    reason: str
    by: str
    at: datetime | None
    seq: int
    cancel_open: bool = False
    valid: bool = True

    @property
    def allows_new_orders(self) -> bool:
        return self.state == "ACTIVE"


ACTIVE = TradingState(
    state="ACTIVE", reason="no trading-state change recorded", by="", at=None, seq=0
)


def _parse(line: str, number: int) -> StateChange:
    data = json.loads(line)
    if data.get("kind") != KIND:
        raise ValueError(f"line {number}: not a {KIND} record")
    state = data["state"]
    if state not in STATE_SEVERITY:
        raise ValueError(f"line {number}: unknown state {state!r}")
    return StateChange(
        seq=int(data["seq"]),
        state=state,
        reason=str(data["reason"]),
        by=str(data["by"]),
        at=datetime.fromisoformat(data["at"]),
        cancel_open=bool(data["cancel_open"]),
        prev=str(data["prev"]),
        signature=data.get("signature"),
    )


def _digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def _verify_all(text: str, registry: IdentityRegistry) -> list[StateChange]:
    """Every change in the log, each verified; ValueError naming the first bad line."""
    changes: list[StateChange] = []
    prev = ""
    state: State = "ACTIVE"
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        change = _parse(line, number)
        if change.seq != len(changes) + 1:
            raise ValueError(f"line {number}: sequence {change.seq}, expected {len(changes) + 1}")
        if change.prev != prev:
            raise ValueError(f"line {number}: does not follow the line before (chain broken)")
        if change.system:
            if change.signature is not None:
                raise ValueError(f"line {number}: a loss-breaker line carries no signature")
            if STATE_SEVERITY[change.state] <= STATE_SEVERITY[state]:
                raise ValueError(
                    f"line {number}: an unsigned line may only make the state stricter"
                )
        else:
            if change.signature is None:
                raise ValueError(f"line {number}: {change.by}'s change is not signed")
            try:
                identity = registry.verify(change.by, change.payload(), change.signature)
            except IdentityError as exc:
                raise ValueError(f"line {number}: {exc.message}") from None
            if not identity.has_role("compliance"):
                raise ValueError(f"line {number}: {change.by} does not have the compliance role")
        changes.append(change)
        prev = _digest(line)
        state = change.state
    return changes


_CACHE: dict[tuple[str, str], tuple[tuple[int, int, int], str, TradingState]] = {}


def _load_registry(path: str | None) -> IdentityRegistry:
    return IdentityRegistry.load(path or identities_path())


def current_state(path: str | None = None, *, identities: str | None = None) -> TradingState:
    """The trading state now, verified against the identities file; HALTED if it cannot be.

    Cheap when nothing changed: a ``stat`` of the log and of the identities file.
    """
    log = path or state_path()
    registry_path = identities or identities_path()
    try:
        info = os.stat(log)
    except FileNotFoundError:
        return ACTIVE
    except OSError as exc:
        return _halted(f"the trading-state log {log} cannot be read: {exc.strerror}")
    try:
        reg = os.stat(registry_path)
        reg_key = f"{reg.st_ino}:{reg.st_size}:{reg.st_mtime_ns}"
    except OSError:
        reg_key = "missing"
    key = (log, registry_path)
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == stamp and cached[1] == reg_key:
        return cached[2]
    state = _read_state(log, registry_path)
    _CACHE[key] = (stamp, reg_key, state)
    return state


def _halted(why: str) -> TradingState:
    return TradingState(
        state="HALTED", reason=f"fails closed: {why}", by="", at=None, seq=0, valid=False
    )


def _read_state(log: str, registry_path: str) -> TradingState:
    try:
        with open(log, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        return _halted(f"the trading-state log {log} cannot be read: {exc.strerror}")
    if not text.strip():
        return ACTIVE
    try:
        registry = _load_registry(registry_path)
    except Exception as exc:  # any failure to read who may sign fails closed
        return _halted(f"the identities file cannot be read: {exc}")
    try:
        changes = _verify_all(text, registry)
    except (ValueError, KeyError, TypeError) as exc:
        return _halted(f"the trading-state log {log} does not verify: {exc}")
    if not changes:
        return ACTIVE
    last = changes[-1]
    return TradingState(
        state=last.state,
        reason=last.reason,
        by=last.by,
        at=last.at,
        seq=last.seq,
        cancel_open=last.cancel_open,
    )


def state_history(path: str | None = None, *, identities: str | None = None) -> list[StateChange]:
    """Every change in the log, verified (ValueError if the log does not verify)."""
    log = path or state_path()
    try:
        with open(log, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return []
    return _verify_all(text, _load_registry(identities))


def append_change(
    *,
    state: State,
    reason: str,
    by: str,
    at: datetime,
    cancel_open: bool = False,
    key: SigningKey | None = None,
    path: str | None = None,
) -> StateChange:
    """Append one change under an exclusive lock (the sequence and chain stay whole when
    several processes write at once). A person's change needs their key; only the loss
    breaker (``by`` starting with ``loss-breaker:``) writes unsigned lines."""
    log = path or state_path()
    directory = os.path.dirname(log) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(log, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "r", encoding="utf-8") as reader:
            reader.seek(0)
            lines = [line for line in reader.read().splitlines() if line.strip()]
        prev = _digest(lines[-1]) if lines else ""
        change = StateChange(
            seq=len(lines) + 1,
            state=state,
            reason=reason,
            by=by,
            at=at,
            cancel_open=cancel_open,
            prev=prev,
            signature=None,
        )
        if not change.system:
            if key is None or key.name != by:
                raise IdentityError(
                    "NO_KEY", f"a trading-state change by {by} must be signed with {by}'s key"
                )
            change = replace(change, signature=key.sign(change.payload()))
        os.write(fd, (change.line() + "\n").encode("utf-8"))
        os.fsync(fd)
        return change
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def latch_loss_breaker(
    policy: Policy,
    counters: Counters,
    now: datetime,
    *,
    path: str | None = None,
    identities: str | None = None,
    counted_since: datetime | None = None,
    currency: str | None = None,
) -> StateChange | None:
    """Trip the trading state when a loss breaker of ``policy`` is breached.

    The engine already refuses what a breached breaker blocks; this makes it stay: the
    state goes to the rule's ``trips_to`` and remains until a compliance identity runs
    ``signoff resume``. A compliance resume given today after the trip is respected
    (the same breach today does not trip again) unless ``counted_since`` says the
    counters were counted from :func:`breaker_window_start` (which restarts the count at
    a compliance resume): then a new breach after the resume trips again. Returns the
    line written, if any.
    """
    unit = f" {currency or policy.currency}"
    log = path or state_path()
    current = current_state(log, identities=identities)
    for rule in policy.rules:
        if not isinstance(rule, LossBreaker):
            continue
        breached = []
        if rule.max_daily_loss is not None and counters.realised_loss_today > rule.max_daily_loss:
            breached.append(
                f"realised loss {_since(counted_since, now)}"
                f"{fmt_observed(counters.realised_loss_today, rule.max_daily_loss)}{unit}"
                f" over the limit {fmt_exact(rule.max_daily_loss)}{unit}"
            )
        if (
            rule.max_drawdown_percent is not None
            and counters.drawdown_percent > rule.max_drawdown_percent
        ):
            breached.append(
                f"drawdown {_since(counted_since, now)}"
                f"{fmt_observed(counters.drawdown_percent, rule.max_drawdown_percent)}%"
                f" over the limit {fmt_exact(rule.max_drawdown_percent)}%"
            )
        if not breached:
            continue
        if STATE_SEVERITY[current.state] >= STATE_SEVERITY[rule.trips_to]:
            continue
        if counted_since is None and _resumed_today(log, identities, now):
            continue
        return append_change(
            state=rule.trips_to,
            reason=f"loss breaker {rule.id}: {', '.join(breached)} → {rule.trips_to}",
            by=f"{SYSTEM_PREFIX}{rule.id}",
            at=now,
            path=log,
        )
    return None


def _since(counted_since: datetime | None, now: datetime) -> str:
    if counted_since is None or counted_since == _midnight(now):
        return "today "
    return f"since {counted_since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "


def _midnight(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


_RESUMES: dict[tuple[str, str], tuple[tuple[int, int, int], tuple[datetime, ...]]] = {}


def _resume_times(log: str, identities: str | None) -> tuple[datetime, ...]:
    """When each signed change back to ACTIVE was made (cached on the log's stat)."""
    try:
        info = os.stat(log)
    except OSError:
        return ()
    key = (log, identities or "")
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
    cached = _RESUMES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        changes = state_history(log, identities=identities)
    except (ValueError, KeyError, TypeError, OSError, IdentityError):
        return ()
    times = tuple(c.at for c in changes if not c.system and c.state == "ACTIVE")
    _RESUMES[key] = (stamp, times)
    return times


def breaker_window_start(
    now: datetime, path: str | None = None, *, identities: str | None = None
) -> datetime:
    """Where the loss breaker's count starts: UTC midnight of ``now``, or the last signed
    change back to ACTIVE today (a compliance ``signoff resume``) if later, so that a
    reset starts the count again. A log that does not verify gives midnight (its state
    is HALTED anyway)."""
    start = _midnight(now)
    for at in _resume_times(path or state_path(), identities):
        if start < at <= now:
            start = at
    return start


def _resumed_today(log: str, identities: str | None, now: datetime) -> bool:
    try:
        changes = state_history(log, identities=identities)
    except ValueError:
        return False
    day = now.astimezone(UTC).date()
    tripped = False
    for change in changes:
        if change.system and change.at.astimezone(UTC).date() == day:
            tripped = True
        elif tripped and not change.system and change.state == "ACTIVE":
            return True
    return False


def refusal(
    order: ResolvedOrder,
    state: TradingState,
    *,
    policy: Policy,
    account: AccountSnapshot,
    now: datetime,
) -> str | None:
    """Why ``state`` stops ``order`` right before it is sent, or None when it may go.

    HALTED stops every order; REDUCING every order that grows a position (the same rule
    the policy applies: anything that gets an asset other than the policy currency, or
    gives more than the account holds). Cancels are never stopped: do not call this for
    them.
    """
    from intent.market import MarketData
    from policy.context import Context

    context = Context(policy, account, MarketData(), Counters(), now, None, False)
    if not context.blocked_by_state(order, state.state):
        return None
    why = f"{state.reason} (by {state.by})" if state.by else state.reason
    if state.state == "HALTED":
        return f"TRADING_HALTED: trading is HALTED: {why}; only cancels go through"
    return (
        f"TRADING_REDUCING: trading is REDUCING: {why}; only orders that shrink a "
        "position go through"
    )
