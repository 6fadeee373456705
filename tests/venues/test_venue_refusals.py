"""What a venue cannot do exactly as approved is refused before anything is sent.

Refused by the executor (the last line, with the venue and the reason) and, from
the same capability data carried in the market rules, by the policy's built-in
venue rules (so the trader learns it before approving).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from executors.base import OrderRequest
from executors.capabilities import CAPABILITIES, ORDER_KINDS, trigger_kind
from foundation.errors import OrderRejected
from intent.market import AccountSnapshot, Balance, MarketData, Quote
from intent.plan import Trigger
from intent.resolve import order_as_given
from intent.resolved import ResolvedOrder
from policy.counters import Counters
from policy.engine import evaluate
from policy.loader import load_policy
from tests.venues.capture import VENUES, Capture, CaptureExecutor, default_routes, started
from tests.venues.replies import create_routes
from tests.venues.test_venue_requests import CID, order

WRITES = ("POST", "DELETE")


def _writes(executor: CaptureExecutor) -> list[str]:
    return [f"{r.method} {r.path}" for r in executor.capture.requests if r.method in WRITES]


async def _refused(executor: CaptureExecutor, request: OrderRequest) -> OrderRejected:
    before = len(executor.capture.requests)
    with pytest.raises(OrderRejected) as err:
        await executor.submit(request)
    assert _writes(executor) == [], "refused, yet something was sent"
    sent = executor.capture.requests[before:]
    assert all(r.method == "GET" for r in sent)
    assert err.value.message.startswith(f"{executor.venue}: ")
    assert err.value.hint is not None
    assert "nothing was sent" in err.value.hint
    return err.value


def _unsupported() -> list[tuple[str, str]]:
    return [
        (venue, kind)
        for venue in VENUES
        for kind, _ in ORDER_KINDS
        if not CAPABILITIES[venue.split("-")[0]].kinds[kind].supported  # type: ignore[index]
    ]


def test_hashkey_lacks_spot_triggers() -> None:
    assert ("hashkey-sandbox", "stop_loss") in _unsupported()
    assert ("hashkey-sandbox", "take_profit") in _unsupported()


@pytest.mark.asyncio
@pytest.mark.parametrize(("venue", "kind"), _unsupported())
async def test_a_kind_the_venue_lacks_is_refused_naming_venue_and_reason(
    venue: str, kind: str
) -> None:
    executor = await started(venue)
    try:
        error = await _refused(executor, order(kind))
        why = CAPABILITIES[venue.split("-")[0]].kinds[kind].how  # type: ignore[index]
        assert why in error.message
        assert "exactly as approved" in error.message
    finally:
        await executor.close()


def _off(venue: str) -> dict[str, dict[str, Any]]:
    okx = venue.startswith("okx")
    return {
        # one digit finer than the step (okx's lot is 0.00000001) / the tick (okx: 0.1)
        "quantity": {"quantity": Decimal("0.000000001" if okx else "0.000015")},
        "limit price": {
            "order_type": "limit",
            "limit_price": Decimal("58000.15" if okx else "58000.105"),
        },
        "trigger price": {
            "trigger_symbol": "BTC/USDT",
            "trigger_direction": "below",
            "trigger_price": Decimal("55000.05" if okx else "55000.005"),
        },
    }


def _rounding_cases() -> list[tuple[str, str]]:
    """Every venue's amounts and prices; trigger prices where the venue has triggers."""
    return [
        (venue, what)
        for venue in VENUES
        for what in ("quantity", "limit price", "trigger price")
        if what != "trigger price" or CAPABILITIES[venue.split("-")[0]].supports("stop_loss")  # type: ignore[index]
    ]


@pytest.mark.asyncio
@pytest.mark.parametrize(("venue", "what"), _rounding_cases())
async def test_an_amount_or_price_the_venue_would_round_is_refused(venue: str, what: str) -> None:
    executor = await started(venue)
    try:
        base: dict[str, Any] = {
            "client_order_id": CID,
            "symbol": "BTC/USDT",
            "side": "sell",
            "order_type": "market",
            "quantity": Decimal("0.01"),
        }
        error = await _refused(executor, OrderRequest(**{**base, **_off(venue)[what]}))
        assert what in error.message
        assert "precision would make it" in error.message
    finally:
        await executor.close()


@pytest.mark.asyncio
async def test_bybit_classic_account_market_orders_are_refused() -> None:
    routes = default_routes("bybit-testnet")
    ok = {"retCode": 0, "retMsg": "OK", "retExtInfo": {}, "time": 0}
    routes[("GET", "/v5/user/query-api")] = (200, {**ok, "result": {"unified": 0, "uta": 0}})
    executor = await started("bybit-testnet", Capture(routes=routes))
    try:
        error = await _refused(executor, order("market_buy"))
        assert "classic account" in error.message
        assert "quote currency" in error.message
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("side", "direction", "level", "refused"),
    [
        ("sell", "below", "55000", False),  # last 60000: a fall to 55000, as approved
        ("sell", "below", "61000", True),  # already below: bybit would wait for a rise
        ("sell", "above", "65000", False),
        ("sell", "above", "59000", True),
        ("buy", "above", "65000", False),
        ("buy", "below", "60000", True),  # at the level: no direction to infer
    ],
)
async def test_bybit_trigger_direction_must_match_the_price_at_placement(
    side: str, direction: str, level: str, refused: bool
) -> None:
    routes = {**default_routes("bybit-testnet"), **create_routes("bybit-testnet")}
    executor = await started("bybit-testnet", Capture(routes=routes))
    request = OrderRequest(
        client_order_id=CID,
        symbol="BTC/USDT",
        side=side,
        order_type="market",
        quantity=Decimal("0.01"),
        trigger_symbol="BTC/USDT",
        trigger_price=Decimal(level),
        trigger_direction=direction,
    )
    try:
        if refused:
            error = await _refused(executor, request)
            assert "last price is 60000" in error.message
        else:
            await executor.submit(request)
            sent = executor.capture.last("POST", "/v5/order/create")
            assert sent.params["triggerPrice"] == level
            assert sent.params["orderFilter"] == "StopOrder"
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_a_trigger_on_another_market_is_refused(venue: str) -> None:
    executor = await started(venue)
    try:
        request = order("stop_loss").model_copy(update={"trigger_symbol": "ETH/USDT"})
        with pytest.raises(OrderRejected):
            await executor.submit(request)
        assert _writes(executor) == []
    finally:
        await executor.close()


# ------------------------------------------------------------------ the policy learns it
_POLICY = """
[policy]
id = "venue-test"
version = "1"
owner = "compliance"
currency = "USDT"
default_decision = "allow"
trading_state = "ACTIVE"

[approvals]
valid_for = "10m"
max_price_drift_percent = "1"
second_approvers = ["risk-desk"]
"""


async def _decide(venue: str, side: str, trigger: Trigger) -> list[tuple[str, str]]:
    executor = await started(venue)
    try:
        rules = await executor.market_rules()
    finally:
        await executor.close()
    now = executor._clock.now()
    price = Decimal("60000")
    market = MarketData(
        rules=rules,
        quotes={"BTC/USDT": Quote(symbol="BTC/USDT", bid=price, ask=price, last=price, time=now)},
    )
    acct = AccountSnapshot(
        account_id="a",
        venue=venue,
        balances={
            "USDT": Balance(asset="USDT", free=Decimal(100000)),
            "BTC": Balance(asset="BTC", free=Decimal(1)),
        },
        taken_at=now,
    )
    step = order_as_given(
        sid="s1",
        symbol="BTC/USDT",
        side=side,  # type: ignore[arg-type]
        quantity=Decimal("0.01"),
        limit_price=None,
        account=acct,
        market=market,
        trigger=trigger,
    )
    assert isinstance(step, ResolvedOrder)
    (decision,) = evaluate(
        [step],
        policy=load_policy(_POLICY, "venue-test.toml"),
        account=acct,
        market=market,
        counters=Counters(),
        now=now,
    )
    return [(r.code, r.message) for r in decision.reasons if r.effect == "deny"]


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize(
    ("side", "trigger"),
    [
        ("sell", Trigger(base="BTC", below=Decimal("55000"))),
        ("sell", Trigger(base="BTC", above=Decimal("65000"))),
        ("buy", Trigger(base="BTC", above=Decimal("65000"))),
    ],
)
async def test_policy_venue_rules_deny_a_trigger_kind_the_venue_lacks(
    venue: str, side: str, trigger: Trigger
) -> None:
    denied = await _decide(venue, side, trigger)
    direction = "below" if trigger.below is not None else "above"
    kind = trigger_kind(side, direction)
    if CAPABILITIES[venue.split("-")[0]].supports(kind):  # type: ignore[index]
        assert denied == []
    else:
        assert [code for code, _ in denied] == ["VENUE_NO_TRIGGER"]
        assert venue in denied[0][1]


@pytest.mark.asyncio
async def test_policy_venue_rules_deny_a_trigger_off_tick_or_on_another_market() -> None:
    denied = await _decide(
        "binance-testnet", "sell", Trigger(base="BTC", below=Decimal("55000.005"))
    )
    assert [code for code, _ in denied] == ["VENUE_TRIGGER_OFF_TICK"]
    denied = await _decide("binance-testnet", "sell", Trigger(base="ETH", below=Decimal("3000")))
    assert "VENUE_TRIGGER_MARKET" in [code for code, _ in denied]
