"""Messages about files: a typo in a restricted list is warned about, and validation
errors name the key a person wrote, never pydantic's internals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signoff.cli import main
from tests.conftest import REPO


def test_a_typo_in_a_restricted_list_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "configs" / "policy.toml").read_text(encoding="utf-8")
    assert 'assets = ["SHIB"]' in text
    policy = tmp_path / "policy.toml"
    policy.write_text(
        text.replace('assets = ["SHIB"]', 'assets = ["DOGGE"]\nsymbols = ["DOGGE/USDT"]'),
        encoding="utf-8",
    )
    assert main(["policy", "validate", str(policy)]) == 0
    err = capsys.readouterr().err
    assert "no market trades DOGGE (did you mean DOGE?)" in err
    assert "no market matches DOGGE/USDT (did you mean DOGE/USDT?)" in err
    assert main(["policy", "validate", str(policy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["warnings"]) == 2
    # the shipped policy names only markets that exist
    assert main(["policy", "validate"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[balances]\nBTC = "abc"\n', "key 'balances.BTC': must be a number, got 'abc'"),
        ("[balances]\nBTC = [1]\n", "key 'balances.BTC': must be a number, got list [1]"),
        (
            '[balances]\nBTC = { free = "x" }\n',
            "key 'balances.BTC.free': must be a number, got 'x'",
        ),
        ('[balances]\nBTC = "-1"\n', "key 'balances.BTC': must not be negative, got -1"),
    ],
)
def test_validation_errors_name_the_key_not_pydantic_internals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    account = tmp_path / "account.toml"
    account.write_text(text, encoding="utf-8")
    assert main(["check", "buy 0.01 BTC", "--account", str(account)]) == 2
    err = capsys.readouterr().err
    assert message in err
    for leak in ("function-after", "_BalanceEntry", "[type=", "instance of"):
        assert leak not in err


def test_a_bad_plan_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "status": "plan",
                "steps": [
                    {
                        "action": "order",
                        "side": "buy",
                        "base": "BTC",
                        "amount": {"unit": "base", "value": -1},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert main(["check", "--plan", str(plan)]) == 2
    err = capsys.readouterr().err
    assert "key 'steps[0].amount.value': must be a positive number, got -1" in err
    assert "plan.steps" not in err  # the tagged union's tag is not a key
