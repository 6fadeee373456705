"""Helpers for the policy tests: small policies from text, quotes (flat for exact values,
or realistic with bid != ask != last), exact orders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from executors.catalog import load_market_catalog
from intent.market import AccountSnapshot, Balance, MarketData, OpenOrder, Quote
from intent.plan import Schedule, Side, Trigger
from intent.resolve import order_as_given
from intent.resolved import ResolvedOrder, ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision
from policy.engine import evaluate
from policy.loader import load_policy
from policy.model import Policy

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
POLICY_TESTS = REPO / "configs" / "policy-tests"


def header(
    *,
    default: str = "allow",
    state: str = "ACTIVE",
    approvers: str = '["risk-desk"]',
    currency: str = "USDT",
) -> str:
    return f"""
[policy]
id = "test"
version = "1"
owner = "compliance"
currency = "{currency}"
default_decision = "{default}"
trading_state = "{state}"

[approvals]
valid_for = "10m"
max_price_drift_percent = "1"
second_approvers = {approvers}
"""


def policy_from(rules: str = "", **settings: str) -> Policy:
    return load_policy(header(**settings) + rules, "test-policy.toml")


@cache
def default_policy() -> Policy:
    path = REPO / "configs" / "policy.toml"
    return load_policy(path.read_text(encoding="utf-8"), str(path))


@cache
def _catalog_rules() -> MarketData:
    return load_market_catalog().start_market_data(NOW)


def flat_market(prices: dict[str, str] | None = None, *, start: bool = False) -> MarketData:
    """Catalogue rules; quotes with bid = ask = last = the price given (exact values).

    ``start``: keep the simulated start quotes for the markets not given.
    """
    base = _catalog_rules()
    quotes = dict(base.quotes) if start else {}
    for symbol, price in (prices or {}).items():
        value = Decimal(price)
        quotes[symbol] = Quote(symbol=symbol, bid=value, ask=value, last=value, time=NOW)
    return MarketData(rules=base.rules, quotes=quotes)


def quoted_market(quotes: dict[str, tuple[str, str, str]], *, start: bool = False) -> MarketData:
    """Catalogue rules; quotes as markets have them: ``symbol -> (bid, ask, last)``, with
    the bid under the ask and the last trade anywhere (often neither)."""
    base = _catalog_rules()
    out = dict(base.quotes) if start else {}
    for symbol, (bid, ask, last) in quotes.items():
        out[symbol] = Quote(
            symbol=symbol, bid=Decimal(bid), ask=Decimal(ask), last=Decimal(last), time=NOW
        )
    return MarketData(rules=base.rules, quotes=out)


def spread_market(prices: dict[str, str], *, spread_bps: int = 20, last_bps: int = 7) -> MarketData:
    """Realistic quotes around each mid price: bid and ask ``spread_bps`` apart, the last
    trade ``last_bps`` above the mid (so bid != ask != last != mid)."""
    quotes = {}
    for symbol, price in prices.items():
        mid = Decimal(price)
        half = mid * spread_bps / 20000
        last = mid + mid * last_bps / 10000
        quotes[symbol] = (str(mid - half), str(mid + half), str(last))
    return quoted_market(quotes)


def account(
    balances: dict[str, str] | None = None,
    *,
    open_orders: Sequence[OpenOrder] = (),
    account_id: str = "test-account",
) -> AccountSnapshot:
    return AccountSnapshot(
        account_id=account_id,
        venue="paper",
        balances={
            asset: Balance(asset=asset, free=Decimal(amount))
            for asset, amount in (balances or {}).items()
        },
        open_orders=tuple(open_orders),
        taken_at=NOW,
    )


def order(
    symbol: str,
    side: Side,
    quantity: str | Decimal,
    *,
    acct: AccountSnapshot,
    market: MarketData,
    limit: str | None = None,
    trigger: Trigger | None = None,
    schedule: Schedule | None = None,
    sid: str = "s1",
) -> ResolvedOrder:
    step = order_as_given(
        sid=sid,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        limit_price=Decimal(limit) if limit is not None else None,
        account=acct,
        market=market,
        trigger=trigger,
        schedule=schedule,
    )
    assert isinstance(step, ResolvedOrder), step
    return step


def decide(
    policy: Policy,
    steps: Sequence[ResolvedStep],
    *,
    acct: AccountSnapshot,
    market: MarketData,
    counters: Counters | None = None,
    now: datetime = NOW,
    plan_id: str | None = None,
    firing: bool = False,
) -> tuple[StepDecision, ...]:
    return evaluate(
        steps,
        policy=policy,
        account=acct,
        market=market,
        counters=counters or Counters(),
        now=now,
        plan_id=plan_id,
        firing=firing,
    )


def rules_of(decision: StepDecision) -> set[str]:
    return {reason.rule for reason in decision.reasons}
