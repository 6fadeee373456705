"""Every key binding, and how the gates work."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter (in the box)", "read and decide the request (nothing runs yet); answers a question"),
    ("↑ / ↓ (in the box)", "earlier requests (kept across runs)"),
    ("Esc / Tab", "leave the box for the plan"),
    ("/  or  i", "back to the request box"),
    ("x", "run the plan: allowed steps are sent; each confirm step asks you first"),
    ("r", "the reasons for the selected step (rule, limit, observed)"),
    ("a", "approvals waiting for you (Enter approves, n rejects)"),
    ("s", "the plan's story from the audit trail"),
    ("p", "the policy in plain words"),
    ("ctrl+k", "cancel all open orders and stop schedules (asks first)"),
    ("f5", "refresh now (the screen also refreshes every 2 s)"),
    ("ctrl+p", "command palette"),
    ("? / f1", "this help"),
    ("q / ctrl+q", "quit (the executor keeps running resting orders)"),
    ("Esc (on other screens)", "back"),
)


class HelpScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "back"),
        Binding("q", "app.pop_screen", "back", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static("Keys", classes="screen-title")
        table = Table(show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        gates = Text(
            "\nDecisions: ✓ allow runs when you press x · ? confirm asks you in a dialog · "
            "⇧ escalate waits for a second approver (never you) · ✗ deny never runs.\n"
            "The executor checks every step again before sending; an expired approval or a "
            "price that drifted asks again.",
            style="dim",
        )
        with VerticalScroll(id="help-scroll"):
            yield Static(table)
            yield Static(gates)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()
