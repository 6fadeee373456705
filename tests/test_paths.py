from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from foundation import paths


def test_default_home_matches_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert paths.default_home() == str(platformdirs.user_data_path("signoff", appauthor=False))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert paths.default_home() == str(platformdirs.user_data_path("signoff", appauthor=False))


def test_signoff_home_names_the_state_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SIGNOFF_HOME", str(tmp_path / "state"))
    assert paths.home() == str(tmp_path / "state")
    created = Path(paths.home(create=True))
    assert created.is_dir()
    assert created.stat().st_mode & 0o077 == 0  # private to the user


def test_shipped_configs_are_found() -> None:
    assert Path(paths.shipped_config("assets.txt")).is_file()
    assert Path(paths.shipped_config("markets.toml")).is_file()
