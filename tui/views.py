"""What the screens show: plain data, built by :mod:`tui.service`, rendered by the widgets.

Nothing here talks to the session, the ledger or the executor; a widget gets one of
these and draws it, so the screens never depend on the shape of the session API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

Verdict = Literal["allow", "confirm", "escalate", "deny"]

# the decision by symbol as well as colour (NO_COLOR, colour-blind readers)
SYMBOL: dict[str, str] = {"allow": "✓", "confirm": "?", "escalate": "⇧", "deny": "✗"}
COLOUR: dict[str, str] = {
    "allow": "green",
    "confirm": "yellow",
    "escalate": "magenta",
    "deny": "red",
}


@dataclass(frozen=True)
class StepRow:
    """One step of the plan under review, in plain words."""

    step_id: str
    kind: Literal["order", "cancel", "query", "unresolved"]
    action: str  # Buy, Sell, Cancel, Show, —
    amount: str
    asset: str
    price: str  # "limit 150 USDT", "market", "when BTC below 2,000", "every day, 7 times"
    notional: str  # "≈1,520.40 USDT"
    decision: Verdict
    reasons: tuple[str, ...]
    summary: str  # the whole step in one line
    exact: tuple[tuple[str, str], ...]  # what will be sent, field by field
    notional_value: Decimal | None = None
    symbol: str = ""
    quantity: str = ""


@dataclass(frozen=True)
class PlanView:
    """A request as the session read and decided it."""

    plan_id: str
    text: str
    language: Literal["en", "de", "zh"]
    status: Literal["plan", "clarify", "unsupported"]
    steps: tuple[StepRow, ...] = ()
    question: str = ""
    refusal: str = ""
    decided_at: datetime | None = None
    notices: tuple[str, ...] = ()  # what the parser wants the person to know


StepState = Literal[
    "ready",  # allowed: runs when the plan is submitted
    "needs-confirm",
    "waiting",  # escalated: waiting for a second approver
    "approved",
    "rejected",
    "denied",
    "sending",
    "executed",
    "refused",
    "failed",
    "ask-again",  # the approval expired or the price drifted: confirm again
]


@dataclass(frozen=True)
class StepStatus:
    step_id: str
    state: StepState
    detail: str = ""


@dataclass(frozen=True)
class Approved:
    step_id: str
    approver: str
    expires_at: datetime


@dataclass(frozen=True)
class Holding:
    asset: str
    total: Decimal
    locked: Decimal
    value: Decimal | None  # in the reporting currency
    price: Decimal | None


@dataclass(frozen=True)
class Portfolio:
    account_id: str
    currency: str
    holdings: tuple[Holding, ...]
    total_value: Decimal
    taken_at: datetime


@dataclass(frozen=True)
class OrderLine:
    client_order_id: str
    symbol: str
    side: str
    quantity: str
    price: str
    status: str
    kind: Literal["order", "trigger", "schedule"]


@dataclass(frozen=True)
class FillLine:
    client_order_id: str
    symbol: str
    side: str
    quantity: str
    price: str
    at: datetime


@dataclass(frozen=True)
class Activity:
    open_orders: tuple[OrderLine, ...] = ()
    fills: tuple[FillLine, ...] = ()


@dataclass(frozen=True)
class Status:
    """The status bar's facts."""

    identity: str
    role: str
    account: str
    venue: str
    policy: str  # "firm-default 2026.11.1 #3f9c2a7b"
    trading_state: str
    executor: Literal["starting", "ok", "slow", "down"]
    executor_detail: str = ""
    # a paper session's clock, when the UI runs on one ("session ps-… 2026-01-05 09:31 ×60")
    clock: str = ""


@dataclass(frozen=True)
class Pending:
    """A gated step that waits for someone's approval."""

    plan_id: str
    step_id: str
    summary: str
    decision: Verdict
    requester: str
    approvers: tuple[str, ...]
    reasons: tuple[str, ...]
    may_approve: bool


@dataclass(frozen=True)
class Outcome:
    step_id: str
    state: StepState
    detail: str


@dataclass(frozen=True)
class PolicyText:
    title: str
    sections: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)
