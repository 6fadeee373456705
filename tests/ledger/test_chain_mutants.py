"""Chain behaviours that mutation testing found unguarded (scripts/mutation.py): what a
checkpoint file may hold, how a gap and a problem are named, the record count, and the
order rows are shown in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from foundation.errors import InputError
from ledger import chain
from ledger.service import Ledger
from ledger.tables import SchemaInfo
from tests.ledger import tamper
from tests.ledger.test_ledger_tamper import Target, target  # noqa: F401 - the fixture

GOOD_HASH = "ab" * 32


def _checkpoint_file(tmp_path: Path, **fields: object) -> str:
    path = tmp_path / "checkpoint.json"
    data = {"format": chain.CHECKPOINT_FORMAT, "sequence": 3, "hash": GOOD_HASH, **fields}
    path.write_text(json.dumps(data), "utf-8")
    return str(path)


def test_a_checkpoint_at_the_empty_ledgers_head_reads_back(tmp_path: Path) -> None:
    path = _checkpoint_file(tmp_path, sequence=0)
    assert chain.read_checkpoint(path).sequence == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"sequence": -1},
        {"sequence": True},
        {"sequence": "3"},
        {"hash": "ab" * 31},
        {"hash": 12},
    ],
)
def test_a_checkpoint_with_a_malformed_sequence_or_hash_is_refused(
    tmp_path: Path, fields: dict[str, object]
) -> None:
    path = _checkpoint_file(tmp_path, **fields)
    with pytest.raises(InputError) as err:
        chain.read_checkpoint(path)
    assert err.value.message == f"{path}: 'sequence' or 'hash' is missing or malformed"


def test_a_missing_or_unreadable_checkpoint_says_which_file_and_what_to_do(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nowhere.json")
    with pytest.raises(InputError) as err:
        chain.read_checkpoint(missing)
    assert err.value.message == f"checkpoint file {missing} not found"
    assert err.value.hint == "write one with 'signoff audit checkpoint FILE'"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", "utf-8")
    with pytest.raises(InputError) as err:
        chain.read_checkpoint(str(broken))
    assert err.value.message.startswith(f"cannot read the checkpoint {broken}: ")


def test_one_deleted_record_is_named_alone(target: Target) -> None:  # noqa: F811
    seq = target.story.seqs["approval"]
    tamper.delete_record(target.url, seq)
    report = target.verify()
    assert report.first is not None
    assert report.first.message == (
        f"expected record #{seq} next, found #{seq + 1}: #{seq} missing"
    )
    # the record after the gap no longer links to its predecessor: named with its kind
    [broken] = [p for p in report.problems if p.code == "BROKEN_LINK"]
    assert broken.seq == seq + 1
    assert broken.kind is not None
    assert broken.kind == report.first.kind
    assert broken.message == (
        "its prev_hash is not the hash of the record before it "
        "(a record was removed, inserted or reordered before this one)"
    )


def test_a_problem_with_no_record_is_placed_on_the_ledger() -> None:
    assert chain.Problem(None, "NO_HEAD", "gone").describe() == "ledger: NO_HEAD: gone"
    assert chain.Problem(4, "GAP", "x", "fill").describe() == "record #4 (fill): GAP: x"


def test_the_record_count_is_the_number_of_records(target: Target) -> None:  # noqa: F811
    with Ledger.open(target.url, create=False) as ledger, ledger.engine.connect() as conn:
        head, _ = chain.head(conn)
        assert chain.count_records(conn) == head > 0


def test_rows_of_a_record_are_shown_by_table_then_content() -> None:
    rows = [("orders", {"id": "b"}), ("fills", {"id": "z"}), ("orders", {"id": "a"})]
    assert chain.sorted_rows(rows) == [
        ("fills", {"id": "z"}),
        ("orders", {"id": "a"}),
        ("orders", {"id": "b"}),
    ]


def test_a_rows_hashed_content_is_its_table_and_every_column() -> None:
    name, content = chain.model_content(SchemaInfo(key="schema_version", value="7"))
    assert (name, content) == ("schema_info", {"key": "schema_version", "value": "7"})


def test_an_edited_record_is_named_with_its_kind(target: Target) -> None:  # noqa: F811
    seq = target.story.seqs["approval"]
    tamper.edit_record(target.url, seq, "actor", "mallory")
    report = target.verify()
    assert report.first is not None
    assert report.first.code == "RECORD_ALTERED"
    assert (
        report.first.message == "its stored hash does not match its fields (the record was edited)"
    )
    assert report.first.kind is not None
    assert report.first.describe().startswith(f"record #{seq} ({report.first.kind}): ")


def test_rows_left_behind_by_a_deleted_record_are_orphans(target: Target) -> None:  # noqa: F811
    seq = target.story.seqs["approval"]
    tamper.delete_record(target.url, seq, with_rows=False)
    report = target.verify()
    orphans = [p for p in report.problems if p.code == "ORPHAN_ROWS"]
    assert [p.seq for p in orphans] == [seq]
    assert f"claim audit record #{seq}, which does not exist" in orphans[0].message


def test_a_checkpoints_record_deleted_is_named_missing(target: Target) -> None:  # noqa: F811
    seq = target.story.seqs["approval"]
    with Ledger.open(target.url, create=False) as ledger, ledger.engine.connect() as conn:
        rows = conn.execute(chain.AUDIT.select().where(chain.AUDIT.c.seq == seq)).mappings()
        digest = next(iter(rows))["hash"]
    checkpoint = chain.Checkpoint(sequence=seq, hash=digest)
    assert target.verify(checkpoint).ok
    tamper.delete_record(target.url, seq)
    report = target.verify(checkpoint)
    mismatch = [p for p in report.problems if p.code == "CHECKPOINT_MISMATCH"]
    assert [(p.seq, p.message) for p in mismatch] == [
        (seq, f"record #{seq} named by the checkpoint is missing")
    ]


def test_an_int_in_a_money_column_is_hashed_as_the_decimal_it_reads_back_as() -> None:
    from decimal import Decimal

    from ledger.tables import OrderRow

    table = OrderRow.__table__  # type: ignore[attr-defined]
    content = chain.row_content(table, {"quantity": 5, "notional": Decimal("5.0")})
    assert content["quantity"] == Decimal(5)
    assert isinstance(content["quantity"], Decimal)
    with pytest.raises(TypeError, match="floats are never stored"):
        chain.row_content(table, {"quantity": 5.0})
