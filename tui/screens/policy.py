"""The policy in plain words (as ``signoff policy explain``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.service import Service, describe_error


class PolicyScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "back")]  # noqa: RUF012

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield Static("The policy in plain words", classes="screen-title")
        with VerticalScroll(id="policy-scroll"):
            yield Static(self._text(), id="policy-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#policy-scroll", VerticalScroll).focus()

    def _text(self) -> Text:
        try:
            policy = self.service.policy_text()  # in memory: no I/O
        except Exception as error:
            return Text(f"Cannot explain the policy: {describe_error(error)}", style="red")
        text = Text()
        text.append(policy.title, style="bold")
        for heading, items in policy.sections:
            text.append(f"\n\n{heading}:", style="bold")
            for item in items:
                text.append(f"\n  • {item}")
        return text
