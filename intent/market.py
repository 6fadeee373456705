"""What resolution needs to know about the account and the market.

These are plain values handed in by whoever fetched them (an executor, a test,
a scenario file); the domain never fetches anything itself.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, Self

from pydantic import Field, model_validator

from intent.plan import Asset, Frozen, OrderType, PositiveDecimal, Side

ZERO = Decimal(0)
# a stop-loss sells when the price falls (buys when it rises); a take-profit the reverse
TriggerKind = Literal["stop_loss", "take_profit"]


def symbol_of(base: str, quote: str) -> str:
    """The unified symbol ccxt uses: ``BTC/USDT``."""
    return f"{base}/{quote}"


class MarketRules(Frozen):
    """A market's trading rules, as the venue publishes them (Binance's filters)."""

    symbol: str
    base: Asset
    quote: Asset
    tick_size: PositiveDecimal
    step_size: PositiveDecimal
    min_qty: Decimal = Field(default=ZERO, ge=0)
    max_qty: PositiveDecimal | None = None
    min_notional: Decimal = Field(default=ZERO, ge=0)
    max_notional: PositiveDecimal | None = None
    trading: bool = True
    # what the venue can do on this market beyond plain market and limit orders (the
    # ccxt executor fills these from executors/capabilities.py; the paper engine does all)
    venue: str | None = None
    trigger_kinds: tuple[TriggerKind, ...] = ("stop_loss", "take_profit")
    cross_market_triggers: bool = True

    @model_validator(mode="after")
    def _symbol_matches(self) -> Self:
        if self.symbol != symbol_of(self.base, self.quote):
            raise ValueError(f"symbol {self.symbol} does not match {self.base}/{self.quote}")
        return self


class Quote(Frozen):
    """Best bid, best ask and last trade of a market at a moment."""

    symbol: str
    bid: PositiveDecimal
    ask: PositiveDecimal
    last: PositiveDecimal
    time: datetime

    @model_validator(mode="after")
    def _not_crossed(self) -> Self:
        if self.bid > self.ask:
            raise ValueError(f"{self.symbol}: bid {self.bid} above ask {self.ask}")
        return self

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2


class Balance(Frozen):
    asset: Asset
    free: Decimal = Field(ge=0)
    locked: Decimal = Field(default=ZERO, ge=0)

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


class OpenOrder(Frozen):
    """An order resting on the venue (or waiting on a trigger in the paper engine)."""

    order_id: str
    client_order_id: str | None = None
    symbol: str
    side: Side
    order_type: OrderType
    price: PositiveDecimal | None = None
    quantity: PositiveDecimal
    filled: Decimal = Field(default=ZERO, ge=0)
    conditional: bool = False
    created_at: datetime | None = None

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled


class AccountSnapshot(Frozen):
    """Balances and open orders of one account at one moment."""

    account_id: str
    venue: str
    balances: dict[Asset, Balance] = Field(default_factory=dict)
    open_orders: tuple[OpenOrder, ...] = ()
    reporting_currency: Asset = "USDT"
    taken_at: datetime

    def free(self, asset: str) -> Decimal:
        balance = self.balances.get(asset)
        return balance.free if balance else ZERO

    def total(self, asset: str) -> Decimal:
        balance = self.balances.get(asset)
        return balance.total if balance else ZERO


class MarketData(Frozen):
    """The rules and quotes of the markets a plan may touch."""

    rules: dict[str, MarketRules] = Field(default_factory=dict)
    quotes: dict[str, Quote] = Field(default_factory=dict)

    def market(self, base: str, quote: str) -> MarketRules | None:
        return self.rules.get(symbol_of(base, quote))

    def quote(self, base: str, quote: str) -> Quote | None:
        return self.quotes.get(symbol_of(base, quote))
