"""Property: an order reaches a venue exactly as approved, or nothing is sent.

For any quantity, limit price and trigger on any venue, either the executor
refuses before a write request, or the one write carries exactly the approved
quantity, price and trigger level (no rounding, no quote amount).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from executors.base import OrderRequest
from foundation.errors import OrderRejected
from tests.venues.capture import VENUES, Capture, default_routes, started
from tests.venues.replies import create_routes

QTY_FIELD = {"binance": "quantity", "bybit": "qty", "okx": "sz", "hashkey": "quantity"}
PRICE_FIELD = {"binance": "price", "bybit": "price", "okx": "px", "hashkey": "price"}


def _decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False
    ).filter(lambda d: d > 0)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, OrderRequest]:
    venue = draw(st.sampled_from(VENUES))
    side = draw(st.sampled_from(["buy", "sell"]))
    order_type = draw(st.sampled_from(["market", "limit"]))
    quantity = draw(_decimals("0.000001", "5", draw(st.integers(1, 9))))
    limit = (
        draw(_decimals("50000", "70000", draw(st.integers(0, 3))))
        if order_type == "limit"
        else None
    )
    trigger = draw(
        st.none() | st.tuples(st.sampled_from(["below", "above"]), _decimals("40000", "80000", 2))
    )
    fields: dict[str, object] = {}
    if trigger is not None:
        fields = {
            "trigger_symbol": "BTC/USDT",
            "trigger_direction": trigger[0],
            "trigger_price": trigger[1],
        }
    request = OrderRequest(
        client_order_id="so-prop:s1",
        symbol="BTC/USDT",
        side=side,
        order_type=order_type,
        quantity=quantity,
        limit_price=limit,
        **fields,
    )
    return venue, request


async def _check(venue: str, request: OrderRequest) -> None:
    executor = await started(
        venue, Capture(routes={**default_routes(venue), **create_routes(venue)})
    )
    try:
        try:
            await executor.submit(request)
        except OrderRejected:
            writes = [r for r in executor.capture.requests if r.method in ("POST", "DELETE")]
            assert writes == [], "refused after sending"
            return
        writes = [r for r in executor.capture.requests if r.method in ("POST", "DELETE")]
        assert len(writes) == 1
        params = writes[0].params
        ccxt_id = executor.profile.ccxt_id
        assert Decimal(params[QTY_FIELD[ccxt_id]]) == request.quantity
        assert not {"quoteOrderQty", "cost"} & set(params)
        if request.limit_price is not None:
            price_field = (
                "slOrdPx" if ccxt_id == "okx" and request.conditional else PRICE_FIELD[ccxt_id]
            )
            if ccxt_id == "okx" and request.conditional and "tpTriggerPx" in params:
                price_field = "tpOrdPx"
            assert Decimal(params[price_field]) == request.limit_price
        if request.trigger_price is not None:
            levels = [
                params[k]
                for k in ("stopPrice", "triggerPrice", "slTriggerPx", "tpTriggerPx")
                if k in params
            ]
            assert [Decimal(x) for x in levels] == [request.trigger_price]
    finally:
        await executor.close()


@settings(max_examples=120)
@given(requests())
def test_exactly_as_approved_or_nothing_sent(case: tuple[str, OrderRequest]) -> None:
    venue, request = case
    asyncio.run(_check(venue, request))
