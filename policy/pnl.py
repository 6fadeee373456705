"""Realised P&L and drawdown for the loss breaker: pure, Decimal, from the account's fills.

The executor passes in its own fills (oldest first); nothing here reads a file or a venue.

Method: **average cost per asset**, in the policy currency.

- Every fill on ``BASE/QUOTE`` is a swap: a buy gets ``quantity`` BASE and gives
  ``price × quantity`` QUOTE; a sell the other way round. Its value in the policy currency
  is ``price × quantity`` times the QUOTE's price in the currency (1 when QUOTE is the
  currency; otherwise the caller's market, e.g. SOL/BTC fills valued at BTC/USDT).
- Getting an asset adds the quantity and the value to its holding (its cost).
- Giving an asset away realises ``value − average cost × quantity`` for the quantity the
  fills had bought before; a quantity they never bought (a balance held before the first
  fill) has no known cost and realises nothing.
- Fees count as loss, at their value in the policy currency (a fee in the base or quote
  asset at the fill's own price; any other asset at the market). A fee taken from an
  asset the fills hold leaves the holding at its average cost, so it is not counted twice
  when the rest is sold.
- A fill whose value cannot be found (no price for its quote asset) is left out and
  named in :attr:`Realised.unvalued`.

``since`` splits the history: the holdings are built from every fill, and the figures
are the P&L of the fills at or after ``since`` (for the breaker: UTC midnight, or a
compliance resume later that day, whichever is later).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from intent.market import AccountSnapshot, MarketData
from intent.plan import Frozen, PositiveDecimal, Side
from intent.valuation import price_in

ZERO = Decimal(0)
HUNDRED = Decimal(100)

__all__ = ["Realised", "Trade", "drawdown_percent", "equity", "realised_pnl"]


class Trade(Frozen):
    """One fill, as the P&L needs it."""

    symbol: str = Field(description="BASE/QUOTE")
    side: Side
    price: PositiveDecimal
    quantity: PositiveDecimal
    fee: Decimal = Field(default=ZERO, ge=0)
    fee_asset: str | None = Field(default=None, description="None: the quote asset")
    at: datetime


class Realised(Frozen):
    """Realised P&L in the policy currency (fees included; negative is a loss)."""

    pnl: Decimal = ZERO
    fees: Decimal = ZERO
    unvalued: tuple[str, ...] = ()

    @property
    def loss(self) -> Decimal:
        """The realised loss: ``-pnl`` when negative, else 0."""
        return -self.pnl if self.pnl < ZERO else ZERO


@dataclass
class _Holding:
    quantity: Decimal = ZERO
    cost: Decimal = ZERO

    def get(self, quantity: Decimal, value: Decimal) -> None:
        self.quantity += quantity
        self.cost += value

    def give(self, quantity: Decimal) -> Decimal:
        """Remove up to ``quantity`` at average cost; the cost of what was removed."""
        held = min(quantity, self.quantity)
        if held <= ZERO:
            return ZERO
        if held == self.quantity:
            basis = self.cost
            self.quantity, self.cost = ZERO, ZERO
            return basis
        basis = self.cost * held / self.quantity
        self.quantity -= held
        self.cost -= basis
        return basis

    def covered(self, quantity: Decimal) -> Decimal:
        return min(quantity, max(self.quantity, ZERO))


def realised_pnl(
    trades: Iterable[Trade],
    *,
    currency: str,
    since: datetime | None = None,
    market: MarketData | None = None,
) -> Realised:
    """Realised P&L of the trades at or after ``since`` (all when None), average cost."""
    board = market or MarketData()
    rates: dict[str, Decimal | None] = {currency: Decimal(1)}

    def rate(asset: str) -> Decimal | None:
        if asset not in rates:
            rates[asset] = price_in(asset, currency, board)
        return rates[asset]

    holdings: dict[str, _Holding] = {}

    def holding(asset: str) -> _Holding | None:
        if asset == currency:
            return None  # the currency is the unit: it has no cost of its own
        return holdings.setdefault(asset, _Holding())

    # summed per market, then across markets in a fixed order: the figure does not
    # depend on how the fills of unrelated markets interleave
    pnl: dict[str, Decimal] = {}
    fees: dict[str, Decimal] = {}
    unvalued: list[str] = []
    for trade in sorted(trades, key=lambda t: t.at):
        base, _, quote = trade.symbol.partition("/")
        quote_rate = rate(quote)
        if quote_rate is None:
            unvalued.append(trade.symbol)
            continue
        counted = since is None or trade.at >= since
        amount = trade.price * trade.quantity  # in the quote asset
        value = amount * quote_rate
        if trade.side == "buy":
            gets, got, gives, given = base, trade.quantity, quote, amount
        else:
            gets, got, gives, given = quote, amount, base, trade.quantity
        realised = ZERO
        giving = holding(gives)
        if giving is not None:
            covered = giving.covered(given)
            if covered > ZERO:
                share = value if covered == given else value * covered / given
                realised = share - giving.give(covered)
        getting = holding(gets)
        if getting is not None:
            getting.get(got, value)
        fee = _fee_value(trade, base, quote, quote_rate, rate)
        if fee is None:
            unvalued.append(f"{trade.symbol} fee in {trade.fee_asset}")
            fee = ZERO
        if trade.fee > ZERO:
            paid_from = holding(trade.fee_asset or quote)
            if paid_from is not None:
                paid_from.give(trade.fee)
        if counted:
            pnl[trade.symbol] = pnl.get(trade.symbol, ZERO) + realised - fee
            fees[trade.symbol] = fees.get(trade.symbol, ZERO) + fee
    return Realised(
        pnl=sum((pnl[s] for s in sorted(pnl)), start=ZERO),
        fees=sum((fees[s] for s in sorted(fees)), start=ZERO),
        unvalued=tuple(unvalued),
    )


def _fee_value(
    trade: Trade,
    base: str,
    quote: str,
    quote_rate: Decimal,
    rate: Callable[[str], Decimal | None],
) -> Decimal | None:
    if trade.fee == ZERO:
        return ZERO
    asset = trade.fee_asset or quote
    if asset == quote:
        return trade.fee * quote_rate
    if asset == base:
        return trade.fee * trade.price * quote_rate
    other = rate(asset)
    return None if other is None else trade.fee * other


def equity(account: AccountSnapshot, market: MarketData, currency: str) -> Decimal:
    """The account's value in ``currency`` at the market's mids (assets without a price
    are left out, as the policy's portfolio value does)."""
    total = ZERO
    for asset, balance in account.balances.items():
        price = price_in(asset, currency, market)
        if price is not None:
            total += balance.total * price
    return total


def drawdown_percent(peak: Decimal, now: Decimal) -> Decimal:
    """How far ``now`` is below ``peak``, in percent of the peak (0 at or above it)."""
    if peak <= ZERO or now >= peak:
        return ZERO
    return min((peak - now) / peak * HUNDRED, HUNDRED)
