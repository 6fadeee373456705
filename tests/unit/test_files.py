from __future__ import annotations

from pathlib import Path

import pytest

from foundation.errors import ConfigError
from foundation.files import read_bytes, read_text


def test_reads_text_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Hälfte\n".encode())
    assert read_text(str(path)) == "Hälfte\n"
    assert read_bytes(str(path)) == "Hälfte\n".encode()


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing.txt", "file not found"),
        (lambda p: p, "is a directory"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, make: object, needle: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(ConfigError) as info:
        read_text(str(path))
    assert needle in str(info.value)
    assert str(path) in str(info.value)


def test_text_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Hälfte".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_text(str(path))
