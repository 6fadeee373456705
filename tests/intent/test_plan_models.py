"""The plan types refuse what cannot be meant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from intent.plan import (
    Amount,
    ConvertStep,
    OrderStep,
    Plan,
    RebalanceStep,
    Schedule,
    Trigger,
    parse_result_from_data,
)


def order(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "action": "order",
        "side": "buy",
        "base": "BTC",
        "quote": "USDT",
        "amount": {"unit": "base", "value": "0.1"},
        "order_type": "market",
        "limit_price": None,
        "trigger": None,
        "schedule": None,
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": {"unit": "base", "value": "0"}},
        {"amount": {"unit": "base", "value": "-1"}},
        {"amount": {"unit": "quote", "value": "NaN"}},
        {"amount": {"unit": "percent", "value": "100.01"}},
        {"amount": {"unit": "percent", "value": "0"}},
        {"amount": {"unit": "lots", "value": "1"}},
        {"order_type": "limit"},
        {"order_type": "market", "limit_price": "100"},
        {"limit_price": "-5", "order_type": "limit"},
        {"base": "btc"},
        {"base": "USDT"},
        {"side": "hold"},
        {"trigger": {"base": "BTC"}},
        {"trigger": {"base": "BTC", "below": "1", "above": "2"}},
        {"schedule": {"every": "1month", "count": 1}},
        {"schedule": {"every": "1d", "count": 0}},
        {"leverage": 10},
    ],
)
def test_order_rejects_what_cannot_be_meant(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OrderStep.model_validate(order(**bad))


def test_targets_over_100_percent_are_refused() -> None:
    with pytest.raises(ValidationError, match="over 100"):
        RebalanceStep(targets={"BTC": Decimal(70), "ETH": Decimal(40)})
    with pytest.raises(ValidationError):
        RebalanceStep(targets={"BTC": Decimal(101)})
    # equal thirds round below 100 and are fine
    third = Decimal(100) / 3
    assert RebalanceStep(targets={"BTC": third, "ETH": third, "SOL": third})


def test_a_plan_has_at_least_one_step_and_is_frozen() -> None:
    with pytest.raises(ValidationError):
        Plan(steps=())
    plan = Plan(steps=(OrderStep.model_validate(order()),))
    with pytest.raises(ValidationError):
        plan.status = "clarify"  # type: ignore[misc,assignment]


def test_amounts_stay_exact_decimals() -> None:
    step = OrderStep.model_validate(order(amount={"unit": "base", "value": "0.1"}))
    assert step.amount.value == Decimal("0.1")
    assert isinstance(step.amount.value, Decimal)
    assert '"0.1"' in step.model_dump_json()


def test_schedule_interval_and_trigger_level() -> None:
    assert Schedule(every="15m", count=4).interval.total_seconds() == 900
    assert Schedule(every="2w").interval.days == 14
    trigger = Trigger(base="ETH", below=Decimal(2000))
    assert (trigger.direction, trigger.level) == ("below", Decimal(2000))


def test_convert_uses_from_in_json_and_refuses_itself() -> None:
    step = ConvertStep.model_validate(
        {"action": "convert", "from": "ETH", "to": "BTC", "amount": {"unit": "base", "value": 1}}
    )
    assert step.model_dump()["from"] == "ETH"
    with pytest.raises(ValidationError):
        ConvertStep.model_validate(
            {
                "action": "convert",
                "from": "ETH",
                "to": "ETH",
                "amount": {"unit": "base", "value": 1},
            }
        )


def test_parse_result_is_exactly_one_kind() -> None:
    assert (
        parse_result_from_data({"status": "clarify", "question": "How much?"}).status == "clarify"
    )
    with pytest.raises(ValidationError):
        parse_result_from_data({"status": "maybe"})
    with pytest.raises(ValidationError):
        parse_result_from_data({"status": "unsupported", "category": "nope", "reason": "x"})
    assert Amount(unit="percent", value=Decimal(100)).value == 100


def test_steps_describe_themselves() -> None:
    step = OrderStep.model_validate(
        order(order_type="limit", limit_price="58000", trigger={"base": "BTC", "below": "60000"})
    )
    text = step.describe()
    assert "buy 0.1 BTC" in text
    assert "58,000" in text
    assert "below 60,000" in text
