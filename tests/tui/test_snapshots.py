"""Screenshots at 100×30 with a seeded feed and a fixed clock: the main screen, the
confirmation modal, the approvals screen and a plan's story.

Update them after a deliberate change with ``pytest tests/tui --snapshot-update`` and look
at the SVGs in ``__snapshots__`` before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.app import SignoffApp
from tui.screens.approvals import ApprovalsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.main import MainScreen
from tui.screens.story import StoryScreen
from tui.service import Options, Service

from .conftest import propose, ready, wait_for
from .seeded import SeededExecutor, counter_ids, seeded_session

SIZE = (100, 30)
PLAN = "buy 0.01 BTC and buy 10 SOL at 150 and buy 0.001 BTC at 50000 and buy 0.2 ETH"
Snap = Callable[..., bool]


@pytest.fixture
def seeded_app(signoff_home: Path, monkeypatch: pytest.MonkeyPatch) -> SignoffApp:
    counter_ids(monkeypatch)
    service = Service(Options(local_identity=False), session=seeded_session())
    service.slow_seconds = float("inf")  # a loaded machine must not change the screen
    for _ in range(16):  # a price history for the sparklines
        service.portfolio()
    return SignoffApp(service, poll=False)


def waits_for_desk(app: SignoffApp, plan_id: str) -> None:
    """The executor holds the escalated step for a second person (as after x)."""
    from datetime import timedelta

    from executors.service import WaitingView

    session = app.service.session
    executor = session.executor
    assert isinstance(executor, SeededExecutor)
    step, decision = app.service._plans[plan_id].proposal.pairs[0]
    now = session.clock.now()
    executor.waits.append(
        WaitingView.model_validate(
            {
                "plan_id": plan_id,
                "step_id": step.step_id,
                "step": step,
                "requester": "alice",
                "decision": decision,
                "status": "waiting",
                "created_at": now,
                "expires_at": now + timedelta(minutes=10),
            }
        )
    )


async def steady(pilot: Pilot[None]) -> None:
    """No blinking cursor, and the portfolio drawn once, before anything is typed."""
    screen = pilot.app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    screen.request_box.cursor_blink = False
    await wait_for(pilot, lambda: screen.refreshes > 0, "the portfolio")
    await pilot.pause(0.1)


async def _main(pilot: Pilot[None]) -> None:
    await ready(pilot)
    await steady(pilot)
    await propose(pilot, PLAN)
    main = pilot.app.screen_stack[0]
    assert isinstance(main, MainScreen)
    # a refresh still in flight would redraw the portfolio behind a modal opened next,
    # where the screen underneath lays out no more (its columns stay at their headers)
    await wait_for(pilot, lambda: not main._polling, "the refresh in flight")
    await pilot.pause(0.2)


def test_main_screen(snap_compare: Snap, seeded_app: SignoffApp) -> None:
    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=_main)


def test_confirmation_modal(snap_compare: Snap, seeded_app: SignoffApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _main(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), "the modal")
        await pilot.pause(0.2)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_approvals_screen(snap_compare: Snap, seeded_app: SignoffApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await steady(pilot)
        main = await propose(pilot, "buy 0.2 BTC")
        plan = main.plan_panel.plan
        assert plan is not None
        waits_for_desk(seeded_app, plan.plan_id)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ApprovalsScreen), "approvals")
        screen = pilot.app.screen
        assert isinstance(screen, ApprovalsScreen)
        await wait_for(pilot, lambda: bool(screen.pending), "the waiting step")
        await pilot.pause(0.2)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


def test_plan_story(snap_compare: Snap, seeded_app: SignoffApp) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _main(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, StoryScreen), "the story")
        screen = pilot.app.screen
        assert isinstance(screen, StoryScreen)
        await wait_for(pilot, lambda: screen.loaded, "the story's text")
        await pilot.pause(0.2)

    assert snap_compare(seeded_app, terminal_size=SIZE, run_before=run_before)


RunBefore = Callable[[Pilot[None]], Awaitable[None]]
