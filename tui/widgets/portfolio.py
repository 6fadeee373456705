"""Balances, their value in the reporting currency, change since the app opened, sparklines."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from intent.describe import fmt_number
from tui.views import Portfolio

# a sparkline per asset, from the prices seen so far
Spark = Callable[[str], str]


def money(value: Decimal) -> str:
    """To the cent, half to even, whatever decimal context another module left behind."""
    return f"{value.quantize(CENT, rounding=ROUND_HALF_EVEN):,}"


CENT = Decimal("0.01")


class PortfolioPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("Portfolio: waiting for the executor…", id="portfolio-total")
        table: DataTable[Text | str] = DataTable(id="portfolio-table", cursor_type="none")
        table.add_columns("asset", "amount", "value", "price", "trend")
        yield table

    def show(self, portfolio: Portfolio, opening: Decimal | None, spark: Spark) -> None:
        """``spark(asset)``: that asset's recent prices as a sparkline."""
        total = Text()
        total.append("Portfolio ", style="bold")
        total.append(f"{money(portfolio.total_value)} {portfolio.currency}")
        if opening:
            change = portfolio.total_value - opening
            pct = change / opening * 100
            sign = "+" if change >= 0 else "−"
            colour = "green" if change >= 0 else "red"
            total.append(
                f"  {sign}{money(abs(change))} ({sign}{abs(pct):.2f}%) since open", style=colour
            )
        self.query_one("#portfolio-total", Static).update(total)
        table = self.query_one("#portfolio-table", DataTable)
        table.clear()
        for holding in portfolio.holdings:
            amount = fmt_number(holding.total)
            if holding.locked:
                amount += f" ({fmt_number(holding.locked)} in orders)"
            table.add_row(
                holding.asset,
                amount,
                money(holding.value) if holding.value is not None else "—",
                fmt_number(holding.price)
                if holding.price is not None and holding.asset != portfolio.currency
                else "",
                Text(spark(holding.asset), style="cyan"),
                key=holding.asset,
            )
