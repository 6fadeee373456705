"""What each check reports, continued: the venue's own refusals (closed market, quantity
and value bounds, trigger kinds, markets and ticks), the trading state, the loss breaker,
schedules, order types, quantity caps and duplicates. Each reason is checked field by
field (effect, limit, observed, message): they are what the reviewer reads before signing.

Written against the mutants of policy/checks.py that the tests in ``test_check_reasons.py``
left alive (see docs/mutation.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from intent.market import MarketData
from intent.plan import Schedule, Trigger
from intent.resolved import ResolvedOrder
from policy.counters import Counters
from policy.decision import Reason
from tests.policy.policy_helpers import account, decide, flat_market, order, policy_from

MARKET = flat_market({"BTC/USDT": "60000", "ETH/USDT": "3000"})
ACCT = account({"USDT": "100000", "BTC": "1"})


def _rule_reasons(
    rule: str, steps: list[ResolvedOrder], *, at: int = -1, **kw: Any
) -> list[Reason]:
    policy = policy_from(f'\n[[rule]]\nid = "r"\neffect = "confirm"\n{rule}\n')
    decisions = decide(policy, steps, acct=ACCT, market=kw.pop("market", MARKET), **kw)
    return [r for r in decisions[at].reasons if r.rule == "r"]


def _reason(rule: str, steps: list[ResolvedOrder], **kw: Any) -> Reason:
    [reason] = _rule_reasons(rule, steps, **kw)
    return reason


def _buy(quantity: str, symbol: str = "BTC/USDT", sid: str = "s1", **kw: Any) -> ResolvedOrder:
    return order(symbol, "buy", quantity, acct=ACCT, market=MARKET, sid=sid, **kw)


def _venue(**update: Any) -> MarketData:
    """MARKET with BTC/USDT's venue rules changed."""
    rules = MARKET.rules["BTC/USDT"].model_copy(update=update)
    return MarketData(rules={**MARKET.rules, "BTC/USDT": rules}, quotes=MARKET.quotes)


def _venue_reasons(step: ResolvedOrder, market: MarketData) -> list[Reason]:
    (decision,) = decide(policy_from(""), [step], acct=ACCT, market=market)
    return [r for r in decision.reasons if r.code.startswith("VENUE_")]


def _fields(reason: Reason) -> tuple[object, ...]:
    return (reason.code, reason.effect, reason.limit, reason.observed, reason.message)


# ------------------------------------------------------------------ the venue's own refusals
def test_a_closed_market_says_it_is_not_trading() -> None:
    [reason] = _venue_reasons(_buy("0.1"), _venue(trading=False))
    assert _fields(reason) == (
        "VENUE_CLOSED",
        "deny",
        "trading",
        "closed",
        "VENUE_CLOSED: BTC/USDT is not trading",
    )


def test_an_order_over_the_venues_maximum_quantity_shows_both() -> None:
    [reason] = _venue_reasons(_buy("0.1"), _venue(max_qty=Decimal("0.05")))
    assert _fields(reason) == (
        "VENUE_MAX_QTY",
        "deny",
        "0.05",
        "0.1",
        "VENUE_MAX_QTY: limit=0.05 BTC, quantity=0.1 BTC",
    )


def test_an_order_over_the_venues_maximum_value_shows_the_orders_value() -> None:
    [reason] = _venue_reasons(_buy("0.1"), _venue(max_notional=Decimal("1000")))
    assert _fields(reason) == (
        "VENUE_MAX_NOTIONAL",
        "deny",
        "1000",
        "6000",
        "VENUE_MAX_NOTIONAL: limit=1000 USDT, notional=6000 USDT",
    )


def test_an_order_worth_exactly_the_venues_minimum_goes_through() -> None:
    market = flat_market({"BTC/USDT": "50000"})
    step = order("BTC/USDT", "buy", "0.0001", acct=ACCT, market=market)
    assert step.notional == Decimal(5) == market.rules["BTC/USDT"].min_notional
    assert _venue_reasons(step, market) == []
    under = order("BTC/USDT", "buy", "0.00009", acct=ACCT, market=market)
    assert [r.code for r in _venue_reasons(under, market)] == ["VENUE_MIN_NOTIONAL"]


def test_a_market_the_venue_does_not_list_is_denied() -> None:
    rules = {k: v for k, v in MARKET.rules.items() if k != "BTC/USDT"}
    unlisted = MarketData(rules=rules, quotes=MARKET.quotes)
    (decision,) = decide(policy_from(""), [_buy("0.1")], acct=ACCT, market=unlisted)
    [reason] = [r for r in decision.reasons if r.code == "VENUE_NO_MARKET"]
    assert _fields(reason) == (
        "VENUE_NO_MARKET",
        "deny",
        None,
        None,
        "VENUE_NO_MARKET: no market BTC/USDT",
    )
    assert decision.decision == "deny"


def _stop(level: str, side: str = "sell", *, below: bool = True) -> ResolvedOrder:
    trigger = Trigger(base="BTC", **{"below" if below else "above": Decimal(level)})
    return order("BTC/USDT", side, "0.1", acct=ACCT, market=MARKET, trigger=trigger)  # type: ignore[arg-type]


def test_a_venue_without_stop_losses_refuses_a_stop_loss_naming_what_it_offers() -> None:
    market = _venue(trigger_kinds=("take_profit",))
    [reason] = _venue_reasons(_stop("55000"), market)  # a sell below the price: a stop-loss
    assert _fields(reason) == (
        "VENUE_NO_TRIGGER",
        "deny",
        "take_profit",
        "stop_loss",
        "VENUE_NO_TRIGGER: the venue has no stop-loss trigger orders on BTC/USDT",
    )
    # a sell above the price is a take-profit, which the venue offers
    assert _venue_reasons(_stop("65000", below=False), market) == []
    # a buy above the price is a stop (it limits a short's loss)
    assert [r.observed for r in _venue_reasons(_stop("65000", "buy", below=False), market)] == [
        "stop_loss"
    ]


def test_a_venue_without_triggers_names_itself_and_offers_none() -> None:
    market = _venue(trigger_kinds=(), venue="binance")
    [reason] = _venue_reasons(_stop("65000", below=False), market)
    assert _fields(reason) == (
        "VENUE_NO_TRIGGER",
        "deny",
        "none",
        "take_profit",
        "VENUE_NO_TRIGGER: binance has no take-profit trigger orders on BTC/USDT",
    )


def test_a_trigger_on_the_orders_own_market_needs_no_cross_market_triggers() -> None:
    assert _venue_reasons(_stop("55000"), _venue(cross_market_triggers=False)) == []


def test_a_trigger_off_the_tick_shows_the_tick_and_the_level() -> None:
    [reason] = _venue_reasons(_stop("55000.005"), MARKET)
    assert _fields(reason) == (
        "VENUE_TRIGGER_OFF_TICK",
        "deny",
        "0.01",
        "55000.005",
        "VENUE_TRIGGER_OFF_TICK: trigger 55000.005 is not on the tick 0.01",
    )


# ------------------------------------------------------------------ trading state, breaker
def test_reducing_shows_the_state_and_the_side_it_stops() -> None:
    policy = policy_from("", state="REDUCING")
    (decision,) = decide(policy, [_buy("0.1")], acct=ACCT, market=MARKET)
    [reason] = [r for r in decision.reasons if r.code == "TRADING_REDUCING"]
    assert _fields(reason) == (
        "TRADING_REDUCING",
        "deny",
        "REDUCING",
        "buy",
        "TRADING_REDUCING: trading is REDUCING; only orders that shrink a position go through",
    )


def test_a_breaker_tripped_to_reducing_says_what_still_goes_through() -> None:
    reason = _reason(
        'kind = "loss_breaker"\nmax_daily_loss = "500"\ntrips_to = "REDUCING"',
        [_buy("0.1")],
        counters=Counters(realised_loss_today=Decimal("600")),
    )
    assert (reason.limit, reason.observed) == ("max_daily_loss=500 USDT", "loss=600 USDT")
    assert reason.message == (
        "LOSS_BREAKER: max_daily_loss=500 USDT, loss=600 USDT; trading is REDUCING: "
        "only orders that shrink a position go through"
    )


def test_a_breaker_tripped_by_drawdown_shows_the_drawdown_and_halts() -> None:
    reason = _reason(
        'kind = "loss_breaker"\nmax_drawdown_percent = "10"\ntrips_to = "HALTED"',
        [_buy("0.1")],
        counters=Counters(drawdown_percent=Decimal("12.5")),
    )
    assert (reason.limit, reason.observed) == ("max_drawdown=10%", "drawdown=12.5%")
    assert reason.message == (
        "LOSS_BREAKER: max_drawdown=10%, drawdown=12.5%; trading is HALTED: only cancels go through"
    )


# ------------------------------------------------------------------ quantity caps, order types
def test_a_quantity_over_the_cap_names_the_quantity() -> None:
    reason = _reason('kind = "max_order_quantity"\nlimit = "0.05"', [_buy("0.1")])
    assert (reason.effect, reason.limit, reason.observed) == ("confirm", "0.05 BTC", "0.1 BTC")
    assert reason.message == "MAX_ORDER_QUANTITY: limit=0.05 BTC, quantity=0.1 BTC"


def test_a_symbol_without_a_quantity_cap_fails_closed() -> None:
    rule = 'kind = "max_order_quantity"\nper_symbol = { "ETH/USDT" = "1" }'
    reason = _reason(rule, [_buy("0.1")])
    assert _fields(reason) == (
        "MAX_ORDER_QUANTITY",
        "deny",
        None,
        None,
        "MAX_ORDER_QUANTITY: no cap set for BTC/USDT (fails closed)",
    )


ONLY_PLAIN = (
    'kind = "allowed_order_types"\norder_types = ["market", "limit"]\n'
    "conditional = false\nscheduled = false"
)


def test_a_scheduled_order_where_none_are_allowed_shows_the_allowed_types() -> None:
    repeat = _buy("0.1", schedule=Schedule(every="1d", count=3))
    reason = _reason(ONLY_PLAIN, [repeat])
    assert (reason.limit, reason.observed) == ("market, limit", "scheduled")
    assert reason.message == "ORDER_TYPE_NOT_ALLOWED: scheduled orders are not allowed"


def test_a_conditional_order_where_none_are_allowed_says_so() -> None:
    reason = _reason(ONLY_PLAIN, [_stop("55000")])
    assert (reason.limit, reason.observed) == ("market, limit", "conditional")
    assert reason.message == (
        "ORDER_TYPE_NOT_ALLOWED: conditional (triggered) orders are not allowed"
    )


# ------------------------------------------------------------------ duplicates
def test_orders_of_different_quantities_are_not_duplicates_when_quantity_is_matched() -> None:
    rule = 'kind = "duplicate"\nwindow = "1h"\nmatch = ["symbol", "quantity"]'
    steps = [_buy("0.1"), _buy("0.2", sid="s2")]
    assert _rule_reasons(rule, steps) == []
    same = [_buy("0.1"), _buy("0.1", sid="s2")]
    assert _reason(rule, same).code == "DUPLICATE_ORDER"


def test_limit_orders_at_different_prices_are_not_duplicates_when_the_price_is_matched() -> None:
    rule = 'kind = "duplicate"\nwindow = "1h"\nmatch = ["symbol", "limit_price"]'
    steps = [_buy("0.1", limit="59000"), _buy("0.2", sid="s2", limit="58000")]
    assert _rule_reasons(rule, steps) == []
    same = [_buy("0.1", limit="59000"), _buy("0.2", sid="s2", limit="59000")]
    assert _reason(rule, same).code == "DUPLICATE_ORDER"


# ------------------------------------------------------------------ schedules and trigger bands
def test_a_schedule_over_the_count_shows_its_count() -> None:
    repeat = _buy("0.01", schedule=Schedule(every="1d", count=10))
    reason = _reason('kind = "schedule_limits"\nmax_count = 5', [repeat])
    assert (reason.limit, reason.observed) == ("5", "10")
    assert reason.message == "SCHEDULE_LIMITS: max_count=5, count=10"


def test_an_open_ended_schedule_runs_until_stopped_and_is_unbounded() -> None:
    forever = _buy("0.01", schedule=Schedule(every="1d"))
    horizon = _reason('kind = "schedule_limits"\nmax_horizon = "3d"', [forever])
    assert (horizon.limit, horizon.observed) == ("3d", "until stopped")
    assert horizon.message == "SCHEDULE_LIMITS: max_horizon=3d, horizon=until stopped"
    total = _reason('kind = "schedule_limits"\nmax_total_value = "1000"', [forever])
    assert (total.limit, total.observed) == ("1000 USDT", "unbounded")
    assert total.message == (
        "SCHEDULE_LIMITS: max_total_value=1000 USDT, total=unbounded (until stopped)"
    )
    count = _reason('kind = "schedule_limits"\nmax_count = 5', [forever])
    assert (count.limit, count.observed) == ("5", "until stopped")


def test_a_trigger_too_far_from_the_price_shows_the_distance() -> None:
    reason = _reason('kind = "trigger_band"\nmax_distance_percent = "10"', [_stop("48000")])
    assert (reason.limit, reason.observed) == ("10%", "20%")
    assert reason.message == (
        "TRIGGER_BAND: limit=10%, distance=20% (trigger 48000 vs price 60000 USDT)"
    )
