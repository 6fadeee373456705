"""``signoff approvals``, ``approve`` and ``reject``: the second person's side of four eyes.

An escalated step waits at the executor, recorded, until a person with the
approver role (not the requester) signs it with their own key. These commands
talk to the running executor; the approval is an Ed25519 signature over the
exact step, checked there against the identities file it pinned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from executors.process.client import ExecutorClient


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    listing = subparsers.add_parser(
        "approvals",
        help="list the escalated steps that wait for a second person",
        description="List the escalated steps that wait for a second person's signature: "
        "the exact step, why it was escalated, who asked, and the time left.",
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
    )
    _common(listing)
    listing.set_defaults(handler=run_list)
    for verb, what in (("approve", "approve"), ("reject", "reject")):
        parser = subparsers.add_parser(
            verb,
            help=f"{what} a waiting step with your own key (PLAN:STEP)",
            description=f"{what.capitalize()} a step that waits for a second person, signed "
            "with your key (you need the approver role and may not be its requester). "
            + ("The executor then sends it, once." if verb == "approve" else ""),
            epilog=exit_codes_help(0, 1, 4),
            formatter_class=Formatter,
        )
        parser.add_argument("target", metavar="PLAN:STEP")
        parser.add_argument(
            "--as",
            dest="actor",
            metavar="NAME",
            help="whose key signs (default: $SIGNOFF_USER, else your login name)",
        )
        if verb == "reject":
            parser.add_argument("--reason", required=True, help="why (recorded)")
        _common(parser)
        parser.set_defaults(handler=run_approve, verb=verb)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exchange", default="local", help="the venue whose executor to ask (default: local)"
    )


def _connect(venue: str) -> ExecutorClient:
    from executors.process.client import ExecutorClient

    return ExecutorClient.connect(venue=venue)


def run_list(args: argparse.Namespace) -> int:
    from foundation.clock import SystemClock
    from signoff.steps_text import describe_resolved

    with _connect(args.exchange) as client:
        waiting = client.waiting()
    now = SystemClock().now()
    if not waiting:
        print("nothing waits for approval")
        return 0
    for view in waiting:
        left = int((view.expires_at - now).total_seconds())
        print(
            f"{view.plan_id}:{view.step_id}  {describe_resolved(view.step)}  "
            f"(asked by {view.requester}; {left // 60}m{left % 60:02d}s left)"
        )
        for reason in view.decision.reasons:
            print(f"    {reason.effect}: {reason.message} [{reason.rule}]")
        print(f"    content: {view.step.model_dump_json()}")
    return 0


def run_approve(args: argparse.Namespace) -> int:
    import getpass
    import sys

    from foundation.errors import IdentityError, UsageError
    from foundation.identity import load_signing_key
    from signoff.session import approve_waiting, default_actor

    name = args.actor or default_actor()

    plan_id, colon, step_id = args.target.rpartition(":")
    if not colon or not plan_id or not step_id:
        raise UsageError(f"{args.target!r}: give PLAN:STEP", hint="e.g. signoff approve p-1a2b:s1")
    try:
        key = load_signing_key(name)
    except IdentityError as error:
        if error.code != "KEY_LOCKED" or not sys.stdin.isatty():
            raise
        key = load_signing_key(name, getpass.getpass(f"Passphrase for {name}'s key: ").encode())
    with _connect(args.exchange) as client:
        outcome = approve_waiting(
            client,
            key,
            plan_id,
            step_id,
            reason=args.reason if args.verb == "reject" else None,
        )
    print(f"{outcome.step_id} {outcome.status}: {outcome.detail}")
    if args.verb == "reject":
        return 0
    return 0 if outcome.status == "executed" else 4
