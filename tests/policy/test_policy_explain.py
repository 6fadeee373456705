"""``explain``: every rule in plain words, under what happens to the orders it catches."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy.explain import explain, rule_sentence
from policy.loader import load_policy
from policy.personal import apply_personal
from tests.policy.policy_helpers import POLICY_TESTS, default_policy, policy_from


def test_every_rule_is_explained_under_its_effect() -> None:
    policy = default_policy()
    text = explain(policy)
    sections = {
        "confirm": "\n".join(text.confirm),
        "escalate": "\n".join(text.escalate),
        "deny": "\n".join(text.deny),
    }
    for rule in policy.rules:
        assert f"(rule {rule.id})" in sections[rule.effect], rule.id
        for other, body in sections.items():
            if other != rule.effect:
                assert f"(rule {rule.id})" not in body
    assert any("every order that none of the rules" in line for line in text.at_once)
    assert any("queries" in line for line in text.at_once)
    assert any("risk-desk, head-of-trading" in line for line in text.approvals)
    assert any("never approves their own escalation" in line for line in text.approvals)


def test_the_text_reads_in_plain_words() -> None:
    out = explain(default_policy()).text()
    assert out.startswith("Policy firm-default version 2026.11.1, owned by")
    assert "an order worth more than 1,000 USDT (rule value-confirm)" in out
    assert "more than 20 submits and cancels in 1 minute" in out
    assert "a schedule that runs more than 100 times, runs longer than 90 days" in out
    assert "expires after 10 minutes" in out
    assert "if the price moves more than 1% before execution" in out
    assert "(but ADA/USDT: 5,000 USDT, DOGE/USDT: 5,000 USDT, XRP/USDT: 5,000 USDT)" in out
    assert "[only on BTC/*, ETH/*]" in out


def test_default_decision_state_and_personal_file_are_stated() -> None:
    strict = policy_from(default="confirm", state="HALTED")
    text = explain(strict)
    assert not any("none of the rules" in line for line in text.at_once)
    assert "every order (the policy's default decision)" in text.confirm
    assert text.deny[0].startswith("every order: trading is HALTED")
    personal = apply_personal(
        (POLICY_TESTS / "personal" / "ana.toml").read_text("utf-8"), "ana.toml", default_policy()
    )
    assert any("personal file of ana" in note for note in explain(personal).notes)


def test_no_second_approvers_is_said_plainly() -> None:
    text = explain(policy_from(approvers="[]"))
    assert "no second approvers are named: nothing may escalate" in text.approvals


@pytest.mark.parametrize(
    "path", sorted((POLICY_TESTS / "policies").glob("*.toml")), ids=lambda p: p.name
)
def test_every_rule_of_the_test_policies_has_a_sentence(path: Path) -> None:
    policy = load_policy(path.read_text("utf-8"), str(path))
    for rule in policy.rules:
        sentence = rule_sentence(rule, policy.currency)
        assert sentence
        assert sentence[0].islower()
