"""A personal file never loosens the firm's policy: one too-loose case for every threshold
of every rule kind, lists included, and a check that the cases cover them all."""

from __future__ import annotations

import pytest

from foundation.errors import PolicyError
from policy.model import RULE_KINDS, Policy
from policy.personal import apply_personal
from tests.policy.policy_helpers import policy_from

FIRM_RULES = """
[[rule]]
id = "collar"
kind = "price_collar"
effect = "confirm"
max_deviation_percent = "5"
buy_max_deviation_percent = "4"
sell_max_deviation_percent = "3"
per_symbol = { "SOL/USDT" = "2" }

[[rule]]
id = "collar-plain"
kind = "price_collar"
effect = "confirm"
max_deviation_percent = "5"

[[rule]]
id = "value"
kind = "max_order_value"
effect = "confirm"
limit = "1000"
per_symbol = { "SOL/USDT" = "500" }

[[rule]]
id = "quantity"
kind = "max_order_quantity"
effect = "deny"
per_symbol = { "BTC/USDT" = "2" }

[[rule]]
id = "daily"
kind = "daily_notional"
effect = "escalate"
limit = "10000"
max_percent_of_portfolio = "20"

[[rule]]
id = "position"
kind = "max_position"
effect = "escalate"
limit = "5000"
per_asset = { SOL = "1000" }

[[rule]]
id = "concentration"
kind = "concentration"
effect = "confirm"
max_percent = "50"
exclude_assets = ["USDC"]

[[rule]]
id = "markets"
kind = "allowed_symbols"
effect = "deny"
symbols = ["SOL/USDT", "BTC/USDT"]

[[rule]]
id = "restricted"
kind = "denied_symbols"
effect = "deny"
symbols = ["SHIB/USDT", "PEPE/*"]
assets = ["SHIB", "PEPE"]

[[rule]]
id = "types"
kind = "allowed_order_types"
effect = "deny"
order_types = ["market"]
conditional = false
scheduled = false

[[rule]]
id = "accounts"
kind = "allowed_accounts"
effect = "deny"
accounts = ["desk-1"]

[[rule]]
id = "rate"
kind = "message_rate"
effect = "deny"
max_messages = 20
window = "1m"

[[rule]]
id = "open"
kind = "open_orders"
effect = "deny"
max_per_symbol = 5
max_total = 10
max_conditional = 2

[[rule]]
id = "duplicate"
kind = "duplicate"
effect = "confirm"
window = "60s"
match = ["symbol", "side"]

[[rule]]
id = "first"
kind = "first_trade"
effect = "escalate"

[[rule]]
id = "sell-share"
kind = "sell_share"
effect = "confirm"
max_percent = "50"

[[rule]]
id = "plan"
kind = "plan_total"
effect = "escalate"
limit = "25000"

[[rule]]
id = "band"
kind = "trigger_band"
effect = "confirm"
max_distance_percent = "30"

[[rule]]
id = "schedules"
kind = "schedule_limits"
effect = "escalate"
max_count = 100
max_horizon = "90d"
max_total_value = "20000"

[[rule]]
id = "throttle"
kind = "execution_throttle"
effect = "deny"
max_executions = 12
window = "1h"

[[rule]]
id = "balance"
kind = "balance"
effect = "deny"

[[rule]]
id = "breaker"
kind = "loss_breaker"
effect = "deny"
max_daily_loss = "5000"
max_drawdown_percent = "10"
trips_to = "HALTED"
"""

# (rule id, threshold name as the refusal names it, the override's keys)
CASES: list[tuple[str, str, str]] = [
    ("collar", "buy deviation", 'buy_max_deviation_percent = "6"'),
    ("collar", "sell deviation", 'sell_max_deviation_percent = "6"'),
    ("collar", "deviation[SOL/USDT] buy", 'per_symbol = { "SOL/USDT" = "9" }'),
    ("collar", "reference", 'reference = "last"'),
    ("collar-plain", "buy deviation", 'max_deviation_percent = "9"'),
    ("value", "limit", 'limit = "2000"'),
    ("value", "limit[SOL/USDT]", 'per_symbol = { "SOL/USDT" = "600" }'),
    ("value", "limit[BTC/USDT]", 'per_symbol = { "BTC/USDT" = "5000" }'),
    ("quantity", "limit", 'limit = "1"'),
    ("quantity", "limit[BTC/USDT]", 'per_symbol = { "BTC/USDT" = "3" }'),
    ("quantity", "limit[ETH/USDT]", 'per_symbol = { "ETH/USDT" = "1" }'),
    ("daily", "limit", 'limit = "10001"'),
    ("daily", "max_percent_of_portfolio", 'max_percent_of_portfolio = "21"'),
    ("position", "limit", 'limit = "6000"'),
    ("position", "limit[SOL]", 'per_asset = { SOL = "2000" }'),
    ("position", "limit[BTC]", 'per_asset = { BTC = "9000" }'),
    ("concentration", "max_percent", 'max_percent = "60"'),
    ("concentration", "exclude_assets", 'exclude_assets = ["USDC", "BTC"]'),
    ("markets", "symbols", 'symbols = ["SOL/USDT", "BTC/USDT", "DOGE/USDT"]'),
    ("markets", "symbols", 'symbols = ["*/USDT"]'),
    ("restricted", "symbols", 'symbols = ["PEPE/*"]'),
    ("restricted", "symbols", 'symbols = ["SHIB/USDT"]'),
    ("restricted", "assets", 'assets = ["SHIB"]'),
    ("restricted", "assets", 'assets = ["PEPE", "DOGE"]'),
    ("types", "order_types", 'order_types = ["market", "limit"]'),
    ("types", "conditional", "conditional = true"),
    ("types", "scheduled", "scheduled = true"),
    ("accounts", "accounts", 'accounts = ["desk-1", "desk-2"]'),
    ("rate", "max_messages", "max_messages = 21"),
    ("rate", "window", 'window = "59s"'),
    ("open", "max_per_symbol", "max_per_symbol = 6"),
    ("open", "max_total", "max_total = 11"),
    ("open", "max_conditional", "max_conditional = 3"),
    ("duplicate", "window", 'window = "59s"'),
    ("duplicate", "match", 'match = ["symbol", "side", "quantity"]'),
    ("sell-share", "max_percent", 'max_percent = "51"'),
    ("plan", "limit", 'limit = "25001"'),
    ("band", "max_distance_percent", 'max_distance_percent = "31"'),
    ("schedules", "max_count", "max_count = 101"),
    ("schedules", "max_horizon", 'max_horizon = "91d"'),
    ("schedules", "max_total_value", 'max_total_value = "20001"'),
    ("throttle", "max_executions", "max_executions = 13"),
    ("throttle", "window", 'window = "59m"'),
    ("breaker", "max_daily_loss", 'max_daily_loss = "5001"'),
    ("breaker", "max_drawdown_percent", 'max_drawdown_percent = "11"'),
    ("breaker", "trips_to", 'trips_to = "REDUCING"'),
]
# effects: weakening any rule's effect is refused too (balance and first_trade have no
# threshold but their effect)
EFFECT_CASES = [("balance", "confirm"), ("first", "confirm"), ("restricted", "escalate")]


def firm() -> Policy:
    return policy_from(FIRM_RULES)


@pytest.mark.parametrize(("rule", "name", "keys"), CASES, ids=[f"{c[0]}:{c[2]}" for c in CASES])
def test_a_too_loose_threshold_is_refused(rule: str, name: str, keys: str) -> None:
    text = f'[personal]\nowner = "ana"\n\n[[override]]\nrule = "{rule}"\n{keys}\n'
    with pytest.raises(PolicyError) as refused:
        apply_personal(text, "ana.toml", firm())
    message = str(refused.value)
    assert f"loosens the firm's rule '{rule}'" in message
    assert f"'{name}'" in message


@pytest.mark.parametrize(("rule", "effect"), EFFECT_CASES)
def test_a_weaker_effect_is_refused(rule: str, effect: str) -> None:
    text = f'[personal]\nowner = "ana"\n\n[[override]]\nrule = "{rule}"\neffect = "{effect}"\n'
    with pytest.raises(PolicyError) as refused:
        apply_personal(text, "ana.toml", firm())
    assert "'effect'" in str(refused.value)


def test_a_personal_rule_of_its_own_never_removes_a_restricted_symbol() -> None:
    # adding an allowed-list rule of one's own only adds reasons: SHIB stays refused
    text = (
        '[personal]\nowner = "ana"\n\n[[rule]]\nid = "mine"\nkind = "allowed_symbols"\n'
        'effect = "deny"\nsymbols = ["SHIB/USDT"]\n'
    )
    policy = apply_personal(text, "ana.toml", firm())
    restricted = policy.rule("restricted")
    assert restricted is not None
    assert restricted == firm().rule("restricted")


def test_the_cases_cover_every_threshold_of_every_rule_kind() -> None:
    policy = firm()
    kinds = {rule.kind for rule in policy.rules}
    assert kinds == set(RULE_KINDS), set(RULE_KINDS) - kinds
    covered = {(rule, name) for rule, name, _ in CASES}
    for rule in policy.rules:
        if rule.id == "collar":
            continue  # its per-symbol sell key is checked with the buy key just below
        keys = rule.map_keys()
        for name in rule.thresholds(keys):
            if rule.id == "collar-plain" and name == "sell deviation":
                continue  # the same parameter as "buy deviation"
            if rule.id == "collar-plain" and name == "reference":
                continue  # covered on "collar"
            assert (rule.id, name) in covered, (rule.id, name)
    collar = policy.rule("collar")
    assert collar is not None
    for name in collar.thresholds(collar.map_keys()):
        if name == "deviation[SOL/USDT] sell":
            continue  # the same per-symbol parameter as the buy side
        assert ("collar", name) in covered, name
