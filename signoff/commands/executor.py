"""``signoff executor``: run the executor process (the only holder of exchange keys)."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from foundation.errors import UsageError
from signoff.commands.localnet import add_paper_arguments, paper_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "executor",
        help="run the executor process: the gate (holds exchange keys, decides every step)",
        description=(
            "Run the executor: the one process that holds exchange keys. It pins the firm "
            "policy and the identities file when it starts, decides every step again "
            "itself, checks the people's signatures, and sends orders to the paper engine, "
            "the local exchange or a testnet. signoff starts it when needed (with the "
            "shipped policy); compliance runs it with --policy, ideally as its own OS user. "
            "--status is 1 when no executor runs."
        ),
        epilog=exit_codes_help(0, 1, 4),
        formatter_class=Formatter,
    )
    parser.add_argument(
        "--exchange",
        default="local",
        help="paper, local (default; the local exchange, run inside the process unless "
        "--url is given), or a testnet from configs/exchanges.toml "
        "(binance-testnet, bybit-testnet, okx-demo, hashkey-sandbox)",
    )
    parser.add_argument("--url", help="URL of a running 'signoff localnet' (127.0.0.1 only)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated prices")
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="the firm policy the executor pins and enforces (default: the shipped "
        "configs/policy.toml; clients never choose it)",
    )
    parser.add_argument(
        "--identities",
        metavar="FILE",
        help="the identities file it pins (default: $SIGNOFF_IDENTITIES, else "
        "$SIGNOFF_HOME/identities.toml)",
    )
    parser.add_argument(
        "--db", metavar="URL", help="the ledger it records in (default: $SIGNOFF_DB_URL)"
    )
    parser.add_argument(
        "--shared",
        action="store_true",
        help="let members of the executor's group connect (socket 0660, run.json 0640, "
        "directory 0750): for an executor run as its own OS user",
    )
    parser.add_argument(
        "--approval-validity",
        type=int,
        metavar="SECONDS",
        help="shorten the policy's approval validity (never lengthen it)",
    )
    parser.add_argument(
        "--drift-limit",
        metavar="PERCENT",
        help="narrow the policy's price drift limit (never widen it)",
    )
    parser.add_argument(
        "--refresh",
        type=int,
        default=5,
        metavar="SECONDS",
        help="how often open orders are reconciled in the background (default 5)",
    )
    parser.add_argument(
        "--view-ttl",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how long the account and prices read from an exchange after the executor's "
        "own last order may be decided with (default 1; 0 reads them at every decision)",
    )
    parser.add_argument("--exchanges-file", help="another exchanges.toml")
    parser.add_argument(
        "--feed",
        metavar="SPEC",
        help="the paper engine's prices (with --exchange paper): csv:FILE[,SYMBOL=FILE...] "
        "replays Binance kline CSVs from now on; live reads public tickers (needs the "
        "network); default: simulated, seeded by --seed",
    )
    control = parser.add_mutually_exclusive_group()
    control.add_argument(
        "--status", action="store_true", help="say whether an executor runs here, and where to"
    )
    control.add_argument(
        "--stop", action="store_true", help="stop the running executor (open orders stay open)"
    )
    add_paper_arguments(parser)
    parser.set_defaults(handler=run)


def run(namespace: argparse.Namespace) -> int:
    from executors.policy_file import default_policy_path
    from executors.process.server import ExecutorOptions, main
    from executors.service import PolicySource

    if namespace.status or namespace.stop:
        return _control(stop=namespace.stop, venue=namespace.exchange)
    if namespace.refresh <= 0:
        raise UsageError("--refresh must be positive")
    if not 0 <= namespace.view_ttl <= 60:
        raise UsageError("--view-ttl must be between 0 and 60 seconds")
    # the firm policy only: a personal file travels with each step and only tightens it
    policy_path = namespace.policy or default_policy_path()
    PolicySource.load(policy_path)  # a broken file stops here, with its error
    validity: timedelta | None = None
    drift: Decimal | None = None
    if namespace.approval_validity is not None:
        if namespace.approval_validity <= 0:
            raise UsageError("--approval-validity must be positive")
        validity = timedelta(seconds=namespace.approval_validity)
    if namespace.drift_limit is not None:
        try:
            wanted = Decimal(namespace.drift_limit)
        except InvalidOperation:
            raise UsageError(
                f"--drift-limit must be a number of percent, got {namespace.drift_limit!r}"
            ) from None
        if not wanted.is_finite() or wanted < 0:
            raise UsageError("--drift-limit must be a non-negative percentage")
        drift = wanted
    if namespace.feed is not None:
        if namespace.exchange != "paper":
            raise UsageError(
                "--feed chooses the paper engine's prices", hint="use it with --exchange paper"
            )
        from executors.catalog import load_market_catalog
        from executors.process.server import build_feed

        if namespace.feed != "live":
            # a bad file stops here, with its error, before anything starts
            build_feed(
                namespace.feed,
                sorted(load_market_catalog().specs),
                datetime.now(UTC),
            )
    options = ExecutorOptions(
        exchange=namespace.exchange,
        url=namespace.url,
        seed=namespace.seed,
        policy_path=os.path.abspath(policy_path),
        validity=validity,
        drift_limit_pct=drift,
        db_url=namespace.db,
        identities_path=namespace.identities,
        shared=namespace.shared,
        refresh_seconds=float(namespace.refresh),
        view_ttl_seconds=namespace.view_ttl,
        exchanges_file=namespace.exchanges_file,
        paper=paper_settings(namespace),
        feed=namespace.feed,
    )
    return main(options)


def _control(*, stop: bool, venue: str) -> int:
    from executors.process.client import ExecutorClient
    from foundation.errors import ExecutionError

    try:
        client = ExecutorClient.connect(venue=venue)
        health = client.health()
    except ExecutionError:
        print("no executor is running for this SIGNOFF_HOME")
        return 0 if stop else 1
    if not stop:
        print(
            f"executor pid {health.pid} on {health.venue}, running since "
            f"{health.started_at:%Y-%m-%d %H:%M:%S} UTC, policy "
            f"{(health.policy_hash or '')[:12]}"
        )
        client.close()
        return 0
    client.shutdown()
    print(f"stopped the executor (pid {health.pid}); open orders stay open at the venue")
    return 0
