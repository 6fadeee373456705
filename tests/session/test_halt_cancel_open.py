"""`signoff halt --cancel-open`: the executor cancels the account's open orders at the venue."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from executors.process.client import ExecutorClient
from executors.testing import journal_rows
from ledger.service import Ledger
from ledger.store import LEDGER_FILE
from tests.session.conftest import signoff, write_identities

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow


def test_a_halt_with_cancel_open_cancels_the_resting_order_and_records_it(home: Path) -> None:
    write_identities(home, {"alice": ["trader", "approver"], "carol": ["compliance"]})
    placed = signoff(home, "run", "buy 10 SOL at 150", stdin="y\n")
    assert placed.returncode == 0, placed.stderr
    assert "s1 placed: buy 10 SOL/USDT: open (resting at 150)" in placed.stdout
    plan = re.search(r"signoff audit show (p-[0-9a-f]+)", placed.stdout)
    assert plan is not None
    client = ExecutorClient.connect(str(home))
    try:
        resting = client.open_orders()
        assert [o.client_order_id for o in resting] != []
        coid = resting[0].client_order_id
        halted = signoff(
            home,
            "halt",
            "--cancel-open",
            "--reason",
            "venue incident",
            "--as",
            "carol",
            env={"SIGNOFF_USER": "carol"},
        )
        assert halted.returncode == 0, halted.stderr
        # the executor's background loop sees the change within a second or two; bounded
        deadline = time.monotonic() + 20
        while client.open_orders() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.open_orders() == []  # canceled at the venue
        venue = client.order(resting[0].symbol, coid)
        assert venue is not None
        assert venue.status == "canceled"
    finally:
        client.close()
    assert [r["status"] for r in journal_rows(home)] == ["canceled"]
    with Ledger.open(f"sqlite:///{home / LEDGER_FILE}", create=False) as ledger:
        view = ledger.order(coid)
        assert view is not None
        assert view.status == "canceled"
        story = ledger.plan_story(plan.group(1))
    assert story is not None
    # a new order is refused while halted: nothing more reaches the venue
    refused = signoff(home, "run", "buy 0.01 BTC")
    assert "executed" not in refused.stdout
    assert [r["status"] for r in journal_rows(home)] == ["canceled"]
