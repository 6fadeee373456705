"""Hand-written replies in each venue's documented format.

Order objects, create/cancel acknowledgements, balances, and the error replies
(status and body) each venue documents for: rejected, not found, rate limited,
insufficient balance, bad signature. Field names and codes are the venues'
(Binance spot API, Bybit v5, OKX v5, HashKey Global v1).
"""

from __future__ import annotations

from typing import Any, Literal

from tests.venues.capture import NOW_MS, Reply, Request, Route

Fate = Literal["accepted", "filled", "partially_filled", "canceled"]
ErrorKind = Literal["rejected", "not_found", "rate_limited", "insufficient", "bad_signature"]
ERROR_KINDS: tuple[ErrorKind, ...] = (
    "rejected",
    "not_found",
    "rate_limited",
    "insufficient",
    "bad_signature",
)

ORDER_ID = "1738705036219839744"
QTY = "0.01"
PRICE = "58000.1"


def _filled(fate: Fate) -> str:
    return {"accepted": "0", "filled": QTY, "partially_filled": "0.004", "canceled": "0"}[fate]


def _cost(fate: Fate) -> str:
    return {"accepted": "0", "filled": "580.001", "partially_filled": "232.0004", "canceled": "0"}[
        fate
    ]


# ---------------------------------------------------------------------- binance
def binance_order(cid: str, fate: Fate) -> dict[str, Any]:
    status = {
        "accepted": "NEW",
        "filled": "FILLED",
        "partially_filled": "PARTIALLY_FILLED",
        "canceled": "CANCELED",
    }
    return {
        "symbol": "BTCUSDT",
        "orderId": int(ORDER_ID[-9:]),
        "orderListId": -1,
        "clientOrderId": cid,
        "price": PRICE,
        "origQty": QTY,
        "executedQty": _filled(fate),
        "cummulativeQuoteQty": _cost(fate),
        "status": status[fate],
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": NOW_MS,
        "updateTime": NOW_MS,
        "isWorking": True,
        "workingTime": NOW_MS,
        "origQuoteOrderQty": "0.00000000",
        "selfTradePreventionMode": "EXPIRE_MAKER",
    }


def _binance_error(code: int, msg: str, status: int = 400) -> Reply:
    return (status, {"code": code, "msg": msg})


BINANCE_ERRORS: dict[ErrorKind, Reply] = {
    "rejected": _binance_error(-1013, "Filter failure: LOT_SIZE"),
    "not_found": _binance_error(-2013, "Order does not exist."),
    "rate_limited": _binance_error(
        -1003, "Too many requests; current limit is 6000 request weight per 1 MINUTE.", 429
    ),
    "insufficient": _binance_error(-2010, "Account has insufficient balance for requested action."),
    "bad_signature": _binance_error(-1022, "Signature for this request is not valid."),
}


# ---------------------------------------------------------------------- bybit
def _bybit_ok(result: Any) -> dict[str, Any]:
    return {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": NOW_MS}


def bybit_order(cid: str, fate: Fate) -> dict[str, Any]:
    status = {
        "accepted": "New",
        "filled": "Filled",
        "partially_filled": "PartiallyFilled",
        "canceled": "Cancelled",
    }
    filled = _filled(fate)
    return {
        "orderId": ORDER_ID,
        "orderLinkId": cid,
        "blockTradeId": "",
        "symbol": "BTCUSDT",
        "price": PRICE,
        "qty": QTY,
        "side": "Buy",
        "isLeverage": "0",
        "positionIdx": 0,
        "orderStatus": status[fate],
        "cancelType": "UNKNOWN",
        "rejectReason": "EC_NoError",
        "avgPrice": PRICE if filled != "0" else "",
        "leavesQty": str(float(QTY) - float(filled)),
        "leavesValue": "0",
        "cumExecQty": filled,
        "cumExecValue": _cost(fate),
        "cumExecFee": "0",
        "timeInForce": "GTC",
        "orderType": "Limit",
        "stopOrderType": "",
        "orderIv": "",
        "marketUnit": "",
        "triggerPrice": "0.00",
        "takeProfit": "",
        "stopLoss": "",
        "tpTriggerBy": "",
        "slTriggerBy": "",
        "triggerDirection": 0,
        "triggerBy": "",
        "lastPriceOnCreated": "",
        "reduceOnly": False,
        "closeOnTrigger": False,
        "smpType": "None",
        "smpGroup": 0,
        "smpOrderId": "",
        "createdTime": str(NOW_MS),
        "updatedTime": str(NOW_MS),
    }


def bybit_list(orders: list[dict[str, Any]]) -> Reply:
    return (200, _bybit_ok({"category": "spot", "list": orders, "nextPageCursor": ""}))


def bybit_created(request: Request) -> Reply:
    link = request.params.get("orderLinkId", "")
    return (200, _bybit_ok({"orderId": ORDER_ID, "orderLinkId": link}))


def _bybit_error(code: int, msg: str, status: int = 200) -> Reply:
    return (
        status,
        {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": NOW_MS},
    )


BYBIT_ERRORS: dict[ErrorKind, Reply] = {
    "rejected": _bybit_error(170136, "Order quantity lower than the minimum."),
    "not_found": _bybit_error(170213, "Order does not exist."),
    "rate_limited": _bybit_error(10006, "Too many visits. Exceeded the API Rate Limit."),
    "insufficient": _bybit_error(170131, "Insufficient balance."),
    "bad_signature": _bybit_error(10004, "error sign! origin_string[...]"),
}


# ---------------------------------------------------------------------- okx
def okx_order(cid: str, fate: Fate) -> dict[str, Any]:
    state = {
        "accepted": "live",
        "filled": "filled",
        "partially_filled": "partially_filled",
        "canceled": "canceled",
    }
    filled = _filled(fate)
    return {
        "instType": "SPOT",
        "instId": "BTC-USDT",
        "tgtCcy": "",
        "ccy": "",
        "ordId": ORDER_ID,
        "clOrdId": cid,
        "tag": "",
        "px": PRICE,
        "sz": QTY,
        "pnl": "0",
        "ordType": "limit",
        "side": "buy",
        "posSide": "net",
        "tdMode": "cash",
        "accFillSz": filled,
        "fillPx": PRICE if filled != "0" else "",
        "tradeId": "",
        "fillSz": filled,
        "fillTime": str(NOW_MS),
        "state": state[fate],
        "avgPx": PRICE if filled != "0" else "",
        "lever": "",
        "feeCcy": "BTC",
        "fee": "0",
        "rebateCcy": "USDT",
        "rebate": "0",
        "category": "normal",
        "uTime": str(NOW_MS),
        "cTime": str(NOW_MS),
    }


def okx_ok(data: list[dict[str, Any]]) -> Reply:
    return (200, {"code": "0", "msg": "", "data": data})


def okx_created(request: Request) -> Reply:
    body = request.body[0] if isinstance(request.body, list) else request.body
    return okx_ok(
        [
            {
                "clOrdId": body.get("clOrdId", ""),
                "ordId": ORDER_ID,
                "tag": "",
                "ts": str(NOW_MS),
                "sCode": "0",
                "sMsg": "Order placed",
            }
        ]
    )


def okx_algo_created(request: Request) -> Reply:
    return okx_ok(
        [
            {
                "algoId": "681096944655273984",
                "algoClOrdId": request.params.get("algoClOrdId", ""),
                "clOrdId": "",
                "sCode": "0",
                "sMsg": "",
                "tag": "",
            }
        ]
    )


def _okx_order_error(code: str, msg: str) -> Reply:
    # a batch/order call answers 200 with code "1" and the reason per order (sCode)
    return (
        200,
        {
            "code": "1",
            "msg": "All operations failed",
            "data": [{"clOrdId": "", "ordId": "", "sCode": code, "sMsg": msg, "tag": ""}],
        },
    )


OKX_ERRORS: dict[ErrorKind, Reply] = {
    "rejected": _okx_order_error("51121", "Order quantity must be a multiple of the lot size."),
    "not_found": (200, {"code": "51603", "msg": "Order does not exist", "data": []}),
    "rate_limited": (429, {"code": "50011", "msg": "Too Many Requests"}),
    "insufficient": _okx_order_error(
        "51008", "Order failed. Insufficient USDT balance in account."
    ),
    "bad_signature": (401, {"code": "50113", "msg": "Invalid Sign"}),
}


# ---------------------------------------------------------------------- hashkey
def hashkey_order(cid: str, fate: Fate) -> dict[str, Any]:
    status = {
        "accepted": "NEW",
        "filled": "FILLED",
        "partially_filled": "PARTIALLY_FILLED",
        "canceled": "CANCELED",
    }
    return {
        "accountId": "1732885739589466112",
        "exchangeId": "301",
        "symbol": "BTCUSDT",
        "symbolName": "BTCUSDT",
        "clientOrderId": cid,
        "orderId": ORDER_ID,
        "price": PRICE,
        "origQty": QTY,
        "executedQty": _filled(fate),
        "cummulativeQuoteQty": _cost(fate),
        "cumulativeQuoteQty": _cost(fate),
        "avgPrice": PRICE if _filled(fate) != "0" else "0",
        "status": status[fate],
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "stopPrice": "0.0",
        "icebergQty": "0.0",
        "time": str(NOW_MS),
        "updateTime": str(NOW_MS),
        "isWorking": True,
        "reqAmount": "0",
    }


def hashkey_created(request: Request) -> Reply:
    p = request.params
    return (
        200,
        {
            "accountId": "1732885739589466112",
            "symbol": p["symbol"],
            "symbolName": p["symbol"],
            "clientOrderId": p.get("newClientOrderId", ""),
            "orderId": ORDER_ID,
            "transactTime": str(NOW_MS),
            "price": p.get("price", "0"),
            "origQty": p["quantity"],
            "executedQty": "0",
            "status": "NEW",
            "timeInForce": "GTC" if p["type"] == "LIMIT" else "IOC",
            "type": p["type"],
            "side": p["side"],
            "reqAmount": "0",
            "concentration": "",
        },
    )


def _hashkey_error(code: str, msg: str) -> Reply:
    return (400, {"code": code, "msg": msg})


HASHKEY_ERRORS: dict[ErrorKind, Reply] = {
    "rejected": _hashkey_error("-1140", "Order amount lower than the minimum"),
    "not_found": _hashkey_error("0211", "Order not found"),
    "rate_limited": _hashkey_error("0003", "Rate limit exceeded"),
    "insufficient": _hashkey_error("-4003", "Insufficient Balance"),
    "bad_signature": _hashkey_error("0002", "Incorrect signature"),
}


# ---------------------------------------------------------------------- per venue
CREATE: dict[str, tuple[str, str]] = {
    "binance-testnet": ("POST", "/api/v3/order"),
    "bybit-testnet": ("POST", "/v5/order/create"),
    "okx-demo": ("POST", "/api/v5/trade/batch-orders"),
    "hashkey-sandbox": ("POST", "/api/v1/spot/order"),
}
ERRORS: dict[str, dict[ErrorKind, Reply]] = {
    "binance-testnet": BINANCE_ERRORS,
    "bybit-testnet": BYBIT_ERRORS,
    "okx-demo": OKX_ERRORS,
    "hashkey-sandbox": HASHKEY_ERRORS,
}


def order_routes(venue: str, cid: str, fate: Fate) -> dict[tuple[str, str], Route]:
    """Routes that answer a lookup (and a cancel) of ``cid`` with an order in ``fate``."""
    if venue.startswith("binance"):
        return {
            ("GET", "/api/v3/order"): (200, binance_order(cid, fate)),
            ("DELETE", "/api/v3/order"): (
                200,
                {**binance_order(cid, "canceled"), "origClientOrderId": cid, "clientOrderId": "x"},
            ),
        }
    if venue.startswith("bybit"):
        empty = bybit_list([])
        open_fates = ("accepted", "partially_filled")
        return {
            ("GET", "/v5/order/realtime"): bybit_list([bybit_order(cid, fate)])
            if fate in open_fates
            else empty,
            ("GET", "/v5/order/history"): bybit_list([bybit_order(cid, fate)])
            if fate not in open_fates
            else empty,
            ("POST", "/v5/order/cancel"): (
                200,
                _bybit_ok({"orderId": ORDER_ID, "orderLinkId": cid}),
            ),
        }
    if venue.startswith("okx"):
        return {
            ("GET", "/api/v5/trade/order"): okx_ok([okx_order(cid, fate)]),
            ("POST", "/api/v5/trade/cancel-order"): okx_ok(
                [{"clOrdId": cid, "ordId": ORDER_ID, "sCode": "0", "sMsg": ""}]
            ),
        }
    if venue.startswith("hashkey"):
        return {
            ("GET", "/api/v1/spot/order"): (200, hashkey_order(cid, fate)),
            ("DELETE", "/api/v1/spot/order"): (200, hashkey_order(cid, "canceled")),
        }
    raise ValueError(venue)


def create_routes(venue: str) -> dict[tuple[str, str], Route]:
    """Acknowledgements for every order endpoint of the venue."""
    if venue.startswith("binance"):

        def binance_created(request: Request) -> Reply:
            p = request.params
            order = binance_order(p["newClientOrderId"], "accepted")
            order.update(
                {
                    "type": p["type"],
                    "side": p["side"],
                    "origQty": p["quantity"],
                    "price": p.get("price", "0.00"),
                    "transactTime": NOW_MS,
                    "fills": [],
                }
            )
            return (200, order)

        return {("POST", "/api/v3/order"): binance_created}
    if venue.startswith("bybit"):
        return {("POST", "/v5/order/create"): bybit_created}
    if venue.startswith("okx"):
        return {
            ("POST", "/api/v5/trade/batch-orders"): okx_created,
            ("POST", "/api/v5/trade/order-algo"): okx_algo_created,
        }
    if venue.startswith("hashkey"):
        return {
            ("POST", "/api/v1/spot/order"): hashkey_created,
            ("POST", "/api/v1.1/spot/order"): hashkey_created,
        }
    raise ValueError(venue)


def balance_routes(venue: str) -> dict[tuple[str, str], Route]:
    """A balance of 1000 USDT free (250 locked) and 0.5 BTC, and no open orders."""
    if venue.startswith("binance"):
        return {
            ("GET", "/api/v3/account"): (
                200,
                {
                    "makerCommission": 10,
                    "takerCommission": 10,
                    "canTrade": True,
                    "accountType": "SPOT",
                    "updateTime": NOW_MS,
                    "balances": [
                        {"asset": "USDT", "free": "1000.00000000", "locked": "250.00000000"},
                        {"asset": "BTC", "free": "0.50000000", "locked": "0.00000000"},
                    ],
                    "permissions": ["SPOT"],
                },
            ),
            ("GET", "/api/v3/openOrders"): (200, []),
        }
    if venue.startswith("bybit"):
        coin = {
            "availableToBorrow": "",
            "bonus": "0",
            "accruedInterest": "0",
            "availableToWithdraw": "",
            "totalOrderIM": "0",
            "equity": "",
            "usdValue": "",
            "borrowAmount": "0",
            "totalPositionMM": "0",
            "totalPositionIM": "0",
            "unrealisedPnl": "0",
            "cumRealisedPnl": "0",
            "collateralSwitch": True,
            "marginCollateral": True,
        }
        return {
            ("GET", "/v5/account/wallet-balance"): (
                200,
                _bybit_ok(
                    {
                        "list": [
                            {
                                "accountType": "UNIFIED",
                                "totalEquity": "1500",
                                "coin": [
                                    {
                                        **coin,
                                        "coin": "USDT",
                                        "walletBalance": "1250",
                                        "locked": "250",
                                    },
                                    {**coin, "coin": "BTC", "walletBalance": "0.5", "locked": "0"},
                                ],
                            }
                        ]
                    }
                ),
            ),
            ("GET", "/v5/order/realtime"): bybit_list([]),
        }
    if venue.startswith("okx"):
        return {
            ("GET", "/api/v5/account/balance"): okx_ok(
                [
                    {
                        "uTime": str(NOW_MS),
                        "totalEq": "1500",
                        "details": [
                            {
                                "ccy": "USDT",
                                "eq": "1250",
                                "cashBal": "1250",
                                "availBal": "1000",
                                "frozenBal": "250",
                                "ordFrozen": "250",
                                "uTime": str(NOW_MS),
                            },
                            {
                                "ccy": "BTC",
                                "eq": "0.5",
                                "cashBal": "0.5",
                                "availBal": "0.5",
                                "frozenBal": "0",
                                "ordFrozen": "0",
                                "uTime": str(NOW_MS),
                            },
                        ],
                    }
                ]
            ),
            ("GET", "/api/v5/trade/orders-pending"): okx_ok([]),
            ("GET", "/api/v5/trade/orders-algo-pending"): okx_ok([]),
        }
    if venue.startswith("hashkey"):
        return {
            ("GET", "/api/v1/account"): (
                200,
                {
                    "balances": [
                        {
                            "asset": "USDT",
                            "assetId": "USDT",
                            "assetName": "USDT",
                            "total": "1250",
                            "free": "1000",
                            "locked": "250",
                        },
                        {
                            "asset": "BTC",
                            "assetId": "BTC",
                            "assetName": "BTC",
                            "total": "0.5",
                            "free": "0.5",
                            "locked": "0",
                        },
                    ],
                    "userId": "1732885739572845312",
                },
            ),
            ("GET", "/api/v1/spot/openOrders"): (200, []),
        }
    raise ValueError(venue)
