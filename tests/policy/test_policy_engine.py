"""Evaluation: yes/no rules, built-in checks, fail-closed behaviour, defaults, cancels."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from intent.market import MarketData, MarketRules
from intent.plan import Schedule, Trigger
from intent.resolved import (
    ResolvedCancel,
    ResolvedOrder,
    ResolvedQuery,
    ResolvedStep,
    Unresolved,
)
from policy.counters import Counters, RecentOrder
from policy.engine import overall
from policy.model import ApprovalSettings
from tests.policy.policy_helpers import (
    NOW,
    account,
    decide,
    default_policy,
    flat_market,
    order,
    policy_from,
    rules_of,
)

SOL = flat_market({"SOL/USDT": "100", "SOL/BTC": "0.001", "BTC/USDT": "100000"})
RICH = account({"USDT": "100000", "SOL": "10", "BTC": "1"})


def one_rule(body: str, effect: str = "deny", **settings: str) -> str:
    return f'\n[[rule]]\nid = "r"\neffect = "{effect}"\n{body}\n'


def decide_one(rules: str, step: ResolvedOrder, **settings: str) -> tuple[str, set[str]]:
    policy = policy_from(rules, **settings)
    (decision,) = decide(policy, [step], acct=RICH, market=SOL)
    return decision.decision, rules_of(decision)


def sol(side: str = "buy", q: str = "1", **kw: object) -> ResolvedOrder:
    return order("SOL/USDT", side, q, acct=RICH, market=SOL, **kw)  # type: ignore[arg-type]


# --- yes/no rules ---------------------------------------------------------------------


def test_allowed_symbols_with_wildcards() -> None:
    rule = one_rule('kind = "allowed_symbols"\nsymbols = ["*/USDT"]')
    assert decide_one(rule, sol()) == ("allow", set())
    on_btc = order("SOL/BTC", "buy", "1", acct=RICH, market=SOL)
    assert decide_one(rule, on_btc) == ("deny", {"r"})


def test_denied_symbols_by_market_or_by_asset_on_either_side() -> None:
    by_market = one_rule('kind = "denied_symbols"\nsymbols = ["SOL/*"]')
    assert decide_one(by_market, sol("sell")) == ("deny", {"r"})
    by_asset = one_rule('kind = "denied_symbols"\nassets = ["BTC"]')
    assert decide_one(by_asset, sol()) == ("allow", set())
    on_btc = order("SOL/BTC", "buy", "1", acct=RICH, market=SOL)
    assert decide_one(by_asset, on_btc) == ("deny", {"r"})


def test_allowed_order_types_and_conditional_and_scheduled_switches() -> None:
    rule = one_rule(
        'kind = "allowed_order_types"\norder_types = ["market"]\n'
        "conditional = false\nscheduled = false"
    )
    assert decide_one(rule, sol()) == ("allow", set())
    assert decide_one(rule, sol(limit="99"))[0] == "deny"
    assert decide_one(rule, sol("sell", trigger=Trigger(base="SOL", below=90)))[0] == "deny"
    assert decide_one(rule, sol(schedule=Schedule(every="1d", count=2)))[0] == "deny"
    lenient = one_rule('kind = "allowed_order_types"\norder_types = ["market", "limit"]')
    assert decide_one(lenient, sol("sell", trigger=Trigger(base="SOL", below=90)))[0] == "allow"


def test_allowed_accounts() -> None:
    assert decide_one(one_rule('kind = "allowed_accounts"\naccounts = ["test-account"]'), sol())[
        0
    ] == ("allow")
    assert decide_one(one_rule('kind = "allowed_accounts"\naccounts = ["desk"]'), sol()) == (
        "deny",
        {"r"},
    )


def test_first_trade_only_for_assets_never_traded_and_not_held() -> None:
    policy = policy_from(one_rule('kind = "first_trade"', "confirm"))
    market = flat_market({"AVAX/USDT": "30", "SOL/USDT": "100"})
    acct = account({"USDT": "1000", "SOL": "1"})
    avax = order("AVAX/USDT", "buy", "1", acct=acct, market=market)
    held = order("SOL/USDT", "buy", "1", acct=acct, market=market, sid="s2")
    first, second = decide(policy, [avax, held], acct=acct, market=market)
    assert first.decision == "confirm"
    assert second.decision == "allow"
    (again,) = decide(
        policy, [avax], acct=acct, market=market, counters=Counters(assets_traded={"AVAX"})
    )
    assert again.decision == "allow"


def test_scope_limits_a_rule_to_sides_types_and_symbols() -> None:
    rule = one_rule(
        'kind = "max_order_value"\nlimit = "0"\n[rule.scope]\nsides = ["sell"]\n'
        'order_types = ["limit"]\nsymbols = ["SOL/*"]'
    )
    assert decide_one(rule, sol("sell", limit="100"))[0] == "deny"
    assert decide_one(rule, sol("buy", limit="100"))[0] == "allow"
    assert decide_one(rule, sol("sell"))[0] == "allow"


# --- built-ins and fail closed --------------------------------------------------------


def test_queries_are_always_allowed_even_when_halted_and_by_a_deny_default() -> None:
    policy = policy_from(default="deny", state="HALTED")
    query = ResolvedQuery(step_id="s1", source_index=0, what="balance")
    (decision,) = decide(policy, [query], acct=RICH, market=SOL)
    assert decision.decision == "allow"
    assert decision.reasons == ()


def test_cancels_pass_every_rule_but_the_message_rate() -> None:
    rules = (
        one_rule('kind = "max_order_value"\nlimit = "0"')
        + '\n[[rule]]\nid = "rate"\nkind = "message_rate"\neffect = "deny"\n'
        'max_messages = 2\nwindow = "1m"\n'
    )
    policy = policy_from(rules, default="escalate", state="HALTED")
    cancel = ResolvedCancel(step_id="s1", source_index=0)
    (decision,) = decide(policy, [cancel], acct=RICH, market=SOL)
    assert decision.decision == "allow"
    busy = Counters(messages=(NOW - timedelta(seconds=1), NOW - timedelta(seconds=2)))
    (limited,) = decide(policy, [cancel], acct=RICH, market=SOL, counters=busy)
    assert limited.decision == "deny"
    assert rules_of(limited) == {"rate"}


def test_unresolved_steps_are_denied_with_their_resolution_code() -> None:
    step = Unresolved(step_id="s1", source_index=0, code="NO_MARKET", reason="no market X/USDT")
    (decision,) = decide(policy_from(), [step], acct=RICH, market=SOL)
    assert decision.decision == "deny"
    (reason,) = decision.reasons
    assert (reason.rule, reason.code) == ("builtin.resolution", "NO_MARKET")
    assert "no market X/USDT" in reason.message


def test_default_decision_applies_when_no_rule_does_and_is_a_floor() -> None:
    confirm_rule = one_rule('kind = "max_order_value"\nlimit = "50"', "confirm")
    policy = policy_from(confirm_rule, default="escalate")
    small, big = sol(q="0.1"), sol(q="1", sid="s2")
    first, second = decide(policy, [small, big], acct=RICH, market=SOL)
    assert first.decision == "escalate"
    assert rules_of(first) == {"policy.default_decision"}
    assert second.decision == "escalate"
    assert rules_of(second) == {"r", "policy.default_decision"}
    deny = policy_from(one_rule('kind = "max_order_value"\nlimit = "50"'), default="confirm")
    (refused,) = decide(deny, [big], acct=RICH, market=SOL)
    assert refused.decision == "deny"
    assert rules_of(refused) == {"r"}


def test_a_symbol_without_a_cap_fails_closed() -> None:
    value = one_rule('kind = "max_order_value"\nper_symbol = { "BTC/USDT" = "1000" }', "confirm")
    decision, rules = decide_one(value, sol())
    assert (decision, rules) == ("deny", {"r"})
    policy = policy_from(value)
    (d,) = decide(policy, [sol()], acct=RICH, market=SOL)
    assert "no cap set for SOL/USDT" in d.reasons[0].message
    position = one_rule('kind = "max_position"\nper_asset = { BTC = "1000" }', "confirm")
    assert decide_one(position, sol()) == ("deny", {"r"})


def test_a_missing_quote_fails_closed_for_the_collar() -> None:
    acct = account({"USDT": "1000"})
    step = order("SOL/USDT", "buy", "1", acct=acct, market=SOL, limit="100")
    no_quote = MarketData(rules=SOL.rules, quotes={})
    policy = policy_from(one_rule('kind = "price_collar"\nmax_deviation_percent = "5"', "confirm"))
    (decision,) = decide(policy, [step], acct=acct, market=no_quote)
    assert decision.decision == "deny"
    assert "no quote" in decision.reasons[0].message


def test_an_order_that_cannot_be_valued_in_the_policy_currency_is_denied() -> None:
    policy = policy_from(currency="EUR")
    (decision,) = decide(policy, [sol()], acct=RICH, market=SOL)
    assert decision.decision == "deny"
    assert {r.code for r in decision.reasons} == {"NO_VALUATION"}
    in_btc = policy_from(one_rule('kind = "max_order_value"\nlimit = "0.0009"'), currency="BTC")
    (valued,) = decide(in_btc, [sol()], acct=RICH, market=SOL)
    assert valued.decision == "deny"  # 100 USDT is 0.001 BTC, over 0.0009
    assert valued.reasons[0].message == "MAX_ORDER_VALUE: limit=0.0009 BTC, notional=0.001 BTC"


@pytest.mark.parametrize(
    ("quantity", "limit", "code"),
    [
        ("1.0005", None, "VENUE_OFF_STEP"),
        ("1", "100.005", "VENUE_OFF_TICK"),
        ("0.0001", None, "VENUE_MIN_QTY"),
        ("90000.001", None, "VENUE_MAX_QTY"),
        ("0.04", None, "VENUE_MIN_NOTIONAL"),
    ],
)
def test_venue_rules_are_checked_again(quantity: str, limit: str | None, code: str) -> None:
    acct = account({"USDT": "100000000", "SOL": "100000"})
    step = order("SOL/USDT", "buy", quantity, acct=acct, market=SOL, limit=limit)
    (decision,) = decide(policy_from(), [step], acct=acct, market=SOL)
    assert decision.decision == "deny"
    assert code in {r.code for r in decision.reasons}
    assert rules_of(decision) == {"builtin.venue"}


def test_venue_closed_market_and_max_notional() -> None:
    rules = dict(SOL.rules)
    rules["SOL/USDT"] = MarketRules(
        symbol="SOL/USDT",
        base="SOL",
        quote="USDT",
        tick_size=Decimal("0.01"),
        step_size=Decimal("0.001"),
        max_notional=Decimal(50),
        trading=False,
    )
    market = MarketData(rules=rules, quotes=SOL.quotes)
    (decision,) = decide(policy_from(), [sol()], acct=RICH, market=market)
    assert {r.code for r in decision.reasons} == {"VENUE_CLOSED", "VENUE_MAX_NOTIONAL"}


def test_trading_state_from_the_policy_or_the_counters_whichever_is_stricter() -> None:
    reducing = policy_from(state="REDUCING")
    buy_step, sell_step = sol(), sol("sell", sid="s2")
    b, s = decide(reducing, [buy_step, sell_step], acct=RICH, market=SOL)
    assert (b.decision, s.decision) == ("deny", "allow")
    assert b.reasons[0].code == "TRADING_REDUCING"
    (halted,) = decide(
        reducing, [sell_step], acct=RICH, market=SOL, counters=Counters(trading_state="HALTED")
    )
    assert halted.reasons[0].code == "TRADING_HALTED"
    (still,) = decide(
        policy_from(state="HALTED"),
        [sell_step],
        acct=RICH,
        market=SOL,
        counters=Counters(trading_state="ACTIVE"),
    )
    assert still.decision == "deny"


def test_firing_rechecks_against_the_market_and_skips_planning_checks() -> None:
    rules = (
        one_rule('kind = "price_collar"\nmax_deviation_percent = "5"')
        + '\n[[rule]]\nid = "band"\nkind = "trigger_band"\neffect = "deny"\n'
        'max_distance_percent = "10"\n'
        '\n[[rule]]\nid = "sched"\nkind = "schedule_limits"\neffect = "deny"\nmax_count = 1\n'
    )
    policy = policy_from(rules)
    stop = sol("sell", limit="69", trigger=Trigger(base="SOL", below=70))
    (planned,) = decide(policy, [stop], acct=RICH, market=SOL)
    assert rules_of(planned) == {"band"}  # 30% away; the limit is close to its trigger
    (fired,) = decide(policy, [stop], acct=RICH, market=SOL, firing=True)
    assert rules_of(fired) == {"r"}  # the market is still at 100: 31% from the limit
    repeat = sol(schedule=Schedule(every="1d", count=5))
    (run,) = decide(policy, [repeat], acct=RICH, market=SOL, firing=True)
    assert run.decision == "allow"


def test_earlier_steps_count_whatever_their_decision() -> None:
    # step 1 is denied by the value cap, yet its value still counts for the budget:
    # otherwise a stricter cap could make step 2 pass
    rules = one_rule('kind = "max_order_value"\nlimit = "500"') + (
        '\n[[rule]]\nid = "day"\nkind = "daily_notional"\neffect = "escalate"\nlimit = "1000"\n'
    )
    policy = policy_from(rules)
    first, second = decide(policy, [sol(q="9"), sol(q="2", sid="s2")], acct=RICH, market=SOL)
    assert first.decision == "deny"
    assert second.decision == "escalate"


def test_every_decision_carries_the_stamp_and_the_time() -> None:
    policy = default_policy()
    steps: list[ResolvedStep] = [sol(), ResolvedCancel(step_id="s2", source_index=1)]
    decisions = decide(policy, steps, acct=RICH, market=SOL)
    for decision in decisions:
        assert decision.policy == policy.stamp
        assert decision.policy.hash == policy.hash
        assert decision.decided_at == NOW
    assert overall(decisions) == "allow"
    assert overall(()) == "allow"


def test_recent_orders_outside_the_window_or_in_the_future_are_ignored() -> None:
    policy = policy_from(one_rule('kind = "duplicate"\nwindow = "60s"', "confirm"))
    later = RecentOrder(
        symbol="SOL/USDT",
        side="buy",
        order_type="market",
        quantity=Decimal(1),
        notional=Decimal(100),
        at=NOW + timedelta(seconds=5),
    )
    (decision,) = decide(policy, [sol()], acct=RICH, market=SOL, counters=Counters(orders=(later,)))
    assert decision.decision == "allow"


# --- approval settings ----------------------------------------------------------------


def test_approval_settings_helpers() -> None:
    settings = ApprovalSettings.model_validate(
        {"valid_for": "10m", "max_price_drift_percent": "1", "second_approvers": ["risk"]}
    )
    assert settings.may_approve("confirm", approver="ana", requester="ana")
    assert settings.may_approve("confirm", approver="risk", requester="ana")
    assert not settings.may_approve("confirm", approver="bob", requester="ana")
    assert settings.may_approve("escalate", approver="risk", requester="ana")
    assert not settings.may_approve("escalate", approver="risk", requester="risk")
    assert not settings.may_approve("escalate", approver="ana", requester="ana")
    assert not settings.may_approve("deny", approver="risk", requester="ana")
    assert not settings.may_approve("allow", approver="risk", requester="ana")
    assert settings.expires_at(NOW) == NOW + timedelta(minutes=10)
    assert not settings.expired(NOW, NOW + timedelta(minutes=10) - timedelta(microseconds=1))
    assert settings.expired(NOW, NOW + timedelta(minutes=10))
    assert not settings.drifted(Decimal(100), Decimal(101))
    assert settings.drifted(Decimal(100), Decimal("101.01"))
    assert settings.drifted(Decimal(100), Decimal("98.99"))
