"""Fixtures for the executor tests: catalogue, clocks, a local exchange over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio

from executors.approvals import ApprovalAuthority, ApprovalSettings
from executors.catalog import MarketCatalog, load_demo_account, load_market_catalog
from executors.ccxt_exec import CcxtExecutor
from executors.journal import SqliteJournal
from executors.localnet.run import read_url_file
from executors.localnet.server import Credentials, LocalExchange
from executors.paper.engine import PaperEngine, engine_from
from executors.service import ExecutionService
from executors.testing import (
    FAST_LOCAL,
    START,
    LocalnetProcess,
    keys_of,
    signoff_command,
    wait_for,
)
from foundation.clock import FakeClock, SystemClock


@pytest.fixture(scope="session")
def catalog() -> MarketCatalog:
    return load_market_catalog()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def engine(catalog: MarketCatalog, clock: FakeClock) -> PaperEngine:
    return engine_from(catalog, load_demo_account(clock.now()))


@pytest.fixture
def authority(tmp_path: Path) -> Iterator[ApprovalAuthority]:
    auth = ApprovalAuthority.open(str(tmp_path / "keys"))
    yield auth
    auth.close()


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
    ccxt_local: CcxtExecutor, journal: SqliteJournal, authority: ApprovalAuthority
) -> AsyncIterator[ExecutionService]:
    """The execution service in front of ccxt and the local exchange."""
    service = ExecutionService(
        ccxt_local,
        journal,
        authority,
        clock=SystemClock(),
        settings=ApprovalSettings(drift_limit_pct=Decimal("1")),
    )
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
