"""Appends that do not wait for the disk (``durable=False``), and ``Ledger.sync``.

The executor records an acknowledged order's status and fills this way: they are
learned again from its journal and the venue after any crash. What must hold:
the signed-head file never names a record that only a later sync puts on the
disk (so ``audit verify`` never reports a cut nobody made after a power loss),
the record itself is committed and signed at once, the connection goes back to
waiting for the disk for the next append, and a sync or a durable append
publishes the head.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from foundation.clock import FakeClock
from ledger import signing
from ledger.service import FillRecord, Ledger
from tests.ledger.ledger_story import record_story


def _head_file_seq(ledger: Ledger, directory: Path) -> int:
    report = ledger.verify(
        audit_key=signing.load_audit_public_key(str(directory / signing.PUBLIC_KEY_FILE)),
        heads_dir=str(directory / signing.HEADS_DIR),
    )
    assert report.ok, report.problems
    assert report.signing is not None
    assert report.signing.last_signed == ledger.head()[0]
    return int(report.signing.head_file_seq or 0)


def _synchronous(ledger: Ledger) -> int:
    writer = ledger._writer  # the one connection appends use
    assert writer is not None
    return int(writer.exec_driver_sql("PRAGMA synchronous").scalar_one())


def test_a_lazy_append_is_committed_and_signed_but_its_head_waits_for_sync(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    directory = tmp_path / "executor"
    signer = signing.load_or_create_audit_key(str(directory))
    with Ledger.open(sqlite_url, clock=clock, head_signer=signer) as ledger:
        story = record_story(ledger, clock)
        durable_head = ledger.head()[0]
        assert _head_file_seq(ledger, directory) == durable_head
        appended = ledger.record_order_update(
            client_order_id=story.client_order_id,
            actor="executor",
            status="filled",
            filled_quantity=Decimal("0.1"),
            fills=[FillRecord(trade_id="T-lazy", quantity=Decimal("0.01"), price=Decimal("1"))],
            durable=False,
        )
        assert [a.seq for a in appended] == [durable_head + 1, durable_head + 2]
        # committed: another connection sees it at once
        with Ledger.open(sqlite_url, create=False) as reader, reader.engine.connect() as conn:
            seen = conn.execute(text("SELECT max(seq) FROM audit_records")).scalar_one()
        assert seen == durable_head + 2
        # signed in the same transaction, but the head file still names the durable head
        assert _head_file_seq(ledger, directory) == durable_head
        # and the next append waits for the disk again
        assert _synchronous(ledger) == 2  # FULL
        ledger.sync()
        assert _head_file_seq(ledger, directory) == durable_head + 2
        ledger.sync()  # nothing left: harmless
        assert _head_file_seq(ledger, directory) == durable_head + 2


def test_a_durable_append_after_a_lazy_one_publishes_the_newest_head(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    directory = tmp_path / "executor"
    signer = signing.load_or_create_audit_key(str(directory))
    with Ledger.open(sqlite_url, clock=clock, head_signer=signer) as ledger:
        story = record_story(ledger, clock)
        ledger.record_order_update(
            client_order_id=story.client_order_id,
            actor="executor",
            status="canceled",
            durable=False,
        )
        ledger.record_request(text="buy 1 BTC", actor="alice", parser="deterministic")
        assert _head_file_seq(ledger, directory) == ledger.head()[0]


def test_closing_the_ledger_syncs_and_publishes(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    directory = tmp_path / "executor"
    signer = signing.load_or_create_audit_key(str(directory))
    with Ledger.open(sqlite_url, clock=clock, head_signer=signer) as ledger:
        story = record_story(ledger, clock)
        [last] = ledger.record_order_update(
            client_order_id=story.client_order_id,
            actor="executor",
            status="canceled",
            durable=False,
        )
    with Ledger.open(sqlite_url, create=False) as reader:
        assert _head_file_seq(reader, directory) == last.seq


@pytest.mark.parametrize("durable", [True, False])
def test_a_lazy_append_on_a_ledger_without_a_signer_is_an_ordinary_append(
    backend_url: str, clock: FakeClock, durable: bool
) -> None:
    with Ledger.open(backend_url, clock=clock) as ledger:
        story = record_story(ledger, clock)
        [appended] = ledger.record_order_update(
            client_order_id=story.client_order_id,
            actor="executor",
            status="canceled",
            durable=durable,
        )
        ledger.sync()
        assert ledger.head()[0] == appended.seq
        assert ledger.verify().ok


def test_after_a_sync_the_signer_still_sees_what_others_append(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    # the executor countersigns a client's records after syncing its own lazy ones
    # (tests/session/test_audit_countersign.py does the same across processes, where
    # a sync that closed a descriptor of the database file lost SQLite's locks)
    directory = tmp_path / "executor"
    signer = signing.load_or_create_audit_key(str(directory))
    with Ledger.open(sqlite_url, clock=clock, head_signer=signer) as executor:
        story = record_story(executor, clock)
        executor.record_order_update(
            client_order_id=story.client_order_id,
            actor="executor",
            status="canceled",
            durable=False,
        )
        executor.sync()
        with Ledger.open(sqlite_url, clock=clock, create=False) as client:
            client.record_request(text="buy 1 BTC", actor="alice", parser="deterministic")
            client_head = client.head()[0]
        made = executor.countersign()
        assert made is not None
        assert made.seq == client_head
        assert _head_file_seq(executor, directory) == client_head
