"""One check per rule kind, and the built-in checks (trading state, venue rules).

A check gets the rule, the order, the order's value in the policy currency (``None``
when it cannot be valued) and the evaluation :class:`~policy.context.Context`, and
returns the reasons that apply: a :class:`~policy.decision.Reason`, a list, or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from intent.plan import HUNDRED
from intent.resolved import ResolvedOrder
from intent.valuation import price_in
from policy.context import (
    ZERO,
    Context,
    exchange,
    fmt_exact,
    fmt_observed,
    make_reason,
    missing_data,
    over_limit,
)
from policy.counters import RecentOrder
from policy.decision import Reason
from policy.model import (
    RULE_TRADING_STATE,
    RULE_VENUE,
    AllowedAccounts,
    AllowedOrderTypes,
    AllowedSymbols,
    Balance,
    Concentration,
    DailyNotional,
    DeniedSymbols,
    Duplicate,
    ExecutionThrottle,
    FirstTrade,
    LossBreaker,
    MaxOrderQuantity,
    MaxOrderValue,
    MaxPosition,
    MessageRate,
    OpenOrders,
    PlanTotal,
    PriceCollar,
    Rule,
    RuleBase,
    ScheduleLimits,
    SellShare,
    TriggerBand,
    format_duration,
    matches_symbol,
)

Check = Callable[[Rule, ResolvedOrder, Decimal | None, Context], list[Reason] | Reason | None]


def _collar(
    rule: PriceCollar, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    trigger = order.trigger
    if trigger is not None and trigger.base == order.base and not ctx.firing:
        if order.limit_price is None:
            return None  # a market order waiting on its own trigger: checked when it fires
        reference, ref_name = trigger.level, "trigger"
        price = order.limit_price
    else:
        quote = ctx.market.quotes.get(order.symbol)
        if quote is None:
            return missing_data(rule, f"no quote for {order.symbol} to check the collar against")
        reference = quote.last if rule.reference == "last" else quote.mid
        ref_name = rule.reference
        if order.limit_price is not None:
            price = order.limit_price
        else:
            price = quote.ask if order.side == "buy" else quote.bid
    deviation = abs(price - reference) * HUNDRED / reference
    limit = rule.limit_for(order.symbol, order.side)
    if deviation <= limit:
        return None
    return over_limit(
        rule,
        limit,
        deviation,
        "%",
        "deviation",
        f" (price {fmt_exact(price)} vs {ref_name} {fmt_exact(reference)} {order.quote})",
    )


def _max_value(
    rule: MaxOrderValue, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    cap = rule.cap_for(order.symbol)
    if cap is None:
        return missing_data(rule, f"no cap set for {order.symbol}")
    if value is None or value <= cap:
        return None
    return over_limit(rule, cap, value, ctx.currency, "notional")


def _max_quantity(
    rule: MaxOrderQuantity, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    cap = rule.cap_for(order.symbol)
    if cap is None:
        return missing_data(rule, f"no cap set for {order.symbol}")
    if order.quantity <= cap:
        return None
    return over_limit(rule, cap, order.quantity, order.base, "quantity")


def _daily(
    rule: DailyNotional, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> list[Reason]:
    if value is None:
        return []
    used = ctx.daily_used + ctx.plan.notional + value
    out = []
    if rule.limit is not None and used > rule.limit:
        out.append(over_limit(rule, rule.limit, used, ctx.currency, "today"))
    if rule.max_percent_of_portfolio is not None:
        portfolio = ctx.portfolio
        if portfolio <= 0:
            out.append(missing_data(rule, "the portfolio has no value to take a share of"))
        else:
            share = used * HUNDRED / portfolio
            if share > rule.max_percent_of_portfolio:
                out.append(
                    over_limit(
                        rule, rule.max_percent_of_portfolio, share, "%", "share_of_portfolio"
                    )
                )
    return out


def _position_after(asset: str, amount: Decimal, ctx: Context) -> Decimal:
    """Holding + what open orders and the plan's earlier orders would get + this order."""
    open_gets = ctx.open_orders[3]
    return (
        ctx.account.total(asset)
        + open_gets.get(asset, ZERO)
        + ctx.plan.acquired.get(asset, ZERO)
        + amount
    )


def _position(
    rule: MaxPosition, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    # the asset the order gets: BTC for a BTC/USDT buy and for a SOL/BTC sell alike
    _, _, asset, amount = exchange(order)
    if asset == ctx.currency:
        return None
    cap = rule.cap_for(asset)
    if cap is None:
        return missing_data(rule, f"no position cap set for {asset}")
    price = ctx.price(asset)
    if price is None:
        return missing_data(rule, f"cannot value {asset} in {ctx.currency}")
    position = _position_after(asset, amount, ctx) * price
    if position <= cap:
        return None
    return over_limit(rule, cap, position, ctx.currency, "position")


def _concentration(
    rule: Concentration, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    _, _, asset, amount = exchange(order)
    if asset == ctx.currency or asset in rule.exclude_assets:
        return None
    price = ctx.price(asset)
    if price is None:
        return missing_data(rule, f"cannot value {asset} in {ctx.currency}")
    portfolio = ctx.portfolio
    if portfolio <= 0:
        return missing_data(rule, "the portfolio has no value to take a share of")
    share = _position_after(asset, amount, ctx) * price * HUNDRED / portfolio
    if share <= rule.max_percent:
        return None
    return over_limit(rule, rule.max_percent, share, "%", f"share_of_{asset}")


def _listed(rule: RuleBase, message: str, limit: str, observed: str) -> Reason:
    return make_reason(rule, rule.code, rule.effect, f"{rule.code}: {message}", limit, observed)


def _allowed_symbols(
    rule: AllowedSymbols, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if matches_symbol(rule.symbols, order.symbol):
        return None
    return _listed(
        rule, f"{order.symbol} is not on the allowed list", ", ".join(rule.symbols), order.symbol
    )


def _denied_symbols(
    rule: DeniedSymbols, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if matches_symbol(rule.symbols, order.symbol):
        return _listed(
            rule, f"{order.symbol} is on the restricted list", ", ".join(rule.symbols), order.symbol
        )
    for asset in (order.base, order.quote):
        if asset in rule.assets:
            return _listed(
                rule, f"{asset} is on the restricted list", ", ".join(rule.assets), asset
            )
    return None


def _order_types(
    rule: AllowedOrderTypes, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> list[Reason]:
    out = []
    allowed = ", ".join(rule.order_types)
    if order.order_type not in rule.order_types:
        out.append(
            _listed(rule, f"{order.order_type} orders are not allowed", allowed, order.order_type)
        )
    if order.trigger is not None and not rule.conditional:
        out.append(
            _listed(rule, "conditional (triggered) orders are not allowed", allowed, "conditional")
        )
    if order.schedule is not None and not rule.scheduled:
        out.append(_listed(rule, "scheduled orders are not allowed", allowed, "scheduled"))
    return out


def _accounts(
    rule: AllowedAccounts, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    account = ctx.account.account_id
    if account in rule.accounts:
        return None
    return _listed(rule, f"account {account} may not trade", ", ".join(rule.accounts), account)


def rate_reason(rule: MessageRate, messages: int, ctx: Context) -> Reason | None:
    count = ctx.recent_messages(rule.window) + ctx.plan.messages + messages
    if count <= rule.max_messages:
        return None
    window = format_duration(rule.window)
    lim, obs = f"{rule.max_messages} per {window}", f"{count} per {window}"
    return make_reason(
        rule, rule.code, rule.effect, f"{rule.code}: limit={lim}, messages={obs}", lim, obs
    )


def _message_rate(
    rule: MessageRate, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    return rate_reason(rule, 1, ctx)


def _open_orders(
    rule: OpenOrders, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> list[Reason]:
    waiting = order.trigger is not None and not ctx.firing
    if order.order_type != "limit" and not waiting:
        return []  # fills at once: never rests on the book
    by_symbol, total, conditional, _ = ctx.open_orders
    plan = ctx.plan
    out = []

    def over(limit: int, count: int, what: str) -> None:
        if count > limit:
            lim, obs = str(limit), str(count)
            out.append(
                make_reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: limit={lim} {what}, open={obs}",
                    lim,
                    obs,
                )
            )

    if rule.max_per_symbol is not None:
        count = by_symbol.get(order.symbol, 0) + plan.resting_by_symbol.get(order.symbol, 0) + 1
        over(rule.max_per_symbol, count, f"on {order.symbol}")
    if rule.max_total is not None:
        over(rule.max_total, total + plan.resting + 1, "in all")
    if rule.max_conditional is not None and waiting:
        over(rule.max_conditional, conditional + plan.conditional + 1, "conditional")
    return out


def _same(rule: Duplicate, order: ResolvedOrder, other: ResolvedOrder | RecentOrder) -> bool:
    for name in rule.match:
        if name == "symbol" and order.symbol != other.symbol:
            return False
        if name == "side" and order.side != other.side:
            return False
        if name == "quantity" and order.quantity != other.quantity:
            return False
        if name == "order_type" and order.order_type != other.order_type:
            return False
        if name == "limit_price" and order.limit_price != other.limit_price:
            return False
    return True


def _duplicate(
    rule: Duplicate, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    for earlier in ctx.plan.orders:
        if _same(rule, order, earlier):
            window = format_duration(rule.window)
            return _listed(
                rule, f"same as step {earlier.step_id} of this plan", window, earlier.step_id
            )
    for recent in ctx.recent_orders(rule.window):
        if _same(rule, order, recent):
            window = format_duration(rule.window)
            ago = int((ctx.now - recent.at).total_seconds())
            return _listed(
                rule,
                f"same as an order sent {ago}s ago (window {window})",
                window,
                recent.at.isoformat(),
            )
    return None


def _first_trade(
    rule: FirstTrade, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if order.base in ctx.counters.assets_traded or ctx.account.total(order.base) > 0:
        return None
    return _listed(
        rule, f"first trade in {order.base} on this account", "traded before", order.base
    )


def _sell_share(
    rule: SellShare, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if order.side != "sell":
        return None
    holding = ctx.account.total(order.base)
    sold = ctx.plan.sells.get(order.base, ZERO) + order.quantity
    if holding <= 0:
        return _listed(
            rule,
            f"sells {fmt_exact(sold)} {order.base} with no holding",
            f"{fmt_exact(rule.max_percent)}%",
            "no holding",
        )
    share = sold * HUNDRED / holding
    if share <= rule.max_percent:
        return None
    return over_limit(rule, rule.max_percent, share, "%", f"share_of_{order.base}_holding")


def _plan_total(
    rule: PlanTotal, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if ctx.plan_total <= rule.limit:
        return None
    return over_limit(rule, rule.limit, ctx.plan_total, ctx.currency, "plan_total")


def _trigger_band(
    rule: TriggerBand, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    trigger = order.trigger
    if trigger is None or ctx.firing:
        return None
    price = price_in(trigger.base, order.quote, ctx.market)
    if price is None:
        return missing_data(
            rule, f"no price for {trigger.base} in {order.quote} to check the trigger"
        )
    distance = abs(trigger.level - price) * HUNDRED / price
    if distance <= rule.max_distance_percent:
        return None
    return over_limit(
        rule,
        rule.max_distance_percent,
        distance,
        "%",
        "distance",
        f" (trigger {fmt_exact(trigger.level)} vs price {fmt_observed(price)} {order.quote})",
    )


def _schedule(
    rule: ScheduleLimits, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> list[Reason]:
    schedule = order.schedule
    if schedule is None or ctx.firing:
        return []
    out = []
    count = schedule.count
    shown = "until stopped" if count is None else str(count)
    if rule.max_count is not None and (count is None or count > rule.max_count):
        lim = str(rule.max_count)
        out.append(
            make_reason(
                rule,
                rule.code,
                rule.effect,
                f"{rule.code}: max_count={lim}, count={shown}",
                lim,
                shown,
            )
        )
    if rule.max_horizon is not None:
        horizon = None if count is None else schedule.interval * count
        if horizon is None or horizon > rule.max_horizon:
            lim = format_duration(rule.max_horizon)
            obs = "until stopped" if horizon is None else format_duration(horizon)
            out.append(
                make_reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_horizon={lim}, horizon={obs}",
                    lim,
                    obs,
                )
            )
    if rule.max_total_value is not None and value is not None:
        lim = f"{fmt_exact(rule.max_total_value)} {ctx.currency}"
        if count is None:
            out.append(
                make_reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_total_value={lim}, total=unbounded (until stopped)",
                    lim,
                    "unbounded",
                )
            )
        elif value * count > rule.max_total_value:
            obs = f"{fmt_observed(value * count, rule.max_total_value)} {ctx.currency}"
            out.append(
                make_reason(
                    rule,
                    rule.code,
                    rule.effect,
                    f"{rule.code}: max_total_value={lim}, total={obs}",
                    lim,
                    obs,
                )
            )
    return out


def _throttle(
    rule: ExecutionThrottle, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if ctx.plan_id is not None and ctx.plan_id in ctx.counters.tripped_throttles:
        lim = f"{rule.max_executions} per {format_duration(rule.window)}"
        return make_reason(
            rule,
            rule.code,
            rule.effect,
            f"{rule.code}: tripped for plan {ctx.plan_id}; "
            "it stays tripped until a named person resets it",
            lim,
            "tripped",
        )
    count = ctx.executions(rule.window) + 1  # this run of the plan
    schedule = order.schedule
    if schedule is not None and not ctx.firing:
        per_window = -(-rule.window // schedule.interval)  # ceiling: runs that fit in one window
        if schedule.count is not None:
            per_window = min(per_window, schedule.count)
        count = max(count, per_window)
    if count <= rule.max_executions:
        return None
    window = format_duration(rule.window)
    lim, obs = f"{rule.max_executions} per {window}", f"{count} per {window}"
    return make_reason(
        rule, rule.code, rule.effect, f"{rule.code}: limit={lim}, executions={obs}", lim, obs
    )


def _balance(
    rule: Balance, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    if order.trigger is not None and not ctx.firing:
        return None  # checked again when it fires, at the market of that moment
    asset, need, _, _ = exchange(order)
    plan = ctx.plan
    available = (
        ctx.account.free(asset) + plan.received.get(asset, ZERO) - plan.spent.get(asset, ZERO)
    )
    if need <= available:
        return None
    free = max(available, ZERO)
    lim, obs = f"{fmt_exact(free)} {asset}", f"{fmt_exact(need)} {asset}"
    return make_reason(
        rule, rule.code, rule.effect, f"{rule.code}: free={lim}, needed={obs}", lim, obs
    )


def _breaker(
    rule: LossBreaker, order: ResolvedOrder, value: Decimal | None, ctx: Context
) -> Reason | None:
    counters = ctx.counters
    tripped: list[str] = []
    limits: list[str] = []
    if rule.max_daily_loss is not None and counters.realised_loss_today > rule.max_daily_loss:
        limits.append(f"max_daily_loss={fmt_exact(rule.max_daily_loss)} {ctx.currency}")
        loss = fmt_observed(counters.realised_loss_today, rule.max_daily_loss)
        tripped.append(f"loss={loss} {ctx.currency}")
    if (
        rule.max_drawdown_percent is not None
        and counters.drawdown_percent > rule.max_drawdown_percent
    ):
        limits.append(f"max_drawdown={fmt_exact(rule.max_drawdown_percent)}%")
        drawdown = fmt_observed(counters.drawdown_percent, rule.max_drawdown_percent)
        tripped.append(f"drawdown={drawdown}%")
    if not tripped or not ctx.blocked_by_state(order, rule.trips_to):
        return None
    lim, obs = ", ".join(limits), ", ".join(tripped)
    what = "only orders that shrink a position" if rule.trips_to == "REDUCING" else "only cancels"
    return make_reason(
        rule,
        rule.code,
        rule.effect,
        f"{rule.code}: {lim}, {obs}; trading is {rule.trips_to}: {what} go through",
        lim,
        obs,
    )


CHECKS: dict[type[RuleBase], Check] = {
    PriceCollar: _collar,  # type: ignore[dict-item]
    MaxOrderValue: _max_value,  # type: ignore[dict-item]
    MaxOrderQuantity: _max_quantity,  # type: ignore[dict-item]
    DailyNotional: _daily,  # type: ignore[dict-item]
    MaxPosition: _position,  # type: ignore[dict-item]
    Concentration: _concentration,  # type: ignore[dict-item]
    AllowedSymbols: _allowed_symbols,  # type: ignore[dict-item]
    DeniedSymbols: _denied_symbols,  # type: ignore[dict-item]
    AllowedOrderTypes: _order_types,  # type: ignore[dict-item]
    AllowedAccounts: _accounts,  # type: ignore[dict-item]
    MessageRate: _message_rate,  # type: ignore[dict-item]
    OpenOrders: _open_orders,  # type: ignore[dict-item]
    Duplicate: _duplicate,  # type: ignore[dict-item]
    FirstTrade: _first_trade,  # type: ignore[dict-item]
    SellShare: _sell_share,  # type: ignore[dict-item]
    PlanTotal: _plan_total,  # type: ignore[dict-item]
    TriggerBand: _trigger_band,  # type: ignore[dict-item]
    ScheduleLimits: _schedule,  # type: ignore[dict-item]
    ExecutionThrottle: _throttle,  # type: ignore[dict-item]
    Balance: _balance,  # type: ignore[dict-item]
    LossBreaker: _breaker,  # type: ignore[dict-item]
}


# --- built-in checks --------------------------------------------------------------------


def venue_reasons(order: ResolvedOrder, ctx: Context) -> list[Reason]:
    rules = ctx.market.rules.get(order.symbol)
    if rules is None:
        return [
            make_reason(
                RULE_VENUE, "VENUE_NO_MARKET", "deny", f"VENUE_NO_MARKET: no market {order.symbol}"
            )
        ]
    out: list[Reason] = []
    base, quote = order.base, order.quote
    qty = fmt_exact(order.quantity)

    def bad(code: str, limit: str, observed: str, what: str) -> None:
        out.append(make_reason(RULE_VENUE, code, "deny", f"{code}: {what}", limit, observed))

    if not rules.trading:
        bad("VENUE_CLOSED", "trading", "closed", f"{order.symbol} is not trading")
    step = fmt_exact(rules.step_size)
    if order.quantity % rules.step_size:
        bad("VENUE_OFF_STEP", step, qty, f"quantity {qty} is not a multiple of the step {step}")
    if order.quantity < rules.min_qty:
        least = fmt_exact(rules.min_qty)
        bad("VENUE_MIN_QTY", least, qty, f"minimum={least} {base}, quantity={qty} {base}")
    if rules.max_qty is not None and order.quantity > rules.max_qty:
        most = fmt_exact(rules.max_qty)
        bad("VENUE_MAX_QTY", most, qty, f"limit={most} {base}, quantity={qty} {base}")
    if order.limit_price is not None and order.limit_price % rules.tick_size:
        price, tick = fmt_exact(order.limit_price), fmt_exact(rules.tick_size)
        bad("VENUE_OFF_TICK", tick, price, f"limit price {price} is not on the tick {tick}")
    trigger = order.trigger
    if trigger is not None:
        level = trigger.below if trigger.below is not None else trigger.above
        assert level is not None
        below = trigger.below is not None
        kind = "stop_loss" if below == (order.side == "sell") else "take_profit"
        venue = rules.venue or "the venue"
        if kind not in rules.trigger_kinds:
            what = "stop-loss" if kind == "stop_loss" else "take-profit"
            offered = ", ".join(rules.trigger_kinds) or "none"
            bad(
                "VENUE_NO_TRIGGER",
                offered,
                kind,
                f"{venue} has no {what} trigger orders on {order.symbol}",
            )
        if not rules.cross_market_triggers and trigger.base != order.base:
            bad(
                "VENUE_TRIGGER_MARKET",
                order.symbol,
                f"{trigger.base}/{quote}",
                f"{venue} triggers an order only on its own market's price",
            )
        if level % rules.tick_size:
            price, tick = fmt_exact(level), fmt_exact(rules.tick_size)
            bad("VENUE_TRIGGER_OFF_TICK", tick, price, f"trigger {price} is not on the tick {tick}")
    if order.notional < rules.min_notional:
        least = fmt_exact(rules.min_notional)
        notional = fmt_observed(order.notional, rules.min_notional)
        bad(
            "VENUE_MIN_NOTIONAL",
            least,
            notional,
            f"minimum={least} {quote}, notional={notional} {quote}",
        )
    if rules.max_notional is not None and order.notional > rules.max_notional:
        most = fmt_exact(rules.max_notional)
        notional = fmt_observed(order.notional, rules.max_notional)
        bad(
            "VENUE_MAX_NOTIONAL",
            most,
            notional,
            f"limit={most} {quote}, notional={notional} {quote}",
        )
    return out


def state_reason(order: ResolvedOrder, ctx: Context) -> Reason | None:
    if not ctx.blocked_by_state(order, ctx.state):
        return None
    if ctx.state == "HALTED":
        return make_reason(
            RULE_TRADING_STATE,
            "TRADING_HALTED",
            "deny",
            "TRADING_HALTED: trading is HALTED; only cancels go through",
            "HALTED",
            order.side,
        )
    return make_reason(
        RULE_TRADING_STATE,
        "TRADING_REDUCING",
        "deny",
        "TRADING_REDUCING: trading is REDUCING; only orders that shrink a position go through",
        "REDUCING",
        order.side,
    )
