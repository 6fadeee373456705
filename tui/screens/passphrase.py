"""Ask for the passphrase of the person's signing key (never shown, never stored)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PassphraseScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "cancel")]  # noqa: RUF012

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="passphrase-box"):
            yield Static(
                "Your signing key is locked. Its passphrase unlocks it for this session "
                f"only.\n{self.why}",
                id="passphrase-why",
            )
            yield Input(password=True, placeholder="passphrase", id="passphrase")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
