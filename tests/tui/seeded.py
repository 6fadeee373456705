"""A seeded, clock-frozen executor for the snapshot tests: the real market catalogue, the
demo paper account and the paper engine's simulated feed (seed 7), one tick per read.

The flow tests use the real executor process; screenshots need prices, ids and times
that are the same on every run, which a process on the wall clock cannot give.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from executors.base import OrderState
from executors.catalog import load_demo_account, load_market_catalog
from executors.paper.feeds import SimulatedFeed
from executors.process.wire import Health
from foundation.clock import FakeClock
from intent.market import AccountSnapshot, MarketRules, Quote
from policy.counters import Counters

if TYPE_CHECKING:
    from executors.service import WaitingView

if TYPE_CHECKING:
    from signoff.session import Session

START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


class SeededExecutor:
    """Read-only executor answers from a seeded feed; it never sends anything."""

    def __init__(self, clock: FakeClock, *, seed: int = 7) -> None:
        self.clock = clock
        self.catalog = load_market_catalog()
        self.feed = SimulatedFeed(self.catalog, seed=seed, start=START)
        self.policy_hash: str | None = None
        self.waits: list[WaitingView] = []  # what a test says waits for a second person

    closed = False

    def health(self) -> Health:
        return Health(venue="local", pid=4242, started_at=START, policy_hash=self.policy_hash)

    def countersign(self) -> None:
        """Nothing to sign: this executor keeps no ledger of its own."""
        return None

    def market_rules(self) -> dict[str, MarketRules]:
        return {s: spec.rules for s, spec in self.catalog.specs.items()}

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        self.feed.step()
        data = self.catalog.market_data(self.feed.prices(), self.clock.now())
        return {s: q for s, q in data.quotes.items() if s in symbols}

    def account(self) -> AccountSnapshot:
        return load_demo_account(self.clock.now())

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        return []

    def waiting(self, plan_id: str | None = None) -> list[WaitingView]:
        return [w for w in self.waits if plan_id is None or w.plan_id == plan_id]

    def counters(self) -> Counters:
        return Counters()  # nothing sent yet

    def close(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


def counter_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ledger ids from a counter, so that plan ids on the screen are the same every run."""
    import ledger.service

    numbers: Iterator[int] = itertools.count(1)
    monkeypatch.setattr(ledger.service, "new_id", lambda prefix: f"{prefix}-{next(numbers):016x}")


def seeded_session(actor: str = "alice") -> Session:
    """A real session (ledger in ``$SIGNOFF_HOME``, the shipped policy) on the seeded executor."""
    from executors.policy_file import load_policy_file, policy_path
    from foundation.files import read_bytes
    from ledger.service import Ledger
    from signoff.session import Session

    clock = FakeClock(START)
    executor = SeededExecutor(clock)
    source = policy_path(None)
    policy = load_policy_file(source, None)
    executor.policy_hash = policy.hash
    ledger = Ledger.open(None, clock=clock)
    text = read_bytes(source).decode("utf-8")
    ledger.record_policy_version(stamp=policy.stamp, text=text, actor=actor)
    return Session(
        ledger=ledger,
        policy=policy,
        policy_text=text,
        executor=executor,  # type: ignore[arg-type]
        actor=actor,
        clock=clock,
        owns=False,
    )
