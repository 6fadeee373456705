"""The pieces an interactive or live session runs on: its clock and its candle feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from executors.paper.feeds import candle_ticks
from executors.paper.replay import CandleSeries, SeriesFeed
from signoff.paper.realtime import ScaledClock

T0 = datetime(2026, 3, 2, tzinfo=UTC)
MINUTE_MS = 60_000


def series(symbol: str, closes: list[float]) -> CandleSeries:
    start = int(T0.timestamp() * 1000)
    opens = [closes[0], *closes[:-1]]
    return CandleSeries.from_columns(
        symbol,
        [start + i * MINUTE_MS for i in range(len(closes))],
        opens,
        [max(o, c) + 1 for o, c in zip(opens, closes, strict=True)],
        [min(o, c) - 1 for o, c in zip(opens, closes, strict=True)],
        closes,
    )


CANDLES = {
    "BTC/USDT": series("BTC/USDT", [100.0 + i for i in range(12)]),
    "ETH/USDT": series("ETH/USDT", [50.0 - i for i in range(12)]),
}


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(min_value=0, max_value=11),
    steps=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=30),
)
def test_the_feed_gives_every_tick_once_in_order_and_none_early(
    first: int, steps: list[int]
) -> None:
    """However the clock moves, the ticks given out are exactly the candles' ticks up to
    now, from the first candle on: none twice, none skipped, none from the future."""
    feed = SeriesFeed(CANDLES, first)
    expected = [
        (when, {s: candle_ticks(c.candle(i))[point][1] for s, c in CANDLES.items()})
        for i in range(first, 12)
        for point, (when, _) in enumerate(candle_ticks(CANDLES["BTC/USDT"].candle(i)))
    ]
    now = T0
    given_out: list[tuple[datetime, dict[str, object]]] = []
    for seconds in steps:
        now += timedelta(seconds=seconds)
        ticks = feed.take_until(now)
        assert all(tick.time <= now for tick in ticks)
        given_out += [(tick.time, dict(tick.prices)) for tick in ticks]
        assert given_out == [item for item in expected if item[0] <= now]


@given(
    speed=st.integers(min_value=1, max_value=3600),
    moves=st.lists(st.floats(min_value=0, max_value=1e4), max_size=20),
)
def test_the_session_clock_never_goes_back_nor_past_its_end(speed: int, moves: list[float]) -> None:
    wall = [0.0]
    end = T0 + timedelta(hours=6)
    clock = ScaledClock(T0, speed=speed, end=end, wall=lambda: wall[0])
    seen = [clock.now()]
    for move in moves:
        wall[0] += move
        seen.append(clock.now())
    assert seen[0] == T0
    assert seen == sorted(seen)
    assert all(T0 <= when <= end for when in seen)
    assert clock.finished == (seen[-1] == end)
