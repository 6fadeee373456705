"""Step decisions per second with the default policy (configs/policy.toml).

    .venv/bin/python benchmarks/bench_policy.py [--seconds 3] [--plan-size 10]

Resolves a mixed plan (market and limit buys and sells, a triggered stop, a
scheduled buy, a cancel, a query) against the demo account and simulated start
quotes once, then times ``evaluate`` on it again and again, with a history of
recent orders and messages so the windowed rules have something to scan. Prints
decisions per second (target: at least 20,000 on the project's 2-core machine),
and the same for resolve + evaluate together.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta
from decimal import Decimal

from executors.catalog import load_demo_account, load_market_catalog
from executors.policy_file import load_policy_file
from foundation.clock import FakeClock
from intent.plan import Plan
from intent.resolve import resolve
from policy.counters import Counters, RecentOrder
from policy.engine import evaluate

STEPS = [
    {"action": "order", "side": "buy", "base": "BTC", "amount": {"unit": "quote", "value": "1500"}},
    {"action": "order", "side": "sell", "base": "ETH", "amount": {"unit": "base", "value": "0.5"}},
    {
        "action": "order",
        "side": "buy",
        "base": "SOL",
        "amount": {"unit": "quote", "value": "300"},
        "order_type": "limit",
        "limit_price": "150",
    },
    {
        "action": "order",
        "side": "sell",
        "base": "ETH",
        "amount": {"unit": "percent", "value": "25"},
        "trigger": {"base": "ETH", "below": "2900"},
    },
    {
        "action": "order",
        "side": "buy",
        "base": "BTC",
        "amount": {"unit": "quote", "value": "100"},
        "schedule": {"every": "1d", "count": 30},
    },
    {"action": "order", "side": "buy", "base": "DOGE", "amount": {"unit": "quote", "value": "700"}},
    {"action": "order", "side": "sell", "base": "LINK", "amount": {"unit": "base", "value": "10"}},
    {"action": "cancel", "base": "ADA"},
    {"action": "query", "what": "balance"},
    {"action": "order", "side": "buy", "base": "XRP", "amount": {"unit": "quote", "value": "50"}},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--plan-size", type=int, default=len(STEPS), help="steps per plan")
    args = parser.parse_args()

    clock = FakeClock()
    now = clock.now()
    account = load_demo_account(now)
    market = load_market_catalog().start_market_data(now)
    policy = load_policy_file()
    steps = [STEPS[i % len(STEPS)] for i in range(args.plan_size)]
    plan = Plan.model_validate({"steps": steps})
    resolved = resolve(plan, account, market)
    counters = Counters(
        orders=tuple(
            RecentOrder(
                symbol="BTC/USDT",
                side="buy",
                order_type="market",
                quantity=Decimal("0.001") * (i + 1),
                notional=Decimal(67) * (i + 1),
                at=now - timedelta(minutes=i * 7),
            )
            for i in range(200)
        ),
        messages=tuple(now - timedelta(seconds=3 * i) for i in range(200)),
        assets_traded=frozenset({"BTC", "ETH", "SOL"}),
    )

    def run_evaluate() -> int:
        return len(
            evaluate(
                resolved,
                policy=policy,
                account=account,
                market=market,
                counters=counters,
                now=now,
                plan_id="bench",
            )
        )

    def run_both() -> int:
        steps = resolve(plan, account, market)
        return len(
            evaluate(
                steps,
                policy=policy,
                account=account,
                market=market,
                counters=counters,
                now=now,
                plan_id="bench",
            )
        )

    print(f"policy {policy.id} {policy.version}: {len(policy.rules)} rules")
    print(f"plan: {len(plan.steps)} intent steps -> {len(resolved)} resolved steps")
    for label, run in (("evaluate", run_evaluate), ("resolve + evaluate", run_both)):
        run()  # warm caches and imports before timing
        decisions = 0
        start = time.perf_counter()
        deadline = start + args.seconds
        while time.perf_counter() < deadline:
            decisions += run()
        elapsed = time.perf_counter() - start
        print(
            f"{label}: {decisions / elapsed:,.0f} step decisions/s ({decisions} in {elapsed:.2f}s)"
        )


if __name__ == "__main__":
    main()
