"""``buy 20 USDT of BTC every day for a week`` spends 20 USDT at each run's price, in
the executor's schedules and the paper engine's alike, and shows in open orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from executors.approvals import Gatekeeper, NonceStore
from executors.base import OrderRequest
from executors.catalog import MarketCatalog, load_demo_account, load_market_catalog
from executors.journal import SqliteJournal
from executors.paper.engine import PaperEngine, engine_from
from executors.paper.executor import PaperExecutor
from executors.schedule_runs import run_quantity, size_run
from executors.service import ExecutionService, PolicySource
from executors.testing import START
from foundation.clock import FakeClock
from foundation.identity import IdentityRegistry, SigningKey
from intent.plan import Plan
from intent.resolve import resolve
from intent.resolved import ResolvedOrder
from signoff.intents import parse_request
from signoff.session import Session
from signoff.steps_text import describe_resolved
from tests.executors.gatekit import GATE_POLICY, ROLES, People, honest, identities_text, signed
from tests.session.conftest import session  # noqa: F401 - the real session fixture

D = Decimal


@pytest.fixture(scope="module")
def catalog() -> MarketCatalog:
    return load_market_catalog()


def _resolved(catalog: MarketCatalog, text: str) -> ResolvedOrder:
    plan = parse_request(text)
    assert isinstance(plan, Plan)
    account = load_demo_account(START)
    market = catalog.market_data({s: spec.start_price for s, spec in catalog.specs.items()}, START)
    [step] = resolve(plan, account, market)
    assert isinstance(step, ResolvedOrder)
    return step


def test_a_quote_amount_schedule_keeps_its_amount(catalog: MarketCatalog) -> None:
    step = _resolved(catalog, "buy 20 USDT of BTC every day for a week")
    assert step.quote_amount == D(20)
    assert step.schedule is not None
    assert step.schedule.count == 7
    assert describe_resolved(step).startswith("buy 20 USDT of BTC on BTC/USDT each run (now ")
    request = OrderRequest.from_resolved(step, "so-p1:s1")
    assert request.quote_amount == D(20)
    # a base quantity, or a limit price, fixes the quantity of every run
    assert _resolved(catalog, "buy 0.001 BTC every day for a week").quote_amount is None
    assert _resolved(catalog, "buy 20 USDT of BTC at 60000 every day").quote_amount is None
    assert _resolved(catalog, "buy 20 USDT of BTC").quote_amount is None


@given(
    amount=st.decimals(min_value=D(1), max_value=D(100000), places=2),
    price=st.decimals(min_value=D("0.01"), max_value=D(1000000), places=2),
)
def test_a_run_never_spends_more_than_the_amount(amount: Decimal, price: Decimal) -> None:
    rules = load_market_catalog().specs["BTC/USDT"].rules
    quote = load_market_catalog().specs["BTC/USDT"].quote_at(price, START)
    quantity = run_quantity(amount, "buy", quote, rules)
    if quantity is None:
        # not even one step: the run is skipped, never rounded up
        assert amount / quote.ask < rules.step_size
    else:
        assert quantity * quote.ask <= amount
        # and less than one step more would have
        assert (quantity + rules.step_size) * quote.ask > amount
        assert quantity % rules.step_size == 0


def test_each_run_is_sized_at_its_own_price(catalog: MarketCatalog) -> None:
    step = _resolved(catalog, "buy 20 USDT of BTC every day for a week")
    request = OrderRequest.from_resolved(step, "so-p1:s1")
    rules = catalog.specs["BTC/USDT"].rules
    cheap = size_run(
        request, "so-p1:s1.2", catalog.specs["BTC/USDT"].quote_at(D(40000), START), rules
    )
    dear = size_run(
        request, "so-p1:s1.3", catalog.specs["BTC/USDT"].quote_at(D(80000), START), rules
    )
    assert cheap.quantity > dear.quantity
    assert (cheap.client_order_id, cheap.schedule) == ("so-p1:s1.2", None)
    # no quote: the first run's quantity, never a guess
    assert size_run(request, "so-p1:s1.4", None, None).quantity == request.quantity


@pytest.mark.asyncio
async def test_the_executor_spends_the_amount_at_each_run(
    catalog: MarketCatalog, tmp_path: Path
) -> None:
    people = People({name: SigningKey.generate(name) for name in ROLES})
    registry = IdentityRegistry.from_bytes(
        identities_text(people).encode(), source=str(tmp_path / "identities.toml")
    )
    keeper = Gatekeeper(registry, NonceStore(str(tmp_path / "nonces.sqlite")))
    policy_file = tmp_path / "policy.toml"
    policy_file.write_text(GATE_POLICY)
    clock = FakeClock(START)
    engine: PaperEngine = engine_from(catalog, load_demo_account(START))
    journal = SqliteJournal(str(tmp_path / "journal.sqlite"))
    try:
        gate = ExecutionService(
            PaperExecutor(engine, clock),
            journal,
            keeper,
            clock=clock,
            policy=PolicySource.load(str(policy_file)),
        )
        step = _resolved(catalog, "buy 20 USDT of BTC every day for 3 days")
        shown = await honest(gate, "p1", step)
        first = await gate.execute(
            plan_id="p1",
            step=step,
            decision=shown,
            request=signed(people["alice"], gate, "p1", step, shown),
        )
        [run1] = first.orders
        engine.set_price("BTC/USDT", D(33750), clock.now())  # half the start price
        clock.advance(timedelta(days=1))
        [run2] = await gate.run_due()
        assert run2.status == "filled"
        assert run1.average_price is not None
        assert run2.average_price is not None
        # twice the BTC for the same 20 USDT, give or take a step
        step_size = catalog.specs["BTC/USDT"].rules.step_size
        assert abs(run2.filled - 2 * run1.filled) <= 2 * step_size
        for run in (run1, run2):
            assert run.average_price is not None
            assert run.filled * run.average_price <= D(20) * D("1.01")  # slippage at most
    finally:
        keeper.close()
        journal.close()


def test_the_paper_engines_own_schedules_size_each_run(catalog: MarketCatalog) -> None:
    engine = engine_from(catalog, load_demo_account(START))
    step = _resolved(catalog, "buy 20 USDT of BTC every day for 3 days")
    engine.place(OrderRequest.from_resolved(step, "so-p9:s1"), START)
    engine.set_price("BTC/USDT", D(33750), START)
    engine.advance(START + timedelta(days=1))
    runs = sorted(
        (o for o in engine.orders() if o.client_order_id.startswith("so-p9:s1.")),
        key=lambda o: o.client_order_id,
    )
    assert len(runs) == 2
    assert runs[1].quantity > runs[0].quantity


def test_an_active_schedule_shows_in_open_orders(session: Session) -> None:  # noqa: F811
    proposal = session.propose("buy 20 USDT of BTC every day for a week")
    [(_step, decision_)] = proposal.pairs
    approvals = {}
    if decision_.needs_approval:
        approvals["s1"] = session.approve(proposal, "s1", "risk-desk")
    session.execute(proposal, approvals)
    asked = session.propose("show my open orders")
    [outcome] = session.execute(asked, {})
    assert "buy 20 USDT of BTC/USDT every 1d, 1 of 7 runs done, next " in outcome.detail
