"""Readable terminal output (rich). Imported only by commands that print for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False)


def print_parse_result(text: str, result: Mapping[str, Any]) -> None:
    """A parse result in its plain form (the parser's dict, or ``model_dump(by_alias=True)``
    of the typed models): no pydantic is needed to show it."""
    from foundation.secrets import redact
    from intent.describe import describe_step

    out = console()
    out.print(f"[dim]request:[/] {escape(redact(text))}")
    status = result["status"]
    if status == "unsupported":
        out.print(f"[bold red]not supported[/] ({result['category']}): {escape(result['reason'])}")
        return
    if status == "clarify":
        out.print(f"[bold yellow]question:[/] {escape(result['question'])}")
        if result.get("missing"):
            out.print(f"[dim]missing: {', '.join(result['missing'])}[/]")
        return
    table = Table(
        title="plan (nothing is traded until the policy and you approve)", title_justify="left"
    )
    table.add_column("#", justify="right")
    table.add_column("action")
    table.add_column("details")
    for index, step in enumerate(result["steps"], 1):
        table.add_row(str(index), str(step["action"]), describe_step(step))
    out.print(table)
