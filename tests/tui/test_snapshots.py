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

from executors.policy_file import load_policy_file, policy_path
from foundation.clock import FakeClock
from foundation.files import read_bytes
from ledger.service import Ledger
from signoff.session import Session
from tui.app import SignoffApp
from tui.screens.approvals import ApprovalsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.story import StoryScreen
from tui.service import Options, Service

from .conftest import propose, ready, wait_for
from .seeded import START, SeededExecutor, counter_ids

SIZE = (100, 30)
PLAN = "buy 0.01 BTC and buy 10 SOL at 150 and buy 0.001 BTC at 50000 and buy 0.2 ETH"
Snap = Callable[..., bool]


@pytest.fixture
def seeded_app(signoff_home: Path, monkeypatch: pytest.MonkeyPatch) -> SignoffApp:
    counter_ids(monkeypatch)
    clock = FakeClock(START)
    executor = SeededExecutor(clock)
    source = policy_path(None)
    policy = load_policy_file(source, None)
    executor.policy_hash = policy.hash
    ledger = Ledger.open(None, clock=clock)
    text = read_bytes(source).decode("utf-8")
    ledger.record_policy_version(stamp=policy.stamp, text=text, actor="alice")
    session = Session(
        ledger=ledger,
        policy=policy,
        policy_text=text,
        executor=executor,  # type: ignore[arg-type]
        actor="alice",
        clock=clock,
        owns=False,
    )
    service = Service(Options(local_identity=False), session=session)
    for _ in range(16):  # a price history for the sparklines
        service.portfolio()
    return SignoffApp(service, poll=False)


def steady(pilot: Pilot[None]) -> None:
    screen = pilot.app.screen_stack[0]
    screen.request_box.cursor_blink = False  # type: ignore[attr-defined]


async def _main(pilot: Pilot[None]) -> None:
    await ready(pilot)
    steady(pilot)
    await propose(pilot, PLAN)
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
        steady(pilot)
        await propose(pilot, "buy 0.2 BTC")
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
