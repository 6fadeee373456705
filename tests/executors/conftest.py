"""Fixtures for the executor tests: catalogue, clocks, a local exchange over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from executors.approvals import Gatekeeper, NonceStore
from executors.catalog import MarketCatalog, load_demo_account, load_market_catalog
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.run import read_url_file
from executors.localnet.server import Credentials, LocalExchange
from executors.paper.engine import PaperEngine, engine_from
from executors.service import ExecutionService, PolicySource
from executors.testing import (
    FAST_LOCAL,
    START,
    LocalnetProcess,
    keys_of,
    signoff_command,
    wait_for,
)
from foundation.clock import FakeClock, SystemClock
from foundation.identity import IdentityRegistry, SigningKey
from ledger.service import Ledger
from tests.executors.gatekit import GATE_POLICY, People, identities_text


@pytest.fixture(scope="session")
def catalog() -> MarketCatalog:
    return load_market_catalog()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def engine(catalog: MarketCatalog, clock: FakeClock) -> PaperEngine:
    return engine_from(catalog, load_demo_account(clock.now()))


@pytest.fixture(scope="session")
def people() -> People:
    """alice and bob trade; risk-desk approves; carol approves but the policy does not list
    her; ann both trades and approves (listed)."""
    return People(
        {name: SigningKey.generate(name) for name in ("alice", "bob", "risk-desk", "carol", "ann")}
    )


@pytest.fixture
def gatekeeper(tmp_path: Path, people: People) -> Iterator[Gatekeeper]:
    registry = IdentityRegistry.from_bytes(
        identities_text(people).encode(), source=str(tmp_path / "identities.toml")
    )
    keeper = Gatekeeper(registry, NonceStore(str(tmp_path / "nonces.sqlite")))
    yield keeper
    keeper.close()


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(GATE_POLICY)
    return path


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    j = SqliteJournal(str(tmp_path / "journal.sqlite"))
    yield j
    j.close()


@pytest_asyncio.fixture
async def localnet(catalog: MarketCatalog) -> AsyncIterator[LocalExchange]:
    """A local exchange over loopback, in this test's event loop, with static prices."""
    clock = SystemClock()
    exchange = LocalExchange(
        engine=engine_from(catalog, load_demo_account(clock.now())),
        credentials=Credentials.generate(),
        clock=clock,
        test_hooks=True,
    )
    await exchange.start()
    yield exchange
    await exchange.stop()


@pytest_asyncio.fixture
async def ccxt_local(localnet: LocalExchange) -> AsyncIterator[CcxtExecutor]:
    """The real ccxt client (through the executor) against the local exchange."""
    executor = CcxtExecutor(FAST_LOCAL, keys_of(localnet), clock=SystemClock(), url=localnet.url)
    await executor.start()
    yield executor
    await executor.close()


@pytest_asyncio.fixture
async def gate(
    ccxt_local: CcxtExecutor,
    journal: SqliteJournal,
    gatekeeper: Gatekeeper,
    policy_file: Path,
    ledger: Ledger,
) -> AsyncIterator[ExecutionService]:
    """The execution service in front of ccxt and the local exchange, with its own policy
    file (tests may change it), identities and ledger."""
    service = ExecutionService(
        ccxt_local,
        journal,
        gatekeeper,
        clock=SystemClock(),
        policy=PolicySource.load(str(policy_file)),
        ledger=ledger,
    )
    service._record_policy_version(service.policies.policy, service.policies.text)
    yield service


@pytest.fixture
def localnet_process(_isolated_env: Path) -> Iterator[LocalnetProcess]:
    home = _isolated_env
    url_file = home / "localnet" / "url"
    log = open(home.parent / "localnet.log", "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        signoff_command("localnet", "--tick", "0", "--fresh", "--test-hooks"),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        env={**os.environ, "SIGNOFF_HOME": str(home)},
    )
    try:
        url: list[str] = []

        def ready() -> bool:
            found = read_url_file(str(url_file))
            if found is not None:
                url.append(found)
            return found is not None or process.poll() is not None

        wait_for(ready, 30, "localnet")
        log_text = (home.parent / "localnet.log").read_text
        assert process.poll() is None, log_text()
        assert url, log_text()
        yield LocalnetProcess(process=process, url=url[-1], home=home)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture
def paper_gate(
    engine: PaperEngine,
    clock: FakeClock,
    journal: SqliteJournal,
    gatekeeper: Gatekeeper,
    policy_file: Path,
) -> ExecutionService:
    """The same gate over the paper engine, on a fake clock (no ledger: any plan id)."""
    from executors.paper.executor import PaperExecutor

    return ExecutionService(
        PaperExecutor(engine, clock),
        journal,
        gatekeeper,
        clock=clock,
        policy=PolicySource.load(str(policy_file)),
    )
