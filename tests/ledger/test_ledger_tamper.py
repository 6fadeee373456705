"""``verify`` catches every way of tampering with a real ledger, and names the first bad record.

On SQLite the tampering happens on a copy of the ledger file (the original still
verifies afterwards); on PostgreSQL in the test's private schema.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from foundation.clock import FakeClock
from ledger import chain
from ledger.service import Ledger
from tests.ledger import tamper
from tests.ledger.ledger_story import Story, record_story


@dataclass
class Target:
    url: str
    story: Story
    original: str | None  # the untouched original, when the target is a copy
    clock: FakeClock

    def verify(self, checkpoint: chain.Checkpoint | None = None) -> chain.VerifyReport:
        with Ledger.open(self.url, create=False) as ledger:
            return ledger.verify(checkpoint)

    def checkpoint(self) -> chain.Checkpoint:
        with Ledger.open(self.url, create=False) as ledger:
            return ledger.checkpoint()


@pytest.fixture
def target(backend_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Target]:
    with Ledger.open(backend_url, clock=clock) as ledger:
        record_story(ledger, clock, actor="early", suffix="a")
        clock.advance(timedelta(minutes=5))
        story = record_story(ledger, clock)
        assert ledger.verify().ok
    if backend_url.startswith("sqlite"):
        original = backend_url.removeprefix("sqlite:///")
        copy = tmp_path / "copy.sqlite3"
        # closing the last connection checkpointed the WAL: the main file is the whole ledger
        shutil.copyfile(original, copy)
        yield Target(f"sqlite:///{copy}", story, backend_url, clock)
        with Ledger.open(backend_url, create=False) as untouched:
            assert untouched.verify().ok
    else:
        yield Target(backend_url, story, None, clock)


@pytest.mark.parametrize(
    ("table", "column", "stage", "old", "new"),
    [
        ("requests", "text", "request", "buy 0.1 BTC", "buy 0.2 BTC"),
        ("plans", "result_json", "parse", '"value":"0.1"', '"value":"0.2"'),
        ("orders", "quantity", "order_intent", "0.10000", "0.10001"),
        ("decisions", "verdict", "decision", "confirm", "deny   "),
        ("fills", "price", "fill", "67500.01", "67500.00"),
    ],
)
def test_one_changed_byte_of_a_payload_is_caught(
    target: Target, table: str, column: str, stage: str, old: str, new: str
) -> None:
    seq = target.story.seqs[stage]
    where = f"audit_seq = {seq}" + (" AND step_id = 's1'" if table == "decisions" else "")
    tamper.edit_one_byte(target.url, table, column, where, old, new)
    report = target.verify()
    assert not report.ok
    assert report.first is not None
    assert report.first.seq == seq
    assert report.first.code == "CONTENT_ALTERED"
    assert report.first.kind == stage
    assert table in report.first.message


def test_an_edited_audit_record_is_caught(target: Target) -> None:
    seq = target.story.seqs["approval"]
    tamper.edit_record(target.url, seq, "actor", "mallory")
    report = target.verify()
    assert report.first is not None
    assert (report.first.seq, report.first.code) == (seq, "RECORD_ALTERED")
    assert len(report.problems) == 1


def test_a_deleted_record_is_caught(target: Target) -> None:
    seq = target.story.seqs["approval"]
    tamper.delete_record(target.url, seq)
    report = target.verify()
    assert report.first is not None
    assert report.first.seq == seq + 1
    assert report.first.code == "GAP"
    assert f"#{seq} missing" in report.first.message


def test_a_deleted_event_row_is_caught(target: Target) -> None:
    seq = target.story.seqs["sent"]
    tamper.delete_rows(target.url, "order_events", f"audit_seq = {seq}")
    report = target.verify()
    assert report.first is not None
    assert (report.first.seq, report.first.code) == (seq, "CONTENT_ALTERED")


def test_an_added_event_row_is_caught(target: Target) -> None:
    seq = target.story.seqs["fill"]
    with tamper.attacker(target.url) as conn:
        fills = next(t for t in chain.EVENT_TABLE_OBJECTS if t.name == "fills")
        conn.execute(
            fills.insert(),
            {
                "id": "f-forged",
                "audit_seq": seq,
                "client_order_id": target.story.client_order_id,
                "trade_id": "T-forged",
                "quantity": 1,
                "price": 1,
                "fee": None,
                "fee_asset": None,
                "filled_at": target.clock.now(),
            },
        )
    report = target.verify()
    assert report.first is not None
    assert (report.first.seq, report.first.code) == (seq, "CONTENT_ALTERED")


def test_rows_claiming_a_record_that_does_not_exist_are_caught(target: Target) -> None:
    head = target.story.seqs["filled"]
    with tamper.attacker(target.url) as conn:
        conn.exec_driver_sql(
            f"UPDATE order_events SET audit_seq = {head + 5} WHERE audit_seq = {head}"
        )
    report = target.verify()
    codes = [(p.seq, p.code) for p in report.problems]
    assert codes == [(head, "CONTENT_ALTERED"), (head + 5, "ORPHAN_ROWS")]


def test_an_inserted_record_is_caught(target: Target) -> None:
    seq = target.story.seqs["decision"]
    tamper.insert_record_after(target.url, seq)
    report = target.verify()
    assert report.first is not None
    # the forgery is consistent in itself; the record after it no longer links, and every
    # record moved up by one matches neither its hash nor its digest (numbers are hashed)
    assert report.first.seq == seq + 2
    moved = {"RECORD_ALTERED", "CONTENT_ALTERED"}
    assert {p.code for p in report.problems if p.seq == seq + 2} == {"BROKEN_LINK", *moved}
    head = target.story.seqs["filled"] + 1
    assert {p.seq for p in report.problems} == set(range(seq + 2, head + 1))
    assert {p.code for p in report.problems if p.seq != seq + 2} == moved


def test_two_swapped_records_are_caught(target: Target) -> None:
    a = target.story.seqs["order_intent"]
    tamper.swap_records(target.url, a, a + 1)
    report = target.verify()
    assert report.first is not None
    assert report.first.seq == a
    # both moved records are bad, and the one after them no longer links to its predecessor
    assert {p.seq for p in report.problems} == {a, a + 1, a + 2}


def test_truncating_the_tail_is_caught_by_a_checkpoint(target: Target) -> None:
    checkpoint = target.checkpoint()
    head = checkpoint.sequence
    tamper.truncate_after(target.url, head - 3)

    # the chain that is left is consistent: only the checkpoint can tell
    assert target.verify().ok
    report = target.verify(checkpoint)
    assert report.first is not None
    assert (report.first.seq, report.first.code) == (head, "TRUNCATED")
    assert f"ends at #{head - 3}" in report.first.message


def test_a_consistently_rewritten_chain_is_caught_by_a_checkpoint(target: Target) -> None:
    checkpoint = target.checkpoint()
    seq = target.story.seqs["request"]
    tamper.edit_one_byte(target.url, "requests", "text", f"audit_seq = {seq}", "0.1", "0.9")
    tamper.rewrite_chain(target.url)

    assert target.verify().ok
    report = target.verify(checkpoint)
    assert report.first is not None
    assert (report.first.seq, report.first.code) == (checkpoint.sequence, "CHECKPOINT_MISMATCH")


def test_a_checkpoint_accepts_records_appended_after_it(target: Target) -> None:
    checkpoint = target.checkpoint()
    with Ledger.open(target.url, clock=target.clock, create=False) as ledger:
        ledger.record_request(text="sell 1 ETH", actor="bob", parser="deterministic")
        report = ledger.verify(checkpoint)
    assert report.ok
    assert report.head_seq == checkpoint.sequence + 1


def test_a_checkpoint_file_round_trips(tmp_path: Path, target: Target) -> None:
    path = tmp_path / "head.json"
    written = target.checkpoint()
    chain.write_checkpoint(str(path), written)
    read = chain.read_checkpoint(str(path))
    assert (read.sequence, read.hash) == (written.sequence, written.hash)
    assert target.verify(read).ok


# ---------------------------------------------------------------- property-based

_OPS = ("edit_payload", "edit_record", "delete", "swap")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A small real SQLite ledger, built once, copied for each example."""
    path = tmp_path_factory.mktemp("pristine") / "ledger.sqlite3"
    clock = FakeClock()
    with Ledger.open(f"sqlite:///{path}", clock=clock) as ledger:
        for i in range(12):
            clock.advance(1)
            ledger.record_request(text=f"buy {i + 1} SOL", actor=f"u{i}", parser="deterministic")
        head = ledger.head()[0]
    return path, head


@settings(max_examples=30)
@given(data=st.data())
def test_any_single_tampering_is_caught_at_its_record(
    pristine: tuple[Path, int], data: st.DataObject
) -> None:
    """Invariant: after any one tampering, verify fails and names the tampered record."""
    source, head = pristine
    op = data.draw(st.sampled_from(_OPS), label="op")
    seq = data.draw(st.integers(min_value=1, max_value=head - 1), label="seq")
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy.sqlite3"
        shutil.copyfile(source, copy)
        url = f"sqlite:///{copy}"
        expected = seq
        if op == "edit_payload":
            tamper.edit_one_byte(url, "requests", "text", f"audit_seq = {seq}", "SOL", "SOX")
        elif op == "edit_record":
            tamper.edit_record(url, seq, "kind", "parse")
        elif op == "delete":
            tamper.delete_record(url, seq)
            expected = seq + 1
        else:
            tamper.swap_records(url, seq, seq + 1)
        with Ledger.open(url, create=False) as ledger:
            report = ledger.verify()
    assert not report.ok
    assert report.first is not None
    assert report.first.seq == expected


@settings(max_examples=10)
@given(count=st.integers(min_value=0, max_value=6))
def test_an_untouched_ledger_always_verifies(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        clock = FakeClock()
        with Ledger.open(f"sqlite:///{scratch}/l.sqlite3", clock=clock) as ledger:
            for i in range(count):
                ledger.record_request(text=f"sell {i} ADA", actor="p", parser="deterministic")
            report = ledger.verify()
    assert report.ok
    assert report.records == count


@pytest.mark.parametrize("stored", ["lots", "1e999999999", "1" * 80, "", "0x10", "NaN"])
def test_a_corrupt_stored_amount_names_its_record(target: Target, stored: str) -> None:
    if len(stored) > 64 and not target.url.startswith("sqlite"):
        pytest.skip("PostgreSQL itself refuses a value longer than the column")
    seq = target.story.seqs["order_intent"]
    with tamper.attacker(target.url) as conn:
        conn.execute(
            text("UPDATE orders SET quantity = :v WHERE audit_seq = :s"), {"v": stored, "s": seq}
        )
    report = target.verify()
    codes = [(p.seq, p.code) for p in report.problems]
    assert codes == [(seq, "CONTENT_ALTERED"), (seq, "CORRUPT_VALUE")]
    assert "orders.quantity holds" in report.problems[1].message
