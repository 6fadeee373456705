"""One step's decision and its reasons (rule, limit, observed)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.views import StepRow
from tui.widgets.plan_table import decision_text


class ReasonsScreen(ModalScreen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "close", "close"),
        Binding("r", "close", "close", show=False),
        Binding("q", "close", "close", show=False),
    ]

    def __init__(self, row: StepRow, state: str) -> None:
        super().__init__()
        self.row = row
        self.state = state

    def compose(self) -> ComposeResult:
        row = self.row
        text = Text()
        text.append(f"{row.step_id}: ", style="bold")
        text.append(row.summary)
        text.append("\nDecision: ")
        text.append_text(decision_text(row.decision))
        text.append(f"\nNow: {self.state}")
        if row.reasons:
            text.append("\n\nReasons:")
            for reason in row.reasons:
                text.append(f"\n  • {reason}")
        else:
            text.append("\n\nNo rule applies: the policy allows it.", style="dim")
        if row.decision == "deny":
            text.append("\n\nA denied step never runs, from any key.", style="bold red")
        text.append("\n\nEsc closes.", style="dim")
        with Vertical(id="reasons-box"):
            yield Static(text, id="reasons-text")

    def action_close(self) -> None:
        self.dismiss(None)
