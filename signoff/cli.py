"""The ``signoff`` command line: argument parsing and error reporting, nothing more.

Each subcommand lives in ``signoff/commands/<name>.py`` and provides
``register(subparsers)``; its heavy imports (pydantic, rich, sqlmodel, ccxt,
textual) happen inside the function that runs it, so ``signoff --help`` stays
fast.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# the order here is the order of ``signoff --help``
COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "approvals",
    "identity",
    "parse",
    "check",
    "session",
    "policy",
    "halt",
    "report",
    "audit",
    "executor",
    "localnet",
)


def os_environ_flag(name: str) -> bool:
    import os

    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def build_parser() -> argparse.ArgumentParser:
    import argparse
    import importlib

    from foundation.errors import EXIT_CODES
    from signoff import __version__
    from signoff.helptext import Formatter, exit_codes_help

    parser = argparse.ArgumentParser(
        prog="signoff",
        description=(
            "Intent-driven trading with confirmation gates. Type what you want; "
            "signoff turns it into a plan, the firm's policy gates each step, and "
            "only approved steps run (paper, local exchange or testnet)."
        ),
        epilog="Run 'signoff COMMAND --help' for a command's options. "
        "State lives in $SIGNOFF_HOME (default: the user's data directory).\n\n"
        + exit_codes_help(*(code for code, _ in EXIT_CODES)),
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"signoff {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"signoff.commands.{name}")
        module.register(subparsers)
    return parser


def _report(error: BaseException) -> None:
    from foundation.errors import SignoffError
    from foundation.secrets import redact

    if isinstance(error, SignoffError):
        lines = [f"error: {error.message}"]
        if error.hint:
            lines.append(f"hint: {error.hint}")
    else:
        lines = [f"error: {error}"]
    # an exchange or a library may echo a key back inside an error message
    sys.stderr.write(redact("\n".join(lines)) + "\n")


def _crash(error: BaseException) -> int:
    """A bug, not a user error: a short message, and the details (redacted) in a log file."""
    import traceback

    from foundation.paths import home
    from foundation.secrets import redact

    details = redact("".join(traceback.format_exception(error)))
    where = "no log written"
    try:
        import os
        import time

        logs = os.path.join(home(create=True), "logs")
        os.makedirs(logs, mode=0o700, exist_ok=True)
        path = os.path.join(logs, time.strftime("crash-%Y%m%d-%H%M%S.log"))
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(details)
        where = f"details in {path}"
    except Exception as exc:  # an unusable SIGNOFF_HOME must not hide the bug
        where = f"could not write the crash log: {exc}"
    sys.stderr.write(
        redact(f"internal error: {type(error).__name__}: {error}\n")
        + f"  this is a bug in signoff, not something you did; {where}\n"
        "  nothing already recorded in the ledger is lost.\n"
    )
    return 70  # EX_SOFTWARE


def _check_text(args: list[str]) -> None:
    """Every argument is text: bytes that are not UTF-8 (or lone surrogates) are named."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError as exc:
            from foundation.errors import UsageError

            shown = arg.encode("utf-8", "surrogateescape" if _escaped(arg) else "backslashreplace")
            text = shown.decode("utf-8", "replace")
            raise UsageError(
                f"the argument {text!r} is not valid UTF-8 text (character {exc.start + 1})",
                hint="type the request again, or set your terminal to UTF-8",
            ) from None


def _escaped(arg: str) -> bool:
    return all(not "\ud800" <= ch <= "\udfff" or "\udc80" <= ch <= "\udcff" for ch in arg)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``signoff`` console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        _check_text(args)
        if not args:
            # no arguments: the terminal UI, offline, on the demo paper account and the
            # local exchange (textual is imported only here)
            from tui.app import run as run_tui

            return run_tui()
        parser = build_parser()
        namespace = parser.parse_args(args)
        handler = getattr(namespace, "handler", None)
        if handler is None:  # pragma: no cover - no command is given only without arguments
            parser.print_help()
            return 0
        return int(handler(namespace))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130  # EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (``signoff parse --jsonl ... | head``); not an error
        return 0
    except Exception as error:
        from foundation.errors import SignoffError

        if isinstance(error, SignoffError):
            _report(error)
            return error.exit_code
        if os_environ_flag("SIGNOFF_DEBUG"):
            raise
        return _crash(error)


if __name__ == "__main__":
    sys.exit(main())
