"""A local exchange on 127.0.0.1 that speaks the Binance spot REST subset ccxt uses.

Backed by the paper engine, so the real ccxt code path runs offline: exchange
info with filters, time, 24h tickers, depth, account, order (market, limit,
stop/take-profit, test), fetch and cancel order, open orders and my trades.
Signed endpoints check the ``X-MBX-APIKEY`` header, the HMAC-SHA256 signature
over the parameter bytes as received, and the ``recvWindow``; errors carry
Binance's codes and messages so that ccxt raises the same exceptions it raises
against Binance (see ``shared/docs/ccxt-binance-local.md``).

Test hooks (``/_test/...``) exist only when the server is built with
``test_hooks=True``: they set prices, list what the exchange received and
inject faults (an error reply, a delay before the request is handled, a delay
after, or an accepted request whose reply is lost).

There are no wallet endpoints (withdrawals, transfers, deposits): the routes
below are the whole server.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web

from executors.base import OrderRequest, OrderState, TriggerDirection
from executors.paper.engine import PaperEngine, RuleViolation
from executors.paper.feeds import PriceFeed
from foundation.clock import Clock
from foundation.errors import InsufficientFunds, OrderNotFound, OrderRejected
from foundation.secrets import register_secrets

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
ORDER_TYPES = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]
_STATUS = {
    "open": "NEW",
    "partially_filled": "PARTIALLY_FILLED",
    "filled": "FILLED",
    "canceled": "CANCELED",
    "rejected": "REJECTED",
    "expired": "EXPIRED",
    "not_found": "EXPIRED",
}
INSUFFICIENT = "Account has insufficient balance for requested action."


class BinanceError(Exception):
    """An error reply: HTTP status, Binance code and message."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


@dataclass
class Fault:
    """A fault to inject into the next ``times`` matching requests.

    - ``error``: answer with ``status`` and ``{"code": code, "msg": msg}`` at once
      (``status`` 0 with an empty body);
    - ``delay``: wait ``seconds`` before handling the request (it may then be too late
      for its ``recvWindow``, as on Binance);
    - ``delay_reply``: handle the request, then wait ``seconds`` before answering;
    - ``drop_reply``: handle the request, then close the connection without answering.
    """

    kind: Literal["error", "delay", "delay_reply", "drop_reply"]
    method: str = "POST"
    path: str = "/api/v3/order"
    times: int = 1
    status: int = 400
    code: int = -1000
    msg: str = "An unknown error occurred while processing the request."
    seconds: float = 0.0  # a wall-clock wait in a test hook, not an amount

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)


@dataclass(frozen=True)
class Received:
    """One order request that reached the exchange, whatever became of it."""

    method: str
    path: str
    params: dict[str, str]
    authenticated: bool
    accepted: bool
    at: datetime


@dataclass(frozen=True)
class Credentials:
    """The local exchange's API key and secret (not real keys; still never logged)."""

    api_key: str
    secret: str

    def __repr__(self) -> str:
        return "Credentials(api_key=<hidden>, secret=<hidden>)"

    @classmethod
    def generate(cls) -> Credentials:
        creds = cls(api_key=secrets.token_hex(32), secret=secrets.token_hex(32))
        register_secrets(
            [("local exchange api key", creds.api_key), ("local exchange secret", creds.secret)]
        )
        return creds


def load_or_create_credentials(path: str) -> Credentials:
    """The local exchange's keys in ``path`` (0600), created on first use."""
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        creds = Credentials.generate()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"api_key": creds.api_key, "secret": creds.secret}, handle)
        return creds
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    creds = Credentials(api_key=str(data["api_key"]), secret=str(data["secret"]))
    register_secrets(
        [("local exchange api key", creds.api_key), ("local exchange secret", creds.secret)]
    )
    return creds


def num(value: Decimal | None) -> str:
    """A Binance number: plain decimal notation, exact."""
    if value is None:
        return "0"
    text = format(value.normalize(), "f")
    return text


def fixed8(value: Decimal) -> str:
    return f"{value:.8f}"


def _ms(when: datetime | None) -> int:
    if when is None:
        return 0
    return int(when.timestamp() * 1000)


def binance_type(state: OrderState) -> str:
    if state.trigger_price is None:
        return "MARKET" if state.order_type == "market" else "LIMIT"
    # Binance: a STOP_LOSS sell fires at or below its stop, a buy at or above;
    # a TAKE_PROFIT the other way round
    stop = (state.trigger_direction == "below") == (state.side == "sell")
    kind = "STOP_LOSS" if stop else "TAKE_PROFIT"
    return kind if state.order_type == "market" else f"{kind}_LIMIT"


@dataclass
class LocalExchange:
    """The server's state and handlers; :meth:`start` binds it to 127.0.0.1."""

    engine: PaperEngine
    credentials: Credentials
    clock: Clock
    feed: PriceFeed | None = None
    tick_seconds: float = 1.0  # how often the feed is polled, in wall-clock seconds
    test_hooks: bool = False
    state_path: str | None = None
    save_delay: float = 0.0  # seconds; 0 saves after every change
    received: list[Received] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _pending_save: asyncio.TimerHandle | None = None
    _feed_task: asyncio.Task[None] | None = None
    _update_id: int = 1
    url: str = ""

    # ------------------------------------------------------------------ lifecycle
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors_middleware, self._fault_middleware])
        r = app.router
        r.add_get("/api/v3/ping", self._ping)
        r.add_get("/api/v3/time", self._time)
        r.add_get("/api/v3/exchangeInfo", self._exchange_info)
        r.add_get("/api/v3/ticker/24hr", self._ticker)
        r.add_get("/api/v3/ticker/price", self._ticker_price)
        r.add_get("/api/v3/ticker/bookTicker", self._book_ticker)
        r.add_get("/api/v3/depth", self._depth)
        r.add_get("/api/v3/account", self._account)
        r.add_post("/api/v3/order", self._new_order)
        r.add_post("/api/v3/order/test", self._test_order)
        r.add_get("/api/v3/order", self._get_order)
        r.add_delete("/api/v3/order", self._cancel_order)
        r.add_get("/api/v3/openOrders", self._open_orders)
        r.add_get("/api/v3/myTrades", self._my_trades)
        if self.test_hooks:
            r.add_post("/_test/faults", self._add_fault)
            r.add_delete("/_test/faults", self._clear_faults)
            r.add_post("/_test/prices", self._set_prices)
            r.add_get("/_test/received", self._received)
        return app

    async def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (never another interface); returns the base URL."""
        runner = web.AppRunner(
            self.app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runner = runner
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        self.url = f"http://127.0.0.1:{bound}"
        if self.feed is not None:
            self._feed_task = asyncio.create_task(self._run_feed())
        return self.url

    async def stop(self) -> None:
        if self._feed_task is not None:
            self._feed_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feed_task
            self._feed_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._pending_save is not None:
            self._pending_save.cancel()
            self._write_state()

    async def _run_feed(self) -> None:
        assert self.feed is not None
        while True:
            await asyncio.sleep(self.tick_seconds)
            await self.pull_feed()

    async def pull_feed(self) -> None:
        """Apply the feed's ticks due by now, and run due schedules."""
        assert self.feed is not None
        now = self.clock.now()
        for tick in await self.feed.ticks_until(now):
            self.engine.set_prices(tick.prices, tick.time)
        self.engine.advance(now)
        self._save()

    def _save(self) -> None:
        if self.state_path is None:
            return
        if self.save_delay <= 0:
            self._write_state()
        elif self._pending_save is None:
            # the whole state is rewritten each time (about 1 ms per 400 orders):
            # group the writes of a burst of orders into one
            loop = asyncio.get_running_loop()
            self._pending_save = loop.call_later(self.save_delay, self._write_state)

    def _write_state(self) -> None:
        self._pending_save = None
        if self.state_path is None:
            return
        tmp = f"{self.state_path}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.engine.dumps())
        os.replace(tmp, self.state_path)

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def orders_received(self) -> list[Received]:
        return [r for r in self.received if r.path == "/api/v3/order" and r.method == "POST"]

    def accepted_count(self) -> int:
        """How many orders the exchange accepted (placed in its book)."""
        return sum(1 for r in self.orders_received() if r.accepted)

    # ------------------------------------------------------------------ middlewares
    @web.middleware
    async def _errors_middleware(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except BinanceError as exc:
            if exc.status == 0:
                return web.Response(status=503, body=b"")
            return web.json_response({"code": exc.code, "msg": exc.msg}, status=exc.status)

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        fault = self._take_fault(request.method, request.path)
        if fault is None:
            return await handler(request)
        if fault.kind == "error":
            if request.path == "/api/v3/order" and request.method == "POST":
                _raw, params = await self._raw_params(request)
                self._log(request, params, authenticated=False, accepted=False)
            if fault.status == 0:
                raise BinanceError(0, "", 0)
            raise BinanceError(fault.code, fault.msg, fault.status)
        if fault.kind == "delay":
            # the request has arrived whole; it is the handling that is late
            await request.read()
            await asyncio.sleep(fault.seconds)
            return await handler(request)
        response = await handler(request)
        if fault.kind == "delay_reply":
            await asyncio.sleep(fault.seconds)
            return response
        # drop_reply: the request was handled; the client never hears about it
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.path == path and fault.times > 0:
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ request parsing
    async def _raw_params(self, request: web.Request) -> tuple[str, dict[str, str]]:
        query = request.rel_url.raw_query_string
        body = (await request.read()).decode("utf-8", "replace") if request.body_exists else ""
        raw = query + body if query and body else (query or body)
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            if key in params:
                raise BinanceError(-1101, f"Duplicate values for parameter '{key}'.")
            params[key] = value
        return raw, params

    def _log(
        self, request: web.Request, params: dict[str, str], *, authenticated: bool, accepted: bool
    ) -> None:
        self.received.append(
            Received(
                method=request.method,
                path=request.path,
                params={k: v for k, v in params.items() if k != "signature"},
                authenticated=authenticated,
                accepted=accepted,
                at=self.clock.now(),
            )
        )

    def _check_signed(self, request: web.Request, raw: str, params: dict[str, str]) -> None:
        key = request.headers.get("X-MBX-APIKEY")
        if not key:
            raise BinanceError(-2014, "API-key format invalid.", 401)
        if not hmac.compare_digest(key.encode(), self.credentials.api_key.encode()):
            raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        signature = params.get("signature")
        if not signature:
            raise BinanceError(
                -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
            )
        payload = "&".join(p for p in raw.split("&") if not p.startswith("signature="))
        expected = hmac.new(
            self.credentials.secret.encode(), payload.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise BinanceError(-1022, "Signature for this request is not valid.")
        try:
            timestamp = int(params["timestamp"])
            window = int(params.get("recvWindow", DEFAULT_RECV_WINDOW))
        except KeyError:
            raise BinanceError(
                -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."
            ) from None
        except ValueError:
            raise BinanceError(-1100, "Illegal characters found in a parameter.") from None
        if window <= 0 or window > MAX_RECV_WINDOW:
            raise BinanceError(-1131, "recvWindow must be less than 60000")
        server_ms = _ms(self.clock.now())
        if timestamp >= server_ms + 1000:
            raise BinanceError(
                -1021, "Timestamp for this request was 1000ms ahead of the server's time."
            )
        if server_ms - timestamp > window:
            raise BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")

    async def _signed(self, request: web.Request) -> dict[str, str]:
        raw, params = await self._raw_params(request)
        self._check_signed(request, raw, params)
        return params

    def _symbol(self, market_id: str | None) -> str:
        if not market_id:
            raise BinanceError(
                -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
            )
        for symbol, spec in self.engine.catalog.specs.items():
            if spec.rules.base + spec.rules.quote == market_id:
                return symbol
        raise BinanceError(-1121, "Invalid symbol.")

    @staticmethod
    def _id(symbol: str) -> str:
        return symbol.replace("/", "")

    @staticmethod
    def _decimal(params: dict[str, str], name: str, *, required: bool = True) -> Decimal | None:
        value = params.get(name)
        if value is None or value == "":
            if required:
                raise BinanceError(
                    -1102,
                    f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
                )
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'.") from None
        if not number.is_finite() or number <= 0:
            raise BinanceError(-1013, f"Invalid {name}.")
        return number

    # ------------------------------------------------------------------ public
    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _time(self, request: web.Request) -> web.Response:
        return web.json_response({"serverTime": _ms(self.clock.now())})

    async def _exchange_info(self, request: web.Request) -> web.Response:
        symbols = []
        for symbol, spec in self.engine.catalog.specs.items():
            rules = spec.rules
            filters: list[dict[str, Any]] = [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": fixed8(rules.tick_size),
                    "maxPrice": fixed8(Decimal(10_000_000)),
                    "tickSize": fixed8(rules.tick_size),
                },
                {
                    "filterType": "LOT_SIZE",
                    "minQty": fixed8(rules.min_qty or rules.step_size),
                    "maxQty": fixed8(rules.max_qty or Decimal(90_000_000_000)),
                    "stepSize": fixed8(rules.step_size),
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": fixed8(rules.min_notional),
                    "applyMinToMarket": True,
                    "maxNotional": fixed8(rules.max_notional or Decimal(9_000_000_000)),
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
            ]
            symbols.append(
                {
                    "symbol": self._id(symbol),
                    "status": "TRADING" if rules.trading else "BREAK",
                    "baseAsset": rules.base,
                    "baseAssetPrecision": 8,
                    "quoteAsset": rules.quote,
                    "quotePrecision": 8,
                    "quoteAssetPrecision": 8,
                    "baseCommissionPrecision": 8,
                    "quoteCommissionPrecision": 8,
                    "orderTypes": ORDER_TYPES,
                    "icebergAllowed": False,
                    "ocoAllowed": False,
                    "otoAllowed": False,
                    "quoteOrderQtyMarketAllowed": False,
                    "allowTrailingStop": False,
                    "cancelReplaceAllowed": False,
                    "isSpotTradingAllowed": True,
                    "isMarginTradingAllowed": False,
                    "filters": filters,
                    "permissions": [],
                    "permissionSets": [["SPOT"]],
                    "defaultSelfTradePreventionMode": "NONE",
                    "allowedSelfTradePreventionModes": ["NONE"],
                }
            )
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": _ms(self.clock.now()),
                "rateLimits": [],
                "exchangeFilters": [],
                "symbols": symbols,
            }
        )

    def _ticker_of(self, symbol: str) -> dict[str, Any]:
        quote = self.engine.quote(symbol)
        now = _ms(self.clock.now())
        return {
            "symbol": self._id(symbol),
            "priceChange": "0",
            "priceChangePercent": "0",
            "weightedAvgPrice": num(quote.last),
            "prevClosePrice": num(quote.last),
            "lastPrice": num(quote.last),
            "lastQty": "0",
            "bidPrice": num(quote.bid),
            "bidQty": "1",
            "askPrice": num(quote.ask),
            "askQty": "1",
            "openPrice": num(quote.last),
            "highPrice": num(quote.last),
            "lowPrice": num(quote.last),
            "volume": "0",
            "quoteVolume": "0",
            "openTime": now - 86_400_000,
            "closeTime": now,
            "firstId": 0,
            "lastId": 0,
            "count": 0,
        }

    def _requested_symbols(self, request: web.Request) -> list[str] | None:
        if "symbol" in request.query:
            return [self._symbol(request.query["symbol"])]
        if "symbols" in request.query:
            try:
                ids = json.loads(request.query["symbols"])
            except ValueError:
                raise BinanceError(
                    -1100, "Illegal characters found in parameter 'symbols'."
                ) from None
            if not isinstance(ids, list):
                raise BinanceError(-1100, "Illegal characters found in parameter 'symbols'.")
            return [self._symbol(str(i)) for i in ids]
        return None

    async def _ticker(self, request: web.Request) -> web.Response:
        wanted = self._requested_symbols(request)
        if wanted is not None and "symbol" in request.query:
            return web.json_response(self._ticker_of(wanted[0]))
        symbols = wanted if wanted is not None else list(self.engine.catalog.specs)
        return web.json_response([self._ticker_of(s) for s in symbols])

    async def _ticker_price(self, request: web.Request) -> web.Response:
        wanted = self._requested_symbols(request)
        symbols = wanted if wanted is not None else list(self.engine.catalog.specs)
        rows = [{"symbol": self._id(s), "price": num(self.engine.last(s))} for s in symbols]
        return web.json_response(rows[0] if "symbol" in request.query else rows)

    async def _book_ticker(self, request: web.Request) -> web.Response:
        wanted = self._requested_symbols(request)
        symbols = wanted if wanted is not None else list(self.engine.catalog.specs)
        rows = []
        for s in symbols:
            q = self.engine.quote(s)
            rows.append(
                {
                    "symbol": self._id(s),
                    "bidPrice": num(q.bid),
                    "bidQty": "1",
                    "askPrice": num(q.ask),
                    "askQty": "1",
                }
            )
        return web.json_response(rows[0] if "symbol" in request.query else rows)

    async def _depth(self, request: web.Request) -> web.Response:
        symbol = self._symbol(request.query.get("symbol"))
        try:
            limit = min(max(int(request.query.get("limit", "100")), 1), 5000)
        except ValueError:
            raise BinanceError(-1100, "Illegal characters found in parameter 'limit'.") from None
        quote = self.engine.quote(symbol)
        tick = self.engine.spec(symbol).rules.tick_size
        levels = min(limit, 20)
        size = num(self.engine.spec(symbol).rules.step_size * 1000)
        bids = [
            [num(quote.bid - tick * i), size] for i in range(levels) if quote.bid - tick * i > 0
        ]
        asks = [[num(quote.ask + tick * i), size] for i in range(levels)]
        self._update_id += 1
        return web.json_response({"lastUpdateId": self._update_id, "bids": bids, "asks": asks})

    # ------------------------------------------------------------------ private
    async def _account(self, request: web.Request) -> web.Response:
        await self._signed(request)
        balances = [
            {"asset": a, "free": num(b.free), "locked": num(b.locked)}
            for a, b in self.engine.balances().items()
        ]
        return web.json_response(
            {
                "makerCommission": int(self.engine.settings.maker_fee * 10_000),
                "takerCommission": int(self.engine.settings.taker_fee * 10_000),
                "buyerCommission": 0,
                "sellerCommission": 0,
                "canTrade": True,
                "canWithdraw": False,
                "canDeposit": False,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": _ms(self.clock.now()),
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
                "uid": 1,
            }
        )

    def _order_request(self, params: dict[str, str]) -> OrderRequest:
        symbol = self._symbol(params.get("symbol"))
        side = params.get("side", "").upper()
        if side not in ("BUY", "SELL"):
            raise BinanceError(
                -1102, "Mandatory parameter 'side' was not sent, was empty/null, or malformed."
            )
        kind = params.get("type", "").upper()
        if kind not in ORDER_TYPES:
            raise BinanceError(-1116, "Invalid orderType.")
        if "quoteOrderQty" in params:
            raise BinanceError(-1013, "Market orders by quote quantity are not supported here.")
        quantity = self._decimal(params, "quantity")
        is_limit = kind in ("LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
        price = self._decimal(params, "price", required=is_limit) if is_limit else None
        if not is_limit and params.get("price"):
            raise BinanceError(-1106, "Parameter 'price' sent when not required.")
        conditional = kind.startswith(("STOP_LOSS", "TAKE_PROFIT"))
        stop = self._decimal(params, "stopPrice", required=conditional) if conditional else None
        direction: TriggerDirection | None = None
        if conditional:
            stop_loss = kind.startswith("STOP_LOSS")
            direction = "below" if stop_loss == (side == "SELL") else "above"
        client_id = params.get("newClientOrderId") or f"local-{secrets.token_hex(8)}"
        if len(client_id) > 36:
            raise BinanceError(-1100, "Illegal characters found in parameter 'newClientOrderId'.")
        try:
            return OrderRequest(
                client_order_id=client_id,
                symbol=symbol,
                side="buy" if side == "BUY" else "sell",
                order_type="limit" if is_limit else "market",
                quantity=quantity,
                limit_price=price,
                trigger_symbol=symbol if conditional else None,
                trigger_price=stop,
                trigger_direction=direction,
            )
        except ValueError:
            raise BinanceError(-1100, "Illegal characters found in a parameter.") from None

    def _place(self, req: OrderRequest, *, test: bool) -> OrderState | None:
        try:
            if test:
                self.engine.check(req)
                return None
            state = self.engine.place(req, self.clock.now())
        except RuleViolation as exc:
            if exc.rule == "DUPLICATE":
                raise BinanceError(-2010, "Duplicate order sent.") from exc
            if exc.rule == "UNKNOWN_SYMBOL":
                raise BinanceError(-1121, "Invalid symbol.") from exc
            if exc.rule == "MARKET_CLOSED":
                raise BinanceError(-1013, "Market is closed.") from exc
            raise BinanceError(-1013, f"Filter failure: {exc.rule}") from exc
        except InsufficientFunds as exc:
            raise BinanceError(-2010, INSUFFICIENT) from exc
        except OrderRejected as exc:
            raise BinanceError(-2010, exc.message) from exc
        return state

    async def _new_order(self, request: web.Request) -> web.Response:
        raw, params = await self._raw_params(request)
        authenticated = False
        accepted = False
        try:
            self._check_signed(request, raw, params)
            authenticated = True
            req = self._order_request(params)
            state = self._place(req, test=False)
            assert state is not None
            accepted = True
        finally:
            self._log(request, params, authenticated=authenticated, accepted=accepted)
        self._save()
        body = self._order_json(state)
        body["transactTime"] = _ms(state.created_at)
        body["fills"] = [
            {
                "price": num(f.price),
                "qty": num(f.quantity),
                "commission": num(f.fee),
                "commissionAsset": f.fee_asset or "",
                "tradeId": int(f.trade_id),
            }
            for f in state.fills
        ]
        return web.json_response(body)

    async def _test_order(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        self._place(self._order_request(params), test=True)
        return web.json_response({})

    def _order_json(self, state: OrderState) -> dict[str, Any]:
        return {
            "symbol": self._id(state.symbol),
            "orderId": int(state.order_id or 0),
            "orderListId": -1,
            "clientOrderId": state.client_order_id,
            "price": num(state.limit_price),
            "origQty": num(state.quantity),
            "executedQty": num(state.filled),
            "cummulativeQuoteQty": num(state.cost),
            "status": _STATUS[state.status],
            "timeInForce": "GTC",
            "type": binance_type(state),
            "side": state.side.upper(),
            "stopPrice": num(state.trigger_price),
            "icebergQty": "0",
            "time": _ms(state.created_at),
            "updateTime": _ms(state.updated_at),
            "isWorking": state.trigger_price is None or state.status != "open",
            "workingTime": _ms(state.created_at),
            "origQuoteOrderQty": "0",
            "selfTradePreventionMode": "NONE",
        }

    def _lookup(self, params: dict[str, str]) -> tuple[str, str | None, str | None]:
        symbol = self._symbol(params.get("symbol"))
        order_id = params.get("orderId") or None
        client_id = params.get("origClientOrderId") or None
        if order_id is None and client_id is None:
            raise BinanceError(
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return symbol, order_id, client_id

    async def _get_order(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        symbol, order_id, client_id = self._lookup(params)
        state = self.engine.get(symbol, order_id=order_id, client_order_id=client_id)
        if state is None or (order_id is not None and not order_id.isdigit()):
            raise BinanceError(-2013, "Order does not exist.")
        return web.json_response(self._order_json(state))

    async def _cancel_order(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        symbol, order_id, client_id = self._lookup(params)
        try:
            state = self.engine.cancel(
                symbol, order_id=order_id, client_order_id=client_id, now=self.clock.now()
            )
        except OrderNotFound as exc:
            raise BinanceError(-2011, "Unknown order sent.") from exc
        self._save()
        body = self._order_json(state)
        body["origClientOrderId"] = state.client_order_id
        body["clientOrderId"] = params.get("newClientOrderId") or f"cancel-{secrets.token_hex(6)}"
        body["transactTime"] = _ms(self.clock.now())
        return web.json_response(body)

    async def _open_orders(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        symbol = self._symbol(params["symbol"]) if params.get("symbol") else None
        orders = [
            self._order_json(s)
            for s in self.engine.open_orders(symbol)
            if (s.order_id or "").isdigit()  # schedules are paper-only, not Binance orders
        ]
        return web.json_response(orders)

    async def _my_trades(self, request: web.Request) -> web.Response:
        params = await self._signed(request)
        symbol = self._symbol(params.get("symbol"))
        since = params.get("startTime")
        since_time = (
            datetime.fromtimestamp(int(since) / 1000, UTC) if since and since.isdigit() else None
        )
        rows = []
        for f in self.engine.trades(symbol, since_time):
            rows.append(
                {
                    "symbol": self._id(symbol),
                    "id": int(f.trade_id),
                    "orderId": int(f.order_id),
                    "orderListId": -1,
                    "price": num(f.price),
                    "qty": num(f.quantity),
                    "quoteQty": num(f.price * f.quantity),
                    "commission": num(f.fee),
                    "commissionAsset": f.fee_asset or "",
                    "time": _ms(f.time),
                    "isBuyer": f.side == "buy",
                    "isMaker": f.maker,
                    "isBestMatch": True,
                }
            )
        limit = params.get("limit")
        if limit and limit.isdigit():
            rows = rows[-int(limit) :]
        return web.json_response(rows)

    # ------------------------------------------------------------------ test hooks
    async def _add_fault(self, request: web.Request) -> web.Response:
        try:
            self.inject(Fault.from_json(await request.json()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"faults": len(self.faults)})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"faults": 0})

    async def _set_prices(self, request: web.Request) -> web.Response:
        data = await request.json()
        prices = {str(s): Decimal(str(p)) for s, p in data.items()}
        changed = self.engine.set_prices(prices, self.clock.now())
        self._save()
        return web.json_response({"changed": [s.client_order_id for s in changed]})

    async def _received(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "method": r.method,
                    "path": r.path,
                    "params": r.params,
                    "authenticated": r.authenticated,
                    "accepted": r.accepted,
                }
                for r in self.received
            ]
        )
