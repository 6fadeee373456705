"""How a reason shows its figures: a limit as written, an observed value exact or rounded
and marked ``~`` (never rounded onto or across the limit it exceeds), small values with
their significant digits and never in scientific notation, a percentage without a space,
a unit with one. (Tests written to kill the mutants that survived in policy/context.py.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from policy.context import fmt_observed, over_limit
from policy.counters import Counters
from tests.policy.policy_helpers import (
    NOW,
    account,
    decide,
    flat_market,
    order,
    policy_from,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("1", "1"),
        ("1.5", "1.5"),
        ("1.001", "~1"),
        ("0.5", "0.5"),
        ("0.0000001", "0.0000001"),
        ("0.123456789", "~0.123457"),
        ("0", "0"),
    ],
)
def test_observed_values_are_shown_for_people(value: str, shown: str) -> None:
    assert fmt_observed(Decimal(value)) == shown


@pytest.mark.parametrize(
    ("value", "limit", "shown"),
    [("1.001", "1", "1.001"), ("2.00001", "2", "2.00001"), ("30.5", "25", "30.5")],
)
def test_an_observed_value_is_never_rounded_onto_its_limit(
    value: str, limit: str, shown: str
) -> None:
    assert fmt_observed(Decimal(value), Decimal(limit)) == shown


def test_a_percentage_has_no_space_and_a_unit_has_one() -> None:
    rule = policy_from(
        '[[rule]]\nid = "v"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "10"\n'
    ).rules[0]
    percent = over_limit(rule, Decimal(25), Decimal("30.5"), "%", "share")
    assert (percent.limit, percent.observed) == ("25%", "30.5%")
    assert percent.message == "MAX_ORDER_VALUE: limit=25%, share=30.5%"
    money = over_limit(rule, Decimal(10), Decimal(12), "USDT", "notional")
    assert (money.limit, money.observed) == ("10 USDT", "12 USDT")
    bare = over_limit(rule, Decimal(3), Decimal(4), "", "count")
    assert (bare.limit, bare.observed) == ("3", "4")


RATE = (
    '[[rule]]\nid = "rate"\nkind = "message_rate"\neffect = "deny"\n'
    'max_messages = 1\nwindow = "1m"\n'
)


def test_a_message_window_holds_after_its_start_up_to_and_including_now() -> None:
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000"})
    buy = order("SOL/USDT", "buy", "1", acct=acct, market=market)
    policy = policy_from(RATE)
    outcomes = []
    for ago in (60, 0):
        counters = Counters(messages=(NOW - timedelta(seconds=ago),))
        (decision,) = decide(policy, [buy], acct=acct, market=market, counters=counters)
        outcomes.append(decision.decision)
    assert outcomes == ["allow", "deny"]


def test_two_message_windows_each_count_their_own_messages() -> None:
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000"})
    buy = order("SOL/USDT", "buy", "1", acct=acct, market=market)
    wide = RATE.replace('id = "rate"', 'id = "rate-1h"').replace('"1m"', '"1h"')
    counters = Counters(messages=(NOW - timedelta(minutes=30),))
    for text in (RATE + "\n" + wide, wide + "\n" + RATE):
        (decision,) = decide(policy_from(text), [buy], acct=acct, market=market, counters=counters)
        assert [r.rule for r in decision.reasons] == ["rate-1h"]
