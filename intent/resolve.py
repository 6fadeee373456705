"""Resolution: an intent plan, an account snapshot and market data become concrete steps.

``resolve(plan, account, market)`` is pure: it reads nothing but its arguments.
Every intent step gives one or more resolved steps, in order:

- an order step gives one :class:`ResolvedOrder` with id ``s<N>`` (N counts intent
  steps from 1);
- a convert gives one order through a direct market, or two legs through a quote
  currency (``s<N>a`` sells, ``s<N>b`` buys with the estimated proceeds);
- a rebalance gives the sells then the buys that reach the targets (``s<N>a``,
  ``s<N>b``, ...), skipping dust below the market's minimums;
- a cancel gives a :class:`ResolvedCancel` listing the matching open orders;
- a query gives a :class:`ResolvedQuery`.

A step that cannot be resolved becomes :class:`Unresolved` with a code and a reason;
the other steps still resolve. A convert or rebalance resolves whole or not at all
(half a conversion is not what was asked).

Rounding never makes an order larger or more aggressive than what was asked:

- quantities are rounded *down* to the market's step;
- a buy's limit price off the tick is rounded *down* (a lower bid pays less and
  spends less);
- a sell's limit price off the tick is NOT rounded: down would sell cheaper than
  asked, up would raise the order's value above what was asked. It is reported as
  ``OFF_TICK`` with the two nearest valid prices, so the person chooses.

Estimates: a market order is valued at the ask (buy) or the bid (sell); a limit
order at its limit price; a market order waiting on a trigger on its own price at
the trigger level, where it is expected to fire (it is checked again when it
fires). ``reference_price`` is that level for a triggered order and the current
ask or bid otherwise. Quote amounts and percentages of the quote currency become
quantities at that estimate price.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from foundation.display import number
from intent.market import AccountSnapshot, MarketData, MarketRules, symbol_of
from intent.plan import (
    HUNDRED,
    CancelStep,
    ConvertStep,
    OrderStep,
    Plan,
    QueryStep,
    RebalanceStep,
    Schedule,
    Side,
    Trigger,
)
from intent.resolved import (
    ResolvedCancel,
    ResolvedOrder,
    ResolvedQuery,
    ResolvedStep,
    Unresolved,
)
from intent.valuation import ZERO, is_multiple, price_in, round_down, value_in

__all__ = ["order_as_given", "resolve", "step_id"]


class _Unresolvable(Exception):
    """Raised inside this module only; becomes an :class:`Unresolved` step."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def step_id(index: int, leg: int | None = None) -> str:
    """``s1`` for the first intent step; ``s1a``, ``s1b`` ... for its legs."""
    base = f"s{index + 1}"
    if leg is None:
        return base
    letters = ""
    n = leg
    while True:
        letters = chr(ord("a") + n % 26) + letters
        n = n // 26 - 1
        if n < 0:
            return base + letters


def resolve(plan: Plan, account: AccountSnapshot, market: MarketData) -> tuple[ResolvedStep, ...]:
    """Resolve every step of ``plan`` against ``account`` and ``market``."""
    out: list[ResolvedStep] = []
    for index, step in enumerate(plan.steps):
        try:
            out.extend(_resolve_step(index, step, account, market))
        except _Unresolvable as exc:
            out.append(
                Unresolved(
                    step_id=step_id(index), source_index=index, code=exc.code, reason=exc.reason
                )
            )
    return tuple(out)


def _resolve_step(
    index: int,
    step: OrderStep | CancelStep | RebalanceStep | ConvertStep | QueryStep,
    account: AccountSnapshot,
    market: MarketData,
) -> Iterator[ResolvedStep]:
    if isinstance(step, OrderStep):
        yield _order(index, step, account, market)
    elif isinstance(step, CancelStep):
        yield _cancel(index, step, account)
    elif isinstance(step, QueryStep):
        yield ResolvedQuery(
            step_id=step_id(index), source_index=index, what=step.what, base=step.base
        )
    elif isinstance(step, ConvertStep):
        yield from _convert(index, step, account, market)
    else:
        yield from _rebalance(index, step, account, market)


# --- markets and prices -------------------------------------------------------------


def _rules(base: str, quote: str, market: MarketData) -> MarketRules:
    rules = market.market(base, quote)
    if rules is None:
        known = sorted(s for s in market.rules if s.startswith(f"{base}/"))
        hint = f"; markets for {base}: {', '.join(known)}" if known else ""
        raise _Unresolvable("NO_MARKET", f"no market {symbol_of(base, quote)}{hint}")
    if not rules.trading:
        raise _Unresolvable("MARKET_CLOSED", f"{rules.symbol} is not trading")
    return rules


def _side_price(rules: MarketRules, side: Side, market: MarketData) -> Decimal:
    quote = market.quotes.get(rules.symbol)
    if quote is None:
        raise _Unresolvable("NO_QUOTE", f"no quote for {rules.symbol}")
    return quote.ask if side == "buy" else quote.bid


def _reporting(
    amount: Decimal, quote: str, account: AccountSnapshot, market: MarketData
) -> Decimal:
    value = value_in(amount, quote, account.reporting_currency, market)
    if value is None or value <= 0:
        raise _Unresolvable(
            "NO_PRICE",
            f"cannot value {quote} in the reporting currency {account.reporting_currency}",
        )
    return value


def _limit_on_tick(price: Decimal, side: Side, rules: MarketRules) -> Decimal:
    tick = rules.tick_size
    if is_multiple(price, tick):
        return price
    lower = round_down(price, tick)
    if side == "buy" and lower > 0:
        return lower
    raise _Unresolvable(
        "OFF_TICK",
        f"limit {price} is not on {rules.symbol}'s tick of {tick}; use {lower} or {lower + tick}",
    )


def _checked_quantity(quantity: Decimal, price: Decimal, rules: MarketRules) -> Decimal:
    asked = quantity
    quantity = round_down(quantity, rules.step_size)
    if quantity <= 0 or quantity < rules.min_qty:
        # the amount as asked first: "0 BTC" alone (what rounding down to the step
        # leaves) reads as if the request had been misread
        shown = f"{number(asked)} {rules.base}"
        if quantity != asked:
            shown += f" ({number(quantity)} on its step of {number(rules.step_size)})"
        raise _Unresolvable(
            "BELOW_MIN_QTY",
            f"{shown} is below {rules.symbol}'s minimum of "
            f"{number(max(rules.min_qty, rules.step_size))} {rules.base}",
        )
    notional = quantity * price
    if notional < rules.min_notional:
        raise _Unresolvable(
            "BELOW_MIN_NOTIONAL",
            f"{number(quantity)} {rules.base} is worth about "
            f"{number(notional, places=2, limit=rules.min_notional)} {rules.quote}, below "
            f"{rules.symbol}'s minimum of {number(rules.min_notional)} {rules.quote}",
        )
    return quantity


def _make_order(
    *,
    sid: str,
    index: int,
    rules: MarketRules,
    side: Side,
    quantity: Decimal,
    limit_price: Decimal | None,
    reference: Decimal,
    estimate: Decimal,
    account: AccountSnapshot,
    market: MarketData,
    trigger: Trigger | None = None,
    schedule: Schedule | None = None,
    note: str | None = None,
    quote_amount: Decimal | None = None,
) -> ResolvedOrder:
    quantity = _checked_quantity(quantity, estimate, rules)
    notional = quantity * estimate
    return ResolvedOrder(
        step_id=sid,
        source_index=index,
        symbol=rules.symbol,
        base=rules.base,
        quote=rules.quote,
        side=side,
        order_type="limit" if limit_price is not None else "market",
        quantity=quantity,
        limit_price=limit_price,
        reference_price=reference,
        notional=notional,
        reporting_currency=account.reporting_currency,
        notional_reporting=_reporting(notional, rules.quote, account, market),
        trigger=trigger,
        schedule=schedule,
        quote_amount=quote_amount,
        note=note,
    )


# --- amount sanity ----------------------------------------------------------------------

IMPLAUSIBLE_FACTOR = Decimal(100)
"""An order this many times what the account holds (a sell) or can pay for (a buy) is not
planned silently: it is a typo or a unit mix-up ("sell 100 BTC" meant $100) more often
than a wish, and it is asked about instead."""


def _check_plausible(
    step: OrderStep, quantity: Decimal, estimate: Decimal, account: AccountSnapshot
) -> None:
    if step.side == "sell":
        held = account.total(step.base)
        if held > 0 and quantity >= held * IMPLAUSIBLE_FACTOR:
            raise _Unresolvable(
                "IMPLAUSIBLE_AMOUNT",
                f"Sell {quantity.normalize():f} {step.base}? That is over "
                f"{_magnitude(quantity / held)} times the {held.normalize():f} {step.base} the "
                f"account holds. Did you mean a value in {step.quote} "
                f'("{quantity.normalize():f} {step.quote} of {step.base}") or a share '
                '("half", "25%")? Say the order again.',
            )
        return
    cash = account.total(step.quote)
    cost = quantity * estimate
    if cash > 0 and cost >= cash * IMPLAUSIBLE_FACTOR:
        raise _Unresolvable(
            "IMPLAUSIBLE_AMOUNT",
            f"Buy {quantity.normalize():f} {step.base} for about {cost:,.0f} {step.quote}? "
            f"That is over {_magnitude(cost / cash)} times the {cash.normalize():f} "
            f"{step.quote} the account holds. Did you mean a value in {step.quote} "
            f'("{quantity.normalize():f} {step.quote} of {step.base}")? Say the order again.',
        )


def _magnitude(ratio: Decimal) -> str:
    """The power of ten at or below ``ratio``: "100", "10,000"."""
    power = Decimal(10) ** (ratio.adjusted())
    return f"{int(power):,}"


# --- steps ----------------------------------------------------------------------------


def _order(
    index: int, step: OrderStep, account: AccountSnapshot, market: MarketData
) -> ResolvedOrder:
    rules = _rules(step.base, step.quote, market)
    reference = _side_price(rules, step.side, market)
    trigger = step.trigger
    if trigger is not None and trigger.base == step.base:
        # the order fires near the trigger level; estimate and collar it there
        reference = trigger.level
    limit = None
    if step.limit_price is not None:
        limit = _limit_on_tick(step.limit_price, step.side, rules)
    estimate = limit if limit is not None else reference
    amount = step.amount
    if amount.unit == "base":
        quantity = amount.value
        _check_plausible(step, quantity, estimate, account)
    elif amount.unit == "quote":
        quantity = amount.value / estimate
        _check_plausible(step, quantity, estimate, account)
    elif step.side == "sell":
        held = account.free(step.base)
        if held <= 0:
            raise _Unresolvable("NOTHING_TO_SELL", f"no free {step.base} to sell")
        quantity = held * amount.value / HUNDRED
    else:
        cash = account.free(step.quote)
        if cash <= 0:
            raise _Unresolvable("NOTHING_TO_SPEND", f"no free {step.quote} to spend")
        quantity = cash * amount.value / HUNDRED / estimate
    return _make_order(
        sid=step_id(index),
        index=index,
        rules=rules,
        side=step.side,
        quantity=quantity,
        limit_price=limit,
        reference=reference,
        estimate=estimate,
        account=account,
        market=market,
        trigger=trigger,
        schedule=step.schedule,
        # a recurring market order of a quote amount spends that amount at each run's price
        quote_amount=(
            amount.value
            if amount.unit == "quote" and step.schedule is not None and limit is None
            else None
        ),
    )


def _cancel(index: int, step: CancelStep, account: AccountSnapshot) -> ResolvedCancel:
    ids = tuple(
        order.order_id
        for order in account.open_orders
        if (step.base is None or order.symbol.partition("/")[0] == step.base)
        and (step.side is None or order.side == step.side)
    )
    return ResolvedCancel(
        step_id=step_id(index), source_index=index, base=step.base, side=step.side, order_ids=ids
    )


def _leg_market(frm: str, to: str, market: MarketData) -> tuple[MarketRules, Side] | None:
    """The market that turns ``frm`` into ``to``: sell on FROM/TO or buy on TO/FROM."""
    rules = market.market(frm, to)
    if rules is not None and rules.trading and rules.symbol in market.quotes:
        return rules, "sell"
    rules = market.market(to, frm)
    if rules is not None and rules.trading and rules.symbol in market.quotes:
        return rules, "buy"
    return None


def _market_order(
    sid: str,
    index: int,
    rules: MarketRules,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    account: AccountSnapshot,
    market: MarketData,
    note: str,
) -> ResolvedOrder:
    """A market order for a leg (convert, rebalance), estimated at the side's price."""
    return _make_order(
        sid=sid,
        index=index,
        rules=rules,
        side=side,
        quantity=quantity,
        limit_price=None,
        reference=price,
        estimate=price,
        account=account,
        market=market,
        note=note,
    )


def _leg(
    *,
    sid: str,
    index: int,
    leg: tuple[MarketRules, Side],
    amount_from: Decimal,
    account: AccountSnapshot,
    market: MarketData,
    note: str,
) -> tuple[ResolvedOrder, Decimal]:
    """One market order spending ``amount_from`` of the asset given; and what it yields."""
    rules, side = leg
    price = _side_price(rules, side, market)
    quantity = amount_from if side == "sell" else amount_from / price
    order = _market_order(sid, index, rules, side, quantity, price, account, market, note)
    proceeds = order.notional if side == "sell" else order.quantity
    return order, proceeds


def _convert(
    index: int, step: ConvertStep, account: AccountSnapshot, market: MarketData
) -> Iterator[ResolvedOrder]:
    held = account.free(step.from_)
    if step.amount.unit == "percent":
        if held <= 0:
            raise _Unresolvable("NOTHING_TO_SELL", f"no free {step.from_} to convert")
        amount = held * step.amount.value / HUNDRED
    else:
        amount = step.amount.value
    direct = _leg_market(step.from_, step.to, market)
    if direct is not None:
        order, _ = _leg(
            sid=step_id(index),
            index=index,
            leg=direct,
            amount_from=amount,
            account=account,
            market=market,
            note=f"convert {step.from_} to {step.to}",
        )
        yield order
        return
    others = {s.quote for s in market.rules.values()} - {account.reporting_currency}
    via = [account.reporting_currency, *sorted(others)]
    for middle in via:
        if middle in (step.from_, step.to):
            continue
        first = _leg_market(step.from_, middle, market)
        second = _leg_market(middle, step.to, market)
        if first is None or second is None:
            continue
        leg_a, proceeds = _leg(
            sid=step_id(index, 0),
            index=index,
            leg=first,
            amount_from=amount,
            account=account,
            market=market,
            note=f"convert {step.from_} to {step.to}, leg 1 of 2 (via {middle})",
        )
        leg_b, _ = _leg(
            sid=step_id(index, 1),
            index=index,
            leg=second,
            amount_from=proceeds,
            account=account,
            market=market,
            note=f"convert {step.from_} to {step.to}, leg 2 of 2 (via {middle})",
        )
        yield leg_a
        yield leg_b
        return
    raise _Unresolvable(
        "NO_MARKET", f"no market converts {step.from_} to {step.to}, directly or in two legs"
    )


def _rebalance(
    index: int, step: RebalanceStep, account: AccountSnapshot, market: MarketData
) -> Iterator[ResolvedOrder]:
    cash = account.reporting_currency
    targets = {asset: share for asset, share in step.targets.items() if asset != cash}
    assets = sorted(
        ({a for a, b in account.balances.items() if b.total > 0} | set(targets)) - {cash}
    )
    prices: dict[str, Decimal] = {}
    for asset in assets:
        price = price_in(asset, cash, market)
        if price is None:
            raise _Unresolvable("NO_PRICE", f"cannot value {asset} in {cash}")
        prices[asset] = price
    total = account.total(cash) + sum((account.total(a) * prices[a] for a in assets), start=ZERO)
    if total <= 0:
        raise _Unresolvable("NOTHING_TO_SELL", "the portfolio is empty")
    sells: list[tuple[str, Decimal]] = []
    buys: list[tuple[str, Decimal]] = []
    for asset in assets:
        gap = total * targets.get(asset, ZERO) / HUNDRED - account.total(asset) * prices[asset]
        if gap < 0:
            sells.append((asset, -gap))
        elif gap > 0:
            buys.append((asset, gap))
    legs: list[tuple[str, Side, Decimal]] = [(a, "sell", v) for a, v in sells]
    legs += [(a, "buy", v) for a, v in buys]
    orders: list[ResolvedOrder] = []
    for asset, side, value in legs:
        rules = _rules(asset, cash, market)
        price = _side_price(rules, side, market)
        quantity = value / price
        if side == "sell":
            quantity = min(quantity, account.free(asset))
        try:
            order = _market_order(
                step_id(index, len(orders)),
                index,
                rules,
                side,
                quantity,
                price,
                account,
                market,
                f"rebalance: {side} {asset}",
            )
        except _Unresolvable as exc:
            if exc.code in ("BELOW_MIN_QTY", "BELOW_MIN_NOTIONAL"):
                continue  # dust: not worth an order, and the venue would refuse it
            raise
        orders.append(order)
    if not orders:
        raise _Unresolvable("ALREADY_BALANCED", "the portfolio is already at its targets")
    yield from orders


def order_as_given(
    *,
    sid: str,
    symbol: str,
    side: Side,
    quantity: Decimal,
    limit_price: Decimal | None,
    account: AccountSnapshot,
    market: MarketData,
    trigger: Trigger | None = None,
    schedule: Schedule | None = None,
    index: int = 0,
) -> ResolvedStep:
    """An order exactly as given, NOT rounded or checked against the venue's rules.

    For policy scenario files that test the policy's own venue checks (off-step,
    off-tick, over the maximum). Unknown markets and missing quotes are still
    unresolved: there is nothing to value the order with.
    """
    base, _, quote = symbol.partition("/")
    try:
        rules = _rules(base, quote, market)
        reference = _side_price(rules, side, market)
        if trigger is not None and trigger.base == base:
            reference = trigger.level
        estimate = limit_price if limit_price is not None else reference
        notional = quantity * estimate
        return ResolvedOrder(
            step_id=sid,
            source_index=index,
            symbol=symbol,
            base=base,
            quote=quote,
            side=side,
            order_type="limit" if limit_price is not None else "market",
            quantity=quantity,
            limit_price=limit_price,
            reference_price=reference,
            notional=notional,
            reporting_currency=account.reporting_currency,
            notional_reporting=_reporting(notional, quote, account, market),
            trigger=trigger,
            schedule=schedule,
        )
    except _Unresolvable as exc:
        return Unresolved(step_id=sid, source_index=index, code=exc.code, reason=exc.reason)
