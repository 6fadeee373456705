from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from executors.catalog import load_demo_account, load_market_catalog, parse_market_catalog
from foundation.errors import ConfigError

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def test_shipped_catalogue_loads_with_exact_rules() -> None:
    catalog = load_market_catalog()
    btc = catalog.specs["BTC/USDT"]
    assert btc.rules.step_size == Decimal("0.00001")
    assert btc.rules.min_notional == Decimal("5")
    data = catalog.start_market_data(NOW)
    quote = data.quotes["BTC/USDT"]
    assert quote.bid < quote.ask
    assert quote.bid <= btc.start_price <= quote.ask
    assert {"BTC", "ETH", "USDT", "USDC"} <= catalog.assets


def test_every_start_quote_is_on_tick() -> None:
    catalog = load_market_catalog()
    for symbol, quote in catalog.start_market_data(NOW).quotes.items():
        tick = catalog.specs[symbol].rules.tick_size
        for price in (quote.bid, quote.ask, quote.last):
            assert price % tick == 0, (symbol, price)


def test_demo_account_balances_are_decimals() -> None:
    account = load_demo_account(NOW)
    assert account.free("BTC") == Decimal("0.5")
    assert account.free("NOPE") == 0
    assert account.venue == "paper"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[[market]]\nsymbol='BTC/USDT'\ntick_size=0.01\nstep_size='1'\nstart_price='1'", "float"),
        (
            "[[market]]\nsymbol='BTCUSDT'\ntick_size='0.01'\nstep_size='1'\nstart_price='1'",
            "BTC/USDT",
        ),
        ("[[market]]\nsymbol='BTC/USDT'\ntick_size='0.01'\nstart_price='1'", "step_size"),
        (
            "[[market]]\nsymbol='BTC/USDT'\ntick_size='0.01'\nstep_size='1'\nstart_price='1'\n"
            "colour='red'",
            "colour",
        ),
        (
            "[[market]]\nsymbol='BTC/USDT'\ntick_size='-1'\nstep_size='1'\nstart_price='1'",
            "tick_size",
        ),
        ("market = 3", "market"),
        ("[[market]\n", "TOML"),
    ],
)
def test_bad_catalogue_names_the_problem(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_market_catalog(text, source="markets.toml")
    assert "markets.toml" in str(info.value)
    assert needle in str(info.value)
