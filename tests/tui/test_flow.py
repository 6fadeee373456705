"""The real app, driven by key presses, against the real executor process and ledger.

Each test asserts on the screen, on the ledger and on the venue (through the executor).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from executors.ids import client_order_id
from foundation.identity import SigningKey, identities_path, key_path, keys_dir
from tests.conftest import REPO
from tui.app import SignoffApp
from tui.screens.approvals import ApprovalsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.yes_no import YesNoScreen
from tui.service import Service

from .conftest import planned, propose, ready, state_of, wait_for
from .paper import SHIPPED_POLICY, Paper, paper_fixture

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]
SIZE = (100, 30)


def row_text(app: SignoffApp, step_id: str) -> str:
    table = app.screen_stack[0].query_one("#plan-table")
    cells = table.get_row(step_id)  # type: ignore[attr-defined]
    return " ".join(c.plain if isinstance(c, Text) else str(c) for c in cells)


def venue_status(service: Service, symbol: str, coid: str) -> str | None:
    state = service.session.executor.order(symbol, coid)
    return None if state is None else state.status


def ledger_status(service: Service, coid: str) -> str | None:
    view = service.session.ledger.order(coid)
    return None if view is None else view.status


async def test_an_allowed_order_fills(make_service: Callable[..., Service]) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        _, plan = await planned(pilot, "buy 0.01 BTC")
        assert plan.status == "plan"
        assert "✓ allow" in row_text(app, "s1")
        assert "Buy 0.01 BTC market" in row_text(app, "s1")
        await pilot.press("x")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        assert "done" in row_text(app, "s1")
        coid = client_order_id(plan.plan_id, "s1")
        assert ledger_status(service, coid) == "filled"
        assert venue_status(service, "BTC/USDT", coid) == "filled"
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert story.orders[0].fills


async def test_a_confirm_step_approved_in_the_modal_fills(
    make_service: Callable[..., Service],
) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        _, plan = await planned(pilot, "buy 0.02 BTC")
        assert "? confirm" in row_text(app, "s1")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the modal")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.row.symbol == "BTC/USDT"
        assert modal.row.quantity == "0.02"
        assert any("value-confirm" in r for r in modal.row.reasons)
        assert modal.seconds_left() > 0
        await pilot.click("#confirm-yes")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        coid = client_order_id(plan.plan_id, "s1")
        assert ledger_status(service, coid) == "filled"
        assert venue_status(service, "BTC/USDT", coid) == "filled"
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert [a.approval.approver for a in story.approvals] == ["alice"]
        assert story.approvals[0].used


async def test_a_rejected_confirm_step_does_not_run(make_service: Callable[..., Service]) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, plan = await planned(pilot, "buy 0.02 BTC")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the modal")
        await pilot.press("escape")
        await state_of(pilot, "s1", "rejected")
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        assert "rejected" in row_text(app, "s1")
        coid = client_order_id(plan.plan_id, "s1")
        assert ledger_status(service, coid) is None
        assert venue_status(service, "BTC/USDT", coid) is None
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert [a.approval.outcome for a in story.approvals] == ["rejected"]


async def test_a_denied_step_cannot_be_run_by_any_key(
    make_service: Callable[..., Service],
) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, plan = await planned(pilot, "buy 1 BTC")
        assert "✗ deny" in row_text(app, "s1")
        assert "never runs" in row_text(app, "s1")
        screen.plan_panel.table.focus()
        for key in ("x", "enter", "escape", "x", "ctrl+y", "y", "space", "x"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert not isinstance(app.screen, ConfirmScreen)
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen), "approvals")
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        await pilot.pause(0.3)
        assert approvals.pending == []
        await pilot.press("enter", "escape")
        assert screen.plan_panel.states["s1"][0] == "denied"
        coid = client_order_id(plan.plan_id, "s1")
        assert ledger_status(service, coid) is None
        assert venue_status(service, "BTC/USDT", coid) is None
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert story.approvals == []
        assert story.orders == []


@pytest.fixture
def people(signoff_home: Path) -> dict[str, SigningKey]:
    """alice trades, risk-desk approves: the identities file and their keys, before any executor."""
    keys = {"alice": SigningKey.generate("alice"), "risk-desk": SigningKey.generate("risk-desk")}
    roles = {"alice": ["trader"], "risk-desk": ["approver"]}
    os.makedirs(keys_dir(), mode=0o700, exist_ok=True)
    for name, key in keys.items():
        key.save(key_path(name), None)
    lines = [key.identity_line(roles[name]) for name, key in keys.items()]
    Path(identities_path()).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return keys


async def _escalated(pilot: Pilot[None], app: SignoffApp, service: Service) -> str:
    """Propose an escalated step, submit it and see it wait; the requester cannot approve."""
    await ready(pilot)
    screen, plan = await planned(pilot, "buy 0.2 BTC")
    assert "⇧ escalate" in row_text(app, "s1")
    await pilot.press("x")
    await wait_for(
        pilot, lambda: screen.plan_panel.states["s1"] == ("waiting", "for risk-desk"), "it waits"
    )
    await wait_for(pilot, lambda: not screen.busy, "the run to finish")
    assert "for risk-desk" in row_text(app, "s1")
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen), "approvals")
    approvals = app.screen
    assert isinstance(approvals, ApprovalsScreen)
    await wait_for(pilot, lambda: approvals.note_text.startswith("Enter"), "the waiting step")
    assert len(approvals.pending) == 1
    assert approvals.pending[0].may_approve is False
    assert approvals.pending[0].approvers == ("risk-desk",)
    await pilot.press("enter")
    await wait_for(pilot, lambda: "not approved" in approvals.note_text, "the refusal")
    await pilot.press("escape")
    coid = client_order_id(plan.plan_id, "s1")
    assert ledger_status(service, coid) is None
    assert venue_status(service, "BTC/USDT", coid) is None
    return plan.plan_id


async def test_an_escalated_step_waits_until_a_second_person_approves_from_the_cli(
    make_service: Callable[..., Service], people: dict[str, SigningKey], signoff_home: Path
) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        plan_id = await _escalated(pilot, app, service)
        done = subprocess.run(
            [sys.executable, "-m", "signoff", "approve", f"{plan_id}:s1", "--as", "risk-desk"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONPATH": str(REPO), "SIGNOFF_HOME": str(signoff_home)},
        )
        assert done.returncode == 0, done.stderr
        await pilot.press("f5")  # what the screen does every two seconds
        await state_of(pilot, "s1", "executed", "failed", "refused")
        assert "done" in row_text(app, "s1")
        coid = client_order_id(plan_id, "s1")
        assert ledger_status(service, coid) == "filled"
        assert venue_status(service, "BTC/USDT", coid) == "filled"


async def test_an_escalated_step_waits_until_a_second_person_approves_on_the_screen(
    make_service: Callable[..., Service], people: dict[str, SigningKey]
) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        plan_id = await _escalated(pilot, app, service)
    desk = make_service(actor="risk-desk")
    app = SignoffApp(desk, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        desk_screen = await ready(pilot)
        desk_screen.plan_panel.table.focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalsScreen), "approvals")
        approvals = app.screen
        assert isinstance(approvals, ApprovalsScreen)
        await wait_for(pilot, lambda: len(approvals.pending) == 1, "alice's step")
        item = approvals.pending[0]
        assert (item.plan_id, item.step_id, item.requester) == (plan_id, "s1", "alice")
        assert item.may_approve is True
        await wait_for(pilot, lambda: approvals.note_text.startswith("Enter"), "the list")
        approvals.action_approve()  # what Enter on the selected row does
        coid = client_order_id(plan_id, "s1")
        await wait_for(
            pilot, lambda: venue_status(service, "BTC/USDT", coid) == "filled", "the order"
        )
    assert venue_status(service, "BTC/USDT", coid) == "filled"
    assert ledger_status(service, coid) == "filled"
    assert [o.state for o in service.follow(plan_id)] == ["executed"]


@pytest.fixture
def paper(signoff_home: Path) -> Iterator[Paper]:
    yield from paper_fixture(signoff_home)


def venue_orders(paper: Paper) -> list[tuple[str, str]]:
    """Every order the paper venue ever received: (client order id, status)."""
    return [(o.client_order_id, o.status) for o in paper.engine.orders()]


def said(app: SignoffApp, words: str) -> int:
    """How many of the notifications shown so far contain ``words``."""
    return sum(words in n.message for n in app._notifications)


async def confirm_in_modal(pilot: Pilot[None], step_id: str) -> ConfirmScreen:
    app = pilot.app
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ConfirmScreen) and app.screen.row.step_id == step_id,
        f"the dialog of {step_id}",
    )
    modal = app.screen
    assert isinstance(modal, ConfirmScreen)
    await pilot.click("#confirm-yes")
    return modal


async def test_an_expired_approval_asks_again(paper: Paper) -> None:
    # s1 is confirmed; while s2's dialog waits, the clock passes the policy's approval
    # validity (10 minutes): s2's dialog closes itself and s1, whose confirmation lapsed,
    # is not sent; the screen says why, and the plan asks again
    service = paper.service
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, first = await planned(pilot, "buy 0.02 BTC and buy 0.021 BTC")
        assert [r.decision for r in first.steps] == ["confirm", "confirm"]
        await pilot.press("x")
        await confirm_in_modal(pilot, "s1")
        await state_of(pilot, "s1", "approved")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen.row.step_id == "s2",
            "the second dialog",
        )
        paper.clock.advance(timedelta(minutes=10, seconds=1))
        await state_of(pilot, "s2", "ask-again")
        await state_of(pilot, "s1", "ask-again")
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        assert not isinstance(app.screen, ConfirmScreen)
        assert "ask again: your confirmation expired at 09:40:00" in row_text(app, "s1")
        assert "ask again: the time to decide ran out" in row_text(app, "s2")
        # never sent on a lapsed approval: not at the venue, not in the ledger
        assert venue_orders(paper) == []
        assert ledger_status(service, client_order_id(first.plan_id, "s1")) is None
        story = service.session.ledger.plan_story(first.plan_id)
        assert story is not None
        assert [(a.approval.step_id, a.used) for a in story.approvals] == [("s1", False)]
        assert story.orders == []
        # x again: the decision itself is older than an approval may be: decided again
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.plan_panel.plan is not first, "a new decision")
        again = screen.plan_panel.plan
        assert again is not None
        assert again.text == first.text
        assert again.plan_id != first.plan_id
        assert screen.plan_panel.states == {
            "s1": ("needs-confirm", "press x to review and confirm"),
            "s2": ("needs-confirm", "press x to review and confirm"),
        }
        assert venue_orders(paper) == []
        # confirmed again in time: each step is sent once
        screen.plan_panel.table.focus()
        await pilot.press("x")
        await confirm_in_modal(pilot, "s1")
        await confirm_in_modal(pilot, "s2")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        await state_of(pilot, "s2", "executed", "failed", "refused")
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        assert "done" in row_text(app, "s1")
        assert "done" in row_text(app, "s2")
        coids = [client_order_id(again.plan_id, s) for s in ("s1", "s2")]
        assert venue_orders(paper) == [(c, "filled") for c in coids]
        assert [ledger_status(service, c) for c in coids] == ["filled", "filled"]
        await pilot.press("x")  # nothing is left to send: pressing x again sends nothing
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        assert venue_orders(paper) == [(c, "filled") for c in coids]
    story = service.session.ledger.plan_story(first.plan_id)
    assert story is not None
    assert story.orders == []


async def test_a_price_that_drifted_past_the_limit_asks_again(paper: Paper) -> None:
    # between the decision and the send BTC moves 3%, past the policy's 1%: the gate
    # refuses the confirmation, nothing is sent, and the step asks again with the reason;
    # x then decides the request again at the new price
    service = paper.service
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, first = await planned(pilot, "buy 0.02 BTC")
        assert "? confirm" in row_text(app, "s1")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.type_to_confirm is False  # under the shipped policy's 5,000 USDT
        paper.move_price("BTC/USDT", "1.03")
        await pilot.click("#confirm-yes")
        await state_of(pilot, "s1", "ask-again")
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        text = row_text(app, "s1")
        assert "ask again: CONFIRM_AGAIN: BTC/USDT moved" in text
        assert "the limit is 1%" in text
        assert venue_orders(paper) == []
        assert ledger_status(service, client_order_id(first.plan_id, "s1")) is None
        await pilot.press("x")
        await wait_for(pilot, lambda: screen.plan_panel.plan is not first, "a new decision")
        again = screen.plan_panel.plan
        assert again is not None
        assert again.plan_id != first.plan_id
        assert venue_orders(paper) == []
        screen.plan_panel.table.focus()
        await pilot.press("x")
        await confirm_in_modal(pilot, "s1")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        assert "done" in row_text(app, "s1")
        coid = client_order_id(again.plan_id, "s1")
        assert venue_orders(paper) == [(coid, "filled")]
        assert ledger_status(service, coid) == "filled"


async def test_a_drifted_step_never_decides_again_what_already_ran(paper: Paper) -> None:
    # s1 (allowed) is sent; s2's price moved past the drift limit before it was sent:
    # deciding the whole request again would send s1 a second time, so x does not
    service = paper.service
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, plan = await planned(pilot, "buy 0.01 BTC and buy 10 SOL at 150")
        assert [r.decision for r in plan.steps] == ["allow", "confirm"]
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        paper.move_price("SOL/USDT", "0.97")
        await pilot.click("#confirm-yes")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        await state_of(pilot, "s2", "ask-again")
        await wait_for(pilot, lambda: not screen.busy, "the run to finish")
        assert "done" in row_text(app, "s1")
        assert "SOL/USDT moved" in row_text(app, "s2")
        coid = client_order_id(plan.plan_id, "s1")
        assert venue_orders(paper) == [(coid, "filled")]
        for times in (1, 2):
            await pilot.press("x")

            def refused(n: int = times) -> bool:
                return said(app, "s1 already went ahead") == n

            await wait_for(pilot, refused, "the refusal to decide again")
            await wait_for(pilot, lambda: not screen.busy, "the run to finish")
            assert screen.plan_panel.plan is plan  # not decided again
            assert not isinstance(app.screen, ConfirmScreen)
            assert screen.plan_panel.states["s2"][0] == "ask-again"
        assert venue_orders(paper) == [(coid, "filled")]  # s1 was sent once
        assert ledger_status(service, client_order_id(plan.plan_id, "s2")) is None


@pytest.fixture
def typed_paper(signoff_home: Path, tmp_path: Path) -> Iterator[Paper]:
    """The shipped policy with typing required above 1,000 USDT (instead of 5,000)."""
    shipped = SHIPPED_POLICY.read_text("utf-8")
    assert 'type_to_confirm_above = "5000"' in shipped
    policy = tmp_path / "typed.toml"
    policy.write_text(
        shipped.replace('type_to_confirm_above = "5000"', 'type_to_confirm_above = "1000"'),
        "utf-8",
    )
    yield from paper_fixture(signoff_home, policy)


async def test_above_the_policy_size_the_amount_or_market_is_typed(typed_paper: Paper) -> None:
    paper = typed_paper
    service = paper.service
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        _, plan = await planned(pilot, "buy 0.02 BTC")  # ≈1,300 USDT: above 1,000
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the dialog")
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert modal.type_to_confirm is True
        hint = modal.query_one("#confirm-typed-hint", Static)
        assert "type the amount (0.02) or the market (BTC/USDT)" in str(hint.render())
        yes = modal.query_one("#confirm-yes", Button)
        assert yes.disabled
        typed = modal.query_one("#confirm-typed", Input)
        assert typed.has_focus
        # a wrong amount signs nothing, by Enter, by the confirm key or by the button
        await pilot.press(*"0.2")
        assert typed.value == "0.2"
        await pilot.press("enter", "ctrl+y")
        await pilot.click("#confirm-yes")
        await pilot.pause(0.1)
        assert app.screen is modal
        assert yes.disabled
        typed.value = "ETH/USDT"
        await pilot.press("enter", "ctrl+y")
        await pilot.pause(0.1)
        assert app.screen is modal
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert story.approvals == []
        # the market, typed in any case, confirms and signs
        typed.value = ""
        typed.focus()
        await pilot.press(*"btc/usdt")
        assert typed.value == "btc/usdt"
        assert not yes.disabled
        await pilot.press("enter")
        await state_of(pilot, "s1", "executed", "failed", "refused")
        assert "done" in row_text(app, "s1")
        coid = client_order_id(plan.plan_id, "s1")
        assert venue_orders(paper) == [(coid, "filled")]
        assert ledger_status(service, coid) == "filled"
        story = service.session.ledger.plan_story(plan.plan_id)
        assert story is not None
        assert [a.approval.approver for a in story.approvals] == ["alice"]


async def test_a_question_is_answered_in_place(make_service: Callable[..., Service]) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = await propose(pilot, "kaufe etwas Bitcoin")
        asked = screen.plan_panel.plan
        assert asked is not None
        assert asked.status == "clarify"
        note = screen.plan_panel.note_text
        assert "Rückfrage" in note
        assert "Wie viel" in note
        assert screen.request_box.has_focus
        screen, plan = await planned(pilot, "0,01")
        assert plan.status == "plan"
        assert "Buy 0.01 BTC" in row_text(app, "s1")
        await pilot.press("x")
        await state_of(pilot, "s1", "executed", "failed")
        coid = client_order_id(plan.plan_id, "s1")
        assert ledger_status(service, coid) == "filled"
        assert venue_status(service, "BTC/USDT", coid) == "filled"
        first = service.session.ledger.plan_story(asked.plan_id)
        assert first is not None
        assert first.request is not None
        assert first.request.text == "kaufe etwas Bitcoin"


async def test_cancel_all_cancels(make_service: Callable[..., Service]) -> None:
    service = make_service()
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen, plan = await planned(pilot, "buy 0.001 BTC at 60000")
        if plan.steps[0].decision != "allow":  # the collar: pick a price near the market
            screen, plan = await planned(pilot, "buy 0.001 BTC at 66500")
        await pilot.press("x")
        await state_of(pilot, "s1", "executed")
        coid = client_order_id(plan.plan_id, "s1")
        assert venue_status(service, "BTC/USDT", coid) == "open"
        screen.plan_panel.table.focus()
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, YesNoScreen), "its confirmation")
        await pilot.press("escape")  # "keep them" keeps them
        await pilot.pause(0.2)
        assert venue_status(service, "BTC/USDT", coid) == "open"
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, YesNoScreen), "its confirmation")
        await pilot.click("#yesno-yes")
        await wait_for(pilot, lambda: ledger_status(service, coid) == "canceled", "the cancel", 30)
        assert venue_status(service, "BTC/USDT", coid) == "canceled"
        assert service.session.executor.open_orders() == []
