"""The market catalogue (``configs/markets.toml``) and the demo paper account.

Shared by the paper engine, the local exchange, the simulated price feed and
``signoff check`` without an account file. Bad files give a :class:`ConfigError`
naming the file, the market and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from foundation.errors import ConfigError
from foundation.files import parse_toml
from foundation.files import read_text as _read
from foundation.paths import shipped_config
from intent.market import AccountSnapshot, Balance, MarketData, MarketRules, Quote

_MARKET_KEYS = {
    "symbol",
    "tick_size",
    "step_size",
    "min_qty",
    "max_qty",
    "min_notional",
    "max_notional",
    "start_price",
    "volatility",
    "spread_bps",
}
_REQUIRED = {"symbol", "tick_size", "step_size", "start_price"}
_BPS = Decimal(10_000)


@dataclass(frozen=True)
class MarketSpec:
    """A market's rules plus what the simulated feed needs to price it."""

    rules: MarketRules
    start_price: Decimal
    volatility: Decimal
    spread_bps: Decimal

    def quote_at(self, price: Decimal, when: datetime) -> Quote:
        """A quote around ``price`` with this market's spread, on its tick."""
        half = price * self.spread_bps / _BPS / 2
        tick = self.rules.tick_size
        bid = ((price - half) / tick).to_integral_value(rounding="ROUND_FLOOR") * tick
        ask = ((price + half) / tick).to_integral_value(rounding="ROUND_CEILING") * tick
        last = (price / tick).to_integral_value(rounding="ROUND_HALF_EVEN") * tick
        bid = max(bid, tick)
        return Quote(
            symbol=self.rules.symbol, bid=bid, ask=max(ask, bid), last=max(last, tick), time=when
        )


@dataclass(frozen=True)
class MarketCatalog:
    specs: dict[str, MarketSpec]
    source: str

    @property
    def assets(self) -> set[str]:
        return {a for s in self.specs.values() for a in (s.rules.base, s.rules.quote)}

    def market_data(self, prices: dict[str, Decimal], when: datetime) -> MarketData:
        """Rules of every market and quotes at the given prices (symbols without a price: none)."""
        return MarketData(
            rules={sym: spec.rules for sym, spec in self.specs.items()},
            quotes={
                sym: spec.quote_at(prices[sym], when)
                for sym, spec in self.specs.items()
                if sym in prices
            },
        )

    def start_market_data(self, when: datetime) -> MarketData:
        """Rules and quotes at each market's start price: the simulated feed's first tick."""
        return self.market_data({s: m.start_price for s, m in self.specs.items()}, when)


def _decimal(value: Any, *, source: str, where: str, key: str) -> Decimal:
    if isinstance(value, float):
        raise ConfigError(
            f"'{key}' is written as a float ({value}); write it as a string, e.g. \"{value}\"",
            source=source,
            location=where,
            hint="money and sizes are read as exact decimals; quote the number",
        )
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ConfigError(
            f"'{key}' is not a number: {value!r}", source=source, location=where
        ) from None
    if not number.is_finite() or number < 0:
        raise ConfigError(
            f"'{key}' must be a non-negative number, got {value!r}", source=source, location=where
        )
    return number


def parse_market_catalog(text: str, *, source: str) -> MarketCatalog:
    data = parse_toml(text, source, exact=False)
    unknown = set(data) - {"market"}
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s): {', '.join(sorted(unknown))}",
            source=source,
            hint="the file holds only [[market]] tables",
        )
    markets = data.get("market")
    if not isinstance(markets, list) or not markets:
        raise ConfigError("no [[market]] entries", source=source)
    specs: dict[str, MarketSpec] = {}
    for index, entry in enumerate(markets, 1):
        where = f"market #{index}"
        if not isinstance(entry, dict):
            raise ConfigError("each [[market]] must be a table", source=source, location=where)
        symbol = entry.get("symbol")
        if isinstance(symbol, str):
            where = f"market {symbol}"
        bad = set(entry) - _MARKET_KEYS
        if bad:
            raise ConfigError(
                f"unknown key(s): {', '.join(sorted(bad))}",
                source=source,
                location=where,
                hint=f"known keys: {', '.join(sorted(_MARKET_KEYS))}",
            )
        missing = _REQUIRED - set(entry)
        if missing:
            raise ConfigError(
                f"missing key(s): {', '.join(sorted(missing))}", source=source, location=where
            )
        if not isinstance(symbol, str) or symbol.count("/") != 1:
            raise ConfigError(
                f"'symbol' must look like BTC/USDT, got {symbol!r}", source=source, location=where
            )
        if symbol in specs:
            raise ConfigError("listed twice", source=source, location=where)
        base, quote = symbol.split("/")
        nums = {
            k: _decimal(v, source=source, where=where, key=k)
            for k, v in entry.items()
            if k != "symbol"
        }
        try:
            rules = MarketRules(
                symbol=symbol,
                base=base,
                quote=quote,
                tick_size=nums["tick_size"],
                step_size=nums["step_size"],
                min_qty=nums.get("min_qty", Decimal(0)),
                max_qty=nums.get("max_qty"),
                min_notional=nums.get("min_notional", Decimal(0)),
                max_notional=nums.get("max_notional"),
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(p) for p in first["loc"]) or "rules"
            raise ConfigError(f"'{key}': {first['msg']}", source=source, location=where) from None
        if nums["start_price"] <= 0:
            raise ConfigError("'start_price' must be positive", source=source, location=where)
        specs[symbol] = MarketSpec(
            rules=rules,
            start_price=nums["start_price"],
            volatility=nums.get("volatility", Decimal("0.6")),
            spread_bps=nums.get("spread_bps", Decimal("2")),
        )
    return MarketCatalog(specs=specs, source=source)


def load_market_catalog(path: str | None = None) -> MarketCatalog:
    """The market catalogue from ``path``, or the shipped ``configs/markets.toml``."""
    source = path or shipped_config("markets.toml")
    return parse_market_catalog(_read(source), source=source)


def parse_demo_account(text: str, *, source: str, when: datetime) -> AccountSnapshot:
    data = parse_toml(text, source, exact=False)
    unknown = set(data) - {"account_id", "reporting_currency", "balances"}
    if unknown:
        raise ConfigError(f"unknown key(s): {', '.join(sorted(unknown))}", source=source)
    balances_raw = data.get("balances")
    if not isinstance(balances_raw, dict):
        raise ConfigError("missing [balances] table", source=source)
    amounts = {
        asset: _decimal(v, source=source, where="balances", key=asset)
        for asset, v in balances_raw.items()
    }
    try:
        balances: dict[str, Balance] = {}
        for asset, free in amounts.items():
            try:
                balances[asset] = Balance(asset=asset, free=free)
            except ValidationError as exc:
                message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ConfigError(
                    f"balances.{asset}: {message}",
                    source=source,
                    hint='name each balance by its ticker, e.g. BTC = "0.5"',
                ) from None
        return AccountSnapshot(
            account_id=str(data.get("account_id", "paper-demo")),
            venue="paper",
            balances=balances,
            reporting_currency=str(data.get("reporting_currency", "USDT")),
            taken_at=when,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"{'.'.join(map(str, first['loc']))}: {first['msg']}", source=source
        ) from None


def load_demo_account(when: datetime, path: str | None = None) -> AccountSnapshot:
    """The demo paper account from ``path``, or the shipped ``configs/demo-account.toml``."""
    source = path or shipped_config("demo-account.toml")
    return parse_demo_account(_read(source), source=source, when=when)
