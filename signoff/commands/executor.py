"""``signoff executor``: run the executor process (the only holder of exchange keys)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from foundation.errors import UsageError
from signoff.commands.localnet import add_paper_arguments, paper_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "executor",
        help="run the executor process (holds exchange keys and the approval key)",
        description=(
            "Run the executor: the one process that holds exchange keys and the approval "
            "key, checks every step's decision and approval itself, and sends orders to "
            "the paper engine, the local exchange or a testnet. signoff starts it when "
            "needed; run it by hand to watch its log. --status is 1 when no executor runs."
        ),
        epilog=exit_codes_help(0, 1, 4),
        formatter_class=Formatter,
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
        "--policy",
        metavar="FILE",
        help="the policy whose decisions and approval settings the executor enforces "
        "(default: $SIGNOFF_POLICY, else configs/policy.toml)",
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
    parser.add_argument("--exchanges-file", help="another exchanges.toml")
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
    from executors.approvals import ApprovalSettings
    from executors.policy_file import load_policy_file
    from executors.process.server import ExecutorOptions, main

    if namespace.status or namespace.stop:
        return _control(stop=namespace.stop)
    if namespace.refresh <= 0:
        raise UsageError("--refresh must be positive")
    # with $SIGNOFF_PERSONAL, a personal file may tighten the approval settings;
    # decisions keep the firm policy's hash either way
    policy = load_policy_file(namespace.policy)
    approvals = ApprovalSettings.from_policy(policy.approvals)
    validity, drift = approvals.validity, approvals.drift_limit_pct
    if namespace.approval_validity is not None:
        if namespace.approval_validity <= 0:
            raise UsageError("--approval-validity must be positive")
        validity = min(validity, timedelta(seconds=namespace.approval_validity))
    if namespace.drift_limit is not None:
        try:
            wanted = Decimal(namespace.drift_limit)
        except InvalidOperation:
            raise UsageError(
                f"--drift-limit must be a number of percent, got {namespace.drift_limit!r}"
            ) from None
        if not wanted.is_finite() or wanted < 0:
            raise UsageError("--drift-limit must be a non-negative percentage")
        drift = min(drift, wanted)
    options = ExecutorOptions(
        exchange=namespace.exchange,
        url=namespace.url,
        seed=namespace.seed,
        approvals=ApprovalSettings(
            validity=validity,
            drift_limit_pct=drift,
            second_approvers=approvals.second_approvers,
        ),
        policy_hash=policy.hash,
        refresh_seconds=float(namespace.refresh),
        exchanges_file=namespace.exchanges_file,
        paper=paper_settings(namespace),
    )
    return main(options)


def _control(*, stop: bool) -> int:
    from executors.process.client import ExecutorClient
    from foundation.errors import ExecutionError

    try:
        client = ExecutorClient.connect()
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
