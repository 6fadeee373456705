"""Confirm one step: exactly what will be sent, why it needs you, and the time left.

Above a size the policy sets, the person types the amount or the market to confirm.
Dismissed with True (confirm), False (reject) or None (the time ran out: ask again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from foundation.clock import Clock
from tui.views import StepRow
from tui.widgets.plan_table import decision_text


class ConfirmScreen(ModalScreen[bool | None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "reject", "reject"),
        Binding("ctrl+y", "confirm", "confirm", show=False),
    ]

    def __init__(
        self,
        row: StepRow,
        *,
        clock: Clock,
        deadline: datetime,
        valid_for: int,
        type_to_confirm: bool,
    ) -> None:
        super().__init__()
        self.row = row
        self.clock = clock
        self.deadline = deadline
        self.valid_for = valid_for
        self.type_to_confirm = type_to_confirm

    def compose(self) -> ComposeResult:
        row = self.row
        with VerticalScroll(id="confirm-box"):
            title = Text()
            title.append(f"Confirm {row.step_id}: ", style="bold")
            title.append(row.summary)
            yield Static(title, id="confirm-title")
            # two fields a line, so that the whole dialog fits in 80×24
            exact = Table.grid(padding=(0, 1))
            for _ in range(2):
                exact.add_column(style="dim", no_wrap=True)
                exact.add_column()
            long = ("client order id", "policy")
            fields = [f for f in row.exact if f[0] not in long]
            for left, right in zip(fields[0::2], [*fields[1::2], ("", "")], strict=False):
                exact.add_row(left[0], left[1], right[0], right[1])
            yield Static(exact, id="confirm-exact")
            ids = Text()
            for name, value in row.exact:
                if name in long:
                    ids.append(f"{name} ", style="dim")
                    ids.append(f"{value}   ")
            yield Static(ids, id="confirm-ids")
            why = Text()
            why.append("Why: ")
            why.append_text(decision_text(row.decision))
            for reason in row.reasons:
                why.append(f"\n  • {reason}")
            yield Static(why, id="confirm-reasons")
            yield Static("", id="confirm-time")
            if self.type_to_confirm:
                yield Static(
                    f"This order is large: type the amount ({row.quantity}) or the market "
                    f"({row.symbol}) to confirm.",
                    id="confirm-typed-hint",
                )
                yield Input(placeholder=f"{row.quantity} or {row.symbol}", id="confirm-typed")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    "Confirm and sign",
                    id="confirm-yes",
                    variant="success",
                    disabled=self.type_to_confirm,
                    compact=True,
                )
                yield Button("Reject (Esc)", id="confirm-no", variant="error", compact=True)

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(1.0, self._tick)
        if self.type_to_confirm:
            self.query_one("#confirm-typed", Input).focus()
        else:
            self.query_one("#confirm-no", Button).focus()

    def seconds_left(self) -> int:
        return max(0, int((self.deadline - self.clock.now()).total_seconds()))

    def _tick(self) -> None:
        left = self.seconds_left()
        text = Text()
        text.append(f"Time left to decide: {timedelta(seconds=left)}", style="bold")
        text.append(
            f" · once confirmed, valid for {timedelta(seconds=self.valid_for)}; "
            "the executor checks everything again before sending",
            style="dim",
        )
        self.query_one("#confirm-time", Static).update(text)
        if left <= 0:
            self.dismiss(None)

    def typed_ok(self) -> bool:
        if not self.type_to_confirm:
            return True
        typed = self.query_one("#confirm-typed", Input).value.strip()
        return typed.upper() in {self.row.quantity.upper(), self.row.symbol.upper()} or (
            typed.replace(",", "") == self.row.quantity.replace(",", "")
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#confirm-yes", Button).disabled = not self.typed_ok()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.typed_ok():
            self.action_confirm()
        else:
            self.notify("That is neither the amount nor the market.", severity="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.action_reject()

    def action_confirm(self) -> None:
        if self.typed_ok() and self.seconds_left() > 0:
            self.dismiss(True)

    def action_reject(self) -> None:
        self.dismiss(False)
