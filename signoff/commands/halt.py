"""``signoff halt`` / ``signoff resume`` / ``signoff trading-state``: the firm-wide kill switch.

``halt`` and ``resume`` need the compliance role: the caller (``--as NAME``, else
``$SIGNOFF_USER``, else the login name) must be in the identities file with that role
and hold their key; the change is signed with it and appended to the trading-state log
every executor reads before each send (``executors/trading_state.py``).

- ``signoff halt --reason TEXT``: HALTED, only cancels go through; ``--reducing``:
  REDUCING, only orders that shrink a position; ``--cancel-open``: the executors also
  cancel the open orders when they see the change.
- ``signoff resume --reason TEXT``: ACTIVE again (also the only way to reset a tripped
  loss breaker).
- ``signoff trading-state``: the state now and every change, with who and why.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from typing import Any

    from foundation.identity import Identity, SigningKey

ROLE = "compliance"


def register(subparsers: Any) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    halt: argparse.ArgumentParser = subparsers.add_parser(
        "halt",
        help="stop new orders in every executor at once (compliance role)",
        description="Set the firm-wide trading state to HALTED (only cancels go through) or "
        "REDUCING (only orders that shrink a position). Signed with your key; every "
        "executor reads it before each send. Needs the compliance role.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    halt.add_argument("--reason", required=True, help="why (recorded with the change)")
    halt.add_argument("--reducing", action="store_true", help="REDUCING instead of HALTED")
    halt.add_argument(
        "--cancel-open",
        action="store_true",
        help="also have the executors cancel open orders",
    )
    halt.add_argument(
        "--as", dest="actor", metavar="NAME", help="who you are (default: $SIGNOFF_USER)"
    )
    halt.set_defaults(handler=run_halt)

    resume = subparsers.add_parser(
        "resume",
        help="lift a halt, REDUCING or a tripped loss breaker (compliance role)",
        description="Set the firm-wide trading state back to ACTIVE. Signed with your key. "
        "Needs the compliance role.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    resume.add_argument("--reason", required=True, help="why (recorded with the change)")
    resume.add_argument(
        "--as", dest="actor", metavar="NAME", help="who you are (default: $SIGNOFF_USER)"
    )
    resume.set_defaults(handler=run_resume)

    state = subparsers.add_parser(
        "trading-state",
        help="show the firm-wide trading state and every change, with who and why",
        description="The firm-wide trading state and every change, with who and why.",
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
    )
    state.add_argument("--json", action="store_true", help="print JSON")
    state.set_defaults(handler=run_state)


def compliance_caller(actor: str | None, command: str) -> tuple[Identity, SigningKey]:
    """The caller, checked: in the identities file, with the compliance role, holding the
    key the file names. Refusals say which command needed what."""
    import os

    from foundation.errors import IdentityError
    from foundation.identity import IdentityRegistry, identities_path, load_signing_key
    from signoff.session import default_actor

    name = actor or default_actor()
    path = identities_path()
    if not os.path.exists(path):
        raise IdentityError(
            "UNKNOWN_IDENTITY",
            f"signoff {command} needs the {ROLE} role, and there is no identities file "
            f"({path}) to say who has it",
            hint="compliance keeps the identities file; set SIGNOFF_IDENTITIES to it",
        )
    registry = IdentityRegistry.load(path)
    try:
        identity = registry.require_role(name, ROLE)
    except IdentityError as exc:
        raise IdentityError(
            exc.code,
            f"signoff {command} needs the {ROLE} role: {exc.message.split(': ', 1)[-1]}",
            hint=exc.hint,
        ) from None
    key = load_signing_key(name)
    challenge = f"signoff/{command}/key-check/v1".encode()
    registry.verify(name, challenge, key.sign(challenge))
    return identity, key


def _change(args: argparse.Namespace, state: str, command: str, cancel_open: bool) -> int:
    from executors.trading_state import append_change, current_state, state_path
    from foundation.clock import SystemClock
    from foundation.errors import UsageError

    reason = args.reason.strip()
    if not reason:
        raise UsageError(f"signoff {command} needs a reason", hint='--reason "why"')
    _, key = compliance_caller(args.actor, command)
    before = current_state()
    change = append_change(
        state=state,  # type: ignore[arg-type]
        reason=reason,
        by=key.name,
        at=SystemClock().now(),
        cancel_open=cancel_open,
        key=key,
    )
    after = current_state()
    sys.stdout.write(
        f"trading state: {before.state} → {after.state} (change #{change.seq} by {change.by}: "
        f"{change.reason})\n"
        f"  recorded in {state_path()}; every executor reads it before its next send\n"
    )
    if cancel_open:
        sys.stdout.write("  executors cancel the open orders when they see this change\n")
    return 0


def run_halt(args: argparse.Namespace) -> int:
    state = "REDUCING" if args.reducing else "HALTED"
    return _change(args, state, "halt", args.cancel_open)


def run_resume(args: argparse.Namespace) -> int:
    return _change(args, "ACTIVE", "resume", False)


def run_state(args: argparse.Namespace) -> int:
    from executors.trading_state import current_state, state_history
    from signoff.jsonout import dumps

    now = current_state()
    try:
        history = state_history()
    except ValueError:
        history = []
    if args.json:
        sys.stdout.write(
            dumps(
                {
                    "state": now.state,
                    "reason": now.reason,
                    "by": now.by,
                    "valid": now.valid,
                    "changes": [c.body() for c in history],
                },
                indent=2,
            )
            + "\n"
        )
        return 0
    lines = [
        f"trading state: {now.state}"
        + (f" ({now.reason}, by {now.by})" if now.by else f" ({now.reason})")
    ]
    for change in history:
        lines.append(
            f"  #{change.seq} {change.at.strftime('%Y-%m-%d %H:%M:%SZ')} {change.state:<8} "
            f"by {change.by}: {change.reason}"
            + (" [cancel open orders]" if change.cancel_open else "")
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
