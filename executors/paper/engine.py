"""The paper engine: a simulated spot account that fills orders against a price feed.

Balances never go negative: an order is refused (``InsufficientFunds``) unless
what it spends is free, and resting or triggered sells lock what they will
spend. Market orders fill at once at the ask (buy) or bid (sell) moved by the
configured slippage; limit orders that cross the book fill at once (taker),
others rest with their funds locked and fill at their own price (maker) when
the feed crosses them. Conditional orders wait until a market's last price is
at or beyond their trigger, then act as a market or limit order. Scheduled
orders run once at once and then every interval, on the clock the caller passes
in. Fees are charged on what is received (base on a buy, quote on a sell), as
Binance does by default.

Time is never read here: every call that changes the state takes ``now``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from executors.base import (
    ZERO,
    Fill,
    OrderRequest,
    OrderState,
    OrderStatus,
    TriggerDirection,
)
from executors.catalog import MarketCatalog, MarketSpec
from executors.ids import MAX_BASE, run_id
from executors.schedule_runs import size_run
from foundation.errors import InsufficientFunds, OrderNotFound, OrderRejected
from intent.market import AccountSnapshot, Balance, MarketRules, Quote
from intent.plan import OrderType, Schedule, Side

BPS = Decimal(10_000)
FEE_PLACES = Decimal("0.00000001")

RuleName = Literal[
    "UNKNOWN_SYMBOL", "MARKET_CLOSED", "LOT_SIZE", "PRICE_FILTER", "NOTIONAL", "DUPLICATE"
]


class RuleViolation(OrderRejected):
    """An order the market's rules refuse; ``rule`` names the Binance filter that failed."""

    def __init__(self, rule: RuleName, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.rule: RuleName = rule


@dataclass(frozen=True)
class PaperSettings:
    """Fees are rates (0.001 = 0.1 %); slippage moves market fills by basis points."""

    maker_fee: Decimal = Decimal("0.001")
    taker_fee: Decimal = Decimal("0.001")
    slippage_bps: Decimal = Decimal("5")

    def __post_init__(self) -> None:
        for name in ("maker_fee", "taker_fee", "slippage_bps"):
            value: Decimal = getattr(self, name)
            if not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
        if self.maker_fee >= 1 or self.taker_fee >= 1:
            raise ValueError("a fee is a rate below 1 (0.001 is 0.1 %)")


class _Order(BaseModel):
    """An order's mutable book-keeping (plain model so the engine can be saved and loaded)."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None
    trigger_symbol: str | None = None
    trigger_price: Decimal | None = None
    trigger_direction: TriggerDirection | None = None
    triggered: bool = False
    status: OrderStatus = "open"
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    fills: list[Fill] = []
    reason: str | None = None
    locked_asset: str | None = None
    locked: Decimal = ZERO
    created_at: datetime
    updated_at: datetime
    schedule_id: str | None = None

    def state(self) -> OrderState:
        return OrderState(
            order_id=self.order_id,
            client_order_id=self.client_order_id,
            symbol=self.symbol,
            side=self.side,
            order_type=self.order_type,
            status=self.status,
            quantity=self.quantity,
            filled=self.filled,
            limit_price=self.limit_price,
            trigger_price=self.trigger_price,
            trigger_direction=self.trigger_direction,
            average_price=(self.cost / self.filled) if self.filled else None,
            cost=self.cost,
            fills=tuple(self.fills),
            reason=self.reason,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    @property
    def is_open(self) -> bool:
        return self.status in ("open", "partially_filled")


class _Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedule_id: str
    request: OrderRequest
    interval_seconds: int
    count: int | None
    runs: int = 0
    next_at: datetime
    status: Literal["open", "filled", "canceled"] = "open"
    child_ids: list[str] = []
    created_at: datetime
    updated_at: datetime


class _State(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str
    balances: dict[str, tuple[Decimal, Decimal]]
    prices: dict[str, Decimal]
    orders: list[_Order]
    schedules: list[_Schedule]
    next_order: int
    next_trade: int
    now: datetime


@dataclass
class _Wallet:
    free: Decimal = ZERO
    locked: Decimal = ZERO


def _on_step(value: Decimal, step: Decimal) -> bool:
    return (value % step) == 0


def _round(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    return (value / step).to_integral_value(rounding=rounding) * step


@dataclass
class PaperEngine:
    """One simulated account on the markets of a catalogue."""

    catalog: MarketCatalog
    now: datetime
    settings: PaperSettings = field(default_factory=PaperSettings)
    account_id: str = "paper-demo"
    _wallets: dict[str, _Wallet] = field(default_factory=dict, init=False)
    _prices: dict[str, Decimal] = field(default_factory=dict, init=False)
    _orders: dict[str, _Order] = field(default_factory=dict, init=False)
    _by_client: dict[str, str] = field(default_factory=dict, init=False)
    _schedules: dict[str, _Schedule] = field(default_factory=dict, init=False)
    _next_order: int = field(default=1, init=False)
    _next_trade: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        self._prices = {s: spec.start_price for s, spec in self.catalog.specs.items()}

    # ------------------------------------------------------------------ set-up
    @classmethod
    def with_balances(
        cls,
        catalog: MarketCatalog,
        balances: Mapping[str, Decimal],
        now: datetime,
        settings: PaperSettings | None = None,
        account_id: str = "paper-demo",
    ) -> PaperEngine:
        engine = cls(catalog=catalog, now=now, settings=settings or PaperSettings())
        engine.account_id = account_id
        for asset, amount in balances.items():
            engine.credit_simulated(asset, amount)
        return engine

    def credit_simulated(self, asset: str, amount: Decimal) -> None:
        """Credit a simulated balance (setting up a paper account; no venue has this)."""
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"cannot credit {amount} {asset}")
        self._wallet(asset).free += amount

    def _wallet(self, asset: str) -> _Wallet:
        return self._wallets.setdefault(asset, _Wallet())

    def _tick(self, now: datetime) -> None:
        # a late call must not move the engine's time backwards
        if now > self.now:
            self.now = now

    # ------------------------------------------------------------------ reading
    def spec(self, symbol: str) -> MarketSpec:
        spec = self.catalog.specs.get(symbol)
        if spec is None:
            raise RuleViolation(
                "UNKNOWN_SYMBOL",
                f"no market {symbol} on the paper exchange",
                hint=f"known markets: {', '.join(sorted(self.catalog.specs))}",
            )
        return spec

    def rules(self) -> dict[str, MarketRules]:
        return {s: spec.rules for s, spec in self.catalog.specs.items()}

    def prices(self) -> dict[str, Decimal]:
        """Last prices of every market."""
        return dict(self._prices)

    def last(self, symbol: str) -> Decimal:
        self.spec(symbol)
        return self._prices[symbol]

    def quote(self, symbol: str) -> Quote:
        return self.spec(symbol).quote_at(self._prices[symbol], self.now)

    def balances(self) -> dict[str, Balance]:
        return {
            asset: Balance(asset=asset, free=w.free, locked=w.locked)
            for asset, w in sorted(self._wallets.items())
            if w.free or w.locked
        }

    def snapshot(self) -> AccountSnapshot:
        return AccountSnapshot(
            account_id=self.account_id,
            venue="paper",
            balances=self.balances(),
            open_orders=tuple(o.as_open_order() for o in self.open_orders()),
            taken_at=self.now,
        )

    def _find(
        self, symbol: str | None, order_id: str | None, client_order_id: str | None
    ) -> _Order | _Schedule | None:
        if order_id is not None:
            found: _Order | _Schedule | None = self._orders.get(order_id) or self._schedules.get(
                order_id
            )
        else:
            # the newest order with this client id: venues allow reuse once an order is done
            newest = self._by_client.get(client_order_id or "")
            found = self._orders.get(newest) if newest is not None else None
            if found is None:
                for sched in self._schedules.values():
                    if sched.request.client_order_id == client_order_id:
                        found = sched
        if found is None:
            return None
        found_symbol = found.symbol if isinstance(found, _Order) else found.request.symbol
        if symbol is not None and found_symbol != symbol:
            return None
        return found

    def get(
        self,
        symbol: str | None = None,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderState | None:
        if order_id is None and client_order_id is None:
            raise ValueError("name the order by its id or its client order id")
        found = self._find(symbol, order_id, client_order_id)
        if found is None:
            return None
        return found.state() if isinstance(found, _Order) else self._schedule_state(found)

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        result = [
            o.state()
            for o in self._orders.values()
            if o.is_open and (symbol is None or o.symbol == symbol)
        ]
        result += [
            self._schedule_state(s)
            for s in self._schedules.values()
            if s.status == "open" and (symbol is None or s.request.symbol == symbol)
        ]
        return result

    def orders(self) -> list[OrderState]:
        return [o.state() for o in self._orders.values()]

    def trades(self, symbol: str | None = None, since: datetime | None = None) -> list[Fill]:
        fills = [
            f
            for o in self._orders.values()
            for f in o.fills
            if (symbol is None or f.symbol == symbol) and (since is None or f.time >= since)
        ]
        return sorted(fills, key=lambda f: (f.time, int(f.trade_id)))

    # ------------------------------------------------------------------ checks
    def _validate(self, req: OrderRequest) -> MarketRules:
        rules = self.spec(req.symbol).rules
        if not rules.trading:
            raise RuleViolation("MARKET_CLOSED", f"{req.symbol} is not trading")
        qty = req.quantity
        if not _on_step(qty, rules.step_size) or qty < rules.min_qty:
            raise RuleViolation(
                "LOT_SIZE",
                f"quantity {qty} does not fit {req.symbol}'s lot size "
                f"(step {rules.step_size}, minimum {rules.min_qty})",
                hint="round the quantity down to the step",
            )
        if rules.max_qty is not None and qty > rules.max_qty:
            raise RuleViolation(
                "LOT_SIZE", f"quantity {qty} is above {req.symbol}'s maximum {rules.max_qty}"
            )
        for label, price in (("limit price", req.limit_price),):
            if price is not None and not _on_step(price, rules.tick_size):
                raise RuleViolation(
                    "PRICE_FILTER",
                    f"{label} {price} is not on {req.symbol}'s tick {rules.tick_size}",
                    hint="round the price to the tick",
                )
        if req.trigger_symbol is not None and req.trigger_price is not None:
            trigger_rules = self.spec(req.trigger_symbol).rules
            if not _on_step(req.trigger_price, trigger_rules.tick_size):
                raise RuleViolation(
                    "PRICE_FILTER",
                    f"trigger price {req.trigger_price} is not on {req.trigger_symbol}'s "
                    f"tick {trigger_rules.tick_size}",
                    hint="round the trigger price to the tick",
                )
        price = self._prices[req.symbol]
        if req.limit_price is not None:
            price = req.limit_price
        elif req.trigger_price is not None and req.trigger_symbol == req.symbol:
            price = req.trigger_price
        notional = qty * price
        if notional < rules.min_notional:
            raise RuleViolation(
                "NOTIONAL",
                f"order value {notional} {rules.quote} is below {req.symbol}'s minimum "
                f"{rules.min_notional}",
                hint="trade a larger amount",
            )
        if rules.max_notional is not None and notional > rules.max_notional:
            raise RuleViolation(
                "NOTIONAL",
                f"order value {notional} {rules.quote} is above {req.symbol}'s maximum "
                f"{rules.max_notional}",
            )
        newest = self._by_client.get(req.client_order_id)
        if newest is not None and self._orders[newest].is_open:
            raise RuleViolation(
                "DUPLICATE",
                f"an open order already has client order id {req.client_order_id}",
                hint="look the order up instead of sending it again",
            )
        return rules

    def check(self, req: OrderRequest) -> None:
        """Refuse what the market's rules refuse, without placing it (funds are not checked)."""
        self._validate(req)

    def _need(self, asset: str, amount: Decimal, what: str) -> None:
        free = self._wallet(asset).free
        if amount > free:
            raise InsufficientFunds(
                f"{what} needs {amount} {asset}, only {free} {asset} is free",
                hint="trade a smaller amount, or cancel open orders that lock this balance",
            )

    # ------------------------------------------------------------------ placing
    def place(self, req: OrderRequest, now: datetime) -> OrderState:
        """Place an order; refusals raise and change nothing."""
        self._tick(now)
        if req.schedule is not None:
            return self._add_schedule(req, req.schedule, now)
        return self._place_one(req, now).state()

    def _new_order(self, req: OrderRequest, now: datetime) -> _Order:
        order = _Order(
            order_id=str(self._next_order),
            client_order_id=req.client_order_id,
            symbol=req.symbol,
            side=req.side,
            order_type=req.order_type,
            quantity=req.quantity,
            limit_price=req.limit_price,
            trigger_symbol=req.trigger_symbol,
            trigger_price=req.trigger_price,
            trigger_direction=req.trigger_direction,
            created_at=now,
            updated_at=now,
        )
        return order

    def _commit(self, order: _Order) -> _Order:
        self._next_order += 1
        self._orders[order.order_id] = order
        self._by_client[order.client_order_id] = order.order_id
        return order

    def _place_one(self, req: OrderRequest, now: datetime) -> _Order:
        rules = self._validate(req)
        order = self._new_order(req, now)
        if req.conditional:
            self._lock_for_conditional(order, rules)
            return self._commit(order)
        self._start(order, rules, now)
        return self._commit(order)

    def _lock(self, order: _Order, asset: str, amount: Decimal) -> None:
        wallet = self._wallet(asset)
        wallet.free -= amount
        wallet.locked += amount
        order.locked_asset = asset
        order.locked += amount

    def _unlock(self, order: _Order) -> None:
        if order.locked_asset is not None and order.locked:
            wallet = self._wallet(order.locked_asset)
            wallet.locked -= order.locked
            wallet.free += order.locked
        order.locked = ZERO

    def _lock_for_conditional(self, order: _Order, rules: MarketRules) -> None:
        # what a triggered order will spend is locked now when it is known: the base
        # of a sell, the limit value of a buy; a triggered market buy is checked when
        # it fires, because its price is not known before
        if order.side == "sell":
            self._need(rules.base, order.quantity, "this conditional sell")
            self._lock(order, rules.base, order.quantity)
        elif order.limit_price is not None:
            value = order.quantity * order.limit_price
            self._need(rules.quote, value, "this conditional buy")
            self._lock(order, rules.quote, value)

    def _start(self, order: _Order, rules: MarketRules, now: datetime) -> None:
        """A live (non-conditional, or just triggered) order: fill what crosses, rest the rest."""
        quote = self.quote(order.symbol)
        if order.order_type == "market":
            price = self._market_price(order.side, quote, rules)
            if order.side == "buy" and order.locked_asset is None:
                self._need(rules.quote, order.quantity * price, "this market buy")
            elif order.side == "sell" and order.locked_asset is None:
                self._need(rules.base, order.quantity, "this market sell")
            self._execute(order, rules, price, maker=False, now=now)
            return
        limit = order.limit_price
        assert limit is not None
        crosses = quote.ask <= limit if order.side == "buy" else quote.bid >= limit
        if crosses:
            price = quote.ask if order.side == "buy" else quote.bid
            if order.locked_asset is None:
                if order.side == "buy":
                    self._need(rules.quote, order.quantity * price, "this limit buy")
                else:
                    self._need(rules.base, order.quantity, "this limit sell")
            self._execute(order, rules, price, maker=False, now=now)
            return
        if order.locked_asset is None:
            if order.side == "buy":
                value = order.quantity * limit
                self._need(rules.quote, value, "this limit buy")
                self._lock(order, rules.quote, value)
            else:
                self._need(rules.base, order.quantity, "this limit sell")
                self._lock(order, rules.base, order.quantity)

    def _market_price(self, side: Side, quote: Quote, rules: MarketRules) -> Decimal:
        slip = self.settings.slippage_bps / BPS
        if side == "buy":
            return _round(quote.ask * (1 + slip), rules.tick_size, ROUND_CEILING)
        return max(_round(quote.bid * (1 - slip), rules.tick_size, ROUND_FLOOR), rules.tick_size)

    def _execute(
        self, order: _Order, rules: MarketRules, price: Decimal, *, maker: bool, now: datetime
    ) -> None:
        qty = order.quantity - order.filled
        value = qty * price
        rate = self.settings.maker_fee if maker else self.settings.taker_fee
        base, quote = self._wallet(rules.base), self._wallet(rules.quote)
        if order.side == "buy":
            self._spend(order, rules.quote, value)
            fee = (qty * rate).quantize(FEE_PLACES, rounding=ROUND_HALF_EVEN)
            base.free += qty - fee
            fee_asset = rules.base
        else:
            self._spend(order, rules.base, qty)
            fee = (value * rate).quantize(FEE_PLACES, rounding=ROUND_HALF_EVEN)
            quote.free += value - fee
            fee_asset = rules.quote
        # a buy limit that filled below the value it locked gives the rest back
        self._unlock(order)
        fill = Fill(
            trade_id=str(self._next_trade),
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=qty,
            fee=fee,
            fee_asset=fee_asset,
            maker=maker,
            time=now,
        )
        self._next_trade += 1
        order.fills.append(fill)
        order.filled += qty
        order.cost += value
        order.status = "filled"
        order.updated_at = now

    def _spend(self, order: _Order, asset: str, amount: Decimal) -> None:
        wallet = self._wallet(asset)
        from_locked = min(order.locked, amount) if order.locked_asset == asset else ZERO
        rest = amount - from_locked
        if rest > wallet.free:
            raise InsufficientFunds(
                f"order {order.client_order_id} needs {rest} {asset} more than is free",
                hint="trade a smaller amount",
            )
        wallet.locked -= from_locked
        order.locked -= from_locked
        wallet.free -= rest

    # ------------------------------------------------------------------ cancel
    def cancel(
        self,
        symbol: str,
        *,
        order_id: str | None = None,
        client_order_id: str | None = None,
        now: datetime,
    ) -> OrderState:
        self._tick(now)
        found = self._find(symbol, order_id, client_order_id)
        name = order_id or client_order_id
        if isinstance(found, _Schedule):
            if found.status != "open":
                raise OrderNotFound(f"schedule {name} on {symbol} is not open")
            found.status = "canceled"
            found.updated_at = now
            return self._schedule_state(found)
        if found is None or not found.is_open:
            raise OrderNotFound(
                f"no open order {name} on {symbol}",
                hint="list open orders to see what can be canceled",
            )
        self._unlock(found)
        found.status = "canceled"
        found.updated_at = now
        return found.state()

    # ------------------------------------------------------------------ prices
    def set_prices(self, prices: Mapping[str, Decimal], now: datetime) -> list[OrderState]:
        """New last prices; fires triggers and fills resting orders that the move crossed."""
        self._tick(now)
        for symbol, price in prices.items():
            if symbol in self.catalog.specs:
                if not price.is_finite() or price <= 0:
                    raise ValueError(f"{symbol}: a price must be positive, got {price}")
                self._prices[symbol] = price
        changed: list[OrderState] = []
        moved = set(prices)
        for order in list(self._orders.values()):
            if not order.is_open:
                continue
            if order.trigger_price is not None and not order.triggered:
                if order.trigger_symbol in moved and self._trigger_hit(order):
                    self._fire(order, now)
                    changed.append(order.state())
                continue
            if (
                order.order_type == "limit"
                and order.symbol in moved
                and self._rest_fill(order, now)
            ):
                changed.append(order.state())
        return changed

    def set_price(self, symbol: str, price: Decimal, now: datetime) -> list[OrderState]:
        return self.set_prices({symbol: price}, now)

    def _trigger_hit(self, order: _Order) -> bool:
        assert order.trigger_symbol is not None
        assert order.trigger_price is not None
        last = self._prices[order.trigger_symbol]
        if order.trigger_direction == "below":
            return last <= order.trigger_price
        return last >= order.trigger_price

    def _fire(self, order: _Order, now: datetime) -> None:
        order.triggered = True
        order.updated_at = now
        rules = self.spec(order.symbol).rules
        try:
            self._start(order, rules, now)
        except InsufficientFunds as exc:
            self._unlock(order)
            order.status = "expired"
            order.reason = f"triggered, but {exc.message}"

    def _rest_fill(self, order: _Order, now: datetime) -> bool:
        limit = order.limit_price
        assert limit is not None
        quote = self.quote(order.symbol)
        crosses = quote.ask <= limit if order.side == "buy" else quote.bid >= limit
        if not crosses:
            return False
        self._execute(order, self.spec(order.symbol).rules, limit, maker=True, now=now)
        return True

    # ------------------------------------------------------------------ schedules
    def _add_schedule(self, req: OrderRequest, schedule: Schedule, now: datetime) -> OrderState:
        if len(req.client_order_id) > MAX_BASE:
            raise OrderRejected(
                f"client order id {req.client_order_id} leaves no room to number a schedule's runs",
                hint=f"use a client order id of at most {MAX_BASE} characters",
            )
        child = req.model_copy(
            update={"schedule": None, "client_order_id": run_id(req.client_order_id, 1)}
        )
        self._validate(child)
        for sched in self._schedules.values():
            if sched.request.client_order_id == req.client_order_id and sched.status == "open":
                raise RuleViolation(
                    "DUPLICATE",
                    f"a schedule already has client order id {req.client_order_id}",
                    hint="look the schedule up instead of sending it again",
                )
        sched = _Schedule(
            schedule_id=f"S{self._next_order}",
            request=req,
            interval_seconds=int(schedule.interval.total_seconds()),
            count=schedule.count,
            next_at=now,
            created_at=now,
            updated_at=now,
        )
        self._next_order += 1
        # the first run is at once; if it cannot run, the schedule is not created
        first = self._place_one(child, now)
        self._schedules[sched.schedule_id] = sched
        self._record_run(sched, first, now)
        return self._schedule_state(sched)

    def _record_run(self, sched: _Schedule, child: _Order, now: datetime) -> None:
        child.schedule_id = sched.schedule_id
        sched.child_ids.append(child.order_id)
        sched.runs += 1
        sched.next_at = sched.next_at + timedelta(seconds=sched.interval_seconds)
        sched.updated_at = now
        if sched.count is not None and sched.runs >= sched.count:
            sched.status = "filled"

    def advance(self, now: datetime) -> list[OrderState]:
        """Run every scheduled order whose time has come, up to ``now``."""
        self._tick(now)
        changed: list[OrderState] = []
        for sched in list(self._schedules.values()):
            fired = False
            while sched.status == "open" and sched.next_at <= now:
                fired = True
                run_at = sched.next_at
                # a quote-amount schedule spends its amount at this run's price
                symbol = sched.request.symbol
                child_req = size_run(
                    sched.request,
                    run_id(sched.request.client_order_id, sched.runs + 1),
                    self.quote(symbol) if symbol in self.catalog.specs else None,
                    self.spec(symbol).rules if symbol in self.catalog.specs else None,
                )
                try:
                    child = self._place_one(child_req, run_at)
                except (InsufficientFunds, OrderRejected) as exc:
                    child = self._new_order(child_req, run_at)
                    child.status = "rejected"
                    child.reason = exc.message
                    self._commit(child)
                self._record_run(sched, child, run_at)
                changed.append(child.state())
            if fired:
                changed.append(self._schedule_state(sched))
        return changed

    def _schedule_state(self, sched: _Schedule) -> OrderState:
        children = [self._orders[c] for c in sched.child_ids]
        filled = sum((c.filled for c in children), ZERO)
        cost = sum((c.cost for c in children), ZERO)
        per_run = sched.request.quantity
        total = per_run * sched.count if sched.count is not None else per_run * max(sched.runs, 1)
        reasons = [c.reason for c in children if c.reason]
        return OrderState(
            order_id=sched.schedule_id,
            client_order_id=sched.request.client_order_id,
            symbol=sched.request.symbol,
            side=sched.request.side,
            order_type=sched.request.order_type,
            status=sched.status,
            quantity=total,
            filled=filled,
            limit_price=sched.request.limit_price,
            average_price=(cost / filled) if filled else None,
            cost=cost,
            fills=tuple(f for c in children for f in c.fills),
            reason="; ".join(reasons) or None,
            created_at=sched.created_at,
            updated_at=sched.updated_at,
        )

    # ------------------------------------------------------------------ saving
    def dumps(self) -> str:
        """The whole state as JSON (amounts as exact strings)."""
        state = _State(
            account_id=self.account_id,
            balances={a: (w.free, w.locked) for a, w in self._wallets.items()},
            prices=dict(self._prices),
            orders=list(self._orders.values()),
            schedules=list(self._schedules.values()),
            next_order=self._next_order,
            next_trade=self._next_trade,
            now=self.now,
        )
        return state.model_dump_json()

    @classmethod
    def loads(
        cls, catalog: MarketCatalog, text: str, settings: PaperSettings | None = None
    ) -> PaperEngine:
        state = _State.model_validate(json.loads(text))
        engine = cls(catalog=catalog, now=state.now, settings=settings or PaperSettings())
        engine.account_id = state.account_id
        engine._wallets = {a: _Wallet(free=f, locked=lk) for a, (f, lk) in state.balances.items()}
        engine._prices.update({s: p for s, p in state.prices.items() if s in catalog.specs})
        engine._orders = {o.order_id: o for o in state.orders}
        engine._by_client = {o.client_order_id: o.order_id for o in state.orders}
        engine._schedules = {s.schedule_id: s for s in state.schedules}
        engine._next_order = state.next_order
        engine._next_trade = state.next_trade
        return engine

    def total_balances(self) -> dict[str, Decimal]:
        return {a: w.free + w.locked for a, w in self._wallets.items()}


def engine_from(
    catalog: MarketCatalog,
    account: AccountSnapshot,
    settings: PaperSettings | None = None,
    prices: Iterable[tuple[str, Decimal]] = (),
) -> PaperEngine:
    """A paper engine holding the free balances of ``account`` (e.g. the demo account)."""
    engine = PaperEngine.with_balances(
        catalog,
        {a: b.free for a, b in account.balances.items()},
        account.taken_at,
        settings,
        account_id=account.account_id,
    )
    engine.set_prices(dict(prices), account.taken_at)
    return engine
