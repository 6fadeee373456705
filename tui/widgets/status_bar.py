"""One line: identity and role, account, venue, policy, trading state, executor health."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.views import Status

_HEALTH = {
    "starting": ("…", "yellow"),
    "ok": ("●", "green"),
    "slow": ("◐", "yellow"),
    "down": ("○", "red"),
}


class StatusBar(Static):
    def show(self, status: Status | None, *, note: str = "") -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        if status is None:
            text.append("… starting the executor", style="yellow")
        else:
            mark, colour = _HEALTH[status.executor]
            text.append(f"executor {mark} {status.executor}", style=colour)
            if status.executor != "ok" and status.executor_detail:
                text.append(f": {status.executor_detail}", style=colour)
            text.append(" · ")
            text.append(f"{status.identity} ({status.role})", style="bold")
            text.append(f" · {status.account} · {status.venue} · ")
            text.append(
                status.trading_state, style="green" if status.trading_state == "ACTIVE" else "red"
            )
            text.append(f" · policy {status.policy}")
            if status.clock:
                text.append(f" · {status.clock}", style="cyan")
        if note:
            text.append(f" · {note}", style="yellow")
        self.update(text)
