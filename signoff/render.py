"""Readable terminal output (rich). Imported only by commands that print for people."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from intent.describe import fmt_number
from intent.plan import Clarification, OrderStep, Plan, Refusal


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def print_parse_result(text: str, result: Plan | Clarification | Refusal) -> None:
    out = console()
    out.print(f"[dim]request:[/] {text}")
    if isinstance(result, Refusal):
        out.print(f"[bold red]not supported[/] ({result.category}): {result.reason}")
        return
    if isinstance(result, Clarification):
        out.print(f"[bold yellow]question:[/] {result.question}")
        if result.missing:
            out.print(f"[dim]missing: {', '.join(result.missing)}[/]")
        return
    table = Table(
        title="plan (nothing is traded until the policy and you approve)", title_justify="left"
    )
    table.add_column("#", justify="right")
    table.add_column("action")
    table.add_column("details")
    for index, step in enumerate(result.steps, 1):
        details = step.describe()
        if isinstance(step, OrderStep) and step.limit_price is not None:
            details += f"  [dim](limit {fmt_number(step.limit_price)})[/]"
        table.add_row(str(index), step.action, details)
    out.print(table)
