"""Every refusal of a personal file, word for word: the file, where in it, what is wrong
and what to do. A trader reads these to fix their file, so the whole message is the
behaviour (tests written to kill the mutants that survived in policy/personal.py). And
what is exactly as strict as the firm is accepted, not refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from foundation.errors import PolicyError
from policy.model import MaxOrderValue
from policy.personal import apply_personal, apply_personal_bytes
from tests.policy.policy_helpers import default_policy, policy_from

SOURCE = "ana.toml"
HEAD = '[personal]\nowner = "ana"\n'
STRICTER = "a personal file may only make the firm's policy stricter"
FIRM_RULES = (
    "firm rules: collar-confirm, collar-deny, value-confirm, value-escalate, value-deny, "
    "quantity-cap, daily-budget, plan-total, position-cap, concentration, sell-most, "
    "first-trade, balance, markets, restricted-list, order-types, message-rate, "
    "open-orders, duplicate, throttle, trigger-band, schedules, loss-breaker"
)
OWN = '[[rule]]\nid = "{}"\nkind = "first_trade"\neffect = "confirm"\n'
OWN_ID = "give your own rule an id of its own; to tighten a firm rule use [[override]]"
KINDS = (
    "kinds: allowed_accounts, allowed_order_types, allowed_symbols, balance, concentration, "
    "daily_notional, denied_symbols, duplicate, execution_throttle, first_trade, "
    "loss_breaker, max_order_quantity, max_order_value, max_position, message_rate, "
    "open_orders, plan_total, price_collar, schedule_limits, sell_share, trigger_band"
)


def override(rule: str, body: str) -> str:
    return f'{HEAD}\n[[override]]\nrule = "{rule}"\n{body}\n'


REFUSALS = [
    (
        "an override that is not a table",
        "override = [1]\n" + HEAD,
        "ana.toml, override #1: each [[override]] must be a table",
        None,
    ),
    (
        "override that is not a list",
        "override = 3\n" + HEAD,
        "ana.toml: 'override' must be a list of [[override]] tables",
        None,
    ),
    (
        "rule that is not a list",
        "rule = 3\n" + HEAD,
        "ana.toml: 'rule' must be a list of [[rule]] tables",
        None,
    ),
    (
        "an override naming no rule",
        HEAD + '[[override]]\nlimit = "1"\n',
        "ana.toml, override #1: missing required key 'rule': the id of the firm rule to tighten",
        None,
    ),
    (
        "an override of a rule the firm does not have",
        override("nope", 'limit = "1"'),
        "ana.toml, override of rule 'nope' (#1): the firm's policy has no rule 'nope'",
        FIRM_RULES,
    ),
    (
        "an override changing a rule's kind",
        override("value-confirm", 'kind = "max_position"'),
        "ana.toml, override of rule 'value-confirm' (#1): "
        "key 'kind' of a firm rule cannot be changed",
        "add a [[rule]] of your own instead",
    ),
    (
        "approvals that are not a table",
        "approvals = 3\n" + HEAD,
        "ana.toml, [approvals]: must be a table",
        None,
    ),
    (
        "an approval validity that is not a duration",
        HEAD + '[approvals]\nvalid_for = "soon"\n',
        "ana.toml, [approvals]: key 'valid_for': must be a duration such as "
        '"30s", "15m", "4h" or "1d"; got \'soon\'',
        None,
    ),
    (
        "approvals looser three ways",
        HEAD + '[approvals]\nvalid_for = "1h"\nmax_price_drift_percent = "5"\n'
        'second_approvers = ["risk-desk", "head-of-trading", "zed", "amy"]\n',
        "ana.toml, [approvals]: loosens the firm's approval settings: "
        "'valid_for' from 10m to 1h; 'max_price_drift_percent' from 1 to 5; "
        "'second_approvers' adds amy, zed",
        STRICTER,
    ),
    (
        "no [personal] table",
        '[approvals]\nvalid_for = "1m"\n',
        "ana.toml: missing required [personal] table (with at least 'owner')",
        None,
    ),
    (
        "an unknown table",
        HEAD + "[extra]\n",
        "ana.toml: unknown top-level key 'extra'",
        "a personal file holds [personal], [approvals], [override], [rule]",
    ),
    (
        "an owner that is not a name",
        "[personal]\nowner = 3\n",
        "ana.toml, [personal]: key 'owner': should be a valid string, got 3",
        None,
    ),
    (
        "one rule overridden twice",
        override("value-confirm", 'limit = "1"') + '[[override]]\nrule = "value-confirm"\n',
        "ana.toml, override #2: rule 'value-confirm' is overridden twice",
        "put every change to one rule in one [[override]]",
    ),
    (
        "not TOML",
        "[personal\n",
        "ana.toml: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 10)",
        None,
    ),
    (
        "more allowed markets",
        override("markets", 'symbols = ["*/USDT", "*/USDC", "*/BTC", "*/EUR"]'),
        "ana.toml, override of rule 'markets' (#1): loosens the firm's rule 'markets': "
        "'symbols' from [*/BTC, */USDC, */USDT] to [*/BTC, */EUR, */USDC, */USDT]",
        STRICTER,
    ),
    (
        "a rule of your own with a firm rule's id",
        HEAD + OWN.format("value-confirm"),
        "ana.toml, rule 'value-confirm' (#1): key 'id': 'value-confirm' is already the id "
        "of a rule in the firm's policy",
        OWN_ID,
    ),
    (
        "two rules of your own with one id",
        HEAD + OWN.format("mine") + OWN.format("mine"),
        "ana.toml, rule 'mine' (#2): key 'id': 'mine' is already the id of a rule in this file",
        OWN_ID,
    ),
    (
        "a second rule of your own without a kind",
        HEAD + OWN.format("mine") + '[[rule]]\nid = "other"\neffect = "confirm"\n',
        "ana.toml, rule 'other' (#2): missing required key 'kind'",
        KINDS,
    ),
    (
        "an override loosening two keys",
        override("value-escalate", 'limit = "20000"\neffect = "confirm"'),
        "ana.toml, override of rule 'value-escalate' (#1): loosens the firm's rule "
        "'value-escalate': 'effect' from escalate to confirm; 'limit' from 10000 to 20000",
        STRICTER,
    ),
    (
        "an override with a negative limit",
        override("value-confirm", 'limit = "-1"'),
        "ana.toml, override of rule 'value-confirm' (#1): key 'limit': must not be negative, "
        "got -1",
        None,
    ),
    (
        "per-symbol caps that are not a table",
        override("value-escalate", 'per_symbol = "5000"'),
        "ana.toml, override of rule 'value-escalate' (#1): key 'per_symbol': "
        "should be a table, got '5000'",
        None,
    ),
    (
        "no approvers left for the firm's escalations",
        HEAD + "[approvals]\nsecond_approvers = []\n",
        "ana.toml, [approvals]: rule(s) value-escalate, daily-budget, plan-total, "
        "position-cap, schedules escalate, but no one may approve an escalation",
        "list at least one name in approvals.second_approvers",
    ),
    (
        "a looser default decision",
        None,
        "ana.toml, [personal]: 'default_decision' allow is looser than the firm's confirm",
        STRICTER,
    ),
    (
        "a looser trading state",
        None,
        "ana.toml, [personal]: 'trading_state' ACTIVE is looser than the firm's REDUCING",
        STRICTER,
    ),
]


@pytest.mark.parametrize(
    ("name", "text", "message", "hint"), REFUSALS, ids=[case[0] for case in REFUSALS]
)
def test_each_refusal_names_the_file_the_place_the_problem_and_the_fix(
    name: str, text: str | None, message: str, hint: str | None
) -> None:
    firm = default_policy()
    if text is None:  # the two settings that need a stricter firm to be looser than
        firm = policy_from(default="confirm", state="REDUCING")
        key = "default_decision" if "default" in name else "trading_state"
        value = "allow" if key == "default_decision" else "ACTIVE"
        text = f'{HEAD}{key} = "{value}"\n'
    with pytest.raises(PolicyError) as refused:
        apply_personal(text, SOURCE, firm)
    assert str(refused.value).split("\n  hint: ")[0] == message
    assert refused.value.hint == hint
    assert refused.value.source == SOURCE


def test_a_file_that_is_not_utf8_is_refused_naming_the_file() -> None:
    with pytest.raises(PolicyError) as refused:
        apply_personal_bytes(b'[personal]\nowner = "\xff"\n', SOURCE, default_policy())
    assert str(refused.value).startswith("ana.toml: not UTF-8 text (byte 20)")
    assert refused.value.hint == "save the file as UTF-8"


FIRM_WITH_EMPTY_AND_UNSET = """
[[rule]]
id = "conc"
kind = "concentration"
effect = "confirm"
max_percent = "50"
exclude_assets = []

[[rule]]
id = "qty"
kind = "max_order_quantity"
effect = "deny"
per_symbol = { "BTC/USDT" = "2" }
"""


@pytest.mark.parametrize(
    ("rule", "body", "shown"),
    [
        ("conc", 'exclude_assets = ["BTC"]', "'exclude_assets' from [] to [BTC]"),
        ("qty", 'limit = "5"', "'limit' from unset to 5"),
    ],
)
def test_empty_lists_and_unset_thresholds_are_shown_as_such(
    rule: str, body: str, shown: str
) -> None:
    firm = policy_from(FIRM_WITH_EMPTY_AND_UNSET)
    with pytest.raises(PolicyError) as refused:
        apply_personal(override(rule, body), SOURCE, firm)
    expected = f"override of rule '{rule}' (#1): loosens the firm's rule '{rule}': {shown}"
    assert str(refused.value).split("\n  hint: ")[0] == f"ana.toml, {expected}"


def test_settings_exactly_as_strict_as_the_firms_are_accepted() -> None:
    firm = policy_from(default="confirm", state="REDUCING")
    text = (
        f'{HEAD}default_decision = "confirm"\ntrading_state = "REDUCING"\n'
        '[approvals]\nvalid_for = "10m"\nmax_price_drift_percent = "1"\n'
        'second_approvers = ["risk-desk"]\n'
    )
    mine = apply_personal(text, SOURCE, firm)
    assert (mine.default_decision, mine.trading_state) == ("confirm", "REDUCING")
    assert mine.approvals.valid_for == timedelta(minutes=10)
    assert mine.approvals.max_price_drift_percent == Decimal(1)


def test_a_per_symbol_cap_on_a_rule_that_had_none_tightens_it() -> None:
    mine = apply_personal(
        override("value-confirm", 'per_symbol = { "BTC/USDT" = "500" }'),
        SOURCE,
        default_policy(),
    )
    rule = mine.rule("value-confirm")
    assert isinstance(rule, MaxOrderValue)
    assert rule.limit == Decimal(1000)
    assert dict(rule.per_symbol or {}) == {"BTC/USDT": Decimal(500)}
