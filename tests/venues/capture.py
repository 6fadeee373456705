"""Offline venues: the real ccxt exchange object, its transport hook replaced.

ccxt's async ``Exchange.fetch(url, method, headers, body)`` is the one place a
request leaves ccxt (every call goes ``request`` → ``fetch2`` → ``sign`` →
``fetch``). :class:`Capture` replaces it on the exchange object: the request is
recorded exactly as it would be sent (method, host, path, query, body, headers)
and answered from hand-written replies in the venue's documented format, which
then go through ccxt's own error handling (``handle_errors``,
``handle_http_status_code``) as a real reply would. Nothing touches a network.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ccxt.async_support as ccxt

from executors.ccxt_exec import CcxtExecutor
from executors.venues import ApiKeys, Secret, VenueProfile, load_venue_profiles
from foundation.clock import FakeClock

VENUES = ("binance-testnet", "bybit-testnet", "okx-demo", "hashkey-sandbox")
FAKE_KEYS = ApiKeys(
    api_key=Secret("test-api-key-0000"),
    secret=Secret("test-secret-0000"),
    password=Secret("test-passphrase"),
)
NOW_MS = 1767225600000  # 2026-01-01T00:00:00Z
MADE: list[Capture] = []


@dataclass
class Request:
    method: str
    url: str
    host: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]

    @property
    def params(self) -> dict[str, Any]:
        """The call's parameters wherever the venue puts them (query or body)."""
        merged: dict[str, Any] = dict(self.query)
        if isinstance(self.body, dict):
            merged.update(self.body)
        elif isinstance(self.body, list) and len(self.body) == 1:
            merged.update(self.body[0])
        return merged


Reply = tuple[int, Any]
Route = Reply | Callable[[Request], Reply]


@dataclass
class Capture:
    """Records requests and answers them from ``routes`` ((method, path) → reply)."""

    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    offline: bool = False  # every request fails as if the host could not be reached

    def __post_init__(self) -> None:
        MADE.append(self)  # every capture's requests are checked for live hosts (conftest)

    def install(self, exchange: Any) -> None:
        async def fetch(
            url: str,
            method: str = "GET",
            headers: dict[str, str] | None = None,
            body: str | None = None,
        ) -> Any:
            # what the real fetch adds: the exchange's own headers (okx's demo flag)
            headers = exchange.prepare_request_headers(headers)
            parts = urlsplit(url)
            parsed: Any = None
            if body:
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = dict(parse_qsl(body, keep_blank_values=True))
            request = Request(
                method=method,
                url=url,
                host=parts.hostname or "",
                path=parts.path,
                query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                body=parsed,
                headers=dict(headers or {}),
            )
            self.requests.append(request)
            if self.offline:
                raise ccxt.ExchangeNotAvailable(f"{exchange.id} {method} {url}")
            route = self.routes.get((method, parts.path))
            if route is None:
                raise AssertionError(f"no reply for {method} {parts.path}")
            status, payload = route(request) if callable(route) else route
            text = payload if isinstance(payload, str) else json.dumps(payload)
            reason = "OK" if status == 200 else "Error"
            answer = exchange.parse_json(text)
            exchange.handle_errors(status, reason, url, method, {}, text, answer, headers, body)
            exchange.handle_http_status_code(status, reason, url, method, text)
            return answer

        exchange.fetch = fetch

    def sent(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def last(self, method: str, path: str) -> Request:
        found = self.sent(method, path)
        assert found, f"no {method} {path} among {[(r.method, r.path) for r in self.requests]}"
        return found[-1]


class CaptureExecutor(CcxtExecutor):
    """The production executor, its exchange object wired to a :class:`Capture`."""

    def __init__(self, profile: VenueProfile, capture: Capture) -> None:
        super().__init__(
            profile, FAKE_KEYS, clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)), max_sends=2
        )
        self.capture = capture

    def _build(self) -> Any:
        exchange = super()._build()
        exchange.enableRateLimit = False
        self.capture.install(exchange)
        return exchange


def profile(venue: str) -> VenueProfile:
    return load_venue_profiles()[venue]


async def started(venue: str, capture: Capture | None = None) -> CaptureExecutor:
    capture = capture or Capture(routes=default_routes(venue))
    executor = CaptureExecutor(profile(venue), capture)
    await executor.start()
    return executor


# ---------------------------------------------------------------------- markets
# Hand-written, in each venue's documented format: BTC/USDT (tick 0.01, step
# 0.00001 — okx's lot 0.00000001, tick 0.1) and ETH/USDT.


def _binance_markets() -> dict[str, Any]:
    def symbol(base: str, tick: str, step: str) -> dict[str, Any]:
        return {
            "symbol": f"{base}USDT",
            "status": "TRADING",
            "baseAsset": base,
            "baseAssetPrecision": 8,
            "quoteAsset": "USDT",
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "orderTypes": [
                "LIMIT",
                "LIMIT_MAKER",
                "MARKET",
                "STOP_LOSS",
                "STOP_LOSS_LIMIT",
                "TAKE_PROFIT",
                "TAKE_PROFIT_LIMIT",
            ],
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "permissions": ["SPOT"],
            "filters": [
                {
                    "filterType": "PRICE_FILTER",
                    "minPrice": tick,
                    "maxPrice": "1000000.00",
                    "tickSize": tick,
                },
                {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.0", "stepSize": step},
                {"filterType": "NOTIONAL", "minNotional": "5.00", "maxNotional": "9000000.00"},
            ],
        }

    return {
        "timezone": "UTC",
        "serverTime": NOW_MS,
        "rateLimits": [],
        "symbols": [symbol("BTC", "0.01", "0.00001"), symbol("ETH", "0.01", "0.0001")],
    }


def _bybit_markets() -> dict[str, Any]:
    def item(base: str, step: str) -> dict[str, Any]:
        return {
            "symbol": f"{base}USDT",
            "baseCoin": base,
            "quoteCoin": "USDT",
            "innovation": "0",
            "status": "Trading",
            "marginTrading": "both",
            "lotSizeFilter": {
                "basePrecision": step,
                "quotePrecision": "0.00000001",
                "minOrderQty": step,
                "maxOrderQty": "9000",
                "minOrderAmt": "5",
                "maxOrderAmt": "9000000",
            },
            "priceFilter": {"tickSize": "0.01"},
        }

    return {
        "retCode": 0,
        "retMsg": "OK",
        "result": {
            "category": "spot",
            "list": [item("BTC", "0.00001"), item("ETH", "0.0001")],
            "nextPageCursor": "",
        },
        "retExtInfo": {},
        "time": NOW_MS,
    }


def _okx_markets() -> dict[str, Any]:
    def inst(base: str, tick: str, lot: str) -> dict[str, Any]:
        return {
            "instType": "SPOT",
            "instId": f"{base}-USDT",
            "uly": "",
            "instFamily": "",
            "baseCcy": base,
            "quoteCcy": "USDT",
            "settleCcy": "",
            "ctVal": "",
            "ctMult": "",
            "ctValCcy": "",
            "optType": "",
            "stk": "",
            "listTime": "1548133413000",
            "expTime": "",
            "lever": "10",
            "tickSz": tick,
            "lotSz": lot,
            "minSz": "0.00001",
            "ctType": "",
            "alias": "",
            "state": "live",
            "maxLmtSz": "9999999999",
            "maxMktSz": "1000000",
            "maxTwapSz": "",
            "maxIcebergSz": "",
            "maxTriggerSz": "9999999999",
            "maxStopSz": "1000000",
        }

    return {
        "code": "0",
        "msg": "",
        "data": [inst("BTC", "0.1", "0.00000001"), inst("ETH", "0.01", "0.000001")],
    }


def _hashkey_markets() -> dict[str, Any]:
    def symbol(base: str, step: str) -> dict[str, Any]:
        return {
            "symbol": f"{base}USDT",
            "symbolName": f"{base}USDT",
            "status": "TRADING",
            "baseAsset": base,
            "baseAssetName": base,
            "baseAssetPrecision": step,
            "quoteAsset": "USDT",
            "quoteAssetName": "USDT",
            "quotePrecision": "0.00000001",
            "retailAllowed": True,
            "piAllowed": True,
            "corporateAllowed": True,
            "omnibusAllowed": True,
            "icebergAllowed": False,
            "isAggregate": False,
            "allowMargin": False,
            "filters": [
                {
                    "minPrice": "0.01",
                    "maxPrice": "1000000",
                    "tickSize": "0.01",
                    "filterType": "PRICE_FILTER",
                },
                {
                    "minQty": step,
                    "maxQty": "9000",
                    "stepSize": step,
                    "marketOrderMinQty": step,
                    "marketOrderMaxQty": "90",
                    "filterType": "LOT_SIZE",
                },
                {"minNotional": "5", "filterType": "MIN_NOTIONAL"},
            ],
        }

    return {
        "timezone": "UTC",
        "serverTime": str(NOW_MS),
        "brokerFilters": [],
        "symbols": [symbol("BTC", "0.00001"), symbol("ETH", "0.0001")],
        "options": [],
        "contracts": [],
        "coins": [],
    }


def default_routes(venue: str) -> dict[tuple[str, str], Route]:
    """What every venue needs to start (markets) and a few harmless reads."""
    if venue.startswith("binance"):
        return {("GET", "/api/v3/exchangeInfo"): (200, _binance_markets())}
    if venue.startswith("bybit"):
        ok = {"retCode": 0, "retMsg": "OK", "retExtInfo": {}, "time": NOW_MS}
        return {
            ("GET", "/v5/market/instruments-info"): (200, _bybit_markets()),
            ("GET", "/v5/user/query-api"): (200, {**ok, "result": {"unified": 0, "uta": 1}}),
            ("GET", "/v5/account/info"): (200, {**ok, "result": {"unifiedMarginStatus": 5}}),
            ("GET", "/v5/market/tickers"): (
                200,
                {
                    **ok,
                    "result": {
                        "category": "spot",
                        "list": [
                            {
                                "symbol": "BTCUSDT",
                                "bid1Price": "59999.99",
                                "ask1Price": "60000.01",
                                "lastPrice": "60000",
                                "volume24h": "100",
                                "turnover24h": "6000000",
                            }
                        ],
                    },
                },
            ),
        }
    if venue.startswith("okx"):
        return {("GET", "/api/v5/public/instruments"): (200, _okx_markets())}
    if venue.startswith("hashkey"):
        return {("GET", "/api/v1/exchangeInfo"): (200, _hashkey_markets())}
    raise ValueError(venue)
