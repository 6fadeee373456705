"""``signoff executor``: run the executor process (the only holder of exchange keys)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from signoff.commands.localnet import add_paper_arguments, paper_settings
from signoff.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "executor",
        help="run the executor process (holds exchange keys and the approval key)",
        description=(
            "Run the executor: the one process that holds exchange keys and the approval "
            "key, checks every step's decision and approval itself, and sends orders to "
            "the paper engine, the local exchange or a testnet. signoff starts it when "
            "needed; run it by hand to watch its log."
        ),
    )
    parser.add_argument(
        "--exchange",
        default="local",
        help="paper, local (default; the local exchange, run inside the process unless "
        "--url is given), or a testnet from configs/exchanges.toml "
        "(binance-testnet, bybit-testnet, okx-demo)",
    )
    parser.add_argument("--url", help="URL of a running 'signoff localnet' (127.0.0.1 only)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated prices")
    parser.add_argument(
        "--approval-validity",
        type=int,
        default=300,
        metavar="SECONDS",
        help="how long an approval lasts (the policy's setting; default 300)",
    )
    parser.add_argument(
        "--drift-limit",
        default="1",
        metavar="PERCENT",
        help="price move after which an approval must be given again (default 1)",
    )
    parser.add_argument(
        "--policy-hash", help="refuse decisions not made by the policy with this hash"
    )
    parser.add_argument(
        "--refresh",
        type=int,
        default=5,
        metavar="SECONDS",
        help="how often open orders are reconciled in the background (default 5)",
    )
    parser.add_argument("--exchanges-file", help="another exchanges.toml")
    add_paper_arguments(parser)
    parser.set_defaults(handler=run)


def run(namespace: argparse.Namespace) -> int:
    from executors.process.server import ExecutorOptions, main

    try:
        drift = Decimal(namespace.drift_limit)
    except InvalidOperation:
        raise UsageError(
            f"--drift-limit must be a number of percent, got {namespace.drift_limit!r}"
        ) from None
    if not drift.is_finite() or drift < 0:
        raise UsageError("--drift-limit must be a non-negative percentage")
    if namespace.approval_validity <= 0 or namespace.refresh <= 0:
        raise UsageError("--approval-validity and --refresh must be positive")
    options = ExecutorOptions(
        exchange=namespace.exchange,
        url=namespace.url,
        seed=namespace.seed,
        approval_validity=timedelta(seconds=namespace.approval_validity),
        drift_limit_pct=drift,
        policy_hash=namespace.policy_hash,
        refresh_seconds=float(namespace.refresh),
        exchanges_file=namespace.exchanges_file,
        paper=paper_settings(namespace),
    )
    return main(options)
