"""A float for money is refused with the reason, and nothing is written: the exact
refusal, not "some TypeError or LedgerError" (the older test accepts either)."""

from __future__ import annotations

import pytest

from foundation.clock import FakeClock
from ledger.service import Ledger
from tests.ledger.ledger_story import record_story


@pytest.mark.parametrize("quantity", [0.1, True, "0.1"])
def test_money_that_is_not_a_decimal_is_refused_saying_why(
    ledger: Ledger, clock: FakeClock, quantity: object
) -> None:
    story = record_story(ledger, clock)
    head = ledger.head()
    with pytest.raises(TypeError) as refused:
        ledger.record_order_intent(
            plan_id=story.plan_id,
            step_id="s9",
            client_order_id="so-float",
            venue="paper",
            symbol="BTC/USDT",
            side="sell",
            order_type="market",
            quantity=quantity,  # type: ignore[arg-type]
            actor="executor",
        )
    assert str(refused.value) == (
        f"money must be a Decimal (or an int), not {type(quantity).__name__}: "
        "floats are never stored"
    )
    assert ledger.head() == head
    assert ledger.verify().ok
