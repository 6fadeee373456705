"""The price collar against every reference price, on realistic quotes (bid != ask != last).

A market buy is priced at the ask and a sell at the bid; a limit order at its limit price;
the reference is the mid or the last trade as the rule says. With bid 99, ask 101 and
last 104 every mistake shows: a buy priced at the bid, a sell at the ask, a collar that
always uses the mid or always the last.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from intent.plan import Trigger
from tests.policy.policy_helpers import (
    account,
    decide,
    order,
    policy_from,
    quoted_market,
    rules_of,
)

MARKET = quoted_market({"SOL/USDT": ("99", "101", "104")})  # mid 100
ACCT = account({"USDT": "100000", "SOL": "100"})


def collar(reference: str, limit: str, **sided: str) -> str:
    extra = "".join(f'{key} = "{value}"\n' for key, value in sided.items())
    return (
        f'[[rule]]\nid = "collar"\nkind = "price_collar"\neffect = "confirm"\n'
        f'max_deviation_percent = "{limit}"\nreference = "{reference}"\n{extra}'
    )


def observed(reference: str, limit: str, side: str, price: str | None = None) -> str | None:
    """The collar's observed deviation for one order, or None when it lets it through."""
    step = order("SOL/USDT", side, "1", acct=ACCT, market=MARKET, limit=price)  # type: ignore[arg-type]
    (decision,) = decide(policy_from(collar(reference, limit)), [step], acct=ACCT, market=MARKET)
    if "collar" not in rules_of(decision):
        assert decision.decision == "allow"
        return None
    assert decision.decision == "confirm"
    (reason,) = decision.reasons
    return reason.observed


# (reference, side, limit price or None for market, deviation in %, shown price, shown ref)
CASES = [
    ("mid", "buy", None, "1", "101", "mid 100"),  # at the ask vs mid 100
    ("mid", "sell", None, "1", "99", "mid 100"),  # at the bid vs mid 100
    ("last", "buy", None, "2.8846", "101", "last 104"),  # |101 - 104| / 104
    ("last", "sell", None, "4.8077", "99", "last 104"),  # |99 - 104| / 104
    ("mid", "buy", "103", "3", "103", "mid 100"),
    ("last", "buy", "103", "0.9615", "103", "last 104"),
    ("mid", "sell", "97", "3", "97", "mid 100"),
    ("last", "sell", "97", "6.7308", "97", "last 104"),
]


def close_to(shown: str | None, deviation: str) -> bool:
    """An observed percentage as shown (rounded, never under the value) near ``deviation``."""
    assert shown is not None
    assert shown.endswith("%")
    return abs(Decimal(shown[:-1].lstrip("~≈")) - Decimal(deviation)) <= Decimal("0.01")


@pytest.mark.parametrize(("reference", "side", "price", "deviation", "shown", "ref"), CASES)
def test_the_collar_measures_the_right_price_against_the_right_reference(
    reference: str, side: str, price: str | None, deviation: str, shown: str, ref: str
) -> None:
    step = order("SOL/USDT", side, "1", acct=ACCT, market=MARKET, limit=price)  # type: ignore[arg-type]
    (decision,) = decide(policy_from(collar(reference, "0.5")), [step], acct=ACCT, market=MARKET)
    (reason,) = decision.reasons
    assert reason.code == "PRICE_COLLAR"
    assert close_to(reason.observed, deviation)
    assert f"price {shown} vs {ref} USDT" in reason.message


@pytest.mark.parametrize(("reference", "side", "price", "deviation", "shown", "ref"), CASES)
def test_the_collar_limit_is_inclusive_for_every_reference(
    reference: str, side: str, price: str | None, deviation: str, shown: str, ref: str
) -> None:
    exact_price = Decimal(price) if price is not None else Decimal(101 if side == "buy" else 99)
    reference_price = Decimal(100) if reference == "mid" else Decimal(104)
    exact = abs(exact_price - reference_price) * 100 / reference_price
    # at the exact deviation: through; a hair under it: confirm
    assert observed(reference, str(exact), side, price) is None
    below = (exact - Decimal("0.0001")).quantize(Decimal("0.0001"))
    assert close_to(observed(reference, str(below), side, price), deviation)


def test_a_market_buy_6_percent_off_the_last_is_gated_with_reference_last() -> None:
    # the audit's case: the ask is 6.19% above the last trade
    market = quoted_market({"SOL/USDT": ("99.9", "110.58", "104.13")})
    step = order("SOL/USDT", "buy", "1", acct=ACCT, market=market)
    policy = policy_from(collar("last", "5"))
    (decision,) = decide(policy, [step], acct=ACCT, market=market)
    assert decision.decision == "confirm"
    assert close_to(decision.reasons[0].observed, "6.195")


def test_sided_and_per_symbol_limits_apply_to_their_side() -> None:
    policy = policy_from(
        collar("mid", "5", buy_max_deviation_percent="0.9", sell_max_deviation_percent="1")
    )
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    sell = order("SOL/USDT", "sell", "1", acct=ACCT, market=MARKET, sid="s2")
    b, s = decide(policy, [buy, sell], acct=ACCT, market=MARKET)
    assert b.decision == "confirm"  # 1% over the buy side's 0.9%
    assert s.decision == "allow"  # 1% at the sell side's 1%


def test_a_triggered_order_is_measured_against_its_trigger_until_it_fires() -> None:
    policy = policy_from(collar("last", "2"))
    stop = order(
        "SOL/USDT",
        "sell",
        "1",
        acct=ACCT,
        market=MARKET,
        limit="88",
        trigger=Trigger(base="SOL", below=Decimal(90)),
    )
    (planned,) = decide(policy, [stop], acct=ACCT, market=MARKET)
    assert planned.decision == "confirm"
    assert "price 88 vs trigger 90 USDT" in planned.reasons[0].message
    (fired,) = decide(policy, [stop], acct=ACCT, market=MARKET, firing=True)
    assert "price 88 vs last 104 USDT" in fired.reasons[0].message
