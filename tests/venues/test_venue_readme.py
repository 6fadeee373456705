"""The README's venue tables are the ones generated from the capability data."""

from __future__ import annotations

import re

from executors.capabilities import capability_table
from executors.venues import keys_table
from tests.conftest import REPO


def _between(name: str) -> str:
    text = (REPO / "README.md").read_text("utf-8")
    found = re.search(f"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.DOTALL)
    assert found, f"README.md has no {name} block"
    return found.group(1)


def test_readme_capability_table_is_generated() -> None:
    assert _between("venue-table") == capability_table()


def test_readme_keys_table_is_generated() -> None:
    table = _between("keys-table")
    assert table == keys_table()
    for name in ("HASHKEY_SANDBOX_API_KEY", "OKX_DEMO_PASSPHRASE", "BYBIT_TESTNET_API_SECRET"):
        assert name in table
