"""Median time from an approved step to an acknowledged order, through ccxt on the local exchange.

    .venv/bin/python benchmarks/bench_executor.py [--orders 200]

The local exchange runs in its own process (``signoff localnet``), as it
would in use. Three paths are timed, each from "here is the step, its decision
and (if gated) its token" to "the exchange acknowledged the order":

- gate, allowed step: the execution service in this process (decision check,
  journal write before and after, ccxt ``create_order``);
- gate, confirmed step: the same plus the token check, the drift check (one
  ticker request) and the nonce written to disk;
- executor process: the client sends the confirmed step to ``signoff
  executor`` over its unix socket, which does all of the above.

Target: median under 5 ms. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from executors.approvals import ApprovalAuthority
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.run import read_url_file
from executors.process.client import start_executor
from executors.service import ExecutionService
from executors.testing import decision, order_step, shipped_policy_stamp
from executors.venues import ApiKeys, Secret, venue_profile
from foundation.clock import SystemClock
from intent.resolved import ResolvedOrder


def _report(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[int(len(ms) * 0.9) - 1]
    print(
        f"{name:<34} median {statistics.median(ms):6.2f} ms   p90 {p90:6.2f} ms   "
        f"min {ms[0]:5.2f} ms   n={len(ms)}"
    )


def _step(n: int) -> tuple[str, ResolvedOrder]:
    # alternate buys and sells so the demo balance lasts any number of rounds
    side = "buy" if n % 2 == 0 else "sell"
    return f"b{n}", order_step(f"b{n}", side=side, quantity="0.0001")


async def _in_process(home: Path, url: str, orders: int) -> None:
    creds = json.loads((home / "localnet" / "credentials.json").read_text())
    keys = ApiKeys(api_key=Secret(creds["api_key"]), secret=Secret(creds["secret"]))
    executor = CcxtExecutor(venue_profile("local"), keys, clock=SystemClock(), url=url)
    journal = SqliteJournal(str(home / "bench" / "journal.sqlite"))
    authority = ApprovalAuthority.open(str(home / "bench"))
    service = ExecutionService(executor, journal, authority, clock=SystemClock())
    await service.start()
    try:

        async def timed(run: Callable[[int], Awaitable[object]]) -> list[float]:
            for n in range(10):  # warm-up: connections, ccxt's caches
                await run(-n - 1)
            samples = []
            for n in range(orders):
                start = time.perf_counter()
                await run(n)
                samples.append(time.perf_counter() - start)
            return samples

        async def allowed(n: int) -> object:
            sid, step = _step(n)
            return await service.execute(
                plan_id="allow",
                step=step,
                decision=decision(sid, "allow"),
            )

        tokens: dict[int, str] = {}

        async def confirmed(n: int) -> object:
            sid, step = _step(n)
            return await service.execute(
                plan_id="confirm",
                step=step,
                decision=decision(sid, "confirm"),
                token=tokens[n],
            )

        _report("gate, allowed step", await timed(allowed))
        for n in [*range(-10, 0), *range(orders)]:
            sid, step = _step(n)
            issued = await service.issue_approval(
                plan_id="confirm",
                step=step,
                decision=decision(sid, "confirm"),
                requester="bench",
                approver="bench",
            )
            tokens[n] = issued.token
        _report("gate, confirmed step (token+drift)", await timed(confirmed))
    finally:
        await service.close()
        journal.close()
        authority.close()


def _through_process(home: Path, url: str, orders: int) -> None:
    client = start_executor(
        "local", args=["--url", url, "--refresh", "3600"], base=str(home), reuse=False
    )
    try:
        samples = []
        stamp = shipped_policy_stamp()  # the process enforces the shipped policy
        for n in range(-10, orders):
            sid, step = _step(n)
            dec = decision(sid, "confirm", policy=stamp)
            token = client.issue_approval(
                plan_id="proc",
                step=step,
                decision=dec,
                requester="bench",
                approver="bench",
            ).token
            start = time.perf_counter()
            result = client.execute(plan_id="proc", step=step, decision=dec, token=token)
            elapsed = time.perf_counter() - start
            assert result.orders[0].status == "filled"
            if n >= 0:
                samples.append(elapsed)
        _report("executor process, confirmed step", samples)
    finally:
        client.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signoff-bench-") as tmp:
        home = Path(tmp)
        env = {**os.environ, "SIGNOFF_HOME": str(home)}
        localnet = subprocess.Popen(
            [sys.executable, "-m", "signoff", "localnet", "--tick", "0", "--fresh"],
            env=env,
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
            asyncio.run(_in_process(home, url, args.orders))
            _through_process(home, url, args.orders)
        finally:
            localnet.terminate()
            localnet.wait(timeout=10)
    print(f"target: median < 5 ms ({Decimal(5)} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
