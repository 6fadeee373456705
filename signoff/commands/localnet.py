"""``signoff localnet``: a local Binance-compatible exchange on 127.0.0.1."""

from __future__ import annotations

import argparse

from signoff.errors import UsageError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "localnet",
        help="run a local Binance-compatible exchange (paper account, offline)",
        description=(
            "Serve the Binance spot REST API subset that ccxt uses on 127.0.0.1, backed by "
            "the paper engine and simulated prices, so the real ccxt code path runs "
            "offline. Point the executor at it with "
            "'signoff executor --exchange local --url URL'."
        ),
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated prices")
    parser.add_argument(
        "--tick",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often prices move (0: never; default 1)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start from the demo account, not the saved state"
    )
    # fault injection and price setting, for signoff's own tests only
    parser.add_argument("--test-hooks", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(namespace: argparse.Namespace) -> int:
    from executors.localnet.run import LocalnetOptions, main

    if not 0 <= namespace.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {namespace.port}")
    if namespace.tick < 0:
        raise UsageError("--tick must not be negative")
    return main(
        LocalnetOptions(
            port=namespace.port,
            seed=namespace.seed,
            tick_seconds=namespace.tick,
            fresh=namespace.fresh,
            test_hooks=namespace.test_hooks,
        )
    )
