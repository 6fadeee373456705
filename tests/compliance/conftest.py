"""Compliance fixtures: an identities file with a compliance officer, a trader and an
approver, each with their own key in the key directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from foundation.identity import SigningKey, identities_path, key_path

PEOPLE = {"carol": ["compliance"], "alice": ["trader"], "ravi": ["approver"]}


@pytest.fixture
def people(signoff_home: Path) -> dict[str, SigningKey]:
    """carol (compliance), alice (trader), ravi (approver): keys saved, identities file written."""
    keys = {}
    lines = []
    for name, roles in PEOPLE.items():
        key = SigningKey.generate(name)
        key.save(key_path(name), None)
        keys[name] = key
        lines.append(key.identity_line(roles))
    path = Path(identities_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return keys
