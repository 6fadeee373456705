"""Each venue's documented replies map to signoff's order states and error tree.

Replies are hand-written in each venue's format (tests/venues/replies.py) and go
through ccxt's own parsing and error handling, then the executor's mapping.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from executors.base import OrderRequest
from foundation.errors import (
    AuthenticationFailed,
    ExchangeUnavailable,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    SignoffError,
)
from tests.venues.capture import VENUES, Capture, Reply, Route, default_routes, started
from tests.venues.replies import (
    CREATE,
    ERRORS,
    ORDER_ID,
    ErrorKind,
    Fate,
    balance_routes,
    bybit_list,
    create_routes,
    okx_ok,
    order_routes,
)
from tests.venues.test_venue_requests import CID, venue_id

LIMIT = OrderRequest(
    client_order_id=CID,
    symbol="BTC/USDT",
    side="buy",
    order_type="limit",
    quantity=Decimal("0.01"),
    limit_price=Decimal("58000.1"),
)
STATES: dict[Fate, tuple[str, Decimal]] = {
    "accepted": ("open", Decimal(0)),
    "filled": ("filled", Decimal("0.01")),
    "partially_filled": ("partially_filled", Decimal("0.004")),
    "canceled": ("canceled", Decimal(0)),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("fate", ["accepted", "filled", "partially_filled", "canceled"])
async def test_order_replies_map_to_order_states(venue: str, fate: Fate) -> None:
    routes = {**default_routes(venue), **order_routes(venue, venue_id(venue), fate)}
    executor = await started(venue, Capture(routes=routes))
    try:
        state = await executor.lookup("BTC/USDT", CID)
        assert state is not None
        status, filled = STATES[fate]
        assert state.status == status
        assert state.filled == filled
        assert state.quantity == Decimal("0.01")
        assert state.remaining == Decimal("0.01") - filled
        assert state.client_order_id == CID  # signoff's id, whatever the venue was sent
        assert state.order_id is not None
        assert state.order_id.endswith(ORDER_ID[-9:])
        assert (state.side, state.order_type, state.symbol) == ("buy", "limit", "BTC/USDT")
        assert state.limit_price == Decimal("58000.1")
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_an_accepted_order_is_open_with_signoffs_client_id(venue: str) -> None:
    routes = {**default_routes(venue), **create_routes(venue)}
    executor = await started(venue, Capture(routes=routes))
    try:
        state = await executor.submit(LIMIT)
        assert state.status == "open"
        assert state.client_order_id == CID
        assert state.quantity == Decimal("0.01")
        assert state.filled == 0
    finally:
        await executor.close()


ERROR_CLASSES: dict[ErrorKind, type[SignoffError]] = {
    "rejected": OrderRejected,
    "insufficient": InsufficientFunds,
    "rate_limited": RateLimited,
    "bad_signature": AuthenticationFailed,
}


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("kind", ["rejected", "insufficient", "rate_limited", "bad_signature"])
async def test_refused_orders_map_to_the_error_tree_and_are_sent_once(
    venue: str, kind: ErrorKind
) -> None:
    reply: Reply = ERRORS[venue][kind]
    routes = {**default_routes(venue), CREATE[venue]: reply}
    executor = await started(venue, Capture(routes=routes))
    try:
        with pytest.raises(SignoffError) as err:
            await executor.submit(LIMIT)
        assert type(err.value) is ERROR_CLASSES[kind]
        assert err.value.message.startswith(f"{venue}: place order {CID}")
        assert err.value.hint  # says what to do
        assert "test-secret" not in str(err.value)
        # the venue answered: nothing was placed, and it is not sent again
        assert len(executor.capture.sent(*CREATE[venue])) == 1
    finally:
        await executor.close()


def _not_found_lookup_routes(venue: str) -> dict[tuple[str, str], Route]:
    not_found = ERRORS[venue]["not_found"]
    if venue.startswith("binance"):
        return {("GET", "/api/v3/order"): not_found}
    if venue.startswith("bybit"):
        # bybit answers an orderLinkId filter that matches nothing with an empty list
        return {
            ("GET", "/v5/order/realtime"): bybit_list([]),
            ("GET", "/v5/order/history"): bybit_list([]),
        }
    if venue.startswith("okx"):
        return {
            ("GET", "/api/v5/trade/order"): not_found,
            ("GET", "/api/v5/trade/order-algo"): okx_ok([]),
        }
    return {("GET", "/api/v1/spot/order"): not_found}


CANCEL: dict[str, tuple[str, str]] = {
    "binance-testnet": ("DELETE", "/api/v3/order"),
    "bybit-testnet": ("POST", "/v5/order/cancel"),
    "okx-demo": ("POST", "/api/v5/trade/cancel-order"),
    "hashkey-sandbox": ("DELETE", "/api/v1/spot/order"),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_not_found(venue: str) -> None:
    not_found = ERRORS[venue]["not_found"]
    routes = {
        **default_routes(venue),
        **_not_found_lookup_routes(venue),
        CANCEL[venue]: not_found,
    }
    executor = await started(venue, Capture(routes=routes))
    try:
        assert await executor.lookup("BTC/USDT", CID) is None
        with pytest.raises(OrderNotFound) as by_id:
            await executor.cancel("BTC/USDT", order_id=ORDER_ID)
        assert venue in by_id.value.message
        with pytest.raises(OrderNotFound):
            await executor.cancel("BTC/USDT", client_order_id=CID)
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_balance_reply_maps_to_free_and_locked(venue: str) -> None:
    routes = {**default_routes(venue), **balance_routes(venue)}
    executor = await started(venue, Capture(routes=routes))
    try:
        snapshot = await executor.account()
        assert snapshot.venue == venue
        assert snapshot.free("USDT") == Decimal("1000")
        assert snapshot.balances["USDT"].locked == Decimal("250")
        assert snapshot.free("BTC") == Decimal("0.5")
        assert snapshot.open_orders == ()
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_an_unreachable_venue_is_exchange_unavailable(venue: str) -> None:
    capture = Capture(routes=default_routes(venue))
    executor = await started(venue, capture)
    capture.offline = True
    try:
        with pytest.raises(ExchangeUnavailable):
            await executor.account()
    finally:
        await executor.close()


TICKERS: dict[str, tuple[tuple[str, str], Reply, dict[str, str]]] = {
    "binance-testnet": (
        ("GET", "/api/v3/ticker/24hr"),
        (
            200,
            [
                {
                    "symbol": "BTCUSDT",
                    "priceChange": "1000.00",
                    "priceChangePercent": "1.69",
                    "lastPrice": "60000.00",
                    "bidPrice": "59999.99",
                    "askPrice": "60000.01",
                    "openPrice": "59000.00",
                    "highPrice": "61000.00",
                    "lowPrice": "58000.00",
                    "volume": "10.0",
                    "quoteVolume": "600000.0",
                    "openTime": 1767139200000,
                    "closeTime": 1767225600000,
                    "count": 100,
                }
            ],
        ),
        {"symbols": '["BTCUSDT"]'},
    ),
    "bybit-testnet": (
        ("GET", "/v5/market/tickers"),
        default_routes("bybit-testnet")[("GET", "/v5/market/tickers")],
        {"category": "spot"},
    ),  # type: ignore[dict-item]
    "okx-demo": (
        ("GET", "/api/v5/market/tickers"),
        okx_ok(
            [
                {
                    "instType": "SPOT",
                    "instId": "BTC-USDT",
                    "last": "60000",
                    "lastSz": "0.1",
                    "askPx": "60000.01",
                    "askSz": "1",
                    "bidPx": "59999.99",
                    "bidSz": "1",
                    "open24h": "59000",
                    "high24h": "61000",
                    "low24h": "58000",
                    "volCcy24h": "600000",
                    "vol24h": "10",
                    "ts": "1767225600000",
                    "sodUtc0": "59000",
                    "sodUtc8": "59000",
                }
            ]
        ),
        {"instType": "SPOT"},
    ),
    "hashkey-sandbox": (
        ("GET", "/quote/v1/ticker/24hr"),
        (
            200,
            [
                {
                    "t": 1767225600000,
                    "s": "BTCUSDT",
                    "c": "60000",
                    "h": "61000",
                    "l": "58000",
                    "o": "59000",
                    "b": "59999.99",
                    "a": "60000.01",
                    "v": "10",
                    "qv": "600000",
                }
            ],
        ),
        {},
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_ticker_replies_map_to_quotes(venue: str) -> None:
    route, reply, query = TICKERS[venue]
    executor = await started(venue, Capture(routes={**default_routes(venue), route: reply}))
    try:
        quotes = await executor.quotes(["BTC/USDT"])
        quote = quotes["BTC/USDT"]
        assert (quote.bid, quote.ask, quote.last) == (
            Decimal("59999.99"),
            Decimal("60000.01"),
            Decimal("60000"),
        )
        assert executor.capture.last(*route).query == query
    finally:
        await executor.close()
