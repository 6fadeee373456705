"""Rich views of the ledger for people: a plan's story, recent records, a verify report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from foundation.display import MAX_SHOWN_PLACES
from foundation.display import number as show_number
from intent.plan import parse_result_from_data
from ledger.chain import VerifyReport
from ledger.queries import DecisionLine, PlanStory
from ledger.tables import AuditRecord

_VERDICT_STYLE = {"allow": "green", "confirm": "yellow", "escalate": "magenta", "deny": "bold red"}
_STATUS_STYLE = {
    "filled": "green",
    "canceled": "dim",
    "rejected": "red",
    "expired": "dim",
    "intent": "yellow",
    "unknown": "bold yellow",
}


def _when(value: datetime | None) -> str:
    """Times in tables are UTC; the headings say so once."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _num(value: Decimal | None) -> str:
    """Recorded amounts exactly as recorded, in plain digits (no ``2.9E-7``)."""
    return show_number(value, places=MAX_SHOWN_PLACES, group=False)


def _short(digest: str | None, n: int = 12) -> str:
    return f"{digest[:n]}…" if digest else "—"


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _describe_result(data: Any) -> str:
    try:
        return parse_result_from_data(data).describe()
    except (ValidationError, TypeError, ValueError):
        return json.dumps(data, sort_keys=True)


def story_renderable(story: PlanStory) -> Group:
    """The story of one plan, from the request's text to its fills."""
    parts: list[Any] = []
    plan = story.plan
    request = story.request
    head = Text()
    head.append(f"Plan {plan.id}", style="bold")
    head.append(f"  ({plan.status})  parsed {_when(plan.parsed_at)} UTC; all times UTC")
    parts.append(head)

    if request is not None:
        body = Text()
        body.append(request.text + "\n", style="bold cyan")
        body.append(f"by {request.actor} at {_when(request.received_at)}; parser {request.parser}")
        if request.model:
            body.append(f" (model {request.model})")
        if request.session_id:
            body.append(f"; paper session {request.session_id}")
        parts.append(Panel(body, title=f"1. Request {request.id}", title_align="left"))

    parts.append(
        Panel(
            Text(_describe_result(story.result)),
            title=f"2. Parsed (content {_short(plan.content_hash)})",
            title_align="left",
        )
    )

    for number, view in enumerate(story.resolutions, 1):
        table = Table(expand=False, show_edge=False)
        for column in ("step", "kind", "symbol", "side", "quantity", "limit", "notional", "note"):
            table.add_column(column)
        for step in view.steps:
            data = _loads(step.step_json)
            note = ""
            if isinstance(data, dict):
                note = str(data.get("reason") or data.get("note") or "")
            table.add_row(
                step.step_id,
                step.kind,
                step.symbol or "—",
                step.side or "—",
                _num(step.quantity),
                _num(step.limit_price),
                _num(step.notional),
                note,
            )
        title = f"3. Resolved {_when(view.resolution.resolved_at)}"
        if len(story.resolutions) > 1:
            title += f" (#{number})"
        parts.append(Panel(table, title=title, title_align="left"))

    policies = {p.hash: p for p in story.policies}
    for evaluation in story.evaluations:
        table = Table(expand=False, show_edge=False)
        for column in ("step", "decision", "policy", "reasons"):
            table.add_column(column)
        for decision in evaluation.decisions:
            reasons = _loads(decision.reasons_json)
            lines = (
                [str(r.get("message") or r.get("code")) for r in reasons if isinstance(r, dict)]
                if isinstance(reasons, list)
                else []
            )
            policy = policies.get(decision.policy_hash)
            name = f"{decision.policy_id} v{decision.policy_version}"
            if policy is None:
                name += " (text missing!)"
            table.add_row(
                decision.step_id,
                Text(decision.verdict, style=_VERDICT_STYLE.get(decision.verdict, "")),
                f"{name}\n{_short(decision.policy_hash)}",
                "\n".join(lines) or "—",
            )
        parts.append(
            Panel(
                table,
                title=f"4. Policy decided {_when(evaluation.inputs.evaluated_at)} "
                f"(inputs {_short(evaluation.inputs.inputs_hash)})",
                title_align="left",
            )
        )

    if story.approvals:
        table = Table(expand=False, show_edge=False)
        for column in ("step", "by", "role", "outcome", "at", "expires", "used"):
            table.add_column(column)
        for approval in story.approvals:
            a = approval.approval
            use = approval.use
            used = (
                f"{_when(use.used_at)} by {use.actor}"
                + (f" → {use.client_order_id}" if use.client_order_id else "")
                if use
                else "no"
            )
            table.add_row(
                a.step_id,
                a.approver,
                a.role,
                Text(a.outcome, style="green" if a.outcome == "approved" else "red"),
                _when(a.approved_at),
                _when(a.expires_at),
                used,
            )
        parts.append(Panel(table, title="5. Approvals", title_align="left"))

    for order in story.orders:
        o = order.order
        history = Table.grid(padding=(0, 2))
        history.add_column()
        history.add_column()
        history.add_column()
        history.add_row(
            _when(o.created_at),
            Text("intent", style="yellow"),
            f"{o.side} {_num(o.quantity)} {o.symbol} {o.order_type}"
            + (f" @ {_num(o.limit_price)}" if o.limit_price is not None else "")
            + f" on {o.venue}",
        )
        for event in order.events:
            detail = []
            if event.exchange_order_id:
                detail.append(f"exchange id {event.exchange_order_id}")
            if event.filled_quantity is not None:
                detail.append(f"filled {_num(event.filled_quantity)}")
            if event.average_price is not None:
                detail.append(f"avg {_num(event.average_price)}")
            if event.detail:
                detail.append(event.detail)
            history.add_row(
                _when(event.observed_at),
                Text(event.status, style=_STATUS_STYLE.get(event.status, "")),
                "; ".join(detail),
            )
        for fill in order.fills:
            fee = f", fee {_num(fill.fee)} {fill.fee_asset or ''}" if fill.fee is not None else ""
            history.add_row(
                _when(fill.filled_at),
                Text("fill", style="green"),
                f"{_num(fill.quantity)} @ {_num(fill.price)} (trade {fill.trade_id}{fee})",
            )
        parts.append(
            Panel(
                history,
                title=f"6. Order {o.client_order_id} — {order.status}",
                title_align="left",
            )
        )

    if story.corrections:
        table = Table(expand=False, show_edge=False)
        for column in ("corrects", "by", "reason"):
            table.add_column(column)
        for correction in story.corrections:
            table.add_row(f"#{correction.corrects_seq}", correction.actor, correction.reason)
        parts.append(Panel(table, title="Corrections", title_align="left"))

    parts.append(Panel(records_table(story.records), title="Audit records", title_align="left"))
    return Group(*parts)


def records_table(
    records: Sequence[AuditRecord], decisions: Mapping[int, Sequence[DecisionLine]] | None = None
) -> Table:
    table = Table(expand=False, show_edge=False)
    for column in ("#", "time (UTC)", "kind", "actor", "plan", "subject", "decision", "hash"):
        if column == "decision":
            table.add_column(column, overflow="fold", min_width=16)
        else:
            table.add_column(column, no_wrap=column != "actor")
    for record in records:
        lines = (decisions or {}).get(record.seq, ())
        shown = Text()
        for n, line in enumerate(lines):
            if n:
                shown.append("\n")
            shown.append(f"{line.step_id} ")
            shown.append(line.verdict, style=_VERDICT_STYLE.get(line.verdict, ""))
            if line.codes:
                shown.append(f" ({', '.join(line.codes)})")
        table.add_row(
            str(record.seq),
            _when(record.recorded_at),
            record.kind,
            record.actor,
            record.plan_id or "",
            record.subject or "",
            shown,
            _short(record.hash),
        )
    return table


def console_for(stream: Any = None, *, width: int = 120) -> Console:
    """A console for command output: ``width`` columns (for ids and hashes) when not a terminal."""
    console = Console(file=stream, highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console = Console(file=stream, highlight=False, width=width)
    return console


def print_story(story: PlanStory, console: Console) -> None:
    console.print(story_renderable(story))


def print_records(
    records: Sequence[AuditRecord],
    console: Console,
    decisions: Mapping[int, Sequence[DecisionLine]] | None = None,
    *,
    empty: str = "the audit trail is empty",
) -> None:
    if not records:
        console.print(empty)
        return
    console.print(records_table(records, decisions))


def verify_lines(
    report: VerifyReport, *, shown: int = 10, missing_key: str | None = None
) -> list[str]:
    """The verify report as plain lines: the verdict first, then the problems.

    ``missing_key``: the audit key looked for and not found (heads not checked).
    """
    signing = report.signing
    if report.ok:
        lines = [
            f"ok: audit chain verified: {report.records} record(s), "
            f"head #{report.head_seq} {_short(report.head_hash, 16)}"
        ]
        if report.checkpoint is not None:
            lines.append(
                f"ok: the log still extends the checkpoint at #{report.checkpoint.sequence} "
                f"{_short(report.checkpoint.hash, 16)}"
            )
        if signing is not None:
            lines.append(
                f"ok: signed by the executor's audit key {signing.key_id} ({signing.key_path}): "
                f"{signing.signatures} signed head(s), the last #{signing.last_signed}"
                + (
                    f"; nothing cut since the signed head #{signing.head_file_seq}"
                    if signing.head_file_seq is not None
                    else ""
                )
            )
    else:
        first = report.problems[0]
        lines = [
            f"TAMPERED: the audit chain does not verify ({len(report.problems)}"
            f"{'+' if report.truncated else ''} problem(s) in {report.records} record(s))",
            f"first bad record: {first.describe()}",
        ]
        for problem in report.problems[1:shown]:
            lines.append(f"  also: {problem.describe()}")
        if len(report.problems) > shown or report.truncated:
            lines.append("  ... more problems not shown")
    if signing is not None:
        lines.extend(f"note: {note}" for note in signing.notes)
    elif missing_key is not None:
        lines.append(
            f"note: heads are not signed: no audit key at {missing_key} "
            "(records appended or cut by someone who can write the database are not caught "
            "without a checkpoint)"
        )
    return lines
