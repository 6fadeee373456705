"""The real app on a paper account whose clock the test holds.

The execution service (the same gate ``signoff executor`` runs: it decides every step
again, checks the signatures and their expiry, and sends once) runs in this process on
the paper engine, with the session, the ledger and the gate all reading one
:class:`FakeClock`. A test moves that clock past an approval's validity, or the engine's
price past the drift limit, without waiting ten minutes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, cast

from executors.approvals import Gatekeeper, NonceStore
from executors.catalog import load_demo_account, load_market_catalog
from executors.inprocess import InProcessExecutor
from executors.journal import SqliteJournal
from executors.paper.engine import PaperEngine
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from foundation.clock import FakeClock
from foundation.identity import IdentityRegistry, SigningKey, identities_path, key_path, keys_dir
from ledger.service import Ledger
from signoff.session import Session
from tests.conftest import REPO
from tui.service import Options, Service

if TYPE_CHECKING:
    from executors.process.client import ExecutorClient

START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SHIPPED_POLICY = REPO / "configs" / "policy.toml"


@dataclass
class Paper:
    """What a test holds: the clock, the engine (the venue), the gate and the TUI's service."""

    clock: FakeClock
    engine: PaperEngine
    executor: InProcessExecutor
    ledger: Ledger
    service: Service

    def move_price(self, symbol: str, factor: str) -> Decimal:
        """Move one market's price by ``factor`` (at the clock's time); the new price."""
        price = self.engine.last(symbol) * Decimal(factor)
        self.engine.set_prices({symbol: price}, self.clock.now())
        return price


def open_paper(home: Path, policy: Path = SHIPPED_POLICY, actor: str = "alice") -> Paper:
    """A paper account (the demo balances) for ``actor``, a trader with a key of their own."""
    key = SigningKey.generate(actor)
    os.makedirs(keys_dir(), mode=0o700, exist_ok=True)
    key.save(key_path(actor), None)
    Path(identities_path()).write_text(key.identity_line(["trader"]) + "\n", encoding="utf-8")

    clock = FakeClock(START)
    catalog = load_market_catalog()
    balances = {a: b.total for a, b in load_demo_account(START).balances.items()}
    engine = PaperEngine.with_balances(catalog, balances, START, account_id="paper-tui")
    source = PolicySource.load(str(policy))
    ledger = Ledger.open(None, clock=clock)
    gate = ExecutionService(
        PaperExecutor(engine, clock),
        SqliteJournal(str(home / "journal.sqlite3")),
        Gatekeeper(IdentityRegistry.load(identities_path()), NonceStore(str(home / "nonces.db"))),
        clock=clock,
        policy=source,
        ledger=ledger,
    )
    executor = InProcessExecutor(gate, identities=identities_path())
    executor.start()
    ledger.record_policy_version(stamp=source.policy.stamp, text=source.text, actor=actor)
    session = Session(
        ledger=ledger,
        policy=source.policy,
        policy_text=source.text,
        executor=cast("ExecutorClient", executor),
        actor=actor,
        key=key,
        clock=clock,
    )
    service = Service(Options(actor=actor, local_identity=False), session=session, clock=clock)
    return Paper(clock, engine, executor, ledger, service)


def close_paper(paper: Paper) -> None:
    paper.service.close()
    try:
        paper.executor.close()
    finally:
        paper.ledger.close()


def paper_fixture(home: Path, policy: Path = SHIPPED_POLICY) -> Iterator[Paper]:
    paper = open_paper(home, policy)
    try:
        yield paper
    finally:
        close_paper(paper)
