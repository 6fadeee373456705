"""Valuing an amount of one asset in another through the quotes at hand.

Shared by resolution (an order's notional in the account's reporting currency)
and the policy (a portfolio's value, a position's value). Prices are the mid of
bid and ask; an amount is converted through a direct market, an inverse market,
or one intermediate asset, in that order of preference. ``None`` means the
quotes do not connect the two assets: callers fail closed on it.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from intent.market import MarketData

ONE = Decimal(1)
ZERO = Decimal(0)


def round_down(value: Decimal, step: Decimal) -> Decimal:
    """``value`` rounded down to a multiple of ``step`` (both positive)."""
    units = (value / step).to_integral_value(rounding=ROUND_FLOOR)
    return units * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


def price_in(asset: str, currency: str, market: MarketData) -> Decimal | None:
    """The price of one unit of ``asset`` in ``currency`` (mid), or ``None`` if unknown."""
    if asset == currency:
        return ONE
    direct = _direct(asset, currency, market)
    if direct is not None:
        return direct
    # one hop through any asset quoted against both; sorted for a stable answer
    for symbol in sorted(market.quotes):
        base, _, quote = symbol.partition("/")
        if base == asset and quote != currency:
            onward = _direct(quote, currency, market)
            if onward is not None:
                return market.quotes[symbol].mid * onward
        elif quote == asset and base != currency:
            onward = _direct(base, currency, market)
            if onward is not None:
                return onward / market.quotes[symbol].mid
    return None


def _direct(asset: str, currency: str, market: MarketData) -> Decimal | None:
    quote = market.quote(asset, currency)
    if quote is not None:
        return quote.mid
    inverse = market.quote(currency, asset)
    if inverse is not None:
        return ONE / inverse.mid
    return None


def value_in(amount: Decimal, asset: str, currency: str, market: MarketData) -> Decimal | None:
    """``amount`` of ``asset`` expressed in ``currency``, or ``None`` if it cannot be priced."""
    if asset == currency:
        return amount
    price = price_in(asset, currency, market)
    return None if price is None else amount * price
