"""The signoff terminal UI: the app shell. Screens, widgets and the session door live apart."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from foundation.clock import Clock
from tui.screens.main import MainScreen
from tui.service import Options, Service

_STYLES = Path(__file__).parent / "styles"


class SignoffApp(App[None]):
    TITLE = "signoff"
    CSS_PATH = [_STYLES / "app.tcss", _STYLES / "screens.tcss"]  # noqa: RUF012
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [Binding("ctrl+q", "quit", "quit", priority=True)]  # noqa: RUF012

    def __init__(
        self,
        service: Service | None = None,
        *,
        options: Options | None = None,
        clock: Clock | None = None,
        poll: bool = True,
    ) -> None:
        super().__init__()
        # a service handed in belongs to the caller, who closes it
        self._owns_service = service is None
        self.service = service or Service(options, clock=clock)
        self.poll = poll

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.service, poll=self.poll)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.screen_stack[0] if self.screen_stack else None
        if not isinstance(main, MainScreen):
            return
        yield SystemCommand(
            "Run the plan", "send allowed steps, confirm gated ones", main.action_run_plan
        )
        yield SystemCommand("Reasons", "why the selected step was decided so", main.action_reasons)
        yield SystemCommand("Approvals", "what waits for your approval", main.action_approvals)
        yield SystemCommand("Story", "the plan's story from the audit trail", main.action_story)
        yield SystemCommand("Policy", "the policy in plain words", main.action_policy)
        yield SystemCommand(
            "Cancel all", "cancel open orders, stop schedules", main.action_cancel_all
        )
        yield SystemCommand("Help", "every key binding", main.action_help)

    def on_unmount(self) -> None:
        if self._owns_service:
            self.service.close()  # the executor keeps running resting and scheduled orders


def run(options: Options | None = None) -> int:
    SignoffApp(options=options).run()
    return 0
