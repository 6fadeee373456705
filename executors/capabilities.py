"""What each venue can do exactly as approved: the one table of venue capabilities.

The ccxt executor refuses from it before anything is sent, the policy's venue
rules learn it through the market rules the executor reports
(:meth:`executors.ccxt_exec.CcxtExecutor.market_rules`), the README's capability
table is generated from it (:func:`capability_table`), and the offline request
tests assert against it. Nothing else says what a venue supports.

Facts come from each venue's API documentation and from ccxt (4.5.90), whose
request building the tests capture without a network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

CcxtId = Literal["binance", "bybit", "okx", "hashkey"]
CCXT_IDS: tuple[CcxtId, ...] = ("binance", "bybit", "okx", "hashkey")

OrderKind = Literal[
    "market_buy",
    "market_sell",
    "quote_amount",
    "limit",
    "stop_loss",
    "take_profit",
    "cancel",
    "lookup",
    "balance",
    "open_orders",
]
ORDER_KINDS: tuple[tuple[OrderKind, str], ...] = (
    ("market_buy", "market buy, base amount"),
    ("market_sell", "market sell, base amount"),
    ("quote_amount", "market buy of a quote amount"),
    ("limit", "limit buy or sell (GTC)"),
    ("stop_loss", "stop-loss trigger (sell below, buy above)"),
    ("take_profit", "take-profit trigger (sell above, buy below)"),
    ("cancel", "cancel by client order id"),
    ("lookup", "look up by client order id"),
    ("balance", "balance"),
    ("open_orders", "open orders"),
)

TriggerKind = Literal["stop_loss", "take_profit"]


@dataclass(frozen=True)
class Support:
    """One order kind on one venue: whether signoff sends it, and how (or why not)."""

    supported: bool
    how: str


def yes(how: str) -> Support:
    return Support(True, how)


def no(why: str) -> Support:
    return Support(False, why)


@dataclass(frozen=True)
class VenueCapabilities:
    ccxt_id: CcxtId
    title: str
    sandbox_hosts: frozenset[str]  # the only hosts signoff ever calls (any else is refused)
    mainnet_hosts: frozenset[str]  # the live hosts, never called (the tests check)
    sandbox_header: tuple[str, str] | None  # a header that makes the live host a sandbox
    client_id_field: str  # the field a new order's client order id goes in
    client_id_chars: str  # the characters the venue accepts in it (a regex class)
    client_id_max: int  # and how many
    lookup_param: str  # the ccxt parameter naming an order by client order id
    kinds: dict[OrderKind, Support]
    keys_site: str  # where testnet keys are made

    def supports(self, kind: OrderKind) -> bool:
        return self.kinds[kind].supported


_QUOTE_NOTE = "the approved base quantity (quote amounts are resolved to base at approval)"

CAPABILITIES: dict[CcxtId, VenueCapabilities] = {
    "binance": VenueCapabilities(
        ccxt_id="binance",
        title="Binance spot testnet",
        # ccxt's sandbox URLs also name the futures testnet; signoff calls only spot
        sandbox_hosts=frozenset({"testnet.binance.vision", "testnet.binancefuture.com"}),
        mainnet_hosts=frozenset(
            {"api.binance.com", "sapi.binance.com", "fapi.binance.com", "dapi.binance.com"}
        ),
        sandbox_header=None,
        client_id_field="newClientOrderId",
        client_id_chars=r"[.A-Za-z0-9:/_-]",
        client_id_max=36,
        lookup_param="origClientOrderId",
        kinds={
            "market_buy": yes("POST /api/v3/order type=MARKET quantity"),
            "market_sell": yes("POST /api/v3/order type=MARKET quantity"),
            "quote_amount": yes(f"{_QUOTE_NOTE}; quoteOrderQty is never sent"),
            "limit": yes("POST /api/v3/order type=LIMIT price timeInForce=GTC"),
            "stop_loss": yes("type=STOP_LOSS (STOP_LOSS_LIMIT) stopPrice"),
            "take_profit": yes("type=TAKE_PROFIT (TAKE_PROFIT_LIMIT) stopPrice"),
            "cancel": yes("DELETE /api/v3/order origClientOrderId"),
            "lookup": yes("GET /api/v3/order origClientOrderId"),
            "balance": yes("GET /api/v3/account"),
            "open_orders": yes("GET /api/v3/openOrders"),
        },
        keys_site="https://testnet.binance.vision (log in with GitHub, Generate HMAC key)",
    ),
    "bybit": VenueCapabilities(
        ccxt_id="bybit",
        title="Bybit testnet",
        sandbox_hosts=frozenset({"api-testnet.bybit.com", "api-demo.bybit.com"}),
        mainnet_hosts=frozenset({"api.bybit.com", "api.bytick.com"}),
        sandbox_header=None,
        client_id_field="orderLinkId",
        client_id_chars=r"[A-Za-z0-9_-]",
        client_id_max=36,
        lookup_param="orderLinkId",
        kinds={
            "market_buy": yes(
                "POST /v5/order/create orderType=Market marketUnit=baseCoin qty "
                "(unified trading account only)"
            ),
            "market_sell": yes("POST /v5/order/create orderType=Market marketUnit=baseCoin qty"),
            "quote_amount": yes(f"{_QUOTE_NOTE}; marketUnit=quoteCoin is never sent"),
            "limit": yes("POST /v5/order/create orderType=Limit price (GTC)"),
            "stop_loss": yes(
                "orderFilter=StopOrder triggerPrice; Bybit takes the direction from the "
                "price at placement, so it is refused once the price is past the level"
            ),
            "take_profit": yes(
                "orderFilter=StopOrder triggerPrice; refused once the price is past the level"
            ),
            "cancel": yes("POST /v5/order/cancel orderLinkId (orderFilter=StopOrder for triggers)"),
            "lookup": yes("GET /v5/order/realtime, then /v5/order/history, by orderLinkId"),
            "balance": yes("GET /v5/account/wallet-balance accountType=UNIFIED"),
            "open_orders": yes("GET /v5/order/realtime category=spot"),
        },
        keys_site="https://testnet.bybit.com (API management, system-generated HMAC key)",
    ),
    "okx": VenueCapabilities(
        ccxt_id="okx",
        title="OKX demo trading",
        sandbox_hosts=frozenset({"www.okx.com"}),
        mainnet_hosts=frozenset({"aws.okx.com", "okx.com", "eea.okx.com", "us.okx.com"}),
        sandbox_header=("x-simulated-trading", "1"),
        client_id_field="clOrdId",
        client_id_chars=r"[A-Za-z0-9]",
        client_id_max=32,
        lookup_param="clOrdId",
        kinds={
            "market_buy": yes("POST /api/v5/trade/batch-orders ordType=market tgtCcy=base_ccy sz"),
            "market_sell": yes("POST /api/v5/trade/batch-orders ordType=market tgtCcy=base_ccy sz"),
            "quote_amount": yes(f"{_QUOTE_NOTE}; tgtCcy=quote_ccy is never sent"),
            "limit": yes("POST /api/v5/trade/batch-orders ordType=limit px (GTC)"),
            "stop_loss": yes(
                "POST /api/v5/trade/order-algo ordType=conditional slTriggerPx tdMode=cash "
                "algoClOrdId"
            ),
            "take_profit": yes(
                "POST /api/v5/trade/order-algo ordType=conditional tpTriggerPx tdMode=cash "
                "algoClOrdId"
            ),
            "cancel": yes("POST /api/v5/trade/cancel-order clOrdId (cancel-algos for triggers)"),
            "lookup": yes("GET /api/v5/trade/order clOrdId, then /trade/order-algo algoClOrdId"),
            "balance": yes("GET /api/v5/account/balance"),
            "open_orders": yes("GET /api/v5/trade/orders-pending and /trade/orders-algo-pending"),
        },
        keys_site="https://www.okx.com (Trade, Demo trading, Personal center, Demo trading API)",
    ),
    "hashkey": VenueCapabilities(
        ccxt_id="hashkey",
        title="HashKey Global sandbox",
        sandbox_hosts=frozenset({"api-glb.sim.hashkeydev.com"}),
        mainnet_hosts=frozenset({"api-glb.hashkey.com"}),
        sandbox_header=None,
        client_id_field="newClientOrderId",
        client_id_chars=r"[A-Za-z0-9_-]",
        client_id_max=36,
        lookup_param="clientOrderId",
        kinds={
            "market_buy": yes("POST /api/v1.1/spot/order type=MARKET quantity (base amount)"),
            "market_sell": yes("POST /api/v1/spot/order type=MARKET quantity"),
            "quote_amount": yes(f"{_QUOTE_NOTE}; the cost form is never sent"),
            "limit": yes("POST /api/v1/spot/order type=LIMIT price (GTC)"),
            "stop_loss": no("HashKey Global has no trigger orders on spot (futures only)"),
            "take_profit": no("HashKey Global has no trigger orders on spot (futures only)"),
            "cancel": yes("DELETE /api/v1/spot/order clientOrderId"),
            "lookup": yes("GET /api/v1/spot/order origClientOrderId"),
            "balance": yes("GET /api/v1/account"),
            "open_orders": yes("GET /api/v1/spot/openOrders"),
        },
        keys_site="HashKey Global's sandbox site (API management)",
    ),
}


def capabilities(ccxt_id: str) -> VenueCapabilities:
    return CAPABILITIES[ccxt_id]  # type: ignore[index]


def trigger_kind(side: str, direction: str) -> TriggerKind:
    """A stop-loss sells when the price falls (buys when it rises); a take-profit the reverse."""
    return "stop_loss" if (direction == "below") == (side == "sell") else "take_profit"


def capability_table() -> str:
    """The README's venue table (Markdown), generated from :data:`CAPABILITIES`."""
    ids = list(CCXT_IDS)
    head = "| order kind | " + " | ".join(CAPABILITIES[i].title for i in ids) + " |"
    rule = "|---" * (len(ids) + 1) + "|"
    lines = [head, rule]
    for kind, label in ORDER_KINDS:
        cells = []
        for i in ids:
            support = CAPABILITIES[i].kinds[kind]
            mark = "yes" if support.supported else "**no**"
            cells.append(f"{mark}: {support.how}".replace("|", "/"))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the README's table
    print(capability_table(), end="")
