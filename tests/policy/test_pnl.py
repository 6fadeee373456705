"""Realised P&L for the loss breaker (policy/pnl.py): average cost per asset, fees as loss."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from policy.pnl import Book, Trade, drawdown_percent, equity, realised_pnl
from tests.policy.policy_helpers import NOW, account, flat_market

D = Decimal
ZERO = D(0)

prices = st.integers(1, 100_000).map(lambda n: D(n) / 100)
quantities = st.integers(1, 10_000).map(lambda n: D(n) / 1000)
fees = st.integers(0, 500).map(lambda n: D(n) / 100)


def trade(
    symbol: str,
    side: str,
    quantity: Decimal,
    price: Decimal,
    *,
    fee: Decimal = ZERO,
    fee_asset: str | None = None,
    minutes: int = 0,
) -> Trade:
    return Trade(
        symbol=symbol,
        side=side,
        price=price,
        quantity=quantity,
        fee=fee,
        fee_asset=fee_asset,
        at=NOW + timedelta(minutes=minutes),
    )


def timed(trades: list[Trade]) -> list[Trade]:
    """The same trades, one minute apart in the order given."""
    return [t.model_copy(update={"at": NOW + timedelta(minutes=i)}) for i, t in enumerate(trades)]


round_trips = st.lists(st.tuples(quantities, prices, prices, fees, fees), min_size=1, max_size=8)


def as_trades(
    symbol: str, trips: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]
) -> list[Trade]:
    out: list[Trade] = []
    for qty, bought, sold, fee_in, fee_out in trips:
        out.append(trade(symbol, "buy", qty, bought, fee=fee_in))
        out.append(trade(symbol, "sell", qty, sold, fee=fee_out))
    return out


@given(quantities, prices)
def test_a_round_trip_at_one_price_without_fees_realises_nothing(
    qty: Decimal, price: Decimal
) -> None:
    trades = timed([trade("SOL/USDT", "buy", qty, price), trade("SOL/USDT", "sell", qty, price)])
    result = realised_pnl(trades, currency="USDT")
    assert result.pnl == ZERO
    assert result.loss == ZERO


@given(round_trips)
def test_realised_pnl_is_the_sum_over_round_trips_fees_as_loss(
    trips: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]],
) -> None:
    result = realised_pnl(timed(as_trades("SOL/USDT", trips)), currency="USDT")
    expected = sum(((s - b) * q - fi - fo for q, b, s, fi, fo in trips), start=ZERO)
    assert result.pnl == expected
    assert result.fees == sum((fi + fo for _, _, _, fi, fo in trips), start=ZERO)
    assert result.loss == max(-expected, ZERO)


@st.composite
def interleavings(draw: st.DrawFn) -> tuple[list[Trade], list[Trade], list[Trade]]:
    """Fills of SOL and of BTC, merged two ways that keep each market's own order."""
    sol = as_trades("SOL/USDT", draw(round_trips))
    btc = [
        trade("BTC/USDT", side, qty, price, fee=fee)
        for side, qty, price, fee in draw(
            st.lists(st.tuples(st.sampled_from(["buy", "sell"]), quantities, prices, fees))
        )
    ]

    def merge(picks: list[bool]) -> list[Trade]:
        a, b, out = list(sol), list(btc), []
        for take_a in picks:
            if take_a and a:
                out.append(a.pop(0))
            elif b:
                out.append(b.pop(0))
        return timed(out + a + b)

    length = len(sol) + len(btc)
    first = merge(draw(st.lists(st.booleans(), min_size=length, max_size=length)))
    second = merge(draw(st.lists(st.booleans(), min_size=length, max_size=length)))
    return sol, first, second


@given(interleavings())
def test_the_order_of_unrelated_markets_does_not_matter(
    case: tuple[list[Trade], list[Trade], list[Trade]],
) -> None:
    sol, first, second = case
    one = realised_pnl(first, currency="USDT")
    two = realised_pnl(second, currency="USDT")
    assert one.pnl == two.pnl
    assert one.fees == two.fees
    # and SOL's share is what SOL alone gives
    alone = realised_pnl(timed(sol), currency="USDT")
    only_btc = realised_pnl([t for t in first if t.symbol == "BTC/USDT"], currency="USDT")
    assert abs(one.pnl - (alone.pnl + only_btc.pnl)) <= D("1e-20")


@given(
    st.lists(st.tuples(st.sampled_from(["buy", "sell"]), quantities, prices, fees), min_size=1),
    st.integers(0, 20),
)
def test_the_window_splits_the_history_without_changing_the_cost(
    steps: list[tuple[str, Decimal, Decimal, Decimal]], cut: int
) -> None:
    trades = timed([trade("SOL/USDT", side, q, p, fee=f) for side, q, p, f in steps])
    since = NOW + timedelta(minutes=cut)
    before = realised_pnl([t for t in trades if t.at < since], currency="USDT")
    after = realised_pnl(trades, currency="USDT", since=since)
    whole = realised_pnl(trades, currency="USDT")
    assert abs(whole.pnl - (before.pnl + after.pnl)) <= D("1e-20")
    assert after.fees == sum((t.fee for t in trades if t.at >= since), start=ZERO)


@given(st.lists(st.tuples(quantities, prices, fees), min_size=1))
def test_selling_what_the_fills_never_bought_realises_only_its_fees(
    sells: list[tuple[Decimal, Decimal, Decimal]],
) -> None:
    trades = timed([trade("SOL/USDT", "sell", q, p, fee=f) for q, p, f in sells])
    result = realised_pnl(trades, currency="USDT")
    assert result.pnl == -sum((f for _, _, f in sells), start=ZERO)


def test_average_cost_over_two_buys_and_a_partial_sell() -> None:
    trades = timed(
        [
            trade("SOL/USDT", "buy", D(1), D(100)),
            trade("SOL/USDT", "buy", D(1), D(200)),  # average cost 150
            trade("SOL/USDT", "sell", D("0.5"), D(120)),  # realises (120 - 150) × 0.5 = -15
        ]
    )
    assert realised_pnl(trades, currency="USDT").pnl == D(-15)


def test_a_fee_in_the_bought_asset_is_a_loss_once() -> None:
    # the paper engine takes a buy's fee in the base asset: 0.01 SOL at 100 = 1 USDT
    trades = timed(
        [
            trade("SOL/USDT", "buy", D(1), D(100), fee=D("0.01"), fee_asset="SOL"),
            trade("SOL/USDT", "sell", D("0.99"), D(100)),
        ]
    )
    result = realised_pnl(trades, currency="USDT")
    assert result.pnl == D(-1)
    assert result.fees == D(1)


def test_cross_pairs_are_valued_at_the_market_and_unknown_ones_are_named() -> None:
    market = flat_market({"SOL/USDT": "100", "BTC/USDT": "50000", "SOL/BTC": "0.002"})
    trades = timed(
        [
            trade("SOL/USDT", "buy", D(10), D(100)),  # SOL cost 1,000
            # 10 SOL for 0.018 BTC = 900 USDT at the market: -100 realised
            trade("SOL/BTC", "sell", D(10), D("0.0018")),
            trade("DOGE/XYZ", "buy", D(1), D(1)),
        ]
    )
    result = realised_pnl(trades, currency="USDT", market=market)
    assert result.pnl == D(-100)
    assert result.unvalued == ("DOGE/XYZ",)


def test_equity_and_drawdown() -> None:
    market = flat_market({"SOL/USDT": "50"})
    acct = account({"USDT": "1000", "SOL": "10"})
    assert equity(acct, market, "USDT") == D(1500)
    assert drawdown_percent(D(2000), D(1500)) == D(25)
    assert drawdown_percent(D(2000), D(2500)) == ZERO
    assert drawdown_percent(ZERO, ZERO) == ZERO


@given(
    st.lists(st.tuples(st.sampled_from(["buy", "sell"]), quantities, prices, fees), min_size=1),
    st.integers(0, 20),
)
def test_the_executors_book_adds_fills_one_at_a_time_to_the_same_figures(
    steps: list[tuple[str, Decimal, Decimal, Decimal]], cut: int
) -> None:
    trades = timed([trade("SOL/USDT", side, q, p, fee=f) for side, q, p, f in steps])
    since = NOW + timedelta(minutes=cut)
    book = Book("USDT")
    for t in trades:
        book.add(t)
    assert book.realised(since) == realised_pnl(trades, currency="USDT", since=since)
    assert book.realised() == realised_pnl(trades, currency="USDT")


def test_a_fill_recorded_late_counts_in_its_own_window() -> None:
    book = Book("USDT")
    book.add(trade("SOL/USDT", "buy", D(1), D(100), minutes=0))
    book.add(trade("SOL/USDT", "sell", D(1), D(90), minutes=60))  # -10, an hour in
    book.add(trade("BTC/USDT", "sell", D(1), D(1), fee=D(2), minutes=-600))  # reported late
    assert book.realised(NOW + timedelta(minutes=30)).pnl == D(-10)
    assert book.realised(NOW - timedelta(days=1)).pnl == D(-12)
