"""A credential typed into a request is refused and never recorded: the session masks
the request text before the ledger stores it (intent/credentials.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from intent.plan import Refusal
from signoff.session import Session

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow

TYPED = [
    ("buy 0.01 ETH my key is sk_live_51HqLyjWDarjtT1zdp7dc", "51HqLyjWDarjtT1zdp7dc"),
    ("buy 0.01 ETH api_secret=2222222222", "2222222222"),
    ("sell 1 BTC, password: hunter22x", "hunter22x"),
]


@pytest.mark.parametrize(("text", "secret"), TYPED)
def test_a_typed_credential_is_refused_and_masked_before_the_ledger(
    session: Session, signoff_home: Path, text: str, secret: str
) -> None:
    proposal = session.propose(text)
    assert isinstance(proposal.result, Refusal)
    assert proposal.result.category == "credentials"
    assert secret not in proposal.text
    assert "[REDACTED]" in proposal.text
    session.ledger.close()
    for path in signoff_home.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
