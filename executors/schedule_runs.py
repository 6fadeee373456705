"""Sizing one run of a recurring order.

``buy 20 USDT of BTC every day for a week`` spends 20 USDT at each run's price, not the
first run's quantity seven times. The resolved step carries the quote amount
(``quote_amount``); each run's quantity is that amount at the run's price (the ask for
a buy, the bid for a sell), rounded down to the market's step — never spending more
than the amount. A run that cannot be sized (no quote, or the amount buys less than one
step) keeps the first run's quantity, and the venue's own checks still apply.

Used by :meth:`executors.service.ExecutionService.run_due` and by the paper engine's
own schedules.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from executors.base import OrderRequest
from foundation.errors import ExchangeError
from intent.market import MarketRules, Quote

if TYPE_CHECKING:
    from executors.base import Executor


def run_quantity(
    quote_amount: Decimal, side: str, quote: Quote | None, rules: MarketRules | None
) -> Decimal | None:
    """The quantity ``quote_amount`` buys (or sells for) now; None when it cannot be said."""
    if quote is None or rules is None:
        return None
    price = quote.ask if side == "buy" else quote.bid
    if price <= 0:
        return None
    steps = (quote_amount / price / rules.step_size).to_integral_value(rounding=ROUND_DOWN)
    quantity = steps * rules.step_size
    return quantity if quantity > 0 else None


def size_run(
    request: OrderRequest, run_client_order_id: str, quote: Quote | None, rules: MarketRules | None
) -> OrderRequest:
    """The order of one run: the schedule's order with its own id, sized at this run's price
    when the schedule is of a quote amount."""
    update: dict[str, object] = {"schedule": None, "client_order_id": run_client_order_id}
    if request.quote_amount is not None and request.order_type == "market":
        quantity = run_quantity(request.quote_amount, request.side, quote, rules)
        if quantity is not None:
            update["quantity"] = quantity
    return request.model_copy(update=update)


async def next_run(
    executor: Executor, request: OrderRequest, run_client_order_id: str
) -> OrderRequest:
    """:func:`size_run` with the venue's quote and rules, asked only for quote-amount runs."""
    if request.quote_amount is None or request.order_type != "market":
        return size_run(request, run_client_order_id, None, None)
    try:
        quote = (await executor.quotes([request.symbol])).get(request.symbol)
        rules = (await executor.market_rules()).get(request.symbol)
    except ExchangeError:
        # no price now: the run keeps the first run's quantity; the venue still checks it
        quote, rules = None, None
    return size_run(request, run_client_order_id, quote, rules)
