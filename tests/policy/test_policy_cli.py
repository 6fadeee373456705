"""``signoff policy validate|explain|test`` and ``signoff check``, through the real entry point."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from signoff.cli import main
from tests.policy.policy_helpers import POLICY_TESTS, REPO

NOW = ["--now", "2026-01-05T09:30:00Z"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code, out, err = run(capsys, *args)
    assert err == "", err
    return code, json.loads(out, parse_float=Decimal)


# --- policy test ----------------------------------------------------------------------


def test_shipped_policy_tests_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "policy", "test", str(POLICY_TESTS))
    assert code == 0, out + err
    assert "FAIL" not in out
    assert "ERROR" not in out
    passed = int(out.strip().splitlines()[-1].split()[0])
    assert passed >= 100
    assert out.strip().endswith(f"{passed} passed, 0 failed")


def test_policy_tests_cover_every_rule_kind(capsys: pytest.CaptureFixture[str]) -> None:
    from executors.catalog import load_market_catalog
    from executors.policy_file import default_policy_path, load_policy_file
    from policy.model import RULE_KINDS
    from signoff.situation import load_scenarios

    code, report = run_json(capsys, "policy", "test", str(POLICY_TESTS), "--json")
    assert code == 0
    assert report["failed"] == 0
    catalog = load_market_catalog()
    demo = str(REPO / "configs" / "demo-account.toml")
    applied: set[str] = set()
    for path in sorted(POLICY_TESTS.glob("*.toml")):
        for loaded in load_scenarios(str(path), catalog=catalog, demo_account=demo):
            policy = load_policy_file(loaded.policy or default_policy_path(), loaded.personal)
            for want in loaded.scenario.expect:
                for rule_id in want.rules or ():
                    rule = policy.rule(rule_id)
                    if rule is not None:
                        applied.add(rule.kind)
                    else:
                        applied.add(rule_id)  # built-in: builtin.venue, policy.default_...
    assert set(RULE_KINDS) <= applied
    assert {"builtin.venue", "builtin.trading_state", "builtin.resolution"} <= applied
    assert "policy.default_decision" in applied


def test_a_failing_scenario_is_reported_and_fails_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shutil.copy(POLICY_TESTS / "value-limits.toml", tmp_path / "value-limits.toml")
    (tmp_path / "wrong.toml").write_text(
        """
name = "a deliberately wrong expectation"
account = { balances = { USDT = "100000", SOL = "10" } }
quotes = { "SOL/USDT" = { bid = "100", ask = "100", last = "100" } }
counters = { assets_traded = ["SOL"] }
orders = [{ symbol = "SOL/USDT", side = "buy", quantity = "20" }]
expect = [{ step = "s1", decision = "allow", rules = [] }, { step = "s9", decision = "deny" }]
""",
        encoding="utf-8",
    )
    (tmp_path / "broken.toml").write_text("name = 3\nexpect = 'x'\n", encoding="utf-8")
    code, out, _ = run(capsys, "policy", "test", str(tmp_path))
    assert code == 1
    assert "FAIL  a deliberately wrong expectation" in out
    assert "s1: expected allow, got confirm" in out
    assert "MAX_ORDER_VALUE: limit=1000 USDT, notional=2000 USDT" in out
    assert "s1: rules differ: unexpected value-confirm" in out
    assert "s9: no such step (steps: s1)" in out
    assert "ERROR" in out
    assert "broken.toml" in out
    assert out.strip().endswith("12 passed, 2 failed")


def test_scenarios_can_give_the_request_as_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "text.toml").write_text(
        """
name = "text goes through the real parser"
request = "buy 0.1 BTC and then sell 2 ETH"
[[expect]]
step = "s1"
decision = "confirm"
rules = ["value-confirm"]
[[expect]]
step = "s2"
decision = "confirm"
rules = ["value-confirm"]
""",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "policy", "test", str(tmp_path))
    assert code == 0, out


def test_policy_test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "policy", "test", str(tmp_path))
    assert code == 2
    assert "no *.toml scenario files" in err
    code, _, err = run(capsys, "policy", "test", str(tmp_path / "missing"))
    assert code == 2
    assert "not a directory" in err


# --- policy validate / explain --------------------------------------------------------


def test_validate_the_shipped_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "validate", str(REPO / "configs" / "policy.toml"))
    assert code == 0
    assert "is a valid policy" in out
    assert "firm-default version 2026.11.1" in out
    code, report = run_json(capsys, "policy", "validate", "--json")
    assert code == 0
    assert report["ok"] is True
    assert report["policy"]["id"] == "firm-default"
    assert len(report["policy"]["hash"]) == 64
    assert report["rules"] == sum(report["effects"].values())


def test_validate_a_broken_policy_exits_2_naming_file_rule_and_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (REPO / "configs" / "policy.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('limit = "10000"', 'limit = "-10000"'), encoding="utf-8")
    code, out, err = run(capsys, "policy", "validate", str(bad))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {bad}, rule 'value-escalate' (#4): key 'limit': ")
    assert "must not be negative" in err
    assert "Traceback" not in err


def test_validate_with_a_personal_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    personal = POLICY_TESTS / "personal" / "ana.toml"
    code, out, _ = run(capsys, "policy", "validate", "--personal", str(personal))
    assert code == 0
    assert "personal file" in out
    assert "of ana applied" in out
    looser = tmp_path / "loose.toml"
    looser.write_text(
        '[personal]\nowner = "bo"\n[[override]]\nrule = "value-deny"\nlimit = "90000"\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "policy", "validate", "--personal", str(looser))
    assert code == 2
    assert "loosens the firm's rule 'value-deny'" in err
    assert "hint: a personal file may only make the firm's policy stricter" in err


def test_explain_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "policy", "explain")
    assert code == 0
    for heading in (
        "Runs at once:",
        "Needs the trader's confirmation:",
        "Needs a second approver:",
        "Refused:",
        "Approvals:",
    ):
        assert heading in out
    assert "an order worth more than 1,000 USDT (rule value-confirm)" in out
    assert "expires after 10 minutes" in out


def test_a_missing_policy_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "policy", "explain", "/nonexistent/policy.toml")
    assert code == 2
    assert err == "error: /nonexistent/policy.toml: file not found\n"


# --- check ----------------------------------------------------------------------------


def test_check_text_with_the_demo_account_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "check", "buy $1500 of BTC", "--json", *NOW)
    assert code == 0
    assert report["status"] == "plan"
    assert report["executed"] is False
    assert report["account"] == "paper-demo"
    assert set(report["policy"]) >= {"id", "version", "hash"}
    assert report["policy"]["id"] == "firm-default"
    (step,) = report["steps"]
    assert step["decision"] == "confirm"
    assert step["step_id"] == "s1"
    (reason,) = step["reasons"]
    assert (reason["rule"], reason["code"]) == ("value-confirm", "MAX_ORDER_VALUE")
    assert isinstance(step["step"]["quantity"], Decimal)
    assert step["step"]["notional"] <= Decimal(1500)
    assert report["decision"] == "confirm"


def test_check_prints_a_table_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "buy $500 of SHIB and then cancel my orders", *NOW)
    assert code == 0
    assert "DENY" in out
    assert "SYMBOL_DENIED" in out
    assert "restricted-list" in out
    assert "ALLOW" in out
    assert "Nothing was executed." in out


def test_check_with_account_and_quotes_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    account = tmp_path / "account.json"
    account.write_text(
        json.dumps(
            {
                "account_id": "desk-7",
                "balances": {"USDT": "2000", "ETH": {"free": "3", "locked": "1"}},
                "open_orders": [
                    {
                        "order_id": "x1",
                        "symbol": "ETH/USDT",
                        "side": "sell",
                        "order_type": "limit",
                        "price": "3500",
                        "quantity": "1",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    quotes = tmp_path / "quotes.toml"
    quotes.write_text('["ETH/USDT"]\nprice = "2000"\n', encoding="utf-8")
    code, report = run_json(
        capsys,
        "check",
        "sell all my ETH",
        "--account",
        str(account),
        "--quotes",
        str(quotes),
        "--json",
        *NOW,
    )
    assert code == 0
    assert report["account"] == "desk-7"
    (step,) = report["steps"]
    assert step["step"]["quantity"] == Decimal(3)  # the free ETH; one is locked in an order
    assert step["decision"] == "confirm"
    rules = {r["rule"] for r in step["reasons"]}
    assert rules == {"value-confirm", "sell-most"}


def test_check_a_stored_plan_with_a_personal_file(capsys: pytest.CaptureFixture[str]) -> None:
    plan = REPO / "configs" / "examples" / "plan.json"
    personal = POLICY_TESTS / "personal" / "ana.toml"
    code, report = run_json(
        capsys, "check", "--plan", str(plan), "--personal", str(personal), "--json", *NOW
    )
    assert code == 0
    assert report["policy"]["personal_hash"] is not None
    assert [s["step_id"] for s in report["steps"]] == ["s1", "s2"]


def test_check_clarification_and_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "check", "buy some bitcoin", "--json", *NOW)
    assert code == 1
    assert report["status"] == "clarify"
    assert report["steps"] == []
    assert report["question"]
    code, out, _ = run(capsys, "check", "withdraw 1 BTC to my wallet", *NOW)
    assert code == 1
    assert "Not supported" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "nothing to check"),
        (["check", "buy 1 BTC", "--now", "yesterday"], "not an ISO time"),
        (["check", "buy 1 BTC", "--now", "2026-01-05T09:30:00"], "no time zone"),
        (["check", "buy 1 BTC", "--account", "/nope.toml"], "/nope.toml: file not found"),
        (["check", "buy 1 BTC", "--plan", "x.json"], "give TEXT or --plan, not both"),
    ],
)
def test_check_usage_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_check_names_a_bad_quotes_entry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    quotes = tmp_path / "q.toml"
    quotes.write_text('["ETH/USDT"]\nbid = "10"\nask = "9"\nlast = "9.5"\n', encoding="utf-8")
    code, _, err = run(capsys, "check", "buy 1 ETH", "--quotes", str(quotes), *NOW)
    assert code == 2
    assert f"{quotes}, ETH/USDT:" in err
    assert "above ask" in err


def test_the_policy_and_personal_file_can_be_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_POLICY", str(POLICY_TESTS / "policies" / "narrow.toml"))
    code, report = run_json(capsys, "policy", "validate", "--json")
    assert code == 0
    assert report["policy"]["id"] == "narrow-test"
    # --policy wins over the configured file
    code, report = run_json(
        capsys, "policy", "validate", str(REPO / "configs" / "policy.toml"), "--json"
    )
    assert report["policy"]["id"] == "firm-default"
    monkeypatch.delenv("SIGNOFF_POLICY")
    monkeypatch.setenv("SIGNOFF_PERSONAL", str(POLICY_TESTS / "personal" / "ana.toml"))
    code, report = run_json(capsys, "check", "buy $600 of SOL", "--json", *NOW)
    assert code == 0
    assert report["policy"]["personal_hash"] is not None
    assert report["steps"][0]["decision"] == "confirm"  # ana confirms from 500 USDT
