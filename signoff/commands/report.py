"""``signoff report compliance --since DATE``: what the policy decided and who approved what.

Decisions by rule and by outcome, confirmations and escalations with their approvers,
refusals by code, trading-state changes (halts, resumes, loss-breaker trips) and policy
versions first used in the period. Rich tables on the terminal; ``--csv FILE`` writes
every decision (with its approvers); ``--chart FILE.png`` draws decisions per day by
outcome (matplotlib, Agg backend: no display needed). Needs the compliance role.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from datetime import date, datetime
    from typing import Any

    from ledger.history import RecordedApproval, RecordedDecision

OUTCOMES = ("allow", "confirm", "escalate", "deny")
COLORS = {"allow": "#4caf50", "confirm": "#ffb300", "escalate": "#8e24aa", "deny": "#e53935"}
CSV_COLUMNS = (
    "decided_at",
    "plan_id",
    "step_id",
    "trader",
    "decision",
    "rules",
    "codes",
    "policy",
    "approvers",
)


def register(subparsers: Any) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="compliance reports from the ledger",
        description="Reports for compliance, read from the ledger.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    kinds = parser.add_subparsers(dest="report_kind", metavar="REPORT", required=True)
    compliance = kinds.add_parser(
        "compliance",
        help="decisions by rule, approvals and approvers, refusals, halts, policy changes",
        description="Decisions by rule and outcome, confirmations and escalations with their "
        "approvers, refusals, trading-state changes and policy changes since DATE. Needs "
        "the compliance role.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    compliance.add_argument("--since", metavar="DATE", help="from DATE (UTC; default: all)")
    compliance.add_argument("--db", metavar="URL", help="ledger database URL")
    compliance.add_argument("--csv", metavar="FILE", help="write every decision as CSV")
    compliance.add_argument("--chart", metavar="FILE", help="draw decisions per day (PNG)")
    compliance.add_argument(
        "--as", dest="actor", metavar="NAME", help="who you are (default: $SIGNOFF_USER)"
    )
    compliance.set_defaults(handler=run_compliance)


def approvers_by_step(approvals: list[RecordedApproval]) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for a in approvals:
        out.setdefault((a.plan_id, a.step_id), []).append(f"{a.approver} ({a.role}, {a.outcome})")
    return out


def per_day(decisions: list[RecordedDecision]) -> dict[date, dict[str, int]]:
    days: dict[date, dict[str, int]] = {}
    for d in decisions:
        counts = days.setdefault(d.decided_at.date(), dict.fromkeys(OUTCOMES, 0))
        counts[d.verdict] = counts.get(d.verdict, 0) + 1
    return dict(sorted(days.items()))


def draw_chart(days: dict[date, dict[str, int]], path: str, title: str) -> None:
    """Decisions per day, stacked by outcome, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    labels = [day.isoformat() for day in days]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.6 * len(labels) + 3), 4), dpi=100)
    bottom = [0] * len(labels)
    for outcome in OUTCOMES:
        values = [counts.get(outcome, 0) for counts in days.values()]
        axes.bar(labels, values, bottom=bottom, label=outcome, color=COLORS[outcome])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_title(title)
    axes.set_ylabel("decisions")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def run_compliance(args: argparse.Namespace) -> int:
    from collections import Counter

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from executors.trading_state import state_history
    from ledger.history import approvals_since, decisions_since, policy_versions
    from ledger.service import Ledger
    from signoff.commands.audit import parse_since
    from signoff.commands.halt import compliance_caller

    compliance_caller(args.actor, "report compliance")
    since = parse_since(args.since) if args.since else None
    with Ledger.open(args.db, create=False) as ledger:
        decisions = decisions_since(ledger, since)
        approvals = approvals_since(ledger, since)
        versions = policy_versions(ledger)
    try:
        changes = state_history()
    except ValueError as exc:
        changes = []
        broken: str | None = str(exc)
    else:
        broken = None
    if since is not None:
        changes = [c for c in changes if c.at >= since]
        versions = [v for v in versions if _first(v.first_used, v.recorded_at) >= since]
    approvers = approvers_by_step(approvals)
    days = per_day(decisions)

    if args.csv:
        _write_csv(args.csv, decisions, approvers)
    if args.chart:
        period = f"since {since.date().isoformat()}" if since else "all recorded"
        draw_chart(days, args.chart, f"Decisions per day by outcome ({period})")

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    period = f"since {since.isoformat()}" if since else "everything recorded"
    outcomes = Counter(d.verdict for d in decisions)
    console.print(
        Text(
            f"Compliance report, {period}: {len(decisions)} decisions ("
            + ", ".join(f"{outcomes.get(o, 0)} {o}" for o in OUTCOMES)
            + ")",
            style="bold",
        )
    )

    by_rule: dict[str, Counter[str]] = {}
    for d in decisions:
        for rule in set(d.rules):
            by_rule.setdefault(rule, Counter())[d.verdict] += 1
    table = Table(title="Decisions by rule (steps the rule applied to, by final decision)")
    table.add_column("rule")
    for outcome in OUTCOMES:
        table.add_column(outcome, justify="right")
    for rule, counts in sorted(by_rule.items(), key=lambda kv: -sum(kv[1].values())):
        table.add_row(rule, *(str(counts.get(o, 0)) for o in OUTCOMES))
    console.print(table)

    gated = [d for d in decisions if d.verdict in ("confirm", "escalate")]
    table = Table(title=f"Confirmations and escalations ({len(gated)})")
    for column in ("when", "trader", "plan/step", "decision", "rules", "approvers"):
        table.add_column(column)
    for d in gated:
        table.add_row(
            d.decided_at.strftime("%Y-%m-%d %H:%M"),
            d.trader,
            f"{d.plan_id}/{d.step_id}",
            d.verdict,
            ", ".join(d.rules),
            "; ".join(approvers.get((d.plan_id, d.step_id), [])) or "not approved",
        )
    console.print(table)

    refused = [d for d in decisions if d.verdict == "deny"]
    codes = Counter(code for d in refused for code in set(d.codes))
    table = Table(title=f"Refusals ({len(refused)}) by code")
    table.add_column("code")
    table.add_column("steps", justify="right")
    for code, count in codes.most_common():
        table.add_row(code, str(count))
    console.print(table)

    table = Table(title=f"Trading-state changes ({len(changes)})")
    for column in ("#", "when", "state", "by", "why"):
        table.add_column(column)
    for c in changes:
        table.add_row(str(c.seq), c.at.strftime("%Y-%m-%d %H:%M:%S"), c.state, c.by, c.reason)
    console.print(table)
    if broken:
        console.print(Text(f"the trading-state log does not verify: {broken}", style="bold red"))

    table = Table(title=f"Policy versions used ({len(versions)})")
    for column in ("policy", "sha256", "recorded", "decisions"):
        table.add_column(column)
    for v in versions:
        table.add_row(
            v.label, v.hash[:16], v.recorded_at.strftime("%Y-%m-%d %H:%M"), str(v.decisions)
        )
    console.print(table)
    if args.csv:
        console.print(f"decisions written to {args.csv}")
    if args.chart:
        console.print(f"chart written to {args.chart}")
    return 0


def _first(used: datetime | None, recorded: datetime) -> datetime:
    return used if used is not None else recorded


def _write_csv(
    path: str, decisions: list[RecordedDecision], approvers: dict[tuple[str, str], list[str]]
) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for d in decisions:
            writer.writerow(
                [
                    d.decided_at.isoformat(),
                    d.plan_id,
                    d.step_id,
                    d.trader,
                    d.verdict,
                    " ".join(d.rules),
                    " ".join(d.codes),
                    d.policy,
                    "; ".join(approvers.get((d.plan_id, d.step_id), [])),
                ]
            )
