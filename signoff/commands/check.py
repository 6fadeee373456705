"""``signoff check TEXT``: parse, resolve and decide — without executing anything.

``--json`` prints one object: ``request``, ``status`` (plan, clarify, unsupported),
``executed`` (always false), ``policy`` {id, version, hash, personal_hash}, ``account``,
``as_of``, ``decision`` (the strictest step decision) and ``steps``, each with
``step_id``, ``kind``, ``decision``, ``summary``, ``reasons`` [{rule, code, effect,
limit, observed, message}] and the resolved ``step``. Amounts are exact JSON numbers.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from intent.market import AccountSnapshot, MarketData
    from intent.plan import Clarification, Plan, Refusal
    from policy.gate import GatedPlan
    from policy.model import Policy

_STYLES = {"allow": "green", "confirm": "yellow", "escalate": "magenta", "deny": "bold red"}
_SUMMARY = {
    "allow": "every step may run at once",
    "confirm": "some steps need your confirmation",
    "escalate": "some steps need a second approver",
    "deny": "some steps are refused",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "check",
        help="show what the policy would decide for a request (executes nothing)",
        description="Parse TEXT, resolve it against an account and quotes, and show the "
        "policy's decision on each step, with every reason. Nothing is executed. Without "
        "--account it uses the demo paper account; without --quotes, simulated start prices. "
        "The decisions are data: done (0) means the request became a plan and was "
        "decided, whatever the decisions; a question or a refusal is 1.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    parser.add_argument("text", nargs="?", metavar="TEXT", help="what you want, in words")
    parser.add_argument(
        "--plan",
        metavar="FILE",
        help="check a parse result (JSON or TOML, as 'signoff parse --json' prints) "
        "instead of TEXT",
    )
    parser.add_argument("--account", metavar="FILE", help="account snapshot (TOML or JSON)")
    parser.add_argument("--quotes", metavar="FILE", help="quotes (TOML or JSON)")
    parser.add_argument(
        "--policy", metavar="FILE", help="policy file (default: $SIGNOFF_POLICY or shipped)"
    )
    parser.add_argument(
        "--personal",
        metavar="FILE",
        help="your personal stricter thresholds (default: $SIGNOFF_PERSONAL, if set)",
    )
    parser.add_argument(
        "--now", metavar="TIME", help="decide as of this ISO time (default: the clock's now)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    from signoff.commands.parse import add_parser_options

    add_parser_options(parser)
    parser.set_defaults(handler=run_check)


def _now(text: str | None) -> datetime:
    from datetime import UTC, datetime

    from foundation.clock import SystemClock
    from foundation.errors import UsageError

    if text is None:
        return SystemClock().now()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"--now {text!r} is not an ISO time", hint="e.g. --now 2026-01-05T09:30:00Z"
        ) from None
    if when.tzinfo is None:
        raise UsageError(f"--now {text!r} has no time zone", hint="e.g. 2026-01-05T09:30:00Z")
    return when.astimezone(UTC)


def _parse(args: argparse.Namespace) -> Plan | Clarification | Refusal:
    from pydantic import ValidationError

    from foundation.errors import ConfigError, UsageError
    from intent.plan import Plan, parse_result_from_data
    from policy.loader import describe_validation
    from signoff.commands.policy import request_parser
    from signoff.situation import read_document

    if args.plan is not None:
        if args.text is not None:
            raise UsageError("give TEXT or --plan, not both")
        data = read_document(args.plan)
        try:
            return parse_result_from_data(data)
        except ValidationError as exc:
            message, hint = describe_validation(exc, Plan, data)
            raise ConfigError(
                f"not a parse result: {message}", source=args.plan, hint=hint
            ) from None
    if not args.text or not args.text.strip():
        raise UsageError("nothing to check", hint="signoff check 'buy 0.1 BTC', or --plan FILE")
    from signoff.commands.parse import request_parser as modes_for

    modes = modes_for(args)
    if modes is None:
        return request_parser()(args.text)
    try:
        report = modes.parse(args.text)
    finally:
        modes.close()
    for notice in report.notices:
        sys.stderr.write(f"notice: {notice}\n")
    return report.result


def _situation(args: argparse.Namespace, now: datetime) -> tuple[AccountSnapshot, MarketData]:
    from executors.catalog import load_demo_account, load_market_catalog
    from signoff.situation import parse_account, parse_quotes, read_document

    catalog = load_market_catalog()
    if args.account is not None:
        account = parse_account(read_document(args.account), source=args.account, now=now)
    else:
        account = load_demo_account(now)
    quotes = read_document(args.quotes) if args.quotes is not None else {}
    market = parse_quotes(quotes, source=args.quotes or "", now=now, catalog=catalog)
    return account, market


def _step_json(step: Any, decision: Any) -> dict[str, Any]:
    from signoff.steps_text import describe_resolved

    out: dict[str, Any] = {
        "step_id": decision.step_id,
        "kind": step.kind,
        "decision": decision.decision,
        "summary": describe_resolved(step),
        "reasons": [r.model_dump() for r in decision.reasons],
        "step": step.model_dump(exclude_none=True),
    }
    return out


def _report(
    args: argparse.Namespace,
    result: Plan | Clarification | Refusal,
    gated: GatedPlan | None,
    policy: Policy,
    account: AccountSnapshot,
    now: datetime,
) -> dict[str, Any]:
    from foundation.secrets import redact

    report: dict[str, Any] = {
        "request": redact(args.text) if args.text else args.text,
        "status": result.status,
        "executed": False,
        "policy": policy.stamp.model_dump(),
        "account": account.account_id,
        "as_of": now.isoformat(),
        "decision": gated.overall if gated else None,
        "steps": [_step_json(s, d) for s, d in gated.pairs()] if gated else [],
    }
    from intent.plan import Clarification, Refusal

    if isinstance(result, Clarification):
        report["question"] = result.question
    elif isinstance(result, Refusal):
        report["reason"] = result.reason
        report["category"] = result.category
    return report


def _print(
    args: argparse.Namespace,
    result: Plan | Clarification | Refusal,
    gated: GatedPlan | None,
    policy: Policy,
    account: AccountSnapshot,
    now: datetime,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from foundation.secrets import redact
    from intent.plan import Clarification, Refusal
    from signoff.steps_text import describe_resolved

    # off a terminal (a pipe, a file) rich would wrap at 80 columns
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    if args.text:
        console.print(Text(f"Request: {redact(args.text)}"))
    stamp = policy.stamp
    personal = f" + personal {stamp.personal_hash[:12]}" if stamp.personal_hash else ""
    console.print(
        Text(
            f"Policy {stamp.id} {stamp.version} (sha256 {stamp.hash[:12]}{personal}) · "
            f"account {account.account_id} · as of {now.isoformat(timespec='seconds')}",
            style="dim",
        )
    )
    if gated is None:
        if isinstance(result, Clarification):
            console.print(Text(f"Question: {result.question}", style="yellow"))
        elif isinstance(result, Refusal):
            console.print(Text(f"Not supported: {result.reason}", style="red"))
        console.print(Text("Nothing was checked or executed.", style="dim"))
        return
    table = Table(show_lines=False, expand=False)
    table.add_column("step", no_wrap=True)
    table.add_column("what")
    table.add_column("decision", no_wrap=True)
    table.add_column("why")
    for step, decision in gated.pairs():
        why = Text("\n".join(f"{r.message} [{r.rule}]" for r in decision.reasons) or "—")
        table.add_row(
            decision.step_id,
            Text(describe_resolved(step)),
            Text(decision.decision.upper(), style=_STYLES[decision.decision]),
            why,
        )
    console.print(table)
    overall = gated.overall
    console.print(
        Text(f"Overall: {overall} — {_SUMMARY[overall]}. ", style=_STYLES[overall])
        + Text("Nothing was executed.", style="dim")
    )


def run_check(args: argparse.Namespace) -> int:
    from executors.policy_file import load_policy_file
    from intent.plan import Plan
    from policy.counters import Counters
    from policy.gate import gate

    now = _now(args.now)
    result = _parse(args)
    policy = load_policy_file(args.policy, args.personal)
    account, market = _situation(args, now)
    gated = None
    if isinstance(result, Plan):
        gated = gate(
            result,
            policy=policy,
            account=account,
            market=market,
            # history comes from the ledger once there is one; a check starts from none
            counters=Counters(),
            now=now,
        )
    if args.json:
        from signoff.jsonout import dumps

        report = _report(args, result, gated, policy, account, now)
        sys.stdout.write(dumps(report, indent=2) + "\n")
    else:
        _print(args, result, gated, policy, account, now)
    # as `signoff parse`: the decisions are data, not failures; a question or a refusal
    # means nothing could be checked
    return 0 if gated is not None else 1
