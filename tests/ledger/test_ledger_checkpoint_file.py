"""The checkpoint file, as another machine reads it: every field written under its name,
readable JSON, written atomically in the target's own directory (nothing left beside
it), round-tripped exactly; a place that cannot be written is refused saying so."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from foundation.errors import InputError
from ledger.chain import CHECKPOINT_FORMAT, Checkpoint, read_checkpoint, write_checkpoint

HEAD = Checkpoint(
    sequence=42, hash="ab" * 32, written_at="2026-01-05T09:30:00+00:00", ledger="/x/ledger.db"
)


def test_a_checkpoint_file_holds_every_field_by_name_and_reads_back_exactly(
    tmp_path: Path,
) -> None:
    target = tmp_path / "head.json"
    write_checkpoint(str(target), HEAD)
    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "sequence": 42,
        "hash": "ab" * 32,
        "written_at": "2026-01-05T09:30:00+00:00",
        "ledger": "/x/ledger.db",
    }
    assert text.endswith("}\n")
    assert '\n  "sequence": 42,\n' in text  # one field a line, for people comparing heads
    assert read_checkpoint(str(target)) == HEAD
    assert sorted(os.listdir(tmp_path)) == ["head.json"]  # no temporary file left


def test_a_checkpoint_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "head.json"
    write_checkpoint(str(target), HEAD)
    later = Checkpoint(sequence=43, hash="cd" * 32)
    write_checkpoint(str(target), later)
    assert read_checkpoint(str(target)) == later
    assert sorted(os.listdir(tmp_path)) == ["head.json"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_place_is_refused_naming_it(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError) as refused:
            write_checkpoint(str(locked / "head.json"), HEAD)
        assert str(refused.value).startswith(f"cannot write the checkpoint {locked}/head.json")
    finally:
        locked.chmod(0o700)


def test_the_temporary_file_is_made_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.replace is atomic only within one file system: the temporary file must be in
    the target's directory, not the system's temporary directory."""
    target = tmp_path / "sub" / "head.json"
    target.parent.mkdir()
    seen: list[str] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(os.path.dirname(src))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_checkpoint(str(target), HEAD)
    assert seen == [str(target.parent)]
