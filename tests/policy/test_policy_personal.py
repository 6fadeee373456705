"""Personal files: stricter thresholds on top of the firm's policy, never looser."""

from __future__ import annotations

import hashlib

import pytest

from foundation.errors import PolicyError
from policy.model import MaxOrderValue, PriceCollar
from policy.personal import apply_personal
from tests.policy.policy_helpers import (
    account,
    decide,
    default_policy,
    flat_market,
    order,
    rules_of,
)

SOURCE = "ana.toml"
HEAD = '[personal]\nowner = "ana"\n'


def override(rule: str, body: str) -> str:
    return f'{HEAD}\n[[override]]\nrule = "{rule}"\n{body}\n'


def test_tighter_thresholds_and_own_rules_apply() -> None:
    text = (
        override("value-confirm", 'limit = "500"')
        + '\n[[rule]]\nid = "no-doge"\nkind = "denied_symbols"\neffect = "deny"\n'
        + 'assets = ["DOGE"]\n'
    )
    firm = default_policy()
    mine = apply_personal(text, SOURCE, firm)
    rule = mine.rule("value-confirm")
    assert isinstance(rule, MaxOrderValue)
    assert str(rule.limit) == "500"
    assert mine.rule("no-doge") is not None
    assert mine.hash == firm.hash
    assert mine.stamp.personal_hash == hashlib.sha256(text.encode()).hexdigest()
    assert mine.personal is not None
    assert mine.personal.owner == "ana"
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "10000", "SOL": "10"})
    step = order("SOL/USDT", "buy", "6", acct=acct, market=market)
    (firm_decision,) = decide(firm, [step], acct=acct, market=market)
    (my_decision,) = decide(mine, [step], acct=acct, market=market)
    assert firm_decision.decision == "allow"
    assert my_decision.decision == "confirm"
    assert rules_of(my_decision) == {"value-confirm"}
    assert my_decision.policy.personal_hash == mine.stamp.personal_hash


def test_a_per_symbol_override_keeps_the_other_symbols() -> None:
    firm = default_policy()
    mine = apply_personal(
        override("value-escalate", 'per_symbol = { "DOGE/USDT" = "1000" }'), SOURCE, firm
    )
    rule = mine.rule("value-escalate")
    assert isinstance(rule, MaxOrderValue)
    assert str(rule.per_symbol["DOGE/USDT"]) == "1000"
    assert str(rule.per_symbol["ADA/USDT"]) == "5000"


def test_stricter_effect_default_state_and_approvals_are_accepted() -> None:
    text = (
        '[personal]\nowner = "ana"\ndefault_decision = "confirm"\ntrading_state = "REDUCING"\n'
        '[approvals]\nvalid_for = "2m"\nmax_price_drift_percent = "0.5"\n'
        'second_approvers = ["risk-desk"]\n'
        '[[override]]\nrule = "collar-confirm"\neffect = "escalate"\nmax_deviation_percent = 1\n'
    )
    mine = apply_personal(text, SOURCE, default_policy())
    assert mine.default_decision == "confirm"
    assert mine.trading_state == "REDUCING"
    assert mine.approvals.second_approvers == ("risk-desk",)
    collar = mine.rule("collar-confirm")
    assert isinstance(collar, PriceCollar)
    assert collar.effect == "escalate"


LOOSER = [
    ("raise a limit", override("value-confirm", 'limit = "2000"'), ("value-confirm", "'limit'")),
    ("weaken an effect", override("value-deny", 'effect = "confirm"'), ("value-deny", "'effect'")),
    (
        "raise one symbol's cap",
        override("value-escalate", 'per_symbol = { "DOGE/USDT" = "6000" }'),
        ("value-escalate", "limit[DOGE/USDT]"),
    ),
    (
        "a symbol above the default cap",
        override("value-escalate", 'per_symbol = { "SOL/USDT" = "20000" }'),
        ("value-escalate", "limit[SOL/USDT]", "10000", "20000"),
    ),
    (
        "a cap where the firm refuses",
        override("quantity-cap", 'per_symbol = { "ETH/EUR" = "1" }'),
        ("quantity-cap", "limit[ETH/EUR]", "unset"),
    ),
    (
        "a default cap where the firm has none",
        override("quantity-cap", 'limit = "1"'),
        ("quantity-cap", "'limit'", "unset"),
    ),
    (
        "a shorter duplicate window",
        override("duplicate", 'window = "30s"'),
        ("duplicate", "'window'", "1m", "30s"),
    ),
    (
        "a shorter rate window",
        override("message-rate", 'window = "30s"'),
        ("message-rate", "'window'"),
    ),
    (
        "more messages",
        override("message-rate", "max_messages = 30"),
        ("message-rate", "'max_messages'", "20", "30"),
    ),
    (
        "a higher loss limit",
        override("loss-breaker", 'max_daily_loss = "6000"'),
        ("loss-breaker", "'max_daily_loss'"),
    ),
    (
        "change the collar's reference",
        override("collar-confirm", 'reference = "last"'),
        ("collar-confirm", "'reference'"),
    ),
    (
        "change a rule's scope",
        override("quantity-cap", '[override.scope]\nsymbols = ["BTC/*"]'),
        ("quantity-cap", "'scope'", "cannot be changed"),
    ),
    (
        "a longer approval",
        '[personal]\nowner = "ana"\n[approvals]\nvalid_for = "1h"\n',
        ("[approvals]", "'valid_for'", "10m", "1h"),
    ),
    (
        "a larger drift",
        '[personal]\nowner = "ana"\n[approvals]\nmax_price_drift_percent = "5"\n',
        ("[approvals]", "'max_price_drift_percent'"),
    ),
    (
        "another approver",
        '[personal]\nowner = "ana"\n[approvals]\n'
        'second_approvers = ["risk-desk", "head-of-trading", "ana-friend"]\n',
        ("[approvals]", "ana-friend"),
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), LOOSER, ids=[x[0] for x in LOOSER])
def test_a_looser_value_is_refused_naming_the_rule(
    name: str, text: str, expected: tuple[str, ...]
) -> None:
    with pytest.raises(PolicyError) as caught:
        apply_personal(text, SOURCE, default_policy())
    message = str(caught.value)
    assert message.startswith(SOURCE)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_the_refusal_says_only_stricter_is_allowed() -> None:
    with pytest.raises(PolicyError) as caught:
        apply_personal(override("value-confirm", 'limit = "2000"'), SOURCE, default_policy())
    assert "loosens the firm's rule 'value-confirm'" in str(caught.value)
    assert "'limit' from 1000 to 2000" in str(caught.value)
    assert caught.value.hint is not None
    assert "only make the firm's policy stricter" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "missing required [personal]"),
        ("owner = 'x'\n", "unknown top-level key 'owner'"),
        ('[personal]\nowner = "a"\n[[override]]\nrule = "nope"\nlimit = "1"\n', "no rule 'nope'"),
        ('[personal]\nowner = "a"\n[[override]]\nlimit = "1"\n', "missing required key 'rule'"),
        (
            '[personal]\nowner = "a"\n[[rule]]\nid = "value-confirm"\nkind = "first_trade"\n'
            'effect = "confirm"\n',
            "already the id of a rule in the firm's policy",
        ),
        (
            override("value-confirm", 'limit = "-1"'),
            "override of rule 'value-confirm' (#1): key 'limit': must not be negative",
        ),
        (
            override("value-confirm", 'limit = "1"') + '[[override]]\nrule = "value-confirm"\n',
            "overridden twice",
        ),
        ('[personal]\nowner = "a"\n[extra]\n', "unknown top-level key 'extra'"),
        (override("value-confirm", 'id = "other"'), "'id' of a firm rule cannot be changed"),
    ],
)
def test_malformed_personal_files(text: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        apply_personal(text, SOURCE, default_policy())
    assert expected in str(caught.value)


def test_a_looser_default_or_state_than_the_firms_is_refused() -> None:
    from tests.policy.policy_helpers import policy_from

    firm = policy_from(default="confirm", state="REDUCING")
    with pytest.raises(PolicyError, match="'default_decision' allow is looser"):
        apply_personal('[personal]\nowner = "a"\ndefault_decision = "allow"\n', SOURCE, firm)
    with pytest.raises(PolicyError, match="'trading_state' ACTIVE is looser"):
        apply_personal('[personal]\nowner = "a"\ntrading_state = "ACTIVE"\n', SOURCE, firm)


def test_matching_on_fewer_fields_catches_more_duplicates_so_it_is_stricter() -> None:
    text = override("duplicate", 'match = ["symbol", "side"]')
    assert apply_personal(text, SOURCE, default_policy()).rule("duplicate") is not None
