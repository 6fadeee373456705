"""The paper engine behind the executor protocol, moved along by a price feed and a clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from datetime import datetime

from executors.base import Fill, OrderRequest, OrderState
from executors.paper.engine import PaperEngine
from executors.paper.feeds import PriceFeed
from foundation.clock import Clock
from foundation.errors import ExchangeError, SignoffError
from intent.market import AccountSnapshot, MarketRules, Quote

log = logging.getLogger("signoff.executor")


class PaperExecutor:
    """:class:`executors.base.Executor` on a :class:`PaperEngine`.

    Before every call the engine is brought up to the clock: the feed's ticks
    due by now are applied (filling resting and triggered orders) and due
    schedules run. With ``state_path`` the engine is saved after every change,
    so a restarted process finds its orders again.
    """

    def __init__(
        self,
        engine: PaperEngine,
        clock: Clock,
        feed: PriceFeed | None = None,
        *,
        state_path: str | None = None,
        venue: str = "paper",
        autosync_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self._clock = clock
        self._feed = feed
        self._state_path = state_path
        self._venue = venue
        # a long-running process keeps prices moving between requests, so that
        # triggers fire on time and a request after a long pause does not have to
        # simulate hours of ticks first
        self._autosync_seconds = autosync_seconds
        self._autosync: asyncio.Task[None] | None = None

    @property
    def venue(self) -> str:
        return self._venue

    async def start(self) -> None:
        await self.sync()
        if self._autosync_seconds:
            self._autosync = asyncio.create_task(self._keep_in_sync(self._autosync_seconds))

    async def _keep_in_sync(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.sync()
            except SignoffError as error:
                log.warning("paper engine: %s", error.message)

    async def close(self) -> None:
        if self._autosync is not None:
            self._autosync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosync
            self._autosync = None
        self._save()

    async def sync(self) -> list[OrderState]:
        """Apply the price ticks and scheduled runs due by the clock's now."""
        now = self._clock.now()
        changed: list[OrderState] = []
        if self._feed is not None:
            for tick in await self._feed.ticks_until(now):
                changed += self.engine.set_prices(tick.prices, tick.time)
        changed += self.engine.advance(now)
        if changed:
            self._save()
        return changed

    def _save(self) -> None:
        if self._state_path is None:
            return
        tmp = f"{self._state_path}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(self.engine.dumps())
            os.replace(tmp, self._state_path)
        except OSError as exc:
            raise ExchangeError(
                f"cannot save the paper account to {self._state_path}: {exc.strerror}",
                hint="check free disk space and permissions of $SIGNOFF_HOME",
            ) from exc

    async def market_rules(self) -> dict[str, MarketRules]:
        return self.engine.rules()

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        await self.sync()
        return {s: self.engine.quote(s) for s in symbols if s in self.engine.catalog.specs}

    async def account(self) -> AccountSnapshot:
        await self.sync()
        return self.engine.snapshot()

    async def submit(self, request: OrderRequest) -> OrderState:
        await self.sync()
        state = self.engine.place(request, self._clock.now())
        self._save()
        return state

    async def cancel(
        self, symbol: str, *, order_id: str | None = None, client_order_id: str | None = None
    ) -> OrderState:
        await self.sync()
        state = self.engine.cancel(
            symbol, order_id=order_id, client_order_id=client_order_id, now=self._clock.now()
        )
        self._save()
        return state

    async def lookup(self, symbol: str, client_order_id: str) -> OrderState | None:
        await self.sync()
        return self.engine.get(symbol, client_order_id=client_order_id)

    async def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        await self.sync()
        return self.engine.open_orders(symbol)

    async def fills(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        await self.sync()
        return self.engine.trades(symbol, since)
