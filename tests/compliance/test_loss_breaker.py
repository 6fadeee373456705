"""The loss breaker trips by itself in a running executor, from the executor's own fills.

The gate in front of ccxt and the local exchange (over 127.0.0.1), a real journal and
ledger: a buy, a sell at a loss beyond the policy's limit, and the next buy is refused
(the venue receives nothing), the trading state latched with the figures; a reducing sell
still goes; a trader's resume is refused; a compliance resume lifts it, recorded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executors.approvals import ApprovalRefused, Gatekeeper, NonceStore
from executors.catalog import load_demo_account, load_market_catalog
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.server import Credentials, LocalExchange
from executors.paper.engine import PaperEngine, engine_from
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from executors.testing import FAST_LOCAL, START, keys_of, order_step
from executors.trading_state import current_state, state_history, state_path
from foundation.clock import FakeClock, SystemClock
from foundation.identity import IdentityRegistry, SigningKey, identities_path
from ledger.service import Ledger
from signoff.cli import main
from tests.executors.gatekit import new_plan, send

D = Decimal

POLICY = """\
[policy]
id = "breaker-test"
version = "1"
owner = "compliance@test"
currency = "USDT"
default_decision = "allow"
trading_state = "ACTIVE"

[approvals]
valid_for = "10m"
max_price_drift_percent = "1"
second_approvers = ["ravi"]

[[rule]]
id = "loss-limit"
kind = "loss_breaker"
effect = "deny"
{limits}
"""


def policy_text(limits: str) -> str:
    return POLICY.replace("{limits}", limits)


@pytest.fixture
def parts(people: dict[str, SigningKey], tmp_path: Path) -> Iterator[tuple[SqliteJournal, Ledger]]:
    journal = SqliteJournal(str(tmp_path / "journal.sqlite"))
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    yield journal, ledger
    ledger.close()
    journal.close()


def gatekeeper(tmp_path: Path) -> Gatekeeper:
    return Gatekeeper(
        IdentityRegistry.load(identities_path()), NonceStore(str(tmp_path / "nonces.sqlite"))
    )


@pytest_asyncio.fixture
async def localnet() -> AsyncIterator[LocalExchange]:
    clock = SystemClock()
    exchange = LocalExchange(
        engine=engine_from(load_market_catalog(), load_demo_account(clock.now())),
        credentials=Credentials.generate(),
        clock=clock,
        test_hooks=True,
    )
    await exchange.start()
    yield exchange
    await exchange.stop()


@pytest_asyncio.fixture
async def gate(
    localnet: LocalExchange, parts: tuple[SqliteJournal, Ledger], tmp_path: Path
) -> AsyncIterator[ExecutionService]:
    journal, ledger = parts
    policy = tmp_path / "policy.toml"
    policy.write_text(policy_text('max_daily_loss = "50"\ntrips_to = "REDUCING"'))
    executor = CcxtExecutor(FAST_LOCAL, keys_of(localnet), clock=SystemClock(), url=localnet.url)
    await executor.start()
    keeper = gatekeeper(tmp_path)
    service = ExecutionService(
        executor,
        journal,
        keeper,
        clock=SystemClock(),
        policy=PolicySource.load(str(policy)),
        ledger=ledger,
    )
    yield service
    await executor.close()
    keeper.close()


@pytest.mark.asyncio
async def test_a_realised_loss_over_the_limit_latches_reducing_until_compliance_resumes(
    gate: ExecutionService,
    localnet: LocalExchange,
    parts: tuple[SqliteJournal, Ledger],
    people: dict[str, SigningKey],
    capsys: pytest.CaptureFixture[str],
) -> None:
    journal, ledger = parts
    alice = people["alice"]
    plan = new_plan(ledger, "buy 0.01 BTC")
    bought = await send(gate, alice, plan, order_step("s1", quantity="0.01"))
    assert bought.orders[0].status == "filled"
    # the price falls 10%: selling what was bought realises about 75 USDT and the fees
    localnet.engine.set_prices({"BTC/USDT": D(60000)}, SystemClock().now())
    plan = new_plan(ledger, "sell 0.01 BTC")
    sold = await send(
        gate, alice, plan, order_step("s1", side="sell", quantity="0.01", reference_price="60000")
    )
    assert sold.orders[0].status == "filled"
    assert localnet.accepted_count() == 2
    assert current_state().state == "ACTIVE"  # nothing decided since the loss

    # the next buy: the executor counts the loss from its own fills, latches, refuses
    plan = new_plan(ledger, "buy 0.01 BTC")
    with pytest.raises(ApprovalRefused) as refused:
        await send(gate, alice, plan, order_step("s1", quantity="0.01", reference_price="60000"))
    assert refused.value.code == "DENIED"
    assert "LOSS_BREAKER: max_daily_loss=50 USDT, loss=" in refused.value.message
    assert localnet.accepted_count() == 2  # the venue received nothing
    state = current_state()
    assert (state.state, state.by) == ("REDUCING", "loss-breaker:loss-limit")
    assert state.reason.startswith("loss breaker loss-limit: realised loss today ")
    assert state.reason.endswith(" USDT over the limit 50 USDT → REDUCING")
    loss = D(state.reason.split("realised loss today ")[1].split(" ")[0].lstrip("~"))
    assert D(75) < loss < D(78)  # 75 on the price, about 1.3 in fees
    [trip] = state_history()
    assert trip.signature is None
    assert [r.code for r in journal.refusals()] == ["DENIED"]

    # REDUCING: a sell of what the account holds shrinks a position and goes through
    plan = new_plan(ledger, "sell 0.001 BTC")
    reducing = await send(
        gate, alice, plan, order_step("s1", side="sell", quantity="0.001", reference_price="60000")
    )
    assert reducing.orders[0].status == "filled"
    assert localnet.accepted_count() == 3

    # a trader cannot reset it; a compliance identity can, and that is recorded
    capsys.readouterr()
    assert main(["resume", "--reason", "let me trade", "--as", "alice"]) == 1
    err = capsys.readouterr().err
    assert "signoff resume needs the compliance role" in err
    assert "alice does not have the compliance role" in err
    assert current_state().state == "REDUCING"
    assert main(["resume", "--reason", "losses reviewed", "--as", "carol"]) == 0
    capsys.readouterr()
    assert [(c.state, c.by, c.reason) for c in state_history()][1:] == [
        ("ACTIVE", "carol", "losses reviewed")
    ]

    # the count starts again at the resume: the buy goes, and nothing trips again
    plan = new_plan(ledger, "buy 0.01 BTC")
    again = await send(
        gate, alice, plan, order_step("s1", quantity="0.01", reference_price="60000")
    )
    assert again.orders[0].status == "filled"
    assert localnet.accepted_count() == 4
    assert current_state().state == "ACTIVE"
    assert len(state_history()) == 2


def paper_gate(
    engine: PaperEngine, clock: FakeClock, tmp_path: Path, limits: str
) -> ExecutionService:
    policy = tmp_path / "policy.toml"
    policy.write_text(policy_text(limits))
    return ExecutionService(
        PaperExecutor(engine, clock),
        SqliteJournal(str(tmp_path / "journal.sqlite")),
        gatekeeper(tmp_path),
        clock=clock,
        policy=PolicySource.load(str(policy)),
    )


@pytest.mark.asyncio
async def test_a_drawdown_over_the_limit_latches_halted_and_stops_every_order(
    people: dict[str, SigningKey], tmp_path: Path
) -> None:
    clock = FakeClock(START)
    engine = PaperEngine.with_balances(
        load_market_catalog(), {"USDT": D(1000), "SOL": D(10)}, START
    )
    engine.set_prices({"SOL/USDT": D(100)}, START)
    gate = paper_gate(engine, clock, tmp_path, 'max_drawdown_percent = "10"\ntrips_to = "HALTED"')
    alice = people["alice"]
    first = await send(
        gate, alice, "p1", order_step("s1", symbol="SOL/USDT", quantity="1", reference_price="100")
    )
    assert first.orders[0].status == "filled"  # the day's peak: about 2,000 USDT
    engine.set_prices({"SOL/USDT": D(50)}, START)  # now about 1,450: a drawdown near 27%
    for plan, side in (("p2", "buy"), ("p3", "sell")):
        with pytest.raises(ApprovalRefused) as refused:
            await send(
                gate,
                alice,
                plan,
                order_step("s1", symbol="SOL/USDT", side=side, quantity="1", reference_price="50"),
            )
        assert refused.value.code == "DENIED"
    assert len(engine.orders()) == 1
    state = current_state()
    assert (state.state, state.by) == ("HALTED", "loss-breaker:loss-limit")
    assert "drawdown today " in state.reason
    assert state.reason.endswith("% over the limit 10% → HALTED")
    assert state_path().startswith(str(tmp_path))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    loss=st.integers(0, 2000).map(lambda n: D(n) / 10),
    limit=st.integers(0, 200),
    trips_to=st.sampled_from(["REDUCING", "HALTED"]),
    before=st.sampled_from(["ACTIVE", "REDUCING", "HALTED"]),
)
def test_the_latch_trips_exactly_over_the_limit_and_never_lowers_the_state(
    people: dict[str, SigningKey], loss: Decimal, limit: int, trips_to: str, before: str
) -> None:
    from executors.trading_state import append_change, latch_loss_breaker
    from policy.counters import Counters
    from policy.loader import load_policy
    from policy.model import STATE_SEVERITY

    policy = load_policy(
        policy_text(f'max_daily_loss = "{limit}"\ntrips_to = "{trips_to}"'), "p.toml"
    )
    with tempfile.TemporaryDirectory() as where:
        log = os.path.join(where, "trading-state.jsonl")
        if before != "ACTIVE":
            append_change(
                state=before,  # type: ignore[arg-type]
                reason="drill",
                by="carol",
                at=START,
                key=people["carol"],
                path=log,
            )
        written = latch_loss_breaker(
            policy, Counters(realised_loss_today=loss), START, path=log, counted_since=START
        )
        after = current_state(log).state
        stricter = STATE_SEVERITY[trips_to] > STATE_SEVERITY[before]
        assert (written is not None) == (loss > limit and stricter)
        assert STATE_SEVERITY[after] >= STATE_SEVERITY[before]
        if loss > limit:
            assert STATE_SEVERITY[after] >= STATE_SEVERITY[trips_to]
            if written is not None:
                assert written.by == "loss-breaker:loss-limit"
                assert f"over the limit {limit} USDT → {trips_to}" in written.reason
        else:
            assert after == before
