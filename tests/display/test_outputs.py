"""What `run` and the ledger print about orders: fees in plain digits, open trigger
orders without ``when None``, resting orders *placed* (not executed), and nothing said
about a restart when nothing changed."""

from __future__ import annotations

from decimal import Decimal

from executors.base import OrderState
from ledger.render import _num
from signoff.session import Session
from signoff.steps_text import describe_open_order, describe_order_state, outcome_word
from tests.session.conftest import session  # noqa: F401 - the real session fixture


def _state(**changes: object) -> OrderState:
    base: dict[str, object] = {
        "client_order_id": "p-1-s1",
        "symbol": "ETH/USDT",
        "side": "sell",
        "order_type": "market",
        "status": "open",
        "quantity": Decimal("1.5"),
    }
    base.update(changes)
    return OrderState.model_validate(base)


def test_a_fee_is_shown_in_plain_digits() -> None:
    assert _num(Decimal("2.9E-7")) == "0.00000029"
    assert _num(Decimal("1E+1")) == "10"
    assert _num(Decimal("67500.01")) == "67500.01"


def test_an_open_trigger_order_says_where_it_fires_never_none() -> None:
    known = _state(trigger_price=Decimal(3300), trigger_direction="below")
    assert describe_open_order(known) == "sell 1.5 ETH/USDT when below 3,300"
    unknown = _state(trigger_price=Decimal(3300))  # a venue that does not say which way
    text = describe_open_order(unknown)
    assert "None" not in text
    assert text == "sell 1.5 ETH/USDT triggered at 3,300"


def test_a_resting_order_was_placed_not_executed() -> None:
    resting = _state(order_type="limit", limit_price=Decimal(3500))
    assert outcome_word("executed", (resting,)) == "placed"
    assert describe_order_state(resting) == "sell 1.5 ETH/USDT: open (resting at 3,500)"
    partly = resting.model_copy(update={"status": "partially_filled", "filled": Decimal("0.5")})
    assert outcome_word("executed", (partly,)) == "partly filled"
    filled = _state(status="filled", filled=Decimal("1.5"), average_price=Decimal("3499.9"))
    assert outcome_word("executed", (filled,)) == "executed"
    assert outcome_word("skipped", ()) == "skipped"


def test_nothing_is_reconciled_when_nothing_changed(session: Session) -> None:  # noqa: F811
    proposal = session.propose("buy 10 SOL at 150")
    approval = session.approve(proposal, "s1", "alice")
    [done] = session.execute(proposal, {"s1": approval})
    assert outcome_word(done.status, done.orders) == "placed"
    # the order rests, unfinished; the next runs have nothing to report about it
    assert session.ledger.unfinished_orders()
    assert session.reconcile() == []
    assert session.reconcile() == []
