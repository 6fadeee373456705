"""How a reason shows its figures: a limit as written, an observed value rounded up to
cents from 1 up (so it never shows at or under the limit it exceeds), small values with
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
        ("1", "1.00"),
        ("1.5", "1.50"),
        ("1.001", "1.01"),
        ("0.5", "0.5"),
        ("0.0000001", "0.0000001"),
        ("0.123456789", "0.12345679"),
        ("0", "0"),
    ],
)
def test_observed_values_are_shown_for_people(value: str, shown: str) -> None:
    assert fmt_observed(Decimal(value)) == shown


def test_a_percentage_has_no_space_and_a_unit_has_one() -> None:
    rule = policy_from(
        '[[rule]]\nid = "v"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "10"\n'
    ).rules[0]
    percent = over_limit(rule, Decimal(25), Decimal("30.5"), "%", "share")
    assert (percent.limit, percent.observed) == ("25%", "30.50%")
    assert percent.message == "MAX_ORDER_VALUE: limit=25%, share=30.50%"
    money = over_limit(rule, Decimal(10), Decimal(12), "USDT", "notional")
    assert (money.limit, money.observed) == ("10 USDT", "12.00 USDT")
    bare = over_limit(rule, Decimal(3), Decimal(4), "", "count")
    assert (bare.limit, bare.observed) == ("3", "4.00")


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
