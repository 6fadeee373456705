"""Event-driven replay of kline candles through the paper engine.

Replaying a year of 1-minute candles tick by tick costs a validated quote per
resting order per tick. Nothing needs to happen between two *events*, though:
an order's level crossed, a schedule due, a scripted moment. So the candles are
held as columns (numpy arrays), and for each open order the next candle whose
range reaches its level is found over the whole column at once; the engine is
only shown the candles where something can happen (the four-point path of
:func:`executors.paper.feeds.candle_ticks`) and then jumps to the next one.

The columns locate candidates with floats; every price the engine sees is the
exact ``Decimal`` of the candle's text, and the engine decides each fill with
its own exact rules, so a float near-miss can only cost a look, never a wrong
fill. A candidate is conservative: a buy limit rests until the ask is at or
below it, and the ask is never below the last price, so ``low <= limit`` is
necessary; for a sell, ``high >= limit``; a trigger fires on the last price.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from executors.base import OrderState
from executors.paper.engine import PaperEngine
from executors.paper.feeds import Candle, PriceTick, candle_ticks
from foundation.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_CSV_BYTES = 512 * 1024 * 1024
"""A kline file larger than this is refused: ten years of 1-minute candles is ~400 MB."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _as_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=int(ms))


def _exact(value: float) -> Decimal:
    # repr gives the shortest text that reads back as the same float: the CSV's own
    # text for prices written with up to 15 significant digits
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class CandleSeries:
    """One market's candles as columns: open times (ms), open, high, low, close."""

    symbol: str
    open_ms: IntArray
    close_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def __len__(self) -> int:
        return int(self.open_ms.shape[0])

    @classmethod
    def from_columns(
        cls,
        symbol: str,
        open_ms: Sequence[int] | IntArray,
        open_: Sequence[float] | FloatArray,
        high: Sequence[float] | FloatArray,
        low: Sequence[float] | FloatArray,
        close: Sequence[float] | FloatArray,
        *,
        source: str = "candles",
        interval_ms: int | None = None,
    ) -> CandleSeries:
        times = np.asarray(open_ms, dtype=np.int64)
        o, h, lo, c = (np.asarray(v, dtype=np.float64) for v in (open_, high, low, close))
        n = times.shape[0]
        if n == 0:
            raise InputError(f"{source}: no candles", hint="the file has no data rows")
        if not all(arr.shape == (n,) for arr in (o, h, lo, c)):
            raise InputError(f"{source}: the columns have different lengths")
        _check_candles(source, times, o, h, lo, c)
        if interval_ms is None:
            interval_ms = int(np.median(np.diff(times))) if n > 1 else 60_000
        closes = np.empty_like(times)
        closes[:-1] = times[1:] - 1
        closes[-1] = times[-1] + interval_ms - 1
        return cls(symbol, times, closes, o, h, lo, c)

    @classmethod
    def read_csv(cls, path: str, symbol: str) -> CandleSeries:
        """A Binance kline CSV (header optional), read as columns."""
        try:
            info = os.stat(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        if not os.path.isfile(path):
            raise InputError(f"{path}: not a regular file", hint="name a kline CSV file")
        if info.st_size > MAX_CSV_BYTES:
            raise InputError(
                f"{path}: {info.st_size:,} bytes is more than the {MAX_CSV_BYTES:,} a replay reads",
                hint="split the file by year",
            )
        with open(path, "rb") as handle:
            first = handle.readline()
        header = 1 if first and not first.strip()[:1].isdigit() else 0
        if not first.strip():
            raise InputError(f"{path}: no candles", hint="the file has no data rows")
        try:
            with warnings.catch_warnings():
                # an empty file is reported below as "no candles", not as a warning
                warnings.simplefilter("ignore", UserWarning)
                table = np.loadtxt(
                    path,
                    delimiter=",",
                    skiprows=header,
                    usecols=(0, 1, 2, 3, 4),
                    dtype=np.float64,
                    ndmin=2,
                )
        except (ValueError, IndexError) as exc:
            raise InputError(
                f"{path}: not a kline CSV ({_short(exc)})",
                hint="columns: open_time, open, high, low, close, volume[, close_time, ...]",
            ) from None
        if table.shape[0] == 0:
            raise InputError(f"{path}: no candles", hint="the file has no data rows")
        times = table[:, 0]
        if not np.all(np.isfinite(times)) or np.any(times < 0):
            raise InputError(f"{path}: open times must be non-negative integers")
        # Binance's spot dumps switched to microseconds in 2025; earlier ones are in ms
        scale = np.where(times >= 1e14, 1000.0, 1.0)
        open_ms = np.floor(times / scale).astype(np.int64)
        return cls.from_columns(
            symbol,
            open_ms,
            table[:, 1],
            table[:, 2],
            table[:, 3],
            table[:, 4],
            source=path,
        )

    def time(self, index: int) -> datetime:
        return _as_datetime(int(self.open_ms[index]))

    def candle(self, index: int) -> Candle:
        """The exact candle at ``index`` (Decimal prices, UTC times)."""
        return Candle(
            open_time=_as_datetime(int(self.open_ms[index])),
            close_time=_as_datetime(int(self.close_ms[index])),
            open=_exact(self.open[index]),
            high=_exact(self.high[index]),
            low=_exact(self.low[index]),
            close=_exact(self.close[index]),
        )

    def index_at(self, when: datetime) -> int:
        """The first candle that opens at or after ``when``."""
        ms = int((when - _EPOCH) / timedelta(milliseconds=1))
        return int(np.searchsorted(self.open_ms, ms, side="left"))

    def first_reach(self, start: int, level: Decimal, direction: str) -> int | None:
        """The first candle at or after ``start`` whose range reaches ``level``.

        ``direction`` "below": its low is at or below the level; "above": its high
        is at or above it. ``None`` when no candle left does.
        """
        if start >= len(self):
            return None
        if direction == "below":
            bound = math.nextafter(float(level), math.inf)
            hits = self.low[start:] <= bound
        else:
            bound = math.nextafter(float(level), -math.inf)
            hits = self.high[start:] >= bound
        found = int(hits.argmax())
        return start + found if hits[found] else None


class SeriesFeed:
    """Candles of one time grid given out as ticks as a clock reaches them (four per candle:
    open, the nearer extreme, the other extreme, close), from candle ``first`` on.

    For sessions that run on a clock of their own (``--interactive``) rather than
    jumping from event to event.
    """

    def __init__(self, series: Mapping[str, CandleSeries], first: int = 0) -> None:
        if not series:
            raise InputError("a replay needs at least one market's candles")
        self.series = dict(series)
        self._grid = next(iter(self.series.values()))
        self._index = first
        self._point = 0
        self._path: dict[str, list[tuple[datetime, Decimal]]] | None = None

    def _paths(self) -> dict[str, list[tuple[datetime, Decimal]]] | None:
        if self._path is None and self._index < len(self._grid):
            self._path = {
                symbol: candle_ticks(series.candle(self._index))
                for symbol, series in self.series.items()
            }
        return self._path

    def take_until(self, now: datetime) -> list[PriceTick]:
        ticks: list[PriceTick] = []
        while (paths := self._paths()) is not None:
            when = next(iter(paths.values()))[self._point][0]
            if when > now:
                break
            ticks.append(
                PriceTick(when, {symbol: path[self._point][1] for symbol, path in paths.items()})
            )
            self._point += 1
            if self._point == 4:
                self._index, self._point, self._path = self._index + 1, 0, None
        return ticks

    async def ticks_until(self, now: datetime) -> list[PriceTick]:
        return self.take_until(now)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _check_candles(
    source: str, times: IntArray, o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray
) -> None:
    def fail(index: int, what: str, hint: str) -> None:
        raise InputError(f"{source}, candle {index + 1}: {what}", hint=hint)

    finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c)
    if not finite.all():
        fail(int((~finite).argmax()), "a price is not a number", "prices are decimal numbers")
    bad = (np.minimum(np.minimum(o, h), np.minimum(lo, c)) <= 0) | (h < np.maximum(o, c))
    bad |= (h < lo) | (lo > np.minimum(o, c))
    if bad.any():
        i = int(bad.argmax())
        fail(
            i,
            f"impossible candle open={o[i]!r} high={h[i]!r} low={lo[i]!r} close={c[i]!r}",
            "high must be the highest and low the lowest price, all positive",
        )
    if times.shape[0] > 1:
        order = np.diff(times) <= 0
        if order.any():
            fail(int(order.argmax()) + 1, "candles are not in time order", "sort by open_time")


Event = tuple[datetime, Callable[[PaperEngine, datetime], None]]
"""Something to do at a moment of the replay (a scripted request): called with the engine."""


@dataclass
class ReplayResult:
    """What the replay did: every order state change, and the candles it looked at."""

    changes: list[OrderState] = field(default_factory=list)
    candles_seen: int = 0
    candles_total: int = 0
    end: datetime | None = None


class EventReplay:
    """Drives a paper engine through candles, looking only where something can happen.

    Every series must share one time grid (the same open times); the engine's
    markets are set to each series' prices. ``events`` are extra moments (scripted
    requests); at each, the engine is first brought to that candle's close.
    ``on_change`` sees every order state the engine reports, as it happens.
    """

    def __init__(
        self,
        engine: PaperEngine,
        series: Mapping[str, CandleSeries],
        *,
        events: Iterable[Event] = (),
        on_change: Callable[[OrderState], None] | None = None,
        on_candle: Callable[[int, datetime], None] | None = None,
        on_time: Callable[[datetime], None] | None = None,
        next_due: Callable[[], datetime | None] | None = None,
    ) -> None:
        if not series:
            raise InputError("a replay needs at least one market's candles")
        grids = list(series.values())
        first = grids[0]
        for other in grids[1:]:
            if len(other) != len(first) or not np.array_equal(other.open_ms, first.open_ms):
                raise InputError(
                    f"{other.symbol}: its candles are not at the same times as {first.symbol}'s",
                    hint="replay markets over the same period and interval",
                )
        for symbol in series:
            engine.spec(symbol)  # an unknown market is refused before anything runs
        self.engine = engine
        self.series = dict(series)
        self.grid = first
        self.events = sorted(events, key=lambda item: item[0])
        self.on_change = on_change
        self.on_candle = on_candle
        # the caller's clock follows the replay (on_time), and work the caller
        # schedules itself (the gate's recurring steps) is another kind of event
        self.on_time = on_time
        self.next_due = next_due
        # order id -> (candle index the search started from, next candidate index)
        self._next_hit: dict[str, int | None] = {}

    def _refresh(self, start: int) -> None:
        """Find the next candidate candle of every open order not searched yet."""
        watched = self.engine.watched_levels()
        for order_id, symbol, level, direction in watched:
            if order_id in self._next_hit:
                continue
            series = self.series.get(symbol)
            # a market without candles never moves in this replay: nothing to look for
            self._next_hit[order_id] = (
                series.first_reach(start, level, direction) if series is not None else None
            )
        alive = {order_id for order_id, *_ in watched}
        for gone in set(self._next_hit) - alive:
            del self._next_hit[gone]

    def _apply(self, index: int, result: ReplayResult) -> None:
        """Walk the engine through candle ``index`` of every market."""
        paths = {
            symbol: candle_ticks(series.candle(index)) for symbol, series in self.series.items()
        }
        for point in range(4):
            when = next(iter(paths.values()))[point][0]
            prices = {symbol: path[point][1] for symbol, path in paths.items()}
            if self.on_time:
                self.on_time(when)
            for state in self.engine.set_prices(prices, when):
                result.changes.append(state)
                if self.on_change:
                    self.on_change(state)
            for state in self.engine.advance(when):
                result.changes.append(state)
                if self.on_change:
                    self.on_change(state)
        result.candles_seen += 1

    def run(self, *, start: datetime | None = None, end: datetime | None = None) -> ReplayResult:
        grid = self.grid
        total = len(grid)
        first = grid.index_at(start) if start else 0
        last = min(grid.index_at(end), total) if end else total
        result = ReplayResult(candles_total=max(last - first, 0))
        events = [e for e in self.events if (start is None or e[0] >= start)]
        position = first
        while position < last:
            self._refresh(position)
            candidates = [i for i in self._next_hit.values() if i is not None and i < last]
            for due in (
                self.engine.next_schedule_at(),
                self.next_due() if self.next_due else None,
            ):
                if due is not None:
                    candidates.append(max(grid.index_at(due), position))
            if events:
                candidates.append(max(grid.index_at(events[0][0]), position))
            if not candidates:
                break
            index = min(candidates)
            if index >= last:
                break
            self._apply(index, result)
            when = grid.candle(index).close_time
            while events and grid.index_at(events[0][0]) <= index:
                _, action = events.pop(0)
                action(self.engine, when)
            if self.on_candle:
                self.on_candle(index, when)
            # orders touched at this candle are searched again from the next one
            for order_id, hit in list(self._next_hit.items()):
                if hit is not None and hit <= index:
                    del self._next_hit[order_id]
            position = index + 1
        # end of the replay: the account is valued at the last close
        if last > first:
            closing = grid.candle(last - 1).close_time
            self.engine.set_prices(
                {symbol: _exact(series.close[last - 1]) for symbol, series in self.series.items()},
                closing,
            )
            result.end = closing
        return result


def _on_tick(
    values: FloatArray, rounding: Callable[[FloatArray], FloatArray], tick: float, decimals: int
) -> FloatArray:
    return np.maximum(np.round(rounding(values / tick) * tick, decimals), tick)


def simulate_candles(
    start_prices: Mapping[str, Decimal],
    *,
    start: datetime,
    duration: timedelta,
    interval: timedelta,
    seed: int,
    volatility: Mapping[str, Decimal],
    drift: Decimal = Decimal(0),
    tick_sizes: Mapping[str, Decimal] | None = None,
) -> dict[str, CandleSeries]:
    """Seeded random-walk candles (geometric Brownian motion) for each market, on one grid.

    ``volatility`` and ``drift`` are annualised. The same arguments always give the
    same candles: each market draws from its own generator, seeded by ``seed`` and
    the market's position in sorted order.
    """
    steps = int(duration / interval)
    if steps < 1:
        raise InputError("a simulated session needs at least one candle: lengthen its duration")
    if steps > 10_000_000:
        raise InputError(
            f"{steps:,} candles is more than a simulation makes",
            hint="use a longer interval or a shorter duration",
        )
    years = interval.total_seconds() / (365 * 86_400)
    start_ms = int((start - _EPOCH) / timedelta(milliseconds=1))
    step_ms = int(interval / timedelta(milliseconds=1))
    times = start_ms + np.arange(steps, dtype=np.int64) * step_ms
    result: dict[str, CandleSeries] = {}
    for position, symbol in enumerate(sorted(start_prices)):
        rng = np.random.default_rng([seed, position])
        sigma = float(volatility[symbol]) * math.sqrt(years)
        mu = (float(drift) - 0.5 * float(volatility[symbol]) ** 2) * years
        moves = rng.normal(mu, sigma, steps)
        first = float(start_prices[symbol])
        close = first * np.exp(np.cumsum(moves))
        open_ = np.r_[first, close[:-1]]
        # a candle's extremes: its open and close, moved out by a share of one step's sigma
        spread = np.abs(rng.normal(0.0, sigma / 2, (2, steps)))
        high = np.maximum(open_, close) * (1 + spread[0])
        low = np.minimum(open_, close) * (1 - spread[1])
        tick = float((tick_sizes or {}).get(symbol, Decimal("0.01")))
        decimals = max(0, -Decimal(str(tick)).as_tuple().exponent)  # type: ignore[operator]

        result[symbol] = CandleSeries.from_columns(
            symbol,
            times,
            _on_tick(open_, np.round, tick, decimals),
            _on_tick(high, np.ceil, tick, decimals),
            _on_tick(low, np.floor, tick, decimals),
            _on_tick(close, np.round, tick, decimals),
            source=f"simulated {symbol}",
            interval_ms=step_ms,
        )
    return result
