"""``[approvals] type_to_confirm_above``: the size above which confirming a step means
typing its amount or its market. An exact amount in the policy's currency, validated
like every limit, explained in plain words, and a personal file may only lower it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.errors import PolicyError
from policy.explain import explain
from policy.lifecycle import diff
from policy.loader import load_policy
from policy.model import TYPE_TO_CONFIRM_ABOVE
from policy.personal import apply_personal
from signoff.cli import main
from tests.policy.policy_helpers import REPO, default_policy, header, policy_from

SOURCE = "ana.toml"
KEY = "p.toml, [approvals]: key 'type_to_confirm_above'"


def with_threshold(value: str) -> str:
    return header() + f"type_to_confirm_above = {value}\n"


def personal(value: str) -> str:
    return f'[personal]\nowner = "ana"\n[approvals]\ntype_to_confirm_above = "{value}"\n'


def test_the_shipped_policy_sets_it_and_a_file_without_it_gets_the_documented_value() -> None:
    assert default_policy().approvals.type_to_confirm_above == Decimal("5000")
    assert policy_from().approvals.type_to_confirm_above == TYPE_TO_CONFIRM_ABOVE == 5000


def test_it_is_an_exact_decimal() -> None:
    policy = load_policy(with_threshold('"2500.50"'), "p.toml")
    assert policy.approvals.type_to_confirm_above == Decimal("2500.50")
    assert isinstance(policy.approvals.type_to_confirm_above, Decimal)
    assert load_policy(with_threshold('"0"'), "p.toml").approvals.type_to_confirm_above == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"-1"', f"{KEY}: must not be negative, got -1"),
        ('"lots"', f"{KEY}: must be a number, got 'lots'"),
        ("true", f"{KEY}: must be a number, got true"),
    ],
)
def test_a_wrong_value_is_refused_naming_the_key(value: str, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(with_threshold(value), "p.toml")
    assert str(caught.value).splitlines()[0] == message


def test_explain_says_when_typing_is_needed() -> None:
    lines = explain(default_policy()).approvals
    assert (
        "a step worth more than 5,000 USDT is confirmed by typing its amount or its market, "
        "not by a key press"
    ) in lines
    lowered = explain(load_policy(with_threshold('"750"'), "p.toml")).text()
    assert "a step worth more than 750 USDT is confirmed by typing" in lowered


def test_a_personal_file_may_lower_it() -> None:
    mine = apply_personal(personal("1000"), SOURCE, policy_from())
    assert mine.approvals.type_to_confirm_above == Decimal("1000")
    same = apply_personal(personal("5000"), SOURCE, policy_from())
    assert same.approvals.type_to_confirm_above == Decimal("5000")
    assert "more than 1,000 USDT is confirmed by typing" in explain(mine).text()


def test_a_personal_file_that_raises_it_is_refused_naming_the_key() -> None:
    with pytest.raises(PolicyError) as caught:
        apply_personal(personal("10000"), SOURCE, policy_from())
    assert str(caught.value) == (
        "ana.toml, [approvals]: loosens the firm's approval settings: "
        "'type_to_confirm_above' from 5,000 to 10,000\n"
        "  hint: a personal file may only make the firm's policy stricter"
    )


@given(
    firm=st.integers(min_value=0, max_value=10**7),
    mine=st.integers(min_value=0, max_value=10**7),
)
def test_a_personal_file_never_raises_it(firm: int, mine: int) -> None:
    base = load_policy(with_threshold(f'"{firm}"'), "p.toml")
    if mine > firm:
        with pytest.raises(PolicyError, match="'type_to_confirm_above'"):
            apply_personal(personal(str(mine)), SOURCE, base)
    else:
        applied = apply_personal(personal(str(mine)), SOURCE, base)
        assert applied.approvals.type_to_confirm_above == Decimal(mine)
        assert applied.approvals.type_to_confirm_above <= base.approvals.type_to_confirm_above


def test_a_new_version_that_lowers_it_is_stricter_and_one_that_raises_it_looser() -> None:
    old = policy_from()
    lower = load_policy(with_threshold('"1000"'), "p.toml")
    higher = load_policy(with_threshold('"9000"'), "p.toml")
    (down,) = [c for c in diff(old, lower) if "typed confirmation" in c.what]
    assert down.direction == "stricter"
    assert down.what == "typed confirmation above: 5000 → 1000"
    (up,) = [c for c in diff(old, higher) if "typed confirmation" in c.what]
    assert up.direction == "looser"


@pytest.mark.parametrize(("value", "code"), [("9000", 1), ("1000", 0)])
def test_policy_tighter_refuses_a_new_version_that_raises_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, code: int
) -> None:
    shipped = REPO / "configs" / "policy.toml"
    text = shipped.read_text("utf-8")
    assert 'type_to_confirm_above = "5000"' in text
    new = tmp_path / "new.toml"
    new.write_text(
        text.replace('type_to_confirm_above = "5000"', f'type_to_confirm_above = "{value}"'),
        "utf-8",
    )
    argv = ["policy", "tighter", str(shipped), str(new), "--no-history", "--examples", "20"]
    assert main(argv) == code
    out = capsys.readouterr().out
    if code:
        assert "NOT tighter: firm-default 2026.11.1 loosens approvals" in out
        assert "typed confirmation above: 5000 → 9000" in out
    else:
        assert "at least as strict" in out
