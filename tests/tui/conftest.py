"""The real app against the real executor process (local exchange) and a SQLite ledger."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tui.app import SignoffApp
from tui.screens.main import MainScreen
from tui.service import Options, Service
from tui.views import PlanView


@pytest.fixture
def make_service(signoff_home: Path) -> Iterator[Callable[..., Service]]:
    """Services whose executors are stopped after the test (none outlives it)."""
    made: list[Service] = []

    def make(**options: object) -> Service:
        opts = {"actor": "alice", **options}
        service = Service(Options(**opts))  # type: ignore[arg-type]
        made.append(service)
        return service

    yield make
    from executors.process.client import ExecutorClient
    from foundation.errors import ExecutionError

    for service in made:
        # the one that started the executor stops it (and waits for its process)
        started = service.started and service.session.executor.process is not None
        service.close(stop_executor=started)
    try:
        client = ExecutorClient.connect(str(signoff_home))
    except ExecutionError:
        return
    client.shutdown()


async def wait_for(
    pilot: Pilot[None], predicate: Callable[[], bool], what: str, timeout: float = 60.0
) -> None:
    """Let the app run until ``predicate`` holds (bounded)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def main_screen(app: SignoffApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


async def ready(pilot: Pilot[None]) -> MainScreen:
    """Wait for the session (the executor started) and return the main screen."""
    app = pilot.app
    assert isinstance(app, SignoffApp)
    screen = main_screen(app)
    try:
        await wait_for(pilot, lambda: screen.status is not None, "the session")
    except AssertionError as error:
        raise AssertionError(f"{error}; the screen says {screen.plan_panel.note_text!r}") from None
    return main_screen(app)


async def propose(pilot: Pilot[None], text: str) -> MainScreen:
    """Type a request in the box and wait for its plan (or question) on the screen."""
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    before = screen.plan_panel.plan
    screen.request_box.focus()
    screen.request_box.value = text
    await pilot.press("enter")

    def done() -> bool:
        failed = screen.plan_panel.note_text.startswith("Could not read")
        assert not failed, screen.plan_panel.note_text
        return screen.plan_panel.plan is not before

    await wait_for(pilot, done, f"the plan of {text!r}")
    plan = screen.plan_panel.plan
    if plan is not None and plan.status == "plan":
        # the focus moves to the plan once its rows are drawn: keys then act on the plan
        table = screen.plan_panel.table
        await wait_for(pilot, lambda: table.has_focus, "the plan to take the keys")
    await pilot.pause()
    return screen


async def planned(pilot: Pilot[None], text: str) -> tuple[MainScreen, PlanView]:
    """Type a request and wait for its plan (not a question or a refusal)."""
    screen = await propose(pilot, text)
    plan = screen.plan_panel.plan
    assert plan is not None
    assert plan.status == "plan", plan
    return screen, plan


async def state_of(pilot: Pilot[None], step_id: str, *states: str) -> str:
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    await wait_for(
        pilot,
        lambda: screen.plan_panel.states.get(step_id, ("", ""))[0] in states,
        f"{step_id} to be {' or '.join(states)}",
    )
    return screen.plan_panel.states[step_id][0]


AppRun = AsyncIterator[Pilot[None]]


@pytest.fixture(autouse=True)
def _no_leaked_sockets() -> Iterator[None]:
    """Collect after each test, so that a socket or file the test left open is finalised
    here and its ResourceWarning (an error under the project's filterwarnings) fails
    the test that leaked it, not whichever test runs next."""
    yield
    import gc

    gc.collect()
