"""Messages the workers post back to the screens (workers never touch widgets)."""

from __future__ import annotations

from textual.message import Message

from tui.views import Activity, Outcome, PlanView, Portfolio, Status, StepState


class SessionReady(Message):
    def __init__(self, status: Status, reconciled: list[str], history: list[str]) -> None:
        super().__init__()
        self.status = status
        self.reconciled = reconciled
        self.history = history


class SessionFailed(Message):
    """The session could not start; ``retry`` unless only the person can fix it."""

    def __init__(self, error: str, *, retry: bool = True, locked: bool = False) -> None:
        super().__init__()
        self.error = error
        self.retry = retry
        self.locked = locked


class PlanProposed(Message):
    def __init__(self, plan: PlanView, states: dict[str, tuple[StepState, str]]) -> None:
        super().__init__()
        self.plan = plan
        self.states = states


class RequestFailed(Message):
    """Proposing a request failed; the request stays in the box."""

    def __init__(self, text: str, error: str) -> None:
        super().__init__()
        self.text = text
        self.error = error


class StepsChanged(Message):
    def __init__(self, plan_id: str, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.plan_id = plan_id
        self.outcomes = outcomes


class Refreshed(Message):
    """A poll of the executor: status, portfolio and activity (None: that part failed)."""

    def __init__(
        self,
        status: Status | None,
        portfolio: Portfolio | None,
        activity: Activity | None,
        error: str = "",
    ) -> None:
        super().__init__()
        self.status = status
        self.portfolio = portfolio
        self.activity = activity
        self.error = error


class ApprovalGiven(Message):
    """A step of ``plan_id`` was approved on the approvals screen; what happened since."""

    def __init__(self, plan_id: str, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.plan_id = plan_id
        self.outcomes = outcomes
