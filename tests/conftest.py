"""Shared test fixtures: every test gets its own SIGNOFF_HOME and a clean environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# a 2-core machine shared with other work: time limits per example only make tests flaky
settings.register_profile("signoff", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "signoff"))

REPO = Path(__file__).resolve().parent.parent

# variables that would point a test at real state, keys or services
_KEPT = ("SIGNOFF_TEST_",)  # test-only settings, such as the PostgreSQL URL
_CLEARED_PREFIXES = (
    "SIGNOFF_",
    "BINANCE_",
    "BYBIT_",
    "OKX_",
    "HASHKEY_",
    "OPENAI_",
    "ANTHROPIC_",
)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) and not name.startswith(_KEPT):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "signoff-home"
    monkeypatch.setenv("SIGNOFF_HOME", str(home))
    return home


@pytest.fixture
def signoff_home(_isolated_env: Path) -> Path:
    """This test's SIGNOFF_HOME (not yet created)."""
    return _isolated_env
