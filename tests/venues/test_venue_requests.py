"""The exact HTTP request each venue gets for every order kind signoff sends.

The real ccxt exchange object, built by the production executor in sandbox
mode with fake keys, markets from hand-written fixtures; ccxt's transport hook
is replaced (tests/venues/capture.py), so nothing leaves the process. Expected
requests are written from each venue's API documentation: Binance spot
(/api/v3/order), Bybit v5 (/v5/order/create), OKX v5 (/api/v5/trade/...),
HashKey Global (/api/v1/spot/order, /api/v1.1/spot/order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from executors.base import OrderRequest
from executors.capabilities import CAPABILITIES, ORDER_KINDS, capabilities
from tests.venues.capture import VENUES, Capture, CaptureExecutor, Request, default_routes, started
from tests.venues.replies import balance_routes, create_routes, order_routes

CID = "so-p1:s1"  # ':' is not allowed by bybit, okx or hashkey: they get a digest
HOSTS = {
    "binance-testnet": "testnet.binance.vision",
    "bybit-testnet": "api-testnet.bybit.com",
    "okx-demo": "www.okx.com",
    "hashkey-sandbox": "api-glb.sim.hashkeydev.com",
}
_VOLATILE = {"timestamp", "signature"}


def venue_id(venue: str, cid: str = CID) -> str:
    if venue.startswith("binance"):
        return cid
    size = 32 if venue.startswith("okx") else 36
    return "so" + hashlib.sha256(cid.encode()).hexdigest()[: size - 2]


def order(kind: str) -> OrderRequest:
    D = Decimal
    common: dict[str, Any] = {"client_order_id": CID, "symbol": "BTC/USDT"}
    trigger = {"trigger_symbol": "BTC/USDT"}
    shapes: dict[str, dict[str, Any]] = {
        "market_buy": {"side": "buy", "order_type": "market", "quantity": D("0.00123")},
        "market_sell": {"side": "sell", "order_type": "market", "quantity": D("0.5")},
        # "100 USDT of BTC" at an ask of 60000, resolved to base and rounded down to the step
        "quote_amount": {"side": "buy", "order_type": "market", "quantity": D("0.00166")},
        "limit": {
            "side": "buy",
            "order_type": "limit",
            "quantity": D("0.01"),
            "limit_price": D("58000.1"),
        },
        "stop_loss": {
            "side": "sell",
            "order_type": "market",
            "quantity": D("0.01"),
            "trigger_price": D("55000"),
            "trigger_direction": "below",
            **trigger,
        },
        "take_profit": {
            "side": "sell",
            "order_type": "market",
            "quantity": D("0.01"),
            "trigger_price": D("65000"),
            "trigger_direction": "above",
            **trigger,
        },
    }
    return OrderRequest(**common, **shapes[kind])


def _expected(venue: str, kind: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, exact parameters) of the request that carries out ``kind``."""
    vid = venue_id(venue)
    if venue == "binance-testnet":
        base = {"symbol": "BTCUSDT", "recvWindow": "5000", "newOrderRespType": "FULL"}
        post = "POST", "/api/v3/order"
        table: dict[str, tuple[str, str, dict[str, Any]]] = {
            "market_buy": (
                *post,
                {
                    **base,
                    "side": "BUY",
                    "type": "MARKET",
                    "quantity": "0.00123",
                    "newClientOrderId": vid,
                },
            ),
            "market_sell": (
                *post,
                {
                    **base,
                    "side": "SELL",
                    "type": "MARKET",
                    "quantity": "0.5",
                    "newClientOrderId": vid,
                },
            ),
            "quote_amount": (
                *post,
                {
                    **base,
                    "side": "BUY",
                    "type": "MARKET",
                    "quantity": "0.00166",
                    "newClientOrderId": vid,
                },
            ),
            "limit": (
                *post,
                {
                    **base,
                    "side": "BUY",
                    "type": "LIMIT",
                    "quantity": "0.01",
                    "price": "58000.1",
                    "timeInForce": "GTC",
                    "newClientOrderId": vid,
                },
            ),
            "stop_loss": (
                *post,
                {
                    **base,
                    "side": "SELL",
                    "type": "STOP_LOSS",
                    "quantity": "0.01",
                    "stopPrice": "55000",
                    "newClientOrderId": vid,
                },
            ),
            "take_profit": (
                *post,
                {
                    **base,
                    "side": "SELL",
                    "type": "TAKE_PROFIT",
                    "quantity": "0.01",
                    "stopPrice": "65000",
                    "newClientOrderId": vid,
                },
            ),
            "lookup": (
                "GET",
                "/api/v3/order",
                {"symbol": "BTCUSDT", "origClientOrderId": vid, "recvWindow": "5000"},
            ),
            "cancel": (
                "DELETE",
                "/api/v3/order",
                {"symbol": "BTCUSDT", "origClientOrderId": vid, "recvWindow": "5000"},
            ),
            "balance": ("GET", "/api/v3/account", {"recvWindow": "5000"}),
            "open_orders": ("GET", "/api/v3/openOrders", {"recvWindow": "5000"}),
        }
        return table[kind]
    if venue == "bybit-testnet":
        base = {"category": "spot", "symbol": "BTCUSDT", "orderLinkId": vid}
        post = "POST", "/v5/order/create"
        table = {
            "market_buy": (
                *post,
                {
                    **base,
                    "side": "Buy",
                    "orderType": "Market",
                    "marketUnit": "baseCoin",
                    "qty": "0.00123",
                },
            ),
            "market_sell": (
                *post,
                {
                    **base,
                    "side": "Sell",
                    "orderType": "Market",
                    "marketUnit": "baseCoin",
                    "qty": "0.5",
                },
            ),
            "quote_amount": (
                *post,
                {
                    **base,
                    "side": "Buy",
                    "orderType": "Market",
                    "marketUnit": "baseCoin",
                    "qty": "0.00166",
                },
            ),
            "limit": (
                *post,
                {**base, "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "58000.1"},
            ),
            "stop_loss": (
                *post,
                {
                    **base,
                    "side": "Sell",
                    "orderType": "Market",
                    "marketUnit": "baseCoin",
                    "qty": "0.01",
                    "orderFilter": "StopOrder",
                    "triggerPrice": "55000",
                },
            ),
            "take_profit": (
                *post,
                {
                    **base,
                    "side": "Sell",
                    "orderType": "Market",
                    "marketUnit": "baseCoin",
                    "qty": "0.01",
                    "orderFilter": "StopOrder",
                    "triggerPrice": "65000",
                },
            ),
            "lookup": (
                "GET",
                "/v5/order/realtime",
                {"category": "spot", "symbol": "BTCUSDT", "orderLinkId": vid},
            ),
            "cancel": (
                "POST",
                "/v5/order/cancel",
                {
                    "category": "spot",
                    "symbol": "BTCUSDT",
                    "orderLinkId": vid,
                    "orderFilter": "Order",
                },
            ),
            "balance": ("GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"}),
            "open_orders": ("GET", "/v5/order/realtime", {"category": "spot"}),
        }
        return table[kind]
    if venue == "okx-demo":
        base = {"instId": "BTC-USDT", "tdMode": "cash"}
        batch = "POST", "/api/v5/trade/batch-orders"
        algo = "POST", "/api/v5/trade/order-algo"
        table = {
            "market_buy": (
                *batch,
                {
                    **base,
                    "side": "buy",
                    "ordType": "market",
                    "sz": "0.00123",
                    "tgtCcy": "base_ccy",
                    "clOrdId": vid,
                },
            ),
            "market_sell": (
                *batch,
                {
                    **base,
                    "side": "sell",
                    "ordType": "market",
                    "sz": "0.5",
                    "tgtCcy": "base_ccy",
                    "clOrdId": vid,
                },
            ),
            "quote_amount": (
                *batch,
                {
                    **base,
                    "side": "buy",
                    "ordType": "market",
                    "sz": "0.00166",
                    "tgtCcy": "base_ccy",
                    "clOrdId": vid,
                },
            ),
            "limit": (
                *batch,
                {
                    **base,
                    "side": "buy",
                    "ordType": "limit",
                    "sz": "0.01",
                    "px": "58000.1",
                    "tgtCcy": "base_ccy",
                    "clOrdId": vid,
                },
            ),
            "stop_loss": (
                *algo,
                {
                    **base,
                    "side": "sell",
                    "ordType": "conditional",
                    "sz": "0.01",
                    "slTriggerPx": "55000",
                    "slOrdPx": "-1",
                    "slTriggerPxType": "last",
                    "algoClOrdId": vid,
                },
            ),
            "take_profit": (
                *algo,
                {
                    **base,
                    "side": "sell",
                    "ordType": "conditional",
                    "sz": "0.01",
                    "tpTriggerPx": "65000",
                    "tpOrdPx": "-1",
                    "tpTriggerPxType": "last",
                    "algoClOrdId": vid,
                },
            ),
            "lookup": ("GET", "/api/v5/trade/order", {"instId": "BTC-USDT", "clOrdId": vid}),
            "cancel": (
                "POST",
                "/api/v5/trade/cancel-order",
                {"instId": "BTC-USDT", "clOrdId": vid},
            ),
            "balance": ("GET", "/api/v5/account/balance", {}),
            "open_orders": ("GET", "/api/v5/trade/orders-algo-pending", {"ordType": "conditional"}),
        }
        return table[kind]
    if venue == "hashkey-sandbox":
        base = {"symbol": "BTCUSDT", "recvWindow": "5000", "newClientOrderId": vid}
        table = {
            # a market buy by base amount has its own endpoint (v1.1); v1 would read a cost
            "market_buy": (
                "POST",
                "/api/v1.1/spot/order",
                {**base, "side": "BUY", "type": "MARKET", "quantity": "0.00123"},
            ),
            "market_sell": (
                "POST",
                "/api/v1/spot/order",
                {**base, "side": "SELL", "type": "MARKET", "quantity": "0.5"},
            ),
            "quote_amount": (
                "POST",
                "/api/v1.1/spot/order",
                {**base, "side": "BUY", "type": "MARKET", "quantity": "0.00166"},
            ),
            "limit": (
                "POST",
                "/api/v1/spot/order",
                {**base, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "58000.1"},
            ),
            "lookup": (
                "GET",
                "/api/v1/spot/order",
                {"origClientOrderId": vid, "recvWindow": "5000"},
            ),
            "cancel": (
                "DELETE",
                "/api/v1/spot/order",
                {"clientOrderId": vid, "recvWindow": "5000"},
            ),
            "balance": ("GET", "/api/v1/account", {"recvWindow": "5000"}),
            "open_orders": ("GET", "/api/v1/spot/openOrders", {"recvWindow": "5000"}),
        }
        return table[kind]
    raise ValueError(venue)


def _params(request: Request) -> dict[str, Any]:
    return {k: v for k, v in request.params.items() if k not in _VOLATILE}


async def _executor(venue: str) -> CaptureExecutor:
    routes = {
        **default_routes(venue),
        **create_routes(venue),
        **balance_routes(venue),
        **order_routes(venue, venue_id(venue), "accepted"),
    }
    return await started(venue, Capture(routes=routes))


SEND_KINDS = ("market_buy", "market_sell", "quote_amount", "limit", "stop_loss", "take_profit")


def _cases() -> list[tuple[str, str]]:
    return [
        (venue, kind)
        for venue in VENUES
        for kind, _ in ORDER_KINDS
        if capabilities(venue.split("-")[0]).supports(kind)
    ]


def test_every_supported_kind_of_every_venue_has_an_expected_request() -> None:
    for venue, kind in _cases():
        assert _expected(venue, kind)
    assert {k for k, _ in ORDER_KINDS} == set(SEND_KINDS) | {
        "cancel",
        "lookup",
        "balance",
        "open_orders",
    }


@pytest.mark.asyncio
@pytest.mark.parametrize(("venue", "kind"), _cases())
async def test_captured_request(venue: str, kind: str) -> None:
    executor = await _executor(venue)
    capture = executor.capture
    try:
        before = len(capture.requests)
        actions: dict[str, Callable[[], Awaitable[Any]]] = {
            "lookup": lambda: executor.lookup("BTC/USDT", CID),
            "cancel": lambda: executor.cancel("BTC/USDT", client_order_id=CID),
            "balance": lambda: executor.account(),
            "open_orders": lambda: executor.open_orders(),
        }
        if kind in SEND_KINDS:
            state = await executor.submit(order(kind))
            assert state.client_order_id == CID
        else:
            await actions[kind]()
        sent = capture.requests[before:]
        method, path, params = _expected(venue, kind)
        matching = [r for r in sent if (r.method, r.path) == (method, path)]
        assert len(matching) == 1, [(r.method, r.path) for r in sent]
        request = matching[0]
        assert request.host == HOSTS[venue]
        assert _params(request) == params
        if venue in ("binance-testnet", "hashkey-sandbox") and request.query | (request.body or {}):
            assert "signature" in request.params  # signed, with the fake key
        if venue == "okx-demo":
            assert request.headers.get("x-simulated-trading") == "1"
        if kind in SEND_KINDS:
            writes = [r for r in sent if r.method in ("POST", "DELETE")]
            assert writes == [request], "one order, one write"
            assert not {"quoteOrderQty", "cost"} & set(request.params)
            assert request.params.get("marketUnit") != "quoteCoin"
            assert request.params.get("tgtCcy") != "quote_ccy"
    finally:
        await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_start_loads_spot_markets_only_and_nothing_private(venue: str) -> None:
    executor = await _executor(venue)
    try:
        sent = [(r.method, r.path, _params(r)) for r in executor.capture.requests]
        expected = {
            "binance-testnet": [("GET", "/api/v3/exchangeInfo", {})],
            "bybit-testnet": [("GET", "/v5/market/instruments-info", {"category": "spot"})],
            "okx-demo": [("GET", "/api/v5/public/instruments", {"instType": "SPOT"})],
            "hashkey-sandbox": [("GET", "/api/v1/exchangeInfo", {})],
        }[venue]
        assert sent == expected
        rules = await executor.market_rules()
        assert set(rules) == {"BTC/USDT", "ETH/USDT"}
        btc = rules["BTC/USDT"]
        step, tick = {
            "okx-demo": (Decimal("0.00000001"), Decimal("0.1")),
        }.get(venue, (Decimal("0.00001"), Decimal("0.01")))
        assert (btc.step_size, btc.tick_size) == (step, tick)
    finally:
        await executor.close()


@pytest.mark.asyncio
async def test_bybit_market_orders_ask_the_account_type_once() -> None:
    executor = await _executor("bybit-testnet")
    try:
        await executor.submit(order("market_buy"))
        await executor.submit(order("market_sell").model_copy(update={"client_order_id": "b"}))
        paths = [r.path for r in executor.capture.requests]
        assert paths.count("/v5/user/query-api") == 1
    finally:
        await executor.close()


@pytest.mark.asyncio
async def test_okx_trigger_cancel_goes_to_cancel_algos_by_algo_id() -> None:
    from tests.venues.replies import okx_ok

    routes = {
        **default_routes("okx-demo"),
        ("GET", "/api/v5/trade/order"): (
            200,
            {"code": "51603", "msg": "Order does not exist", "data": []},
        ),
        ("GET", "/api/v5/trade/order-algo"): okx_ok(
            [
                {
                    "instType": "SPOT",
                    "instId": "BTC-USDT",
                    "algoId": "681096944655273984",
                    "algoClOrdId": venue_id("okx-demo"),
                    "clOrdId": "",
                    "sz": "0.01",
                    "ordType": "conditional",
                    "side": "sell",
                    "tdMode": "cash",
                    "state": "live",
                    "slTriggerPx": "55000",
                    "slOrdPx": "-1",
                    "slTriggerPxType": "last",
                    "cTime": "1767225600000",
                    "uTime": "1767225600000",
                }
            ]
        ),
        ("POST", "/api/v5/trade/cancel-algos"): okx_ok(
            [{"algoId": "681096944655273984", "algoClOrdId": "", "sCode": "0", "sMsg": ""}]
        ),
    }
    executor = await started("okx-demo", Capture(routes=routes))
    try:
        found = await executor.lookup("BTC/USDT", CID)
        assert found is not None
        assert found.client_order_id == CID
        assert found.trigger_price == Decimal("55000")
        await executor.cancel("BTC/USDT", client_order_id=CID)
        lookup = executor.capture.last("GET", "/api/v5/trade/order-algo")
        assert _params(lookup) == {"algoClOrdId": venue_id("okx-demo"), "instId": "BTC-USDT"}
        cancel = executor.capture.last("POST", "/api/v5/trade/cancel-algos")
        assert cancel.body == [{"algoId": "681096944655273984", "instId": "BTC-USDT"}]
    finally:
        await executor.close()


def test_capability_data_covers_every_kind_of_every_venue() -> None:
    for caps in CAPABILITIES.values():
        assert set(caps.kinds) == {k for k, _ in ORDER_KINDS}
        assert caps.sandbox_hosts.isdisjoint(caps.mainnet_hosts)


TRIGGERED_LIMIT: dict[str, tuple[str, str, dict[str, Any]]] = {
    "binance-testnet": (
        "POST",
        "/api/v3/order",
        {
            "symbol": "BTCUSDT",
            "side": "SELL",
            "type": "STOP_LOSS_LIMIT",
            "quantity": "0.01",
            "price": "54900",
            "stopPrice": "55000",
            "timeInForce": "GTC",
            "newClientOrderId": CID,
            "newOrderRespType": "FULL",
            "recvWindow": "5000",
        },
    ),
    "bybit-testnet": (
        "POST",
        "/v5/order/create",
        {
            "category": "spot",
            "symbol": "BTCUSDT",
            "side": "Sell",
            "orderType": "Limit",
            "orderFilter": "StopOrder",
            "qty": "0.01",
            "price": "54900",
            "triggerPrice": "55000",
            "orderLinkId": venue_id("bybit-testnet"),
        },
    ),
    "okx-demo": (
        "POST",
        "/api/v5/trade/order-algo",
        {
            "instId": "BTC-USDT",
            "side": "sell",
            "ordType": "conditional",
            "sz": "0.01",
            "tdMode": "cash",
            "slTriggerPx": "55000",
            "slOrdPx": "54900",
            "slTriggerPxType": "last",
            "algoClOrdId": venue_id("okx-demo"),
        },
    ),
}


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", sorted(TRIGGERED_LIMIT))
async def test_a_triggered_limit_order(venue: str) -> None:
    executor = await _executor(venue)
    request = order("stop_loss").model_copy(
        update={"order_type": "limit", "limit_price": Decimal("54900")}
    )
    try:
        await executor.submit(request)
        method, path, params = TRIGGERED_LIMIT[venue]
        assert _params(executor.capture.last(method, path)) == params
    finally:
        await executor.close()
