"""A question with its own confirmation (the cancel-all key uses it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class YesNoScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "no", "no")]  # noqa: RUF012

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="yesno-box"):
            yield Static(self.question, id="yesno-question")
            with Horizontal(id="yesno-buttons"):
                yield Button(self.yes, id="yesno-yes", variant="error")
                yield Button(f"{self.no} (Esc)", id="yesno-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#yesno-no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yesno-yes")

    def action_no(self) -> None:
        self.dismiss(False)
