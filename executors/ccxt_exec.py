"""The ccxt executor: binance, bybit, okx and hashkey in sandbox mode, or the local exchange.

- Only sandboxes: :func:`executors.venues.check_sandbox` runs after the
  exchange object is built and before its first request.
- No floats: ``exchange.number = str`` makes ccxt hand back every amount and
  price as the exchange's own string; amounts and prices go out as strings.
- ccxt's exceptions are mapped into signoff's tree (:func:`map_error`) with a
  message that says what to do, and without anything ccxt put in its own
  message (which can carry signed URLs).
- Exactly as approved, or not at all: before anything is sent, an order the
  venue cannot carry out exactly (a trigger kind it lacks, an amount or price
  ccxt would round to the venue's precision, a market buy the venue would read
  as a quote amount, a Bybit trigger whose direction the venue would infer the
  other way) is refused with the venue and the reason
  (:mod:`executors.capabilities` holds what each venue can do).
- A reply that never came (timeout, dropped connection, ``-1007``) does not mean
  the order was not placed. :meth:`CcxtExecutor.submit` looks the order up by
  its client order id; if it is not there it waits until the request's
  ``recvWindow`` is over (after which the exchange refuses to accept it), looks
  again, and only then sends it again, with the same client order id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from executors.base import Fill, OrderRequest, OrderState, OrderStatus
from executors.capabilities import ORDER_KINDS, OrderKind, capabilities, trigger_kind
from executors.venues import ApiKeys, VenueProfile, check_sandbox, check_url_is_local
from foundation.clock import Clock
from foundation.errors import (
    AuthenticationFailed,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    OrderNotFound,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    SignoffError,
)
from intent.market import AccountSnapshot, Balance, MarketRules, Quote

_SETTLE_MARGIN_S = 0.3
_KIND_LABEL: dict[str, str] = dict(ORDER_KINDS)


def _exchange_message(exc: BaseException) -> str:
    """The exchange's own ``msg`` from a ccxt error, or just the error's kind."""
    text = str(exc)
    start = text.find("{")
    if start >= 0:
        try:
            body = json.loads(text[start:])
        except ValueError:
            body = None
        if isinstance(body, dict):
            for key in ("msg", "retMsg", "message", "sMsg"):
                if isinstance(body.get(key), str) and body[key]:
                    return str(body[key])
    return type(exc).__name__


def map_error(exc: BaseException, venue: str, action: str) -> SignoffError:
    """A ccxt exception as signoff's error, saying what to do next."""
    import ccxt.async_support as ccxt

    said = _exchange_message(exc)
    where = f"{venue}: {action}"
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(
            f"{where}: the exchange refused: not enough balance ({said})",
            hint="check the balance (signoff balance), trade a smaller amount, or cancel "
            "open orders that lock funds; nothing was placed",
        )
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(f"{where}: the exchange does not know this order ({said})")
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        return OrderRejected(
            f"{where}: the exchange rejected the order ({said})",
            hint="check the market's rules (step size, tick size, minimum order value); "
            "nothing was placed",
        )
    if isinstance(exc, ccxt.AuthenticationError | ccxt.PermissionDenied | ccxt.AccountSuspended):
        return AuthenticationFailed(
            f"{where}: the exchange refused the API keys ({said})",
            hint="check the testnet keys in the environment or keyring (see "
            "configs/exchanges.toml), and the system clock",
        )
    if isinstance(exc, ccxt.InvalidNonce):
        return ExchangeError(
            f"{where}: the request's timestamp is outside the exchange's window ({said})",
            hint="synchronise the system clock (e.g. with NTP) and try again",
        )
    if isinstance(exc, ccxt.RateLimitExceeded | ccxt.DDoSProtection):
        return RateLimited(
            f"{where}: the exchange's rate limit was hit ({said})",
            hint="wait a minute and try again",
        )
    if isinstance(exc, ccxt.ExchangeNotAvailable) and not isinstance(exc, ccxt.OnMaintenance):
        return ExchangeUnavailable(
            f"{where}: cannot reach the exchange ({said})",
            hint="check the network (and HTTPS_PROXY, if set) and the exchange's status "
            "page, then try again",
        )
    if isinstance(exc, ccxt.OperationFailed):
        return ExchangeUnavailable(
            f"{where}: the exchange could not be reached or did not answer ({said})",
            hint="check the network and the exchange's status page, then try again",
        )
    if isinstance(exc, ccxt.NotSupported):
        return ExchangeError(f"{where}: not supported by this exchange ({said})")
    return ExchangeError(f"{where}: the exchange answered with an error ({said})")


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def _positive(value: Any) -> Decimal | None:
    number = _dec(value)
    return number if number is not None and number > 0 else None


def _time(ms: Any) -> datetime | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


class CcxtExecutor:
    """:class:`executors.base.Executor` through ccxt's async client, sandbox only."""

    def __init__(
        self,
        profile: VenueProfile,
        keys: ApiKeys,
        *,
        clock: Clock,
        url: str | None = None,
        max_sends: int = 3,
    ) -> None:
        if profile.local:
            if url is None:
                raise ValueError("the local exchange needs its URL")
            check_url_is_local(url)
        elif url is not None:
            # a testnet's URL comes from ccxt's sandbox mode, never from outside
            check_url_is_local(url)
        self.profile = profile
        self._keys = keys
        self._clock = clock
        self._url = url
        self._max_sends = max_sends
        self._exchange: Any = None
        self._caps = capabilities(profile.ccxt_id)
        self._id_pattern = re.compile(
            f"{self._caps.client_id_chars}{{1,{self._caps.client_id_max}}}"
        )
        # venue client ids made from signoff's (see venue_client_id), to report signoff's back
        self._signoff_ids: dict[str, str] = {}

    @property
    def venue(self) -> str:
        return self.profile.name

    @property
    def exchange(self) -> Any:
        if self._exchange is None:
            raise ExchangeError(f"{self.venue}: the executor is not started")
        return self._exchange

    def _build(self) -> Any:
        import ccxt.async_support as ccxt

        options: dict[str, Any] = {
            "defaultType": "spot",
            "fetchCurrencies": False,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
            "createOrder": {"quoteOrderQty": False},
            "recvWindow": self.profile.recv_window_ms,
        }
        if self.profile.ccxt_id in ("binance", "bybit", "okx"):
            options["fetchMarkets"] = {"types": ["spot"]}
        if self.profile.ccxt_id == "okx":
            # no ccxt broker id or tag in signoff's orders (ccxt adds them to algo orders)
            options["brokerId"] = None
        config: dict[str, Any] = {
            "apiKey": self._keys.api_key.reveal(),
            "secret": self._keys.secret.reveal(),
            "enableRateLimit": not self.profile.local,
            "timeout": self.profile.timeout_ms,
            "options": options,
        }
        if self._keys.password is not None:
            config["password"] = self._keys.password.reveal()
        if not self.profile.local:
            # a testnet is reached the way the machine reaches the internet: through
            # HTTPS_PROXY when one is set (the hosts are still only the sandbox's)
            config["aiohttp_trust_env"] = True
        exchange = getattr(ccxt, self.profile.ccxt_id)(config)
        if self.profile.local:
            # assigned after construction: the constructor deep-merges urls and
            # would keep the real futures testnet hosts
            assert self._url is not None
            base = self._url.rstrip("/")
            exchange.urls["test"] = {
                "public": f"{base}/api/v3",
                "private": f"{base}/api/v3",
                "v1": f"{base}/api/v1",
            }
            # ccxt waits 250 ms on close for TLS sessions; plain loopback HTTP has none
            exchange.timeout_on_exit = 0
        # currencies come from private wallet endpoints on some venues: never asked for
        exchange.has = {**exchange.has, "fetchCurrencies": False}
        exchange.set_sandbox_mode(True)
        exchange.number = str
        return exchange

    async def start(self) -> None:
        exchange = self._build()
        try:
            check_sandbox(exchange, self.profile)
        except BaseException:
            await exchange.close()
            raise
        self._exchange = exchange
        try:
            await self._call("load the markets", exchange.load_markets)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._exchange is not None:
            await self._exchange.close()
            self._exchange = None

    async def _call(self, action: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import ccxt.async_support as ccxt

        try:
            return await fn(*args, **kwargs)
        except ccxt.BaseError as exc:
            raise map_error(exc, self.venue, action) from exc

    # ------------------------------------------------------------------ reading
    async def market_rules(self) -> dict[str, MarketRules]:
        """Every spot market's rules, with what this venue can do there (capabilities)."""
        rules: dict[str, MarketRules] = {}
        triggers = tuple(k for k in ("stop_loss", "take_profit") if self._caps.supports(k))
        for symbol, market in self.exchange.markets.items():
            if not market.get("spot") or market.get("active") is False:
                continue
            limits = market.get("limits") or {}
            precision = market.get("precision") or {}
            tick = _positive(precision.get("price"))
            step = _positive(precision.get("amount"))
            if tick is None or step is None:
                continue
            rules[symbol] = MarketRules(
                symbol=symbol,
                base=market["base"],
                quote=market["quote"],
                tick_size=tick,
                step_size=step,
                min_qty=_dec((limits.get("amount") or {}).get("min")) or Decimal(0),
                max_qty=_positive((limits.get("amount") or {}).get("max")),
                min_notional=_dec((limits.get("cost") or {}).get("min")) or Decimal(0),
                max_notional=_positive((limits.get("cost") or {}).get("max")),
                venue=self.venue,
                trigger_kinds=triggers,
                cross_market_triggers=False,
            )
        return rules

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        wanted = list(symbols)
        if not wanted:
            return {}
        tickers = await self._call("fetch prices", self.exchange.fetch_tickers, wanted)
        now = self._clock.now()
        result: dict[str, Quote] = {}
        for symbol in wanted:
            ticker = tickers.get(symbol)
            if not ticker:
                continue
            last = _positive(ticker.get("last"))
            bid = _positive(ticker.get("bid")) or last
            ask = _positive(ticker.get("ask")) or last
            if last is None or bid is None or ask is None:
                continue
            result[symbol] = Quote(
                symbol=symbol,
                bid=bid,
                ask=ask,
                last=last,
                time=_time(ticker.get("timestamp")) or now,
            )
        return result

    async def account(self) -> AccountSnapshot:
        # both asked at once: one round trip's wait instead of two
        raw, opened = await asyncio.gather(
            self._call("fetch the balance", self.exchange.fetch_balance), self.open_orders()
        )
        balances: dict[str, Balance] = {}
        for asset, free in (raw.get("free") or {}).items():
            used = _dec((raw.get("used") or {}).get(asset)) or Decimal(0)
            free_amount = _dec(free) or Decimal(0)
            if free_amount or used:
                balances[asset] = Balance(asset=asset, free=free_amount, locked=used)
        return AccountSnapshot(
            account_id=self.venue,
            venue=self.venue,
            balances=balances,
            open_orders=tuple(o.as_open_order() for o in opened),
            taken_at=self._clock.now(),
        )

    def _state(
        self,
        order: dict[str, Any],
        request: OrderRequest | None = None,
        *,
        client_order_id: str | None = None,
    ) -> OrderState:
        status_map: dict[str, OrderStatus] = {
            "open": "open",
            "closed": "filled",
            "canceled": "canceled",
            "cancelled": "canceled",
            "expired": "expired",
            "rejected": "rejected",
        }
        filled = _dec(order.get("filled")) or Decimal(0)
        status = status_map.get(str(order.get("status")), "open")
        if status == "open" and filled > 0:
            status = "partially_filled"
        info = order.get("info") or {}
        venue_id = (
            info.get("origClientOrderId")
            or info.get("algoClOrdId")
            or order.get("clientOrderId")
            or None
        )
        client_id = (
            (request.client_order_id if request else client_order_id)
            or (self._signoff_ids.get(str(venue_id), str(venue_id)) if venue_id else None)
            or str(order.get("id"))
        )
        kind = str(order.get("type") or "").lower()
        order_type = request.order_type if request else ("limit" if "limit" in kind else "market")
        quantity = _positive(order.get("amount")) or (request.quantity if request else None)
        if quantity is None:
            raise ExchangeError(f"{self.venue}: an order without an amount: {order.get('id')}")
        created = _time(order.get("timestamp")) or self._clock.now()
        fills = tuple(
            Fill(
                trade_id=str(trade.get("id")),
                order_id=str(order.get("id")),
                client_order_id=client_id,
                symbol=str(order.get("symbol")),
                side=order.get("side") or (request.side if request else "buy"),
                price=Decimal(str(trade["price"])),
                quantity=Decimal(str(trade["amount"])),
                fee=_dec((trade.get("fee") or {}).get("cost")) or Decimal(0),
                fee_asset=(trade.get("fee") or {}).get("currency"),
                maker=trade.get("takerOrMaker") == "maker",
                time=_time(trade.get("timestamp")) or created,
            )
            for trade in (order.get("trades") or [])
            if trade.get("price") and trade.get("amount")
        )
        trigger = _positive(
            order.get("triggerPrice")
            or order.get("stopPrice")
            or order.get("stopLossPrice")
            or order.get("takeProfitPrice")
        )
        return OrderState(
            order_id=str(order.get("id")) if order.get("id") is not None else None,
            client_order_id=client_id,
            symbol=str(order.get("symbol") or (request.symbol if request else "")),
            side=order.get("side") or (request.side if request else "buy"),
            order_type=order_type,
            status=status,
            quantity=quantity,
            filled=filled,
            limit_price=_positive(order.get("price")) if order_type == "limit" else None,
            trigger_price=trigger,
            trigger_direction=request.trigger_direction if request else None,
            average_price=_positive(order.get("average")),
            cost=_dec(order.get("cost")) or Decimal(0),
            fills=fills,
            created_at=created,
            updated_at=_time(order.get("lastUpdateTimestamp")) or created,
        )

    def venue_client_id(self, client_order_id: str) -> str:
        """The client order id as the venue accepts it: signoff's own, or a digest of it.

        The same signoff id always gives the same venue id, so a lookup after a lost
        reply finds the order; ids this executor made are reported back as signoff's.
        """
        if self._id_pattern.fullmatch(client_order_id):
            return client_order_id
        digest = hashlib.sha256(client_order_id.encode()).hexdigest()
        venue_id = "so" + digest[: self._caps.client_id_max - 2]
        self._signoff_ids[venue_id] = client_order_id
        return venue_id

    async def lookup(self, symbol: str, client_order_id: str) -> OrderState | None:
        import ccxt.async_support as ccxt

        venue_id = self.venue_client_id(client_order_id)
        params: dict[str, Any] = {self._caps.lookup_param: venue_id}
        action = f"look up order {client_order_id}"
        if self.profile.ccxt_id == "bybit":
            # bybit has no "order by client id" call: its open orders (any kind), then
            # its order history, each filtered by orderLinkId
            ex = self.exchange
            for fetch in (ex.fetch_open_orders, ex.fetch_canceled_and_closed_orders):
                orders = await self._call(action, fetch, symbol, None, None, params)
                if orders:
                    return self._state(orders[0], client_order_id=client_order_id)
            return None
        searches = [params]
        if self.profile.ccxt_id == "okx":
            # okx keeps trigger orders apart (order-algo, algoClOrdId)
            searches.append({**params, "trigger": True})
        for search in searches:
            try:
                order = await self.exchange.fetch_order(None, symbol, search)
            except ccxt.OrderNotFound:
                continue
            except ccxt.BaseError as exc:
                raise map_error(exc, self.venue, action) from exc
            if order.get("id") is None:  # an empty list where the order would be
                continue
            return self._state(order, client_order_id=client_order_id)
        return None

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        fetch = self.exchange.fetch_open_orders
        orders = await self._call("list open orders", fetch, symbol)
        if self.profile.ccxt_id == "okx" and self._caps.supports("stop_loss"):
            params = {"trigger": True, "ordType": "conditional"}
            orders += await self._call(
                "list open trigger orders", fetch, symbol, None, None, params
            )
        return [self._state(o) for o in orders]

    async def fills(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        since_ms = int(since.timestamp() * 1000) if since else None
        trades = await self._call("list trades", self.exchange.fetch_my_trades, symbol, since_ms)
        return [
            Fill(
                trade_id=str(t["id"]),
                order_id=str(t.get("order")),
                client_order_id=None,
                symbol=symbol,
                side=t["side"],
                price=Decimal(str(t["price"])),
                quantity=Decimal(str(t["amount"])),
                fee=_dec((t.get("fee") or {}).get("cost")) or Decimal(0),
                fee_asset=(t.get("fee") or {}).get("currency"),
                maker=t.get("takerOrMaker") == "maker",
                time=_time(t.get("timestamp")) or self._clock.now(),
            )
            for t in trades
        ]

    # ------------------------------------------------------------------ writing
    def _refuse(self, what: str, why: str) -> OrderRejected:
        return OrderRejected(
            f"{self.venue}: {what} cannot be sent to {self._caps.title} exactly as approved: {why}",
            hint="nothing was sent; change the order (or use another venue or the paper "
            "engine) and approve it again",
        )

    def _kind(self, req: OrderRequest) -> OrderKind:
        if req.conditional:
            assert req.trigger_direction is not None
            return trigger_kind(req.side, req.trigger_direction)
        if req.order_type == "limit":
            return "limit"
        return "market_buy" if req.side == "buy" else "market_sell"

    def _exact(self, req: OrderRequest) -> None:
        """Refuse an amount or price ccxt would round to the venue's precision."""
        ex = self.exchange
        if req.symbol not in (ex.markets or {}):
            raise self._refuse(f"an order on {req.symbol}", f"{req.symbol} is not a spot market")
        checks = [("quantity", req.quantity, ex.amount_to_precision)]
        if req.limit_price is not None:
            checks.append(("limit price", req.limit_price, ex.price_to_precision))
        if req.trigger_price is not None:
            checks.append(("trigger price", req.trigger_price, ex.price_to_precision))
        for what, value, to_precision in checks:
            try:
                sent = Decimal(str(to_precision(req.symbol, str(value))))
            except Exception:  # ccxt refuses values under one step itself
                sent = Decimal(0)
            if sent != value:
                raise self._refuse(
                    f"{what} {value} on {req.symbol}",
                    f"the venue's precision would make it {sent}",
                )

    def _order_args(self, req: OrderRequest) -> tuple[Any, ...]:
        if req.schedule is not None:
            # the execution service runs schedules and sends one plain order per run
            raise OrderRejected(
                f"{self.venue}: exchanges have no recurring orders",
                hint="send recurring steps through the execution service, which places "
                "one order per run",
            )
        kind = self._kind(req)
        support = self._caps.kinds[kind]
        if not support.supported:
            raise self._refuse(f"a {_KIND_LABEL[kind]} order", support.how)
        if req.conditional and req.trigger_symbol != req.symbol:
            raise OrderRejected(
                f"{self.venue}: an order triggered by another market's price "
                f"({req.trigger_symbol} for {req.symbol}) is not something exchanges offer",
                hint="trigger on the order's own market, or use the paper engine",
            )
        self._exact(req)
        venue = self.profile.ccxt_id
        venue_id = self.venue_client_id(req.client_order_id)
        params: dict[str, Any] = {"clientOrderId": venue_id}
        if req.conditional:
            level = str(req.trigger_price)
            if venue == "bybit":
                # a spot conditional order (orderFilter=StopOrder); bybit infers its
                # direction from the price at placement, checked in _check_bybit_trigger
                params["triggerPrice"] = level
            else:
                params["stopLossPrice" if kind == "stop_loss" else "takeProfitPrice"] = level
            if venue == "okx":
                # an okx algo order: its client id is algoClOrdId, and a spot one is cash
                # (ccxt would otherwise make it a cross-margin order)
                del params["clientOrderId"]
                params["algoClOrdId"] = venue_id
                params["tdMode"] = "cash"
        elif req.order_type == "market" and venue == "okx":
            params["tgtCcy"] = "base_ccy"  # sz is the base amount, never a quote amount
        price = str(req.limit_price) if req.limit_price is not None else None
        return (req.symbol, req.order_type, req.side, str(req.quantity), price, params)

    async def _check_venue(self, req: OrderRequest) -> None:
        """Checks that need the venue's answer, before the order is sent."""
        if self.profile.ccxt_id != "bybit":
            return
        if req.order_type == "market":
            margin, unified = await self._call(
                "check the account type", self.exchange.is_unified_enabled
            )
            if not (margin or unified):
                raise self._refuse(
                    f"a market {req.side} of {req.quantity}",
                    "this is a classic account, whose spot market orders take the amount in "
                    "the quote currency; upgrade it to a unified trading account",
                )
        if req.conditional:
            ticker = await self._call("fetch the price", self.exchange.fetch_ticker, req.symbol)
            last = _positive(ticker.get("last"))
            level = req.trigger_price
            assert level is not None
            right_side = last is not None and (
                last > level if req.trigger_direction == "below" else last < level
            )
            if not right_side:
                raise self._refuse(
                    f"a trigger {req.trigger_direction} {level}",
                    f"the last price is {last}: Bybit takes a spot trigger's direction from "
                    "the price at placement, so it would wait for the price to cross the "
                    "level the other way",
                )

    async def submit(self, request: OrderRequest) -> OrderState:
        import ccxt.async_support as ccxt

        args = self._order_args(request)
        await self._check_venue(request)
        action = f"place order {request.client_order_id}"
        for attempt in range(1, self._max_sends + 1):
            sent_at = time.monotonic()
            try:
                order = await self.exchange.create_order(*args)
            except ccxt.DuplicateOrderId:
                found = await self.lookup(request.symbol, request.client_order_id)
                if found is not None:
                    return found
                raise OrderStateUnknown(
                    f"{self.venue}: order {request.client_order_id} was reported as a duplicate "
                    "but cannot be found",
                    hint="reconcile later (signoff executor reconciles on start)",
                ) from None
            except ccxt.InvalidOrder as exc:
                if "Duplicate order sent" in str(exc):
                    found = await self.lookup(request.symbol, request.client_order_id)
                    if found is not None:
                        return found
                raise map_error(exc, self.venue, action) from exc
            except (ccxt.RateLimitExceeded, ccxt.DDoSProtection, ccxt.InvalidNonce) as exc:
                # refused before it was handled (ccxt files these under network
                # errors, but the exchange did answer): nothing was placed
                raise map_error(exc, self.venue, action) from exc
            except ccxt.OperationFailed as exc:
                # no answer, or "status unknown": it may have been placed
                found = await self._settle(request, sent_at)
                if found is not None:
                    return found
                if attempt == self._max_sends:
                    raise OrderStateUnknown(
                        f"{self.venue}: order {request.client_order_id} got no answer after "
                        f"{attempt} tries ({_exchange_message(exc)}) and is not on the exchange",
                        hint="the network or the exchange is failing; reconciliation will look "
                        "the order up again, do not place it again by hand",
                    ) from exc
                continue
            except ccxt.BaseError as exc:
                raise map_error(exc, self.venue, action) from exc
            return self._state(order, request)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _settle(self, request: OrderRequest, sent_at: float) -> OrderState | None:
        """Find an order whose reply was lost; ``None`` only once it can no longer arrive."""
        unanswered: ExchangeError | None = None
        for wait in (False, True):
            if wait:
                # past its recvWindow the exchange refuses the lost request, so a
                # miss after this is final and sending again cannot duplicate it
                window = self.profile.recv_window_ms / 1000 + _SETTLE_MARGIN_S
                await asyncio.sleep(max(0.0, sent_at + window - time.monotonic()))
            try:
                found = await self.lookup(request.symbol, request.client_order_id)
            except (ExchangeUnavailable, RateLimited) as exc:
                unanswered = exc
                continue
            unanswered = None
            if found is not None:
                return found
        if unanswered is not None:
            raise OrderStateUnknown(
                f"{self.venue}: order {request.client_order_id} was sent, the reply was lost, "
                "and the exchange cannot be asked about it now",
                hint="reconciliation will look it up when the exchange answers again; do not "
                "place it again by hand",
            ) from unanswered
        return None

    async def cancel(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        if order_id is None and client_order_id is None:
            raise ValueError("name the order by its id or its client order id")
        action = f"cancel order {order_id or client_order_id}"
        params: dict[str, Any] = {}
        venue = self.profile.ccxt_id
        found: OrderState | None = None
        if venue in ("bybit", "okx") and client_order_id is not None:
            # trigger orders are cancelled apart (bybit: orderFilter=StopOrder; okx:
            # cancel-algos by the algo id): find out which this one is first
            found = await self.lookup(symbol, client_order_id)
            if found is None:
                raise OrderNotFound(f"{self.venue}: {action}: the exchange does not know it")
            if found.trigger_price is not None:
                params["trigger"] = True
                if venue == "okx":
                    order_id = found.order_id
        if order_id is None or (venue == "bybit" and client_order_id is not None):
            assert client_order_id is not None
            params[self._caps.lookup_param] = self.venue_client_id(client_order_id)
            order_id = None
        order = await self._call(action, self.exchange.cancel_order, order_id, symbol, params)
        if found is not None and _positive(order.get("amount")) is None:
            # bybit and okx answer a cancel with the ids only: the order is as looked up,
            # now canceled
            return found.model_copy(update={"status": "canceled"})
        return self._state(order, client_order_id=client_order_id)
