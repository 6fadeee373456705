"""Open orders, pending triggers and schedules, and recent fills."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui.views import Activity

_KIND = {"order": "", "trigger": "⏱ ", "schedule": "↻ "}


class ActivityPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("Open orders, triggers and schedules", classes="panel-title")
        orders: DataTable[Text | str] = DataTable(id="orders-table", cursor_type="none")
        orders.add_columns("side", "amount", "market", "price / when", "status")
        yield orders
        yield Static("Recent fills", classes="panel-title")
        fills: DataTable[Text | str] = DataTable(id="fills-table", cursor_type="none")
        fills.add_columns("time", "side", "amount", "market", "price")
        yield fills

    def show(self, activity: Activity) -> None:
        orders = self.query_one("#orders-table", DataTable)
        orders.clear()
        for line in activity.open_orders:
            orders.add_row(
                Text(line.side, style="green" if line.side == "buy" else "red"),
                line.quantity,
                line.symbol,
                _KIND[line.kind] + line.price,
                line.status,
                key=line.client_order_id,
            )
        fills = self.query_one("#fills-table", DataTable)
        fills.clear()
        for index, fill in enumerate(activity.fills):
            fills.add_row(
                f"{fill.at:%H:%M:%S}",
                Text(fill.side, style="green" if fill.side == "buy" else "red"),
                fill.quantity,
                fill.symbol,
                fill.price,
                key=f"{fill.client_order_id}-{index}",
            )
