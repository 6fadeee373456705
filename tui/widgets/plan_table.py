"""The plan under review: one row per step in plain words, its decision and where it stands."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tui import i18n
from tui.views import COLOUR, SYMBOL, PlanView, StepRow, StepState

STATE_WORDS: dict[str, tuple[str, str]] = {
    "ready": ("ready", "green"),
    "needs-confirm": ("to confirm", "yellow"),
    "waiting": ("waiting", "magenta"),
    "approved": ("approved", "green"),
    "rejected": ("rejected", "dim"),
    "denied": ("never runs", "red"),
    "sending": ("sending…", "yellow"),
    "executed": ("done", "green"),
    "refused": ("refused", "red"),
    "failed": ("failed", "red"),
    "ask-again": ("ask again", "yellow"),
}


def decision_text(decision: str) -> Text:
    return Text(f"{SYMBOL[decision]} {decision}", style=f"bold {COLOUR[decision]}")


class PlanPanel(Vertical):
    """The plan, or the question to answer, or why the request was refused."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.plan: PlanView | None = None
        self.states: dict[str, tuple[StepState, str]] = {}
        self.note_text = ""

    def compose(self) -> ComposeResult:
        yield Static("No plan yet: type a request below.", id="plan-note")
        table: DataTable[Text | str] = DataTable(
            id="plan-table", cursor_type="row", zebra_stripes=False
        )
        table.add_columns(
            "step", "side", "amount", "asset", "price / when", "value", "decision", "status"
        )
        yield table

    @property
    def table(self) -> DataTable[Text | str]:
        return self.query_one("#plan-table", DataTable)

    def note(self, text: str | Text) -> None:
        self.note_text = text.plain if isinstance(text, Text) else text
        self.query_one("#plan-note", Static).update(text)

    def show(self, plan: PlanView, states: dict[str, tuple[StepState, str]]) -> None:
        self.plan = plan
        self.states = dict(states)
        table = self.table
        table.clear()
        notices = Text("".join(f"\n⚠ {n}" for n in plan.notices), style="yellow")
        if plan.status == "clarify":
            note = Text()
            note.append(f"{i18n.word('question', plan.language)}: ", style="bold yellow")
            note.append(plan.question)
            note.append(f"\n{i18n.word('answer_hint', plan.language)}. ", style="dim")
            note.append(i18n.word("nothing", plan.language), style="dim")
            self.note(note + notices)
            return
        if plan.status == "unsupported":
            note = Text()
            note.append(f"{i18n.word('refused', plan.language)}: ", style="bold red")
            note.append(plan.refusal)
            note.append(f"\n{i18n.word('nothing', plan.language)}", style="dim")
            self.note(note + notices)
            return
        header = Text()
        header.append("Plan ", style="bold")
        header.append(plan.plan_id, style="dim")
        header.append(": ")
        header.append(plan.text)
        self.note(header + notices)
        for row in plan.steps:
            table.add_row(*self._cells(row), key=row.step_id)

    def _cells(self, row: StepRow) -> list[Text | str]:
        state, detail = self.states.get(row.step_id, ("ready", ""))
        word, colour = STATE_WORDS[state]
        status = Text(word, style=colour)
        if detail and state in (
            "waiting",
            "executed",
            "refused",
            "failed",
            "ask-again",
            "approved",
        ):
            status.append(f": {detail}", style="dim")
        return [
            row.step_id,
            Text(
                row.action,
                style="green" if row.action == "Buy" else ("red" if row.action == "Sell" else ""),
            ),
            row.amount,
            row.asset,
            row.price,
            row.notional,
            decision_text(row.decision),
            status,
        ]

    def set_state(self, step_id: str, state: StepState, detail: str) -> None:
        self.states[step_id] = (state, detail)
        if self.plan is None:
            return
        row = next((r for r in self.plan.steps if r.step_id == step_id), None)
        if row is None:
            return
        cells = self._cells(row)
        table = self.table
        for column, value in zip(table.columns, cells, strict=False):
            table.update_cell(step_id, column, value)

    def selected(self) -> StepRow | None:
        if self.plan is None or not self.plan.steps:
            return None
        table = self.table
        index = table.cursor_row if table.cursor_row is not None else 0
        if 0 <= index < len(self.plan.steps):
            return self.plan.steps[index]
        return None
