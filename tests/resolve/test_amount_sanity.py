"""An amount absurd for the account is asked about, not planned silently (intent/resolve.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intent.resolve import IMPLAUSIBLE_FACTOR
from intent.resolved import ResolvedOrder, Unresolved
from tests.resolve.test_resolve import ACCT, buy, one, sell


@pytest.mark.parametrize(
    ("step", "needle"),
    [
        (sell("BTC", "base", "500"), "times the 0.5 BTC the account holds"),  # meant $500
        (sell("ETH", "base", "3000"), "times the 4 ETH"),
        (buy("BTC", "base", "5000"), "times the 10000 USDT"),  # meant 5k USDT of BTC
        (buy("BTC", "quote", "5000000"), "times the 10000 USDT"),
    ],
)
def test_an_absurd_amount_is_asked_about(step: dict[str, object], needle: str) -> None:
    resolved = one(step)
    assert isinstance(resolved, Unresolved)
    assert resolved.code == "IMPLAUSIBLE_AMOUNT"
    assert needle in resolved.reason
    assert resolved.reason.endswith("Say the order again.")


@pytest.mark.parametrize(
    "step",
    [
        sell("BTC", "base", "0.4"),
        sell("BTC", "base", "2"),  # more than held: the policy's balance check says so
        buy("BTC", "quote", "5000"),
        buy("BTC", "base", "1"),  # 60k of 10k: more than affordable, not absurd
        sell("LINK", "base", "1000"),  # nothing held: the policy's balance check says so
    ],
)
def test_a_plausible_amount_resolves(step: dict[str, object]) -> None:
    assert isinstance(one(step), ResolvedOrder)


@given(st.decimals(min_value=Decimal("0.1"), max_value=Decimal("1000000"), places=3))
def test_a_sell_is_flagged_exactly_from_the_factor_up(quantity: Decimal) -> None:
    resolved = one(sell("SOL", "base", str(quantity)))
    held = ACCT.total("SOL")
    implausible = quantity >= held * IMPLAUSIBLE_FACTOR
    flagged = isinstance(resolved, Unresolved) and resolved.code == "IMPLAUSIBLE_AMOUNT"
    assert flagged == implausible, (quantity, resolved)
