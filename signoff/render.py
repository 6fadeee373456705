"""Readable terminal output (rich). Imported only by commands that print for people."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from intent.plan import Clarification, Plan, Refusal


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def print_parse_result(text: str, result: Plan | Clarification | Refusal) -> None:
    out = console()
    from foundation.secrets import redact

    out.print(f"[dim]request:[/] {escape(redact(text))}")
    if isinstance(result, Refusal):
        out.print(f"[bold red]not supported[/] ({result.category}): {escape(result.reason)}")
        return
    if isinstance(result, Clarification):
        out.print(f"[bold yellow]question:[/] {escape(result.question)}")
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
        table.add_row(str(index), step.action, step.describe())
    out.print(table)
