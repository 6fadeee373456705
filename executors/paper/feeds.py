"""Price feeds for the paper engine and the local exchange.

- :class:`SimulatedFeed`: seeded geometric Brownian motion from the catalogue's
  start prices and annual volatilities. Assets quoted in USDT move on their own;
  the other markets (ETH/BTC, BTC/USDC) are derived from those, so cross rates
  stay consistent. Only integers come out of the random generator; all the
  arithmetic is ``Decimal``. The same seed gives the same prices.
- :class:`ReplayFeed`: candles from Binance kline CSV dumps (``open_time, open,
  high, low, close, volume, close_time, ...``), four ticks per candle (open, the
  nearer extreme, the other extreme, close) so triggers inside a candle fire.
- :class:`LiveTickerFeed`: public tickers through ccxt, when online (no keys).

Every feed answers :meth:`PriceFeed.ticks_until`: the ticks due up to ``now``.
"""

from __future__ import annotations

import csv
import heapq
import io
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext
from typing import Any, Protocol

from executors.catalog import MarketCatalog
from foundation.errors import ExchangeUnavailable, InputError

SECONDS_PER_YEAR = Decimal(365 * 24 * 3600)
_TWO_32 = Decimal(2**32)
_CALC = Context(prec=34)


@dataclass(frozen=True)
class PriceTick:
    """Last prices of some markets at one moment."""

    time: datetime
    prices: Mapping[str, Decimal]


class PriceFeed(Protocol):
    async def ticks_until(self, now: datetime) -> list[PriceTick]:
        """Every tick due at or before ``now`` not given out yet, oldest first."""
        ...


def _to_tick(price: Decimal, tick: Decimal) -> Decimal:
    return max((price / tick).to_integral_value(rounding=ROUND_HALF_EVEN) * tick, tick)


class SimulatedFeed:
    """Deterministic simulated prices for the catalogue's markets, one tick per interval."""

    def __init__(
        self,
        catalog: MarketCatalog,
        *,
        seed: int,
        start: datetime,
        interval: timedelta = timedelta(seconds=1),
        anchor: str = "USDT",
        prices: Mapping[str, Decimal] | None = None,
    ) -> None:
        """``prices`` continues from where an earlier run left off (default: start prices)."""
        if interval <= timedelta(0):
            raise ValueError("the feed's interval must be positive")
        self.catalog = catalog
        self.interval = interval
        self._rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
        self._time = start
        self._next = start + interval
        specs = catalog.specs
        # assets with a market against the anchor move on their own ...
        self._drivers: dict[str, tuple[str, Decimal, Decimal]] = {}
        for symbol, spec in specs.items():
            if spec.rules.quote == anchor:
                self._drivers[symbol] = (spec.rules.base, spec.start_price, spec.volatility)
        anchored = {
            spec.rules.base: symbol for symbol, spec in specs.items() if symbol in self._drivers
        }
        # ... the others follow from two of those, or move alone when they cannot
        self._derived: dict[str, tuple[str, str | None]] = {}
        for symbol, spec in specs.items():
            if symbol in self._drivers:
                continue
            base, quote = spec.rules.base, spec.rules.quote
            if base in anchored and quote in anchored:
                self._derived[symbol] = (anchored[base], anchored[quote])
            elif base in anchored and quote == anchor:  # pragma: no cover - covered by drivers
                self._derived[symbol] = (anchored[base], None)
            else:
                self._drivers[symbol] = (base, spec.start_price, spec.volatility)
        given = prices or {}
        self._raw: dict[str, Decimal] = {s: given.get(s, d[1]) for s, d in self._drivers.items()}
        dt = Decimal(str(interval.total_seconds())) / SECONDS_PER_YEAR
        with localcontext(_CALC):
            self._sqrt_dt = dt.sqrt()
            self._dt = dt

    @property
    def time(self) -> datetime:
        return self._time

    def _normal(self) -> Decimal:
        # Irwin-Hall: the sum of twelve uniforms, minus six, is close to N(0, 1),
        # and stays in Decimal from integers, whatever the platform
        total = sum((Decimal(self._rng.getrandbits(32)) for _ in range(12)), Decimal(0))
        return total / _TWO_32 - 6

    def prices(self) -> dict[str, Decimal]:
        """Current prices of every market, on each market's tick."""
        specs = self.catalog.specs
        result = {s: _to_tick(p, specs[s].rules.tick_size) for s, p in self._raw.items()}
        with localcontext(_CALC):
            for symbol, (num, den) in self._derived.items():
                raw = self._raw[num] / self._raw[den] if den else self._raw[num]
                result[symbol] = _to_tick(raw, specs[symbol].rules.tick_size)
        return result

    def step(self) -> PriceTick:
        """Move every price one interval."""
        with localcontext(_CALC):
            for symbol, (_base, _start, vol) in self._drivers.items():
                z = self._normal()
                drift = -(vol * vol) * self._dt / 2
                self._raw[symbol] = self._raw[symbol] * (vol * self._sqrt_dt * z + drift).exp()
        self._time = self._next
        self._next = self._next + self.interval
        return PriceTick(time=self._time, prices=self.prices())

    def take_until(self, now: datetime) -> list[PriceTick]:
        ticks: list[PriceTick] = []
        while self._next <= now:
            ticks.append(self.step())
        return ticks

    async def ticks_until(self, now: datetime) -> list[PriceTick]:
        return self.take_until(now)


# --------------------------------------------------------------------------- replay
_KLINE_MIN_COLUMNS = 6


@dataclass(frozen=True)
class Candle:
    open_time: datetime
    close_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


def _time_of(raw: str) -> datetime:
    value = int(raw)
    # Binance's spot dumps switched to microseconds in 2025; earlier ones are in ms
    seconds = Decimal(value) / (Decimal(1_000_000) if value >= 10**14 else Decimal(1000))
    return (
        datetime.fromtimestamp(0, UTC)
        + timedelta(seconds=int(seconds))
        + timedelta(microseconds=int((seconds % 1) * 1_000_000))
    )


def parse_klines(text: str, *, source: str) -> list[Candle]:
    """Candles from a Binance kline CSV (with or without a header row)."""
    candles: list[Candle] = []
    reader = csv.reader(io.StringIO(text))
    for line, row in enumerate(reader, 1):
        if not row or not "".join(row).strip():
            continue
        if line == 1 and not row[0].strip().isdigit():
            continue  # header
        if len(row) < _KLINE_MIN_COLUMNS:
            raise InputError(
                f"{source}, line {line}: expected at least 6 columns "
                "(open_time, open, high, low, close, volume), got {len(row)}",
                hint="use a Binance kline CSV dump",
            )
        try:
            opened = _time_of(row[0].strip())
            o, h, lo, c = (Decimal(v.strip()) for v in row[1:5])
            closed = _time_of(row[6].strip()) if len(row) > 6 and row[6].strip() else None
        except (InvalidOperation, ValueError, OverflowError):
            raise InputError(
                f"{source}, line {line}: not a number in {row[:7]}",
                hint="times are integers (ms or µs); prices are decimal numbers",
            ) from None
        if min(o, h, lo, c) <= 0 or h < max(o, c, lo) or lo > min(o, c):
            raise InputError(
                f"{source}, line {line}: impossible candle open={o} high={h} low={lo} close={c}",
                hint="high must be the highest and low the lowest price, all positive",
            )
        if candles and opened <= candles[-1].open_time:
            raise InputError(
                f"{source}, line {line}: candles are not in time order",
                hint="sort the file by open_time",
            )
        candles.append(Candle(opened, closed or opened, o, h, lo, c))
    # a dump without close_time: a candle closes just before the next one opens
    fixed: list[Candle] = []
    for i, candle in enumerate(candles):
        if candle.close_time <= candle.open_time:
            later = candles[i + 1].open_time if i + 1 < len(candles) else None
            step = (later - candle.open_time) if later else timedelta(minutes=1)
            candle = Candle(
                candle.open_time,
                candle.open_time + step - timedelta(milliseconds=1),
                candle.open,
                candle.high,
                candle.low,
                candle.close,
            )
        fixed.append(candle)
    if not fixed:
        raise InputError(f"{source}: no candles", hint="the file has no data rows")
    return fixed


def candle_ticks(candle: Candle) -> list[tuple[datetime, Decimal]]:
    """Open, the nearer extreme, the other extreme, close: the path a candle most likely took."""
    span = candle.close_time - candle.open_time
    first, second = (
        (candle.low, candle.high) if candle.close >= candle.open else (candle.high, candle.low)
    )
    return [
        (candle.open_time, candle.open),
        (candle.open_time + span / 3, first),
        (candle.open_time + span * 2 / 3, second),
        (candle.close_time, candle.close),
    ]


class ReplayFeed:
    """Replays candles of one or more markets; finished when every file is used up."""

    def __init__(
        self, candles: Mapping[str, Sequence[Candle]], *, start_at: datetime | None = None
    ) -> None:
        if not candles:
            raise ValueError("a replay needs at least one market")
        first = min(c[0].open_time for c in candles.values() if c)
        shift = (start_at - first) if start_at is not None else timedelta(0)
        streams = [
            [(t + shift, symbol, price) for c in series for t, price in candle_ticks(c)]
            for symbol, series in candles.items()
        ]
        self._ticks: Iterator[tuple[datetime, str, Decimal]] = heapq.merge(
            *streams, key=lambda item: item[0]
        )
        self._pending: tuple[datetime, str, Decimal] | None = next(self._ticks, None)
        self.start = first + shift

    @classmethod
    def from_csv(cls, files: Mapping[str, str], *, start_at: datetime | None = None) -> ReplayFeed:
        """``files`` maps a symbol (``BTC/USDT``) to the CSV text of its candles."""
        return cls(
            {symbol: parse_klines(text, source=symbol) for symbol, text in files.items()},
            start_at=start_at,
        )

    @property
    def finished(self) -> bool:
        return self._pending is None

    def take_until(self, now: datetime) -> list[PriceTick]:
        ticks: list[PriceTick] = []
        while self._pending is not None and self._pending[0] <= now:
            when, symbol, price = self._pending
            if ticks and ticks[-1].time == when:
                merged = dict(ticks[-1].prices)
                merged[symbol] = price
                ticks[-1] = PriceTick(time=when, prices=merged)
            else:
                ticks.append(PriceTick(time=when, prices={symbol: price}))
            self._pending = next(self._ticks, None)
        return ticks

    async def ticks_until(self, now: datetime) -> list[PriceTick]:
        return self.take_until(now)


# --------------------------------------------------------------------------- live
LIVE_CCXT_IDS = ("binance", "bybit", "okx", "hashkey")


def public_exchange(venue: str, *, url: str | None = None, timeout_ms: int = 10_000) -> Any:
    """An async ccxt exchange for public market data only: no keys are ever given to it.

    ``venue`` is a ccxt id (its real public endpoints, through HTTPS_PROXY when set),
    or ``"local"``: the local exchange at ``url``, on 127.0.0.1 only. The caller
    closes it (``await exchange.close()``).
    """
    import ccxt.async_support as ccxt

    from executors.venues import check_url_is_local

    local = venue == "local"
    if not local and venue not in LIVE_CCXT_IDS:
        raise ValueError(f"no public tickers from {venue!r}")
    config: dict[str, Any] = {
        "enableRateLimit": not local,
        "timeout": timeout_ms,
        "options": {"defaultType": "spot", "fetchMarkets": {"types": ["spot"]}},
    }
    if local:
        if url is None:
            raise ValueError("the local exchange needs its URL")
        check_url_is_local(url)
    else:
        config["aiohttp_trust_env"] = True
    exchange = getattr(ccxt, "binance" if local else venue)(config)
    exchange.has = {**exchange.has, "fetchCurrencies": False}
    if local:
        assert url is not None
        base = url.rstrip("/")
        # as the executor does: the sandbox URLs are the local exchange's, and nothing else
        exchange.urls["test"] = {
            "public": f"{base}/api/v3",
            "private": f"{base}/api/v3",
            "v1": f"{base}/api/v1",
        }
        exchange.set_sandbox_mode(True)
        exchange.timeout_on_exit = 0
    exchange.number = str
    return exchange


class LiveTickerFeed:
    """Public last prices through ccxt (no keys, read only); one tick per call.

    ``exchange`` is an async ccxt exchange the caller built and closes (e.g.
    :func:`public_exchange`). Prices are read as strings from the unified ticker,
    never as floats. A venue that cannot be reached, or answers something that is
    not a price, is an :class:`ExchangeUnavailable` naming what went wrong; a market
    the venue has no ticker for is left out of the tick.
    """

    def __init__(self, exchange: Any, symbols: Sequence[str]) -> None:
        self._exchange = exchange
        self.symbols = list(symbols)

    async def ticks_until(self, now: datetime) -> list[PriceTick]:
        import ccxt.async_support as ccxt_async

        venue = getattr(self._exchange, "id", "the venue")
        try:
            tickers = await self._exchange.fetch_tickers(self.symbols)
        except ccxt_async.BaseError as exc:
            raise ExchangeUnavailable(
                f"cannot fetch live prices from {venue}: {type(exc).__name__}",
                hint="check the network, or use the simulated feed (no network needed)",
            ) from exc
        except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
            # ccxt parses what it is given: an answer in the wrong shape breaks it
            raise ExchangeUnavailable(
                f"{venue} answered something that is not a ticker ({type(exc).__name__})",
                hint="the venue may be in maintenance; try again later",
            ) from exc
        if not isinstance(tickers, Mapping):
            raise ExchangeUnavailable(f"{venue} answered something that is not a list of tickers")
        prices: dict[str, Decimal] = {}
        for symbol in self.symbols:
            ticker = tickers.get(symbol)
            last = ticker.get("last") if isinstance(ticker, Mapping) else None
            if last is None:
                continue
            try:
                price = Decimal(str(last))
            except InvalidOperation:
                price = Decimal("NaN")
            if not price.is_finite() or price <= 0:
                raise ExchangeUnavailable(
                    f"{venue} gave {symbol} a last price of {str(last)[:40]!r}, which is not "
                    "a price",
                    hint="the venue may be in maintenance; try again later",
                )
            prices[symbol] = price
        return [PriceTick(time=now, prices=prices)] if prices else []
