"""What each check reports, field by field (mutation testing found these unguarded):
the figure's name in the message, the limit and the observed value a reader sees."""

from __future__ import annotations

from decimal import Decimal

from intent.resolved import ResolvedOrder
from policy.counters import Counters
from policy.decision import Reason
from tests.policy.policy_helpers import account, decide, flat_market, order, policy_from

MARKET = flat_market({"BTC/USDT": "60000", "ETH/USDT": "3000"})
ACCT = account({"USDT": "100000", "BTC": "1"})


def _reason(rule: str, steps: list[ResolvedOrder], *, at: int = -1, **kw: object) -> Reason:
    policy = policy_from(f'\n[[rule]]\nid = "r"\neffect = "confirm"\n{rule}\n')
    decisions = decide(policy, steps, acct=ACCT, market=MARKET, **kw)  # type: ignore[arg-type]
    [reason] = [r for r in decisions[at].reasons if r.rule == "r"]
    return reason


def _buy(quantity: str, symbol: str = "BTC/USDT", sid: str = "s1") -> ResolvedOrder:
    return order(symbol, "buy", quantity, acct=ACCT, market=MARKET, sid=sid)


def test_a_daily_total_names_today_and_a_share_names_the_portfolio() -> None:
    today = _reason('kind = "daily_notional"\nlimit = "1000"', [_buy("0.1")])
    assert today.message == "DAILY_NOTIONAL: limit=1000 USDT, today=6000 USDT"
    assert (today.limit, today.observed) == ("1000 USDT", "6000 USDT")
    share = _reason('kind = "daily_notional"\nmax_percent_of_portfolio = "1"', [_buy("0.1")])
    assert share.limit == "1%"
    assert share.observed is not None
    assert share.observed.endswith("%")
    assert ", share_of_portfolio=" in share.message


def test_a_restricted_symbol_shows_the_list_it_is_on() -> None:
    reason = _reason('kind = "denied_symbols"\nsymbols = ["BTC/USDT", "DOGE/USDT"]', [_buy("0.1")])
    assert (reason.limit, reason.observed) == ("BTC/USDT, DOGE/USDT", "BTC/USDT")
    assert reason.message.endswith("BTC/USDT is on the restricted list")


def test_a_plan_total_and_a_position_name_their_figures() -> None:
    total = _reason('kind = "plan_total"\nlimit = "1000"', [_buy("0.1")])
    assert total.message == "PLAN_TOTAL: limit=1000 USDT, plan_total=6000 USDT"
    position = _reason('kind = "max_position"\nper_asset = { BTC = "61000" }', [_buy("0.1")])
    assert position.observed == "66000 USDT"  # the 1 BTC held and the 0.1 bought
    assert ", position=66000 USDT" in position.message


def test_a_duplicate_matched_on_the_symbol_alone_ignores_the_side() -> None:
    buy = _buy("0.1")
    sell = order("BTC/USDT", "sell", "0.2", acct=ACCT, market=MARKET, sid="s2")
    reason = _reason('kind = "duplicate"\nwindow = "1h"\nmatch = ["symbol"]', [buy, sell])
    assert reason.code == "DUPLICATE_ORDER"


def test_a_tripped_throttle_shows_its_limit_and_that_it_tripped() -> None:
    reason = _reason(
        'kind = "execution_throttle"\nmax_executions = 2\nwindow = "1d"',
        [_buy("0.1")],
        counters=Counters(tripped_throttles=frozenset({"p1"})),
        plan_id="p1",
    )
    assert (reason.limit, reason.observed) == ("2 per 1d", "tripped")
    assert "tripped for plan p1" in reason.message


def test_a_halt_shows_the_side_it_stops() -> None:
    policy = policy_from("", state="HALTED")
    (decision,) = decide(policy, [_buy("0.1")], acct=ACCT, market=MARKET)
    [halt] = [r for r in decision.reasons if r.code == "TRADING_HALTED"]
    assert (halt.effect, halt.limit, halt.observed) == ("deny", "HALTED", "buy")


def test_a_trigger_on_an_asset_with_no_price_fails_closed_naming_it() -> None:
    from intent.plan import Trigger

    market = flat_market({"BTC/USDT": "60000", "SOL/USDT": "150"})
    stop = order(
        "BTC/USDT",
        "sell",
        "0.1",
        acct=ACCT,
        market=market,
        trigger=Trigger(base="SOL", below=Decimal(140)),
    )
    unpriced = flat_market({"BTC/USDT": "60000"})
    policy = policy_from(
        '\n[[rule]]\nid = "r"\neffect = "confirm"\n'
        'kind = "trigger_band"\nmax_distance_percent = "10"\n'
    )
    (decision,) = decide(policy, [stop], acct=ACCT, market=unpriced)
    [reason] = [r for r in decision.reasons if r.rule == "r"]
    assert reason.effect == "deny"
    assert reason.message == (
        "TRIGGER_BAND: no price for SOL in USDT to check the trigger (fails closed)"
    )


def test_an_order_under_the_venues_minimum_value_shows_the_minimum() -> None:
    small = _buy("0.00005")  # 3 USDT, under the market's 5 USDT
    policy = policy_from("")
    (decision,) = decide(policy, [small], acct=ACCT, market=MARKET)
    [reason] = [r for r in decision.reasons if r.code == "VENUE_MIN_NOTIONAL"]
    assert (reason.effect, reason.limit, reason.observed) == ("deny", "5", "3")
    assert reason.message == "VENUE_MIN_NOTIONAL: minimum=5 USDT, notional=3 USDT"


def test_a_trigger_on_another_market_shows_both_markets() -> None:
    from intent.plan import Trigger

    market = flat_market({"BTC/USDT": "60000", "SOL/USDT": "150"})
    stop = order(
        "BTC/USDT",
        "sell",
        "0.1",
        acct=ACCT,
        market=market,
        trigger=Trigger(base="SOL", below=Decimal(140)),
    )
    from intent.market import MarketData

    own_only = market.rules["BTC/USDT"].model_copy(update={"cross_market_triggers": False})
    venue = MarketData(rules={**market.rules, "BTC/USDT": own_only}, quotes=market.quotes)
    (decision,) = decide(policy_from(""), [stop], acct=ACCT, market=venue)
    [reason] = [r for r in decision.reasons if r.code == "VENUE_TRIGGER_MARKET"]
    assert (reason.limit, reason.observed) == ("BTC/USDT", "SOL/USDT")
    assert reason.message.endswith("triggers an order only on its own market's price")
