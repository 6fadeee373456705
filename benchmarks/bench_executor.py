"""Approved step to acknowledged order through the executor process, beside bare ccxt.

    .venv/bin/python benchmarks/bench_executor.py [--orders 200]

The local exchange runs in its own process (``signoff localnet``), as it would
in use. Two paths are timed to the exchange's acknowledgement:

- reference: a bare ccxt ``create_order`` round trip to the local exchange;
- the executor process: the signed, confirmed step goes to ``signoff executor``
  over its unix socket; the executor checks the policy file, the plan, the
  requester's Ed25519 signature and nonce, reads its account, quotes and journal
  counters, decides the step again, compares decisions, checks drift, journals the
  order (synchronously, before sending), records its decision, the order and its
  fill in the ledger, and sends it through ccxt.

The median and p99 of each are printed with their ratio. Target for the executor
path: median < 5 ms and p99 < 15 ms. Figures are printed, not asserted.

A third reference is the disk: one durable SQLite commit (WAL, ``synchronous=FULL``,
one row), timed between the executor's orders in the same home. The executor waits
for one such wait per order: its journal's and the ledger's records of the order
before sending, written side by side. The ledger's record of the acknowledged order
is committed without waiting for the disk and synced with the next durable write or
within a second (it can be learned again from the journal and the venue), so on a
busy disk one durable commit is the floor under the executor's figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from executors.approvals import sign_request
from executors.base import OrderRequest
from executors.ccxt_exec import CcxtExecutor
from executors.localnet.run import read_url_file
from executors.process.client import ExecutorClient, start_executor
from executors.testing import order_step
from executors.venues import ApiKeys, Secret, venue_profile
from foundation.clock import SystemClock
from foundation.identity import SigningKey
from intent.market import MarketData
from intent.plan import Clarification, Plan, Refusal
from intent.resolved import ResolvedOrder
from ledger.service import Ledger
from policy.decision import StepDecision
from policy.engine import evaluate
from policy.loader import load_policy_bytes

# a small firm policy: every order is a "confirm" step (value over 1 USDT), so the
# executor's drift check runs too; no message-rate rule to trip in a tight loop
BENCH_POLICY = """\
[policy]
id = "bench"
version = "1"
owner = "compliance@bench"
currency = "USDT"
default_decision = "allow"
trading_state = "ACTIVE"

[approvals]
valid_for = "10m"
max_price_drift_percent = "5"
second_approvers = []

[[rule]]
id = "value-confirm"
kind = "max_order_value"
effect = "confirm"
limit = "1"

[[rule]]
id = "value-deny"
kind = "max_order_value"
effect = "deny"
limit = "50000"

[[rule]]
id = "daily-budget"
kind = "daily_notional"
effect = "deny"
limit = "10000000"
"""


def _stats(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[max(0, int(len(ms) * 0.99) - 1)]
    return statistics.median(ms), p99


def _step(n: int) -> ResolvedOrder:
    # alternate buys and sells so the demo balance lasts any number of rounds
    side = "buy" if n % 2 == 0 else "sell"
    return order_step("s1", side=side, quantity="0.0001")


async def _bare_ccxt(home: Path, url: str, orders: int) -> list[float]:
    creds = json.loads((home / "localnet" / "credentials.json").read_text())
    keys = ApiKeys(api_key=Secret(creds["api_key"]), secret=Secret(creds["secret"]))
    executor = CcxtExecutor(venue_profile("local"), keys, clock=SystemClock(), url=url)
    await executor.start()
    samples = []
    try:
        for n in range(-10, orders):
            request = OrderRequest.from_resolved(_step(n), f"bare-{n + 10}")
            start = time.perf_counter()
            await executor.submit(request)
            if n >= 0:
                samples.append(time.perf_counter() - start)
    finally:
        await executor.close()
    return samples


def _decide(client: ExecutorClient, plan_id: str, step: ResolvedOrder) -> StepDecision:
    policy = load_policy_bytes(client.policy().text.encode(), "executor")
    rules = client.market_rules()
    [decision] = evaluate(
        (step,),
        policy=policy,
        account=client.account(),
        market=MarketData(rules=rules, quotes=client.quotes(sorted(rules))),
        counters=client.counters(),
        now=SystemClock().now(),
        plan_id=plan_id,
    )
    return decision


class _DiskProbe:
    """Times one durable SQLite commit, as the journal and the ledger make them."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS probe (n INTEGER, at TEXT)")
        self.samples: list[float] = []

    def commit(self, n: int) -> None:
        start = time.perf_counter()
        self.db.execute("INSERT INTO probe VALUES (?, ?)", (n, str(start)))
        self.samples.append(time.perf_counter() - start)


def _through_process(
    home: Path, url: str, orders: int, disk: _DiskProbe | None = None
) -> list[float]:
    trader = SigningKey.generate("bench")
    (home / "identities.toml").write_text(trader.identity_line(["trader"]))
    policy = home / "bench-policy.toml"
    policy.write_text(BENCH_POLICY)
    ledger = Ledger.open()
    client = start_executor(
        "local",
        args=["--url", url, "--refresh", "3600", "--policy", str(policy)],
        base=str(home),
        reuse=False,
    )
    samples = []
    try:
        for n in range(-10, orders):
            request_row = ledger.record_request(text="bench", actor="bench", parser="bench")
            plan_id = ledger.record_parse(
                request_id=request_row.id,
                result=_plan(),
                actor="bench",
            ).id
            step = _step(n)
            decision = _decide(client, plan_id, step)
            assert decision.decision == "confirm", decision
            signed = sign_request(
                trader,
                plan_id=plan_id,
                step=step,
                decision=decision,
                now=SystemClock().now(),
                validity=timedelta(minutes=5),
            )
            start = time.perf_counter()
            result = client.execute(plan_id=plan_id, step=step, decision=decision, request=signed)
            elapsed = time.perf_counter() - start
            assert result.orders[0].status == "filled"
            if n >= 0:
                samples.append(elapsed)
                if disk is not None:
                    disk.commit(n)
    finally:
        client.shutdown()
        ledger.close()
    return samples


def _plan() -> Plan | Clarification | Refusal:
    from signoff.intents import parse_request

    return parse_request("buy 0.0001 BTC")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signoff-bench-") as tmp:
        home = Path(tmp)
        os.environ["SIGNOFF_HOME"] = str(home)
        os.environ.pop("SIGNOFF_DB_URL", None)
        os.environ.pop("SIGNOFF_IDENTITIES", None)
        localnet = subprocess.Popen(
            [sys.executable, "-m", "signoff", "localnet", "--tick", "0", "--fresh"],
            env=dict(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url_file = home / "localnet" / "url"
            deadline = time.monotonic() + 30
            while (url := read_url_file(str(url_file))) is None:
                if time.monotonic() > deadline or localnet.poll() is not None:
                    print("the local exchange did not start", file=sys.stderr)
                    return 1
                time.sleep(0.05)
            print(f"local exchange {url}; {args.orders} orders per path (after 10 warm-up)")
            bare = _stats(asyncio.run(_bare_ccxt(home, url, args.orders)))
            disk = _DiskProbe(home / "disk-probe.sqlite3")
            gated = _stats(_through_process(home, url, args.orders, disk))
            commit = _stats(disk.samples)
            disk.db.close()
        finally:
            localnet.terminate()
            localnet.wait(timeout=10)
    print(f"{'path':<44} {'median':>9} {'p99':>9}")
    print(f"{'bare ccxt create_order (reference)':<44} {bare[0]:7.2f}ms {bare[1]:7.2f}ms")
    print(
        f"{'executor process: signed step, decided again':<44} {gated[0]:7.2f}ms {gated[1]:7.2f}ms"
    )
    print(f"{'one durable SQLite commit (the disk)':<44} {commit[0]:7.2f}ms {commit[1]:7.2f}ms")
    print(
        f"ratio executor / bare ccxt: median {gated[0] / bare[0]:.2f}x, "
        f"p99 {gated[1] / bare[1]:.2f}x"
    )
    print(
        f"ratio executor / (bare ccxt + one durable commit): median "
        f"{gated[0] / (bare[0] + commit[0]):.2f}x"
    )
    print("target (executor path): median < 5 ms, p99 < 15 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
