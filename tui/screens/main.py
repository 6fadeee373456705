"""The main screen: the request box, the plan under review, the portfolio and the activity."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input

from tui import history, i18n
from tui.messages import (
    ApprovalGiven,
    PlanProposed,
    Refreshed,
    RequestFailed,
    SessionFailed,
    SessionReady,
    StepsChanged,
)
from tui.screens.approvals import ApprovalsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.passphrase import PassphraseScreen
from tui.screens.policy import PolicyScreen
from tui.screens.reasons import ReasonsScreen
from tui.screens.story import StoryScreen
from tui.screens.yes_no import YesNoScreen
from tui.service import Service, describe_error, sparkline
from tui.views import Outcome, PlanView, Status
from tui.widgets.activity import ActivityPanel
from tui.widgets.plan_table import STATE_WORDS, PlanPanel
from tui.widgets.portfolio import PortfolioPanel
from tui.widgets.request_box import RequestBox
from tui.widgets.status_bar import StatusBar

RETRY_SECONDS = 3.0
POLL_SECONDS = 2.0
# an answer this short is worked into the question's request; longer is a new request
ANSWER_WORDS = 3


class MainScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("x", "run_plan", "run plan"),
        Binding("r", "reasons", "reasons"),
        Binding("a", "approvals", "approvals"),
        Binding("s", "story", "story"),
        Binding("p", "policy", "policy"),
        Binding("ctrl+k", "cancel_all", "cancel all", priority=True),
        Binding("f5", "refresh", "refresh", show=False),
        Binding("slash,i", "focus_request", "request", show=False),
        Binding("question_mark,f1", "help", "help"),
        Binding("q", "app.quit", "quit", show=False),
    ]

    def __init__(self, service: Service, *, poll: bool = True) -> None:
        super().__init__()
        self.service = service
        self.poll = poll
        self.status: Status | None = None
        self.clarifying: PlanView | None = None
        self.submitted: set[str] = set()
        self._polling = False
        self.busy = False
        self.refreshes = 0  # polls shown so far

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield RequestBox(id="request")
        yield PlanPanel(id="plan")
        with Horizontal(id="lower"):
            yield PortfolioPanel(id="portfolio")
            yield ActivityPanel(id="activity")
        yield Footer()

    @property
    def plan_panel(self) -> PlanPanel:
        return self.query_one(PlanPanel)

    @property
    def request_box(self) -> RequestBox:
        return self.query_one(RequestBox)

    def on_mount(self) -> None:
        self.query_one(StatusBar).show(None)
        self.request_box.focus()
        self.start_session()

    # ------------------------------------------------------------------ session
    @work(thread=True, exclusive=True, group="start")
    def start_session(self) -> None:
        from foundation.errors import IdentityError

        try:
            reconciled = self.service.start()
            past = history.load()
            status = self.service.status()
        except IdentityError as error:
            # only the person can fix these: their key is locked or missing
            locked = error.code == "KEY_LOCKED"
            self.post_message(SessionFailed(describe_error(error), retry=False, locked=locked))
            return
        except Exception as error:
            self.post_message(SessionFailed(describe_error(error)))
            return
        self.post_message(SessionReady(status, reconciled, past))

    def on_session_ready(self, message: SessionReady) -> None:
        self.status = message.status
        self.query_one(StatusBar).show(message.status)
        for text in message.history:
            self.request_box.remember(text)
        for line in message.reconciled:
            self.notify(f"reconciled after a restart: {line}")
        if self.poll:
            self.set_interval(POLL_SECONDS, self.refresh_data)
        self.refresh_data()

    def on_session_failed(self, message: SessionFailed) -> None:
        if message.locked:
            self.app.push_screen(PassphraseScreen(message.error), self._unlock)
            return
        if not message.retry:
            self.query_one(StatusBar).show(None, note=message.error)
            self.plan_panel.note(Text(f"Cannot sign as you: {message.error}", style="red"))
            return
        self.query_one(StatusBar).show(
            None, note=f"executor down: {message.error}; retrying in {RETRY_SECONDS:.0f} s"
        )
        self.plan_panel.note(
            Text(f"The executor is not available: {message.error}. Retrying…", style="red")
        )
        self.set_timer(RETRY_SECONDS, self.start_session)

    def _unlock(self, passphrase: str | None) -> None:
        if passphrase is None:
            self.plan_panel.note(
                Text("Your key stays locked: nothing can be signed. Quit with ctrl+q.", "red")
            )
            return
        self.service.unlock(passphrase)
        self.start_session()

    def refresh_data(self) -> None:
        if self.service.started and not self._polling:
            self._polling = True
            self._poll()

    @work(thread=True, group="poll")
    def _poll(self) -> None:
        status = portfolio = activity = None
        error = ""
        try:
            status = self.service.status()
            if status.executor != "down":
                portfolio = self.service.portfolio()
                activity = self.service.activity()
                for plan_id in self.service.waiting_plans():
                    # approved (or rejected) by a second person, here or elsewhere
                    outcomes = self.service.follow(plan_id)
                    if outcomes:
                        self.post_message(StepsChanged(plan_id, outcomes))
        except Exception as exc:
            error = describe_error(exc)
        self.post_message(Refreshed(status, portfolio, activity, error))

    def on_refreshed(self, message: Refreshed) -> None:
        self._polling = False
        if message.status is not None:
            self.status = message.status
        note = ""
        if message.status is not None and message.status.executor == "down":
            note = f"retrying every {POLL_SECONDS:.0f} s; your plan is kept"
        elif message.error:
            note = message.error
        self.query_one(StatusBar).show(self.status, note=note)
        if message.portfolio is not None:
            self.query_one(PortfolioPanel).show(
                message.portfolio,
                self.service.opening_value,
                lambda asset: sparkline(self.service.price_history(asset), width=6),
            )
        if message.activity is not None:
            self.query_one(ActivityPanel).show(message.activity)
        self.refreshes += 1

    # ------------------------------------------------------------------ requests
    @on(Input.Submitted, "#request")
    def submit_request(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if not self.service.started:
            self.plan_panel.note(
                Text("The executor is not ready yet; your request stays in the box.", "yellow")
            )
            return
        if self.clarifying is not None and len(text.split()) <= ANSWER_WORDS:
            text = i18n.answered(self.clarifying.text, text)
        self.request_box.remember(text)
        self.request_box.value = ""
        self.plan_panel.note(Text(f"Reading “{text}”…", style="dim"))
        self.propose(text)

    @work(thread=True, exclusive=True, group="propose")
    def propose(self, text: str) -> None:
        try:
            history.append(text)
        except OSError as error:
            self.app.call_from_thread(
                self.notify, f"history not saved: {error}", severity="warning"
            )
        try:
            plan = self.service.propose(text)
            states = self.service.states(plan.plan_id)
        except Exception as error:
            self.post_message(RequestFailed(text, describe_error(error)))
            return
        self.post_message(PlanProposed(plan, states))
        self.service.countersign()  # once the plan is on its way to the screen

    def on_plan_proposed(self, message: PlanProposed) -> None:
        plan = message.plan
        self.plan_panel.show(plan, message.states)
        if plan.status == "clarify":
            self.clarifying = plan
            self.request_box.focus()
            return
        self.clarifying = None
        if plan.status == "plan":
            self.plan_panel.table.focus()
        else:
            self.request_box.focus()

    def on_request_failed(self, message: RequestFailed) -> None:
        if not self.request_box.value:
            self.request_box.value = message.text  # the request is never lost
        self.plan_panel.note(Text(f"Could not read the request: {message.error}", style="red"))

    # ------------------------------------------------------------------ running
    def _current(self) -> PlanView | None:
        plan = self.plan_panel.plan
        if plan is None or plan.status != "plan":
            self.notify("No plan to run: type a request first.", severity="warning")
            return None
        return plan

    @work(exclusive=True, group="run")
    async def action_run_plan(self) -> None:
        plan = self._current()
        if plan is None or self.busy:
            return
        self.busy = True
        try:
            await self._run(plan)
        finally:
            self.busy = False

    async def _run(self, plan: PlanView) -> None:
        panel = self.plan_panel
        service = self.service
        valid_for = service.valid_for_seconds()
        self.submitted.add(plan.plan_id)
        for row in plan.steps:
            state, _ = panel.states.get(row.step_id, ("ready", ""))
            if row.decision != "confirm" or state not in ("needs-confirm", "ask-again"):
                continue
            stale = await asyncio.to_thread(service.stale, plan.plan_id)
            if stale:
                self._decide_again(plan, stale)
                return
            # the person has as long to decide as an approval would last
            deadline = service.clock.now() + timedelta(seconds=valid_for)
            answer = await self.app.push_screen_wait(
                ConfirmScreen(
                    row,
                    clock=service.clock,
                    deadline=deadline,
                    valid_for=valid_for,
                    type_to_confirm=service.needs_typing(row),
                )
            )
            if answer is None:
                panel.set_state(row.step_id, "ask-again", "the time to decide ran out")
                continue
            try:
                if answer:
                    approved = await asyncio.to_thread(service.approve, plan.plan_id, row.step_id)
                    until = f"until {approved.expires_at:%H:%M:%S}"
                    panel.set_state(row.step_id, "approved", until)
                else:
                    await asyncio.to_thread(service.reject, plan.plan_id, row.step_id)
                    panel.set_state(row.step_id, "rejected", "you said no")
            except Exception as error:
                panel.set_state(row.step_id, "failed", describe_error(error))
        await self._execute(plan.plan_id)

    def _decide_again(self, plan: PlanView, why: str) -> None:
        """The plan's decision can no longer be confirmed: decide the request again at
        today's prices, unless part of it already ran (that part is never sent twice)."""
        panel = self.plan_panel
        ran = [
            sid
            for sid, (state, _) in panel.states.items()
            # a failed step may have reached the venue (its outcome unknown): kept too
            if state in ("executed", "sending", "waiting", "failed")
        ]
        if ran:
            self.notify(
                f"Not confirmed: {why}. {', '.join(ran)} already went ahead, so the request "
                "is not decided again as a whole: type the steps still to do as a new request.",
                severity="warning",
                timeout=15,
            )
            return
        self.notify(f"Not confirmed: {why}. Decided again at today's prices: review and press x.")
        self.propose(plan.text)

    async def _execute(self, plan_id: str) -> None:
        panel = self.plan_panel
        for step_id, (state, _) in list(panel.states.items()):
            if state in ("ready", "approved"):
                panel.set_state(step_id, "sending", "")
        try:
            outcomes = await asyncio.to_thread(self.service.execute, plan_id)
        except Exception as error:
            message = describe_error(error)
            for step_id, (state, _) in list(panel.states.items()):
                if state == "sending":
                    panel.set_state(step_id, "failed", message)
            self.notify(
                f"Not sent: {message}. The plan is kept; press x to try again.", severity="error"
            )
            return
        self.post_message(StepsChanged(plan_id, outcomes))

    def on_steps_changed(self, message: StepsChanged) -> None:
        plan = self.plan_panel.plan
        if plan is None or plan.plan_id != message.plan_id:
            self._report(message.outcomes)
            return
        for outcome in message.outcomes:
            self.plan_panel.set_state(outcome.step_id, outcome.state, outcome.detail)
        self.refresh_data()

    def _report(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            word, _ = STATE_WORDS[outcome.state]
            self.notify(f"{outcome.step_id} {word}: {outcome.detail}")

    def on_approval_given(self, message: ApprovalGiven) -> None:
        self.post_message(StepsChanged(message.plan_id, message.outcomes))

    # ------------------------------------------------------------------ other keys
    def action_reasons(self) -> None:
        row = self.plan_panel.selected()
        if row is None:
            self.notify("No step selected.", severity="warning")
            return
        state, detail = self.plan_panel.states.get(row.step_id, ("ready", ""))
        word, _ = STATE_WORDS[state]
        self.app.push_screen(ReasonsScreen(row, f"{word}{': ' + detail if detail else ''}"))

    def action_approvals(self) -> None:
        if self.service.started:
            self.app.push_screen(ApprovalsScreen(self.service))

    def action_story(self) -> None:
        plan = self.plan_panel.plan
        if plan is None:
            self.notify("No plan yet.", severity="warning")
            return
        self.app.push_screen(StoryScreen(self.service, plan.plan_id))

    def action_policy(self) -> None:
        if self.service.started:
            self.app.push_screen(PolicyScreen(self.service))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_refresh(self) -> None:
        self.refresh_data()

    def action_focus_request(self) -> None:
        self.request_box.focus()

    @work(exclusive=True, group="run")
    async def action_cancel_all(self) -> None:
        if not self.service.started:
            return
        sure = await self.app.push_screen_wait(
            YesNoScreen(
                "Cancel ALL open orders of this account and stop its schedules?",
                yes="Cancel everything",
                no="Keep them",
            )
        )
        if not sure:
            return
        try:
            outcomes = await asyncio.to_thread(self.service.cancel_all)
        except Exception as error:
            self.notify(f"Cancel all failed: {describe_error(error)}", severity="error")
            return
        self._report(outcomes)
        self.refresh_data()

    @on(DataTable.RowSelected, "#plan-table")
    def _row_selected(self) -> None:
        self.action_reasons()
