"""History the policy needs, passed in by the caller (the ledger, a session, a test).

The engine is pure: whatever a rule needs that happened before this plan comes in
a :class:`Counters` value. An empty ``Counters()`` means a fresh account with no
history, trading ACTIVE.

Who fills what:

- ``orders``: orders submitted recently (at least the last day and the longest
  duplicate or throttle window), each with its value in the policy currency;
  the daily budget and duplicate detection read them;
- ``messages``: when each submit and cancel was sent (the message rate);
- ``executions``: when each plan or schedule was executed (the execution throttle);
- ``pending``: orders approved but not yet sent (open-order caps);
- ``assets_traded``: every asset the account has traded before (first trade);
- ``trading_state``: the state a named person set (kill switch);
- ``realised_loss_today`` and ``drawdown_percent``: for the loss breaker;
- ``tripped_throttles``: plan or schedule ids whose execution throttle tripped
  and has not been reset by a named person.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from intent.plan import Frozen, OrderType, PositiveDecimal, Side
from policy.model import TradingState

ZERO = Decimal(0)


class RecentOrder(Frozen):
    """An order submitted before this plan."""

    symbol: str
    side: Side
    order_type: OrderType
    quantity: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    notional: Decimal = Field(ge=0, description="its value in the policy currency")
    at: datetime


class Execution(Frozen):
    """One run of a plan, or one firing of a schedule."""

    plan_id: str
    at: datetime


class PendingOrder(Frozen):
    """An order approved but not yet sent; counts towards the open-order caps."""

    symbol: str
    conditional: bool = False


class Counters(Frozen):
    orders: tuple[RecentOrder, ...] = ()
    messages: tuple[datetime, ...] = ()
    executions: tuple[Execution, ...] = ()
    pending: tuple[PendingOrder, ...] = ()
    assets_traded: frozenset[str] = frozenset()
    trading_state: TradingState = "ACTIVE"
    realised_loss_today: Decimal = Field(default=ZERO, ge=0)
    drawdown_percent: Decimal = Field(default=ZERO, ge=0, le=100)
    tripped_throttles: frozenset[str] = frozenset()
