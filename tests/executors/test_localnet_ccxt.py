"""The real ccxt client against the local exchange over loopback: the whole order lifecycle.

Both sides are real: aiohttp serving the Binance spot API on 127.0.0.1, and
ccxt's async binance class talking to it through the ccxt executor. Each error
the local exchange can give comes back as the right signoff error.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from executors.base import OrderRequest
from executors.catalog import MarketCatalog, load_demo_account
from executors.ccxt_exec import CcxtExecutor
from executors.localnet.server import INSUFFICIENT, Credentials, Fault, LocalExchange
from executors.paper.engine import engine_from
from executors.testing import FAST_LOCAL, keys_of
from executors.venues import ApiKeys, Secret
from foundation.clock import SystemClock
from foundation.errors import (
    AuthenticationFailed,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    RateLimited,
)

D = Decimal


def req(cid: str, **fields: Any) -> OrderRequest:
    data: dict[str, Any] = {
        "client_order_id": cid,
        "symbol": "BTC/USDT",
        "side": "buy",
        "order_type": "market",
        "quantity": D("0.01"),
    }
    data.update(fields)
    return OrderRequest.model_validate(data)


@pytest.mark.asyncio
async def test_markets_quotes_and_balance(ccxt_local: CcxtExecutor, catalog: MarketCatalog) -> None:
    rules = await ccxt_local.market_rules()
    assert set(rules) == set(catalog.specs)
    btc = rules["BTC/USDT"]
    assert btc.tick_size == D("0.01")
    assert btc.step_size == D("0.00001")
    assert btc.min_notional == D("5")
    assert rules["SHIB/USDT"].tick_size == D("0.00000001")
    quotes = await ccxt_local.quotes(["BTC/USDT", "ETH/BTC"])
    assert quotes["BTC/USDT"].last == D("67500")
    assert quotes["BTC/USDT"].bid < quotes["BTC/USDT"].last < quotes["BTC/USDT"].ask
    assert isinstance(quotes["ETH/BTC"].bid, Decimal)
    account = await ccxt_local.account()
    assert account.balances["BTC"].free == D("0.5")
    assert account.balances["USDT"].free == D("25000")
    assert account.open_orders == ()


@pytest.mark.asyncio
async def test_full_order_lifecycle(ccxt_local: CcxtExecutor, localnet: LocalExchange) -> None:
    # a market buy fills at once, with its fill and fee
    bought = await ccxt_local.submit(req("so-life:m1"))
    assert bought.status == "filled"
    assert bought.client_order_id == "so-life:m1"
    assert bought.filled == D("0.01")
    assert bought.average_price is not None
    assert bought.average_price > D("67500")
    assert bought.fills[0].fee == D("0.00001")
    assert bought.fills[0].fee_asset == "BTC"
    # a limit sell rests, locks its BTC, and shows in open orders
    resting = await ccxt_local.submit(
        req(
            "so-life:l1", side="sell", order_type="limit", limit_price=D("70000"), quantity=D("0.2")
        )
    )
    assert resting.status == "open"
    assert resting.limit_price == D("70000")
    opened = await ccxt_local.open_orders("BTC/USDT")
    assert [o.client_order_id for o in opened] == ["so-life:l1"]
    account = await ccxt_local.account()
    assert account.balances["BTC"].locked == D("0.2")
    assert [o.client_order_id for o in account.open_orders] == ["so-life:l1"]
    # the price rises through it: it fills at its own price
    localnet.engine.set_price("BTC/USDT", D("70100"), SystemClock().now())
    found = await ccxt_local.lookup("BTC/USDT", "so-life:l1")
    assert found is not None
    assert found.status == "filled"
    assert found.average_price == D("70000")
    # another limit, canceled by client order id
    await ccxt_local.submit(
        req("so-life:l2", order_type="limit", limit_price=D("60000"), quantity=D("0.05"))
    )
    canceled = await ccxt_local.cancel("BTC/USDT", client_order_id="so-life:l2")
    assert canceled.status == "canceled"
    assert canceled.client_order_id == "so-life:l2"  # the original's, not the cancel's own id
    assert await ccxt_local.open_orders() == []
    # the trades, oldest first, with maker/taker and fees
    trades = await ccxt_local.fills("BTC/USDT")
    assert [(t.side, t.quantity, t.maker) for t in trades] == [
        ("buy", D("0.01"), False),
        ("sell", D("0.2"), True),
    ]
    assert trades[1].price == D("70000")
    assert trades[1].fee == D("14")  # 0.1 % of 14,000 USDT
    final = await ccxt_local.account()
    assert final.balances["BTC"].free == D("0.5") + D("0.01") - D("0.00001") - D("0.2")
    assert final.balances["USDT"].locked == 0


@pytest.mark.asyncio
async def test_stop_loss_and_take_profit_reach_the_exchange_as_binance_types(
    ccxt_local: CcxtExecutor, localnet: LocalExchange
) -> None:
    stop = await ccxt_local.submit(
        req(
            "so-sl",
            symbol="ETH/USDT",
            side="sell",
            quantity=D("1"),
            trigger_symbol="ETH/USDT",
            trigger_price=D("3000"),
            trigger_direction="below",
        )
    )
    take = await ccxt_local.submit(
        req(
            "so-tp",
            symbol="ETH/USDT",
            side="sell",
            quantity=D("1"),
            trigger_symbol="ETH/USDT",
            trigger_price=D("3300"),
            trigger_direction="above",
        )
    )
    assert stop.status == take.status == "open"
    assert stop.trigger_price == D("3000")
    sent = {r.params["newClientOrderId"]: r.params for r in localnet.orders_received()}
    assert sent["so-sl"]["type"] == "STOP_LOSS"
    assert sent["so-tp"]["type"] == "TAKE_PROFIT"
    localnet.engine.set_price("ETH/USDT", D("2999"), SystemClock().now())
    after = await ccxt_local.lookup("ETH/USDT", "so-sl")
    assert after is not None
    assert after.status == "filled"
    untouched = await ccxt_local.lookup("ETH/USDT", "so-tp")
    assert untouched is not None
    assert untouched.status == "open"


@pytest.mark.asyncio
async def test_amounts_go_out_exactly(ccxt_local: CcxtExecutor, localnet: LocalExchange) -> None:
    await ccxt_local.submit(
        req(
            "so-x",
            symbol="SHIB/USDT",
            quantity=D("1000000"),
            order_type="limit",
            limit_price=D("0.00001234"),
        )
    )
    params = localnet.orders_received()[-1].params
    assert params["quantity"] == "1000000"
    assert params["price"] == "0.00001234"
    assert params["timeInForce"] == "GTC"
    assert params["newOrderRespType"] == "FULL"


@pytest.mark.asyncio
async def test_insufficient_funds_is_clear_and_changes_nothing(
    ccxt_local: CcxtExecutor, localnet: LocalExchange
) -> None:
    before = localnet.engine.balances()
    with pytest.raises(InsufficientFunds) as err:
        await ccxt_local.submit(req("so-big", quantity=D("5")))
    assert "not enough balance" in err.value.message
    assert "nothing was placed" in (err.value.hint or "")
    assert localnet.engine.balances() == before
    assert await ccxt_local.lookup("BTC/USDT", "so-big") is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"quantity": D("0.0001"), "order_type": "limit", "limit_price": D("10")}, OrderRejected),
        ({"symbol": "ETH/BTC", "quantity": D("0.0001")}, OrderRejected),  # NOTIONAL
    ],
)
async def test_filter_failures_are_order_rejections(
    ccxt_local: CcxtExecutor, fields: dict[str, Any], expected: type[Exception]
) -> None:
    with pytest.raises(expected) as err:
        await ccxt_local.submit(req("so-bad", **fields))
    assert "rejected" in str(err.value)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(kind="error", code=-2010, msg=INSUFFICIENT), InsufficientFunds),
        (Fault(kind="error", code=-1013, msg="Filter failure: LOT_SIZE"), OrderRejected),
        (Fault(kind="error", code=-1013, msg="Filter failure: PRICE_FILTER"), OrderRejected),
        (Fault(kind="error", code=-1013, msg="Filter failure: NOTIONAL"), OrderRejected),
        (Fault(kind="error", code=-1003, msg="Too many requests."), RateLimited),
        (Fault(kind="error", code=-1015, msg="Too many new orders."), RateLimited),
        (Fault(kind="error", status=429, code=-1003, msg="Way too many"), RateLimited),
        (
            Fault(kind="error", code=-1022, msg="Signature for this request is not valid."),
            AuthenticationFailed,
        ),
        (
            Fault(
                kind="error",
                status=401,
                code=-2015,
                msg="Invalid API-key, IP, or permissions for action.",
            ),
            AuthenticationFailed,
        ),
        (
            Fault(
                kind="error",
                code=-1021,
                msg="Timestamp for this request is outside of the recvWindow.",
            ),
            ExchangeError,
        ),
        (Fault(kind="error", code=-1131, msg="recvWindow must be less than 60000"), ExchangeError),
    ],
)
async def test_each_exchange_error_maps_to_a_signoff_error(
    ccxt_local: CcxtExecutor, localnet: LocalExchange, fault: Fault, expected: type[Exception]
) -> None:
    localnet.inject(fault)
    with pytest.raises(expected) as err:
        await ccxt_local.submit(req("so-err"))
    assert err.value.__cause__ is not None  # mapped at the boundary, from ccxt's error
    assert "signature=" not in str(err.value)
    assert localnet.accepted_count() == 0


@pytest.mark.asyncio
async def test_unknown_orders(ccxt_local: CcxtExecutor) -> None:
    assert await ccxt_local.lookup("BTC/USDT", "so-never") is None
    with pytest.raises(OrderNotFound):
        await ccxt_local.cancel("BTC/USDT", client_order_id="so-never")


@pytest.mark.asyncio
async def test_server_errors_and_outages_are_unavailable(
    ccxt_local: CcxtExecutor, localnet: LocalExchange
) -> None:
    localnet.inject(Fault(kind="error", method="GET", path="/api/v3/account", status=0))
    with pytest.raises(ExchangeUnavailable):
        await ccxt_local.account()
    localnet.inject(
        Fault(kind="error", method="GET", path="/api/v3/account", code=-1001, msg="Internal error")
    )
    with pytest.raises(ExchangeUnavailable):
        await ccxt_local.account()


@pytest.mark.asyncio
async def test_wrong_keys_are_refused(localnet: LocalExchange) -> None:
    wrong = ApiKeys(api_key=Secret(localnet.credentials.api_key), secret=Secret("0" * 64))
    executor = CcxtExecutor(FAST_LOCAL, wrong, clock=SystemClock(), url=localnet.url)
    await executor.start()  # markets are public
    try:
        with pytest.raises(AuthenticationFailed) as err:
            await executor.account()
        assert "0" * 64 not in str(err.value)
    finally:
        await executor.close()


@pytest.mark.asyncio
async def test_connection_refused_is_unavailable(catalog: MarketCatalog) -> None:
    exchange = LocalExchange(
        engine=engine_from(catalog, load_demo_account(SystemClock().now())),
        credentials=Credentials.generate(),
        clock=SystemClock(),
    )
    url = await exchange.start()
    await exchange.stop()  # nothing listens there now
    executor = CcxtExecutor(FAST_LOCAL, keys_of(exchange), clock=SystemClock(), url=url)
    with pytest.raises(ExchangeUnavailable):
        await executor.start()
    await executor.close()


# --------------------------------------------------------------------------- the server itself
def _signed(creds: Credentials, query: str) -> str:
    sig = hmac.new(creds.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={sig}"


@pytest.mark.asyncio
async def test_server_checks_signature_key_and_recv_window(localnet: LocalExchange) -> None:
    creds = localnet.credentials
    now = int(time.time() * 1000)
    headers = {"X-MBX-APIKEY": creds.api_key}
    async with httpx.AsyncClient(base_url=localnet.url) as client:
        good = await client.get(
            f"/api/v3/account?{_signed(creds, f'timestamp={now}')}", headers=headers
        )
        assert good.status_code == 200
        tampered = _signed(creds, f"timestamp={now}").replace(
            f"timestamp={now}", f"timestamp={now + 1}"
        )
        bad = await client.get(f"/api/v3/account?{tampered}", headers=headers)
        assert bad.json()["code"] == -1022
        old = await client.get(
            f"/api/v3/account?{_signed(creds, f'timestamp={now - 10_000}&recvWindow=5000')}",
            headers=headers,
        )
        assert old.json()["code"] == -1021
        ahead = await client.get(
            f"/api/v3/account?{_signed(creds, f'timestamp={now + 5_000}')}", headers=headers
        )
        assert ahead.json()["code"] == -1021
        nokey = await client.get(f"/api/v3/account?{_signed(creds, f'timestamp={now}')}")
        assert nokey.status_code == 401
        other = await client.get(
            f"/api/v3/account?{_signed(creds, f'timestamp={now}')}",
            headers={"X-MBX-APIKEY": "someone-else"},
        )
        assert (other.status_code, other.json()["code"]) == (401, -2015)
        # a signed POST: the signature covers the form body as sent
        body = _signed(creds, f"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp={now}")
        placed = await client.post(
            "/api/v3/order",
            content=body,
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert placed.json()["status"] == "FILLED"
        tested = await client.post(
            "/api/v3/order/test",
            content=_signed(
                creds, f"symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&timestamp={now}"
            ),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert tested.json() == {}
        assert len([r for r in localnet.orders_received() if r.accepted]) == 1


@pytest.mark.asyncio
async def test_public_endpoints(localnet: LocalExchange) -> None:
    async with httpx.AsyncClient(base_url=localnet.url) as client:
        info = (await client.get("/api/v3/exchangeInfo")).json()
        btc = next(s for s in info["symbols"] if s["symbol"] == "BTCUSDT")
        assert {f["filterType"] for f in btc["filters"]} == {"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"}
        assert {"LIMIT", "MARKET", "LIMIT_MAKER"} <= set(btc["orderTypes"])
        depth = (await client.get("/api/v3/depth?symbol=BTCUSDT&limit=5")).json()
        assert len(depth["bids"]) == len(depth["asks"]) == 5
        assert D(depth["bids"][0][0]) < D(depth["asks"][0][0])
        bad = await client.get("/api/v3/ticker/24hr?symbol=NOPEUSDT")
        assert bad.json()["code"] == -1121
        assert (await client.get("/api/v3/time")).json()["serverTime"] > 0


@pytest.mark.asyncio
async def test_order_book_through_ccxt(ccxt_local: CcxtExecutor) -> None:
    book = await ccxt_local.exchange.fetch_order_book("ETH/USDT", 5)
    assert D(book["bids"][0][0]) < D(book["asks"][0][0])


@pytest.mark.asyncio
async def test_test_hooks_exist_only_when_enabled(catalog: MarketCatalog) -> None:
    exchange = LocalExchange(
        engine=engine_from(catalog, load_demo_account(SystemClock().now())),
        credentials=Credentials.generate(),
        clock=SystemClock(),
    )
    url = await exchange.start()
    try:
        async with httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/_test/faults", json={"kind": "error"})
            assert response.status_code == 404
            # and no wallet endpoints at all
            for path in ("/sapi/v1/capital/withdraw/apply", "/sapi/v1/asset/transfer"):
                assert (await client.post(path)).status_code == 404
    finally:
        await exchange.stop()


@pytest.mark.asyncio
async def test_duplicate_client_id_is_answered_with_the_existing_order(
    ccxt_local: CcxtExecutor, localnet: LocalExchange
) -> None:
    resting = req("so-dup", order_type="limit", limit_price=D("60000"))
    first = await ccxt_local.submit(resting)
    again = await ccxt_local.submit(resting)  # the exchange says "Duplicate order sent."
    assert again.order_id == first.order_id
    assert again.status == "open"
    assert [r.accepted for r in localnet.orders_received()] == [True, False]
    assert len(localnet.engine.open_orders()) == 1
