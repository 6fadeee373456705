"""The one executor protocol, and the values that cross it.

Every way of carrying out an order (the paper engine, ccxt against the local
exchange, ccxt against a testnet) implements :class:`Executor`. Everything above
it (the approval gate, the journal, reconciliation, the executor process) is
written once against the protocol: there is no ``if paper:`` anywhere.

An executor is deliberately dumb about permission: it places what it is given.
The gate in :mod:`executors.service` decides what it is given, and it is the
only caller of :meth:`Executor.submit` in signoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, Self

from pydantic import Field, model_validator

from intent.market import AccountSnapshot, MarketRules, OpenOrder, Quote
from intent.plan import Frozen, OrderType, PositiveDecimal, Schedule, Side
from intent.resolved import ResolvedOrder

ZERO = Decimal(0)

OrderStatus = Literal[
    "open",  # accepted, resting or waiting for its trigger or its next scheduled run
    "partially_filled",
    "filled",
    "canceled",
    "rejected",  # refused by the venue
    "expired",  # the venue gave up on it (e.g. a triggered order without funds)
    "not_found",  # the venue never accepted it (found missing by reconciliation)
]
FINISHED: frozenset[str] = frozenset({"filled", "canceled", "rejected", "expired", "not_found"})
TriggerDirection = Literal["below", "above"]


class Fill(Frozen):
    """One trade of one order."""

    trade_id: str
    order_id: str
    client_order_id: str | None = None
    symbol: str
    side: Side
    price: PositiveDecimal
    quantity: PositiveDecimal
    fee: Decimal = Field(default=ZERO, ge=0)
    fee_asset: str | None = None
    maker: bool = False
    time: datetime


class OrderRequest(Frozen):
    """What an executor is asked to place: one order with its client order id.

    ``trigger_price``/``trigger_direction`` make it a conditional order that
    waits until ``trigger_symbol``'s last price is at or beyond the level (the
    venues only watch the order's own market; the paper engine watches any).
    ``schedule`` repeats it (the first run at once, the next every interval).
    """

    client_order_id: str = Field(pattern=r"^[.A-Za-z0-9:/_-]{1,36}$")
    symbol: str
    side: Side
    order_type: OrderType
    quantity: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    trigger_symbol: str | None = None
    trigger_price: PositiveDecimal | None = None
    trigger_direction: TriggerDirection | None = None
    schedule: Schedule | None = None
    quote_amount: PositiveDecimal | None = Field(
        default=None,
        description="a scheduled market order spending this quote amount at each run's price "
        "(executors/schedule_runs.py sizes each run); quantity is the first run's",
    )

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if (self.order_type == "limit") != (self.limit_price is not None):
            raise ValueError("a limit order has a limit price and a market order none")
        trigger_parts = (self.trigger_price, self.trigger_direction, self.trigger_symbol)
        if any(p is None for p in trigger_parts) and any(p is not None for p in trigger_parts):
            raise ValueError("a trigger needs its symbol, price and direction together")
        return self

    @property
    def conditional(self) -> bool:
        return self.trigger_price is not None

    @classmethod
    def from_resolved(cls, order: ResolvedOrder, client_order_id: str) -> OrderRequest:
        trigger = order.trigger
        return cls(
            client_order_id=client_order_id,
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            quantity=order.quantity,
            limit_price=order.limit_price,
            trigger_symbol=f"{trigger.base}/{order.quote}" if trigger else None,
            trigger_price=trigger.level if trigger else None,
            trigger_direction=trigger.direction if trigger else None,
            schedule=order.schedule,
            quote_amount=order.quote_amount if order.schedule is not None else None,
        )


class OrderState(Frozen):
    """An order as the venue reports it."""

    order_id: str | None = None
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    status: OrderStatus
    quantity: PositiveDecimal
    filled: Decimal = Field(default=ZERO, ge=0)
    limit_price: PositiveDecimal | None = None
    trigger_price: PositiveDecimal | None = None
    trigger_direction: TriggerDirection | None = None
    average_price: PositiveDecimal | None = None
    cost: Decimal = Field(default=ZERO, ge=0, description="quote value filled so far")
    fills: tuple[Fill, ...] = ()
    reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled

    def as_open_order(self) -> OpenOrder:
        return OpenOrder(
            order_id=self.order_id or self.client_order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            price=self.limit_price,
            quantity=self.quantity,
            filled=self.filled,
            conditional=self.trigger_price is not None,
            created_at=self.created_at,
        )


class Executor(Protocol):
    """One venue: the paper engine, or an exchange (local or testnet) through ccxt.

    All amounts are ``Decimal``; all times timezone-aware UTC. Errors are from
    :mod:`foundation.errors` (``ExchangeError`` and its subclasses), never a
    library's own.
    """

    @property
    def venue(self) -> str:
        """A short name: ``paper``, ``local``, ``binance-testnet``, ..."""
        ...

    async def start(self) -> None:
        """Connect and load the markets; called once before anything else."""
        ...

    async def close(self) -> None:
        """Release connections; the executor is not used afterwards."""
        ...

    async def market_rules(self) -> dict[str, MarketRules]:
        """The rules of every spot market the venue lists, by unified symbol."""
        ...

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Current quotes of the given markets."""
        ...

    async def account(self) -> AccountSnapshot:
        """Balances and open orders."""
        ...

    async def submit(self, request: OrderRequest) -> OrderState:
        """Place one order. Raises ``OrderStateUnknown`` when it may or may not exist."""
        ...

    async def cancel(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        """Cancel one open order, named by the venue's id or the client order id."""
        ...

    async def lookup(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The order with this client order id, or ``None`` if the venue never had it."""
        ...

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        """Orders still open (resting, or waiting for a trigger)."""
        ...

    async def fills(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        """The account's trades in one market, oldest first."""
        ...
