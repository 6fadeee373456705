"""Every number a person reads is exact or rounded honestly: a property test parses the
shown text back and compares it with the exact value, and with the limit it is shown
against; and the places that showed wrong numbers show the right ones."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from foundation.display import MAX_PLACES, approx, number, percent, read_back
from intent.describe import describe_step
from intent.resolved import ResolvedOrder
from signoff.steps_text import describe_resolved
from tests.policy.policy_helpers import account, decide, flat_market, order, policy_from

decimals = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=None
).filter(lambda d: d.is_finite())
small = st.integers(min_value=-30, max_value=12).flatmap(
    lambda e: st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: Decimal(n).scaleb(e))
)
values = st.one_of(decimals, small)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


@given(values, st.one_of(st.none(), st.integers(min_value=0, max_value=10)), st.booleans())
@example(Decimal("99.99936"), None, True)
@example(Decimal("1.99999"), 2, True)
@example(Decimal("2.9E-7"), None, True)
@example(Decimal("100.00"), 2, True)
def test_a_shown_number_is_the_value_or_within_its_stated_rounding(
    value: Decimal, places: int | None, group: bool
) -> None:
    shown = number(value, places=places, group=group)
    assert "e" not in shown.lower()
    body, _, exact = read_back(shown)
    back = Decimal(body)
    if exact:
        assert back == value, shown
    else:
        # rounded half-even to at least the places asked for, and marked
        assert shown.startswith("~")
        asked = MAX_PLACES if places is None else places
        assert abs(back - value) <= Decimal(5).scaleb(-asked - 1), shown
        # never truncated to nothing: a value that is not zero is not shown as zero
        assert back != 0 or value == 0
    if not group:
        assert "," not in shown


@given(values, values, st.integers(min_value=0, max_value=8))
@example(Decimal("2.00001"), Decimal("2"), 2)
@example(Decimal("1000.001"), Decimal("1000"), 2)
@example(Decimal("1.999999"), Decimal("2"), 2)
def test_a_shown_number_never_crosses_or_meets_its_limit(
    value: Decimal, limit: Decimal, places: int
) -> None:
    shown = number(value, places=places, limit=limit, group=False)
    body, _, _ = read_back(shown)
    assert _sign(Decimal(body) - limit) == _sign(value - limit), (shown, limit)


@given(values)
def test_an_estimate_is_the_value_or_close_to_it(value: Decimal) -> None:
    shown = approx(value)
    assert shown.startswith("≈")
    body, _, _ = read_back(shown)
    assert abs(Decimal(body) - value) <= Decimal(5).scaleb(-MAX_PLACES - 1)


def test_the_numbers_that_were_shown_wrong() -> None:
    assert number(Decimal("99.99936")) == "99.99936"  # was "1"
    assert number(Decimal("100.000")) == "100"
    assert number(Decimal("1.99999")) == "1.99999"  # was "2"
    assert number(Decimal("2.9E-7")) == "0.00000029"  # was "2.9E-7"
    assert number(Decimal("1E+3")) == "1,000"
    assert number(Decimal("1234567.5")) == "1,234,567.5"
    assert number(Decimal(1) / Decimal(3)) == "~0.33333333"
    assert percent(Decimal(100) / Decimal(3)) == "~33.33%"
    assert number(None) == "—"


def _resolved(quantity: str, notional: str) -> ResolvedOrder:
    return ResolvedOrder(
        step_id="s1",
        source_index=0,
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        side="sell",
        order_type="market",
        quantity=Decimal(quantity),
        reference_price=Decimal("50000"),
        notional=Decimal(notional),
        notional_reporting=Decimal(notional),
    )


def test_the_line_a_trader_confirms_shows_the_exact_quantity_and_value() -> None:
    line = describe_resolved(_resolved("1.99999", "99999.5"))
    assert line == "sell 1.99999 BTC on BTC/USDT at market (≈99,999.5 USDT)"
    line = describe_resolved(_resolved("0.002", "99.99936"))
    assert "(≈99.99936 USDT)" in line


def test_the_parsed_plan_shows_what_was_typed() -> None:
    step = {
        "action": "order",
        "side": "buy",
        "base": "SOL",
        "quote": "USDT",
        "amount": {"unit": "quote", "value": "100.00"},
        "order_type": "market",
    }
    assert describe_step(step) == "buy 100 USDT worth of SOL at market"


def test_a_reason_shows_the_observed_value_exactly_not_rounded_up() -> None:
    policy = policy_from(
        '\n[[rule]]\nid = "qty"\nkind = "max_order_quantity"\neffect = "deny"\n'
        'per_symbol = { "BTC/USDT" = "2" }\n'
    )
    acct = account({"BTC": "10", "USDT": "1000000"})
    market = flat_market({"BTC/USDT": "50000"})
    step = order("BTC/USDT", "sell", "2.00001", acct=acct, market=market)
    (decision,) = decide(policy, [step], acct=acct, market=market)
    (reason,) = [r for r in decision.reasons if r.rule == "qty"]
    assert reason.observed == "2.00001 BTC"  # was "2.01 BTC"
    assert "quantity=2.00001 BTC" in reason.message


def _value_of(text: str) -> Decimal:
    body, _, _ = read_back(text.split()[0].rstrip("%"))
    return Decimal(body)


@given(
    quantity=st.integers(min_value=1, max_value=10**6).map(lambda n: Decimal(n).scaleb(-5)),
    price=st.integers(min_value=1, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2)),
    limit=st.integers(min_value=1, max_value=10**6).map(lambda n: Decimal(n).scaleb(-1)),
)
@example(quantity=Decimal("0.01"), price=Decimal("100000.1"), limit=Decimal("1000"))
def test_a_reason_never_shows_an_observed_value_at_or_under_the_limit_it_exceeds(
    quantity: Decimal, price: Decimal, limit: Decimal
) -> None:
    policy = policy_from(
        f'\n[[rule]]\nid = "big"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "{limit}"\n'
    )
    acct = account({"USDT": "100000000000"})
    market = flat_market({"BTC/USDT": str(price)})
    step = order("BTC/USDT", "buy", quantity, acct=acct, market=market)
    (decision,) = decide(policy, [step], acct=acct, market=market)
    reasons = [r for r in decision.reasons if r.rule == "big"]
    if step.notional <= limit:
        assert not reasons
    else:
        (reason,) = reasons
        assert reason.observed is not None
        assert reason.limit is not None
        shown = _value_of(reason.observed)
        assert _value_of(reason.limit) == limit  # the limit exactly as written
        assert shown > limit, reason.message
        body, _, exact = read_back(reason.observed.split()[0])
        if exact:
            assert Decimal(body) == step.notional
        else:
            assert abs(Decimal(body) - step.notional) <= Decimal("0.005")
