"""What waits for the signed-in identity's approval; approve or reject it here."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.messages import ApprovalGiven
from tui.service import Service, describe_error
from tui.views import Pending
from tui.widgets.plan_table import decision_text


class ApprovalsScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "back"),
        Binding("enter", "approve", "approve", show=True),
        Binding("n", "reject", "reject"),
        Binding("f5", "reload", "reload"),
    ]

    def __init__(self, service: Service) -> None:
        super().__init__()
        self.service = service
        self.pending: list[Pending] = []
        self.note_text = ""

    def compose(self) -> ComposeResult:
        yield Static("Approvals waiting for you", id="approvals-title", classes="screen-title")
        table: DataTable[Text | str] = DataTable(id="approvals-table", cursor_type="row")
        table.add_columns("plan:step", "what", "decision", "asked by", "who may approve")
        yield table
        yield Static("", id="approvals-note")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def _note(self, text: Text) -> None:
        self.note_text = text.plain
        if self.is_attached:  # the person may have left the screen meanwhile
            self.query_one("#approvals-note", Static).update(text)

    @on(DataTable.RowSelected, "#approvals-table")
    def _selected_row(self) -> None:
        self.action_approve()

    @work(exclusive=True, group="approvals")
    async def action_reload(self) -> None:
        try:
            pending = await asyncio.to_thread(self.service.pending)
        except Exception as error:  # shown where it happened
            self._note(Text(f"Cannot list approvals: {describe_error(error)}", style="red"))
            return
        self.pending = pending
        if not self.is_attached:
            return
        table = self.query_one("#approvals-table", DataTable)
        table.clear()
        for item in pending:
            table.add_row(
                f"{item.plan_id}:{item.step_id}",
                item.summary,
                decision_text(item.decision),
                item.requester,
                ", ".join(item.approvers),
                key=f"{item.plan_id}:{item.step_id}",
            )
        if not pending:
            self._note(Text("Nothing waits for you.", style="dim"))
        else:
            self._note(
                Text(
                    "Enter approves (signed as you), n rejects. The requester never approves "
                    "their own escalation; the executor checks again.",
                    style="dim",
                )
            )
        table.focus()

    def _selected(self) -> Pending | None:
        table = self.query_one("#approvals-table", DataTable)
        if not self.pending or table.cursor_row is None:
            return None
        return self.pending[table.cursor_row] if table.cursor_row < len(self.pending) else None

    @work(exclusive=True, group="approvals")
    async def action_approve(self) -> None:
        item = self._selected()
        if item is None:
            return
        try:
            outcomes = await asyncio.to_thread(
                self.service.approve_waiting, item.plan_id, item.step_id
            )
        except Exception as error:
            self._note(Text(f"{item.step_id} not approved: {describe_error(error)}", style="red"))
            return
        done = next((o for o in outcomes if o.step_id == item.step_id), None)
        said = f"{item.step_id} approved" + (f": {done.detail}" if done else ".")
        self._note(Text(said, style="green"))
        self.app.post_message(ApprovalGiven(item.plan_id, outcomes))
        self.action_reload()

    @work(exclusive=True, group="approvals")
    async def action_reject(self) -> None:
        item = self._selected()
        if item is None:
            return
        try:
            await asyncio.to_thread(self.service.reject_waiting, item.plan_id, item.step_id)
        except Exception as error:
            self._note(Text(f"{item.step_id}: {describe_error(error)}", style="red"))
            return
        self._note(Text(f"{item.step_id} rejected; it will not run.", style="dim"))
        self.action_reload()
