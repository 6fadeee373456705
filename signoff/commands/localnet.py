"""``signoff localnet``: a local Binance-compatible exchange on 127.0.0.1."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from foundation.errors import UsageError

if TYPE_CHECKING:
    from executors.paper.engine import PaperSettings


def add_paper_arguments(parser: argparse.ArgumentParser) -> None:
    """Fees and slippage of the simulated account (paper engine, local exchange)."""
    parser.add_argument(
        "--maker-fee", default="0.001", metavar="RATE", help="maker fee rate (default 0.001)"
    )
    parser.add_argument(
        "--taker-fee", default="0.001", metavar="RATE", help="taker fee rate (default 0.001)"
    )
    parser.add_argument(
        "--slippage-bps",
        default="5",
        metavar="BPS",
        help="how far market orders fill past the quote, in basis points (default 5)",
    )


def paper_settings(namespace: argparse.Namespace) -> PaperSettings:
    from executors.paper.engine import PaperSettings

    values: dict[str, Decimal] = {}
    for name in ("maker_fee", "taker_fee", "slippage_bps"):
        text = getattr(namespace, name)
        try:
            values[name] = Decimal(text)
        except InvalidOperation:
            raise UsageError(f"--{name.replace('_', '-')} must be a number, got {text!r}") from None
    try:
        return PaperSettings(**values)
    except ValueError as exc:
        raise UsageError(str(exc), hint="e.g. --taker-fee 0.001 for 0.1 %") from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "localnet",
        help="run a local Binance-compatible exchange (paper account, offline)",
        description=(
            "Serve the Binance spot REST API subset that ccxt uses on 127.0.0.1, backed by "
            "the paper engine and simulated prices, so the real ccxt code path runs "
            "offline. Point the executor at it with "
            "'signoff executor --exchange local --url URL'."
        ),
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
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
    add_paper_arguments(parser)
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
            paper=paper_settings(namespace),
        )
    )
