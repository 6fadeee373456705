"""The chain's links and hashes, each guarded from more than one side.

``prev_hash`` is what makes the records a chain: these tests check it as
written (every record names its predecessor's hash, the first names
``GENESIS``), as hashed (each field of a record, ``prev_hash`` included,
changes its hash), and as verified (a relinked record is named, alone or
with its successor, whatever record it is).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from foundation.clock import FakeClock
from foundation.errors import ApprovalError, LedgerError
from intent.canonical import canonical_bytes
from ledger import chain
from ledger.service import Ledger
from tests.ledger import tamper
from tests.ledger.ledger_story import POLICY, record_story

FIELDS: dict[str, Any] = {
    "seq": 7,
    "recorded_at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
    "kind": "request",
    "actor": "alice",
    "plan_id": "p-1",
    "subject": "r-1",
    "digest": "d" * 64,
    "prev_hash": "a" * 64,
}
CHANGED: dict[str, Any] = {
    "seq": 8,
    "recorded_at": datetime(2026, 1, 5, 9, 30, 0, 1, tzinfo=UTC),
    "kind": "parse",
    "actor": "alicf",
    "plan_id": None,
    "subject": "r-2",
    "digest": "e" * 64,
    "prev_hash": "b" * 64,
}


def _records(url: str) -> list[dict[str, Any]]:
    with Ledger.open(url, create=False) as ledger, ledger.engine.connect() as conn:
        return [r for batch in chain.iter_records(conn) for r in batch]


def test_every_record_names_the_hash_of_the_one_before(ledger: Ledger, clock: FakeClock) -> None:
    record_story(ledger, clock)
    records = [r for batch in _iter(ledger) for r in batch]
    assert records[0]["prev_hash"] == chain.GENESIS == "0" * 64
    for before, after in itertools.pairwise(records):
        assert after["prev_hash"] == before["hash"]
        assert after["seq"] == before["seq"] + 1
    # and every stored hash is the hash of the record's fields, prev_hash included
    for record in records:
        assert chain.stored_record_hash(record) == record["hash"]
    assert ledger.head() == (records[-1]["seq"], records[-1]["hash"])


def _iter(ledger: Ledger) -> list[list[dict[str, Any]]]:
    with ledger.engine.connect() as conn:
        return list(chain.iter_records(conn, batch=3))  # several batches: links across them


def test_the_append_returns_the_link_it_wrote(ledger: Ledger) -> None:
    first = ledger.record_request(text="buy 1 ETH", actor="a", parser="deterministic").audit
    second = ledger.record_request(text="buy 2 ETH", actor="a", parser="deterministic").audit
    records = [r for batch in _iter(ledger) for r in batch]
    assert [(r["seq"], r["hash"]) for r in records] == [
        (first.seq, first.hash),
        (second.seq, second.hash),
    ]
    assert records[1]["prev_hash"] == first.hash
    assert first.hash != second.hash


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_field_of_a_record_changes_its_hash(name: str) -> None:
    base = chain.record_hash(**FIELDS)
    assert chain.record_hash(**{**FIELDS, name: CHANGED[name]}) != base


def test_the_record_hash_is_sha256_of_its_canonical_fields() -> None:
    import hashlib

    expected = hashlib.sha256(canonical_bytes({"v": 1, **FIELDS})).hexdigest()
    assert chain.record_hash(**FIELDS) == expected


def test_a_relinked_record_with_its_own_hash_recomputed_is_a_broken_link(
    sqlite_url: str, clock: FakeClock
) -> None:
    """The forger points a record at another predecessor and makes its hash consistent."""
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        story = record_story(ledger, clock)
    seq = story.seqs["approval"]
    records = {r["seq"]: r for r in _records(sqlite_url)}
    forged = {**records[seq], "prev_hash": records[seq - 2]["hash"]}
    tamper.edit_record(sqlite_url, seq, "prev_hash", forged["prev_hash"])
    tamper.edit_record(sqlite_url, seq, "hash", chain.stored_record_hash(forged))
    with Ledger.open(sqlite_url, create=False) as ledger:
        report = ledger.verify()
    # the record itself no longer follows its predecessor; its successor no longer follows it
    assert [(p.seq, p.code) for p in report.problems] == [
        (seq, "BROKEN_LINK"),
        (seq + 1, "BROKEN_LINK"),
    ]
    assert "prev_hash is not the hash of the record before it" in report.problems[0].message


def test_an_edited_prev_hash_alone_is_caught_twice_at_its_record(
    sqlite_url: str, clock: FakeClock
) -> None:
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        story = record_story(ledger, clock)
    seq = story.seqs["fill"]
    tamper.edit_record(sqlite_url, seq, "prev_hash", "f" * 64)
    with Ledger.open(sqlite_url, create=False) as ledger:
        report = ledger.verify()
    # its stored hash still matches the old fields, so the successor links fine
    assert sorted((p.seq, p.code) for p in report.problems) == [
        (seq, "BROKEN_LINK"),
        (seq, "RECORD_ALTERED"),
    ]


def test_the_first_record_must_start_from_genesis(sqlite_url: str, clock: FakeClock) -> None:
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        ledger.record_request(text="buy 1 ETH", actor="a", parser="deterministic")
        ledger.record_request(text="buy 2 ETH", actor="a", parser="deterministic")
    record = _records(sqlite_url)[0]
    forged = {**record, "prev_hash": "1" * 64}
    tamper.edit_record(sqlite_url, 1, "prev_hash", forged["prev_hash"])
    tamper.edit_record(sqlite_url, 1, "hash", chain.stored_record_hash(forged))
    with Ledger.open(sqlite_url, create=False) as ledger:
        report = ledger.verify()
    assert [(p.seq, p.code) for p in report.problems] == [(1, "BROKEN_LINK"), (2, "BROKEN_LINK")]


def test_two_separate_relinks_are_both_reported(sqlite_url: str, clock: FakeClock) -> None:
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        for i in range(8):
            ledger.record_request(text=f"buy {i} ETH", actor="a", parser="deterministic")
    tamper.edit_record(sqlite_url, 3, "prev_hash", "3" * 64)
    tamper.edit_record(sqlite_url, 6, "prev_hash", "6" * 64)
    with Ledger.open(sqlite_url, create=False) as ledger:
        report = ledger.verify()
    links = [p.seq for p in report.problems if p.code == "BROKEN_LINK"]
    assert links == [3, 6]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("chain") / "ledger.sqlite3"
    clock = FakeClock()
    with Ledger.open(f"sqlite:///{path}", clock=clock) as ledger:
        for i in range(10):
            clock.advance(1)
            ledger.record_request(text=f"sell {i + 1} ADA", actor="p", parser="deterministic")
        head = ledger.head()[0]
    return path, head


@settings(max_examples=25)
@given(data=st.data())
def test_relinking_any_record_to_any_other_is_named(
    pristine: tuple[Path, int], data: st.DataObject
) -> None:
    """Invariant: pointing record k at any hash but its predecessor's breaks the link at k."""
    source, head = pristine
    seq = data.draw(st.integers(min_value=1, max_value=head), label="seq")
    target = data.draw(
        st.integers(min_value=0, max_value=head).filter(lambda t: t != seq - 1), label="target"
    )
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "copy.sqlite3"
        shutil.copyfile(source, copy)
        url = f"sqlite:///{copy}"
        records = {r["seq"]: r for r in _records(url)}
        new_prev = chain.GENESIS if target == 0 else records[target]["hash"]
        forged = {**records[seq], "prev_hash": new_prev}
        tamper.edit_record(url, seq, "prev_hash", new_prev)
        tamper.edit_record(url, seq, "hash", chain.stored_record_hash(forged))
        with Ledger.open(url, create=False) as ledger:
            report = ledger.verify()
    expected = [(seq, "BROKEN_LINK")] + ([(seq + 1, "BROKEN_LINK")] if seq < head else [])
    assert [(p.seq, p.code) for p in report.problems] == expected


# ---------------------------------------------------------------- refusals that leave no trace


def test_an_approval_expires_exactly_at_its_expiry(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)

    def approval(expires_in: float) -> str:
        return ledger.record_approval(
            plan_id=story.plan_id,
            step_id="s1",
            approver="carol",
            role="escalate",
            content_hash="c" * 64,
            policy_hash=POLICY.hash,
            expires_at=clock.now() + timedelta(seconds=expires_in),
        ).id

    at_boundary = approval(10)
    just_before = approval(10.000001)
    clock.advance(10)
    head = ledger.head()
    with pytest.raises(ApprovalError, match="expired at"):
        ledger.record_approval_used(approval_id=at_boundary, actor="executor")
    assert ledger.head() == head
    used = ledger.record_approval_used(approval_id=just_before, actor="executor")
    assert used.seq == head[0] + 1


def test_a_second_use_of_an_approval_records_nothing(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    head = ledger.head()
    with pytest.raises(ApprovalError, match="already used") as refused:
        ledger.record_approval_used(approval_id=story.approval_id, actor="executor")
    assert refused.value.hint == "an approval is good for one execution; ask for a new one"
    assert ledger.head() == head
    assert ledger.verify().ok


def test_a_refused_append_leaves_the_chain_as_it_was(ledger: Ledger, clock: FakeClock) -> None:
    story = record_story(ledger, clock)
    head = ledger.head()
    with pytest.raises(LedgerError, match="already recorded"):
        ledger.record_order_intent(
            plan_id=story.plan_id,
            step_id="s1",
            client_order_id=story.client_order_id,
            venue="paper",
            symbol="BTC/USDT",
            side="buy",
            order_type="market",
            quantity=Decimal("0.1"),
            actor="executor",
        )
    with pytest.raises(LedgerError, match="record the order's intent"):
        ledger.record_order_status(client_order_id="so-ghost", status="open", actor="executor")
    assert ledger.head() == head
    # the next append links to the head as it was
    after = ledger.record_request(text="sell 1 BTC", actor="bob", parser="deterministic").audit
    with ledger.engine.connect() as conn:
        prev = conn.execute(
            text("SELECT prev_hash FROM audit_records WHERE seq = :s"), {"s": after.seq}
        ).scalar_one()
    assert (after.seq, prev) == (head[0] + 1, head[1])
