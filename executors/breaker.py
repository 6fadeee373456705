"""The loss breaker's figures, from the executor's own journal, and its latch.

Before each decision :meth:`ExecutionService.counters` hands its counters to
:func:`with_loss_figures`, which, when the policy has a ``loss_breaker`` rule:

1. counts the realised P&L of the account's fills since the window start (UTC midnight,
   or a compliance ``signoff resume`` later that day) with a :class:`policy.pnl.Book`
   (average cost per asset, fees as loss; the holdings are built from every fill the
   journal has for this venue, each added once, in the order the journal recorded it,
   valued with the market of the decision that first saw it when its quote asset is not
   the policy currency);
2. measures the drawdown: the account's value now (balances at the market's mids, in the
   policy currency) against the highest value the executor has seen since the window
   start (kept in the journal, one figure per window);
3. latches the trading state (:func:`executors.trading_state.latch_loss_breaker`) when a
   limit is passed: a line ``by loss-breaker:<rule id>`` naming the limit and the figure
   observed, which stays until a compliance identity resumes;
4. returns the counters with both figures and the stricter of their state and the log's.

The trading-state log is the firm-wide one unless the service names its own
(``breaker_log``: a paper session keeps its trips to itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from executors.trading_state import (
    breaker_window_start,
    current_state,
    latch_loss_breaker,
    state_path,
)
from intent.market import AccountSnapshot, MarketData
from policy.counters import Counters
from policy.model import STATE_SEVERITY, LossBreaker, Policy
from policy.pnl import Book, Trade, drawdown_percent, equity

if TYPE_CHECKING:
    from executors.service import ExecutionService

ZERO = Decimal(0)


@dataclass
class _Memory:
    """What one service keeps between decisions."""

    book: Book | None = None  # every fill so far, at average cost
    last_row: int = 0
    # the last market and drawdown measured: a client asking for counters between
    # decisions (without an account or a market) gets the figures the decision will use
    market: MarketData | None = None
    since: datetime | None = None
    drawdown: Decimal = ZERO
    peak: Decimal | None = None  # the highest account value since ``since``


_MEMORY: WeakKeyDictionary[ExecutionService, _Memory] = WeakKeyDictionary()

__all__ = ["with_loss_figures"]


def with_loss_figures(
    service: ExecutionService,
    policy: Policy,
    counters: Counters,
    now: datetime,
    *,
    account: AccountSnapshot | None = None,
    market: MarketData | None = None,
    latch: bool = True,
) -> Counters:
    """``counters`` with the realised loss and drawdown filled in, the breaker latched
    when a limit is passed (``latch``), and the resulting trading state."""
    rules = [r for r in policy.rules if isinstance(r, LossBreaker)]
    if not rules:
        return counters
    log = service.breaker_log or state_path()
    identities = service.breaker_identities
    since = breaker_window_start(now, log, identities=identities)
    memory = _MEMORY.setdefault(service, _Memory())
    if market is None:
        market = memory.market  # asked without a market (a client's counters): the last one
    else:
        memory.market = market
    if memory.book is None or memory.book.currency != policy.currency:
        memory.book, memory.last_row = Book(policy.currency), 0
    book = memory.book
    for row, f in service.journal.fills_on(service.venue, memory.last_row):
        trade = Trade(
            symbol=f.symbol,
            side=f.side,
            price=f.price,
            quantity=f.quantity,
            fee=f.fee,
            fee_asset=f.fee_asset,
            at=f.time,
        )
        if market is None and not book.can_value(trade, market):
            break  # a cross pair before any market was seen: taken at the next decision
        book.add(trade, market)
        memory.last_row = row
    realised = book.realised(since)
    if memory.since != since:
        memory.since, memory.drawdown, memory.peak = since, ZERO, None
    if (
        account is not None
        and market is not None
        and any(r.max_drawdown_percent is not None for r in rules)
    ):
        value = equity(account, market, policy.currency)
        if memory.peak is None or value > memory.peak:
            # kept in the journal too: a restarted executor measures from the same peak
            memory.peak = service.journal.equity_peak(service.venue, since, value)
        memory.drawdown = drawdown_percent(memory.peak, value)
    drawdown = memory.drawdown
    counters = counters.model_copy(
        update={"realised_loss_today": realised.loss, "drawdown_percent": drawdown}
    )
    if latch:
        latch_loss_breaker(
            policy, counters, now, path=log, identities=identities, counted_since=since
        )
    logged = current_state(log, identities=identities).state
    if STATE_SEVERITY[logged] > STATE_SEVERITY[counters.trading_state]:
        counters = counters.model_copy(update={"trading_state": logged})
    return counters
