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

from bisect import bisect_left, insort
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

__all__ = ["Book", "Realised", "Trade", "drawdown_percent", "equity", "realised_pnl"]


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


@dataclass(frozen=True)
class _Entry:
    at: datetime
    symbol: str
    pnl: Decimal
    fee: Decimal


def _when(entry: _Entry) -> datetime:
    return entry.at


class Book:
    """Holdings at average cost, built one trade at a time (the executor keeps one and adds
    each new fill once); :meth:`realised` sums the realised figures of a window."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._holdings: dict[str, _Holding] = {}
        self._entries: list[_Entry] = []
        self.unvalued: list[str] = []

    def _holding(self, asset: str) -> _Holding | None:
        if asset == self.currency:
            return None  # the currency is the unit: it has no cost of its own
        return self._holdings.setdefault(asset, _Holding())

    def can_value(self, trade: Trade, market: MarketData | None) -> bool:
        """Whether ``trade``'s quote asset has a price in the currency on ``market``."""
        quote = trade.symbol.partition("/")[2]
        return price_in(quote, self.currency, market or MarketData()) is not None

    def add(self, trade: Trade, market: MarketData | None = None) -> None:
        """Apply one trade (after every earlier one), valued with ``market`` when its
        quote asset is not the currency; a trade that cannot be valued is left out."""
        board = market or MarketData()

        def rate(asset: str) -> Decimal | None:
            return price_in(asset, self.currency, board)

        base, _, quote = trade.symbol.partition("/")
        quote_rate = rate(quote)
        if quote_rate is None:
            self.unvalued.append(trade.symbol)
            return
        amount = trade.price * trade.quantity  # in the quote asset
        value = amount * quote_rate
        if trade.side == "buy":
            gets, got, gives, given = base, trade.quantity, quote, amount
        else:
            gets, got, gives, given = quote, amount, base, trade.quantity
        realised = ZERO
        giving = self._holding(gives)
        if giving is not None:
            covered = giving.covered(given)
            if covered > ZERO:
                share = value if covered == given else value * covered / given
                realised = share - giving.give(covered)
        getting = self._holding(gets)
        if getting is not None:
            getting.get(got, value)
        fee = _fee_value(trade, base, quote, quote_rate, rate)
        if fee is None:
            self.unvalued.append(f"{trade.symbol} fee in {trade.fee_asset}")
            fee = ZERO
        if trade.fee > ZERO:
            paid_from = self._holding(trade.fee_asset or quote)
            if paid_from is not None:
                paid_from.give(trade.fee)
        # kept in time order (a fill recorded late goes where it belongs)
        insort(self._entries, _Entry(trade.at, trade.symbol, realised - fee, fee), key=_when)

    def realised(self, since: datetime | None = None) -> Realised:
        """The realised P&L of the trades at or after ``since`` (all when None)."""
        # summed per market, then across markets in a fixed order: the figure does not
        # depend on how the fills of unrelated markets interleave
        pnl: dict[str, Decimal] = {}
        fees: dict[str, Decimal] = {}
        first = 0 if since is None else bisect_left(self._entries, since, key=_when)
        for entry in self._entries[first:]:
            pnl[entry.symbol] = pnl.get(entry.symbol, ZERO) + entry.pnl
            fees[entry.symbol] = fees.get(entry.symbol, ZERO) + entry.fee
        return Realised(
            pnl=sum((pnl[s] for s in sorted(pnl)), start=ZERO),
            fees=sum((fees[s] for s in sorted(fees)), start=ZERO),
            unvalued=tuple(self.unvalued),
        )


def realised_pnl(
    trades: Iterable[Trade],
    *,
    currency: str,
    since: datetime | None = None,
    market: MarketData | None = None,
) -> Realised:
    """Realised P&L of the trades at or after ``since`` (all when None), average cost,
    the trades taken in time order."""
    book = Book(currency)
    for trade in sorted(trades, key=lambda t: t.at):
        book.add(trade, market)
    return book.realised(since)


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
