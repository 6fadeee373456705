"""Loading policy files: fail closed, and name the file, the rule and the key."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from foundation.errors import ConfigError, PolicyError
from policy.loader import load_policy, load_policy_bytes
from policy.model import RULE_KINDS, MaxOrderValue
from tests.policy.policy_helpers import REPO, default_policy, header

SOURCE = "bad.toml"
VALUE_RULE = """
[[rule]]
id = "value-confirm"
kind = "max_order_value"
effect = "confirm"
limit = "1000"
"""


def _rule(body: str, rule_id: str = "r1") -> str:
    return f'\n[[rule]]\nid = "{rule_id}"\n{body}\n'


# (name, file text, substrings the error must contain besides the file name)
MALFORMED: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("not TOML", "[policy\nid = 'x'", ("not valid TOML",)),
    ("not UTF-8", b"[policy]\nid = '\xff\xfe'\n", ("not UTF-8",)),
    ("no [policy]", header().split("[approvals]")[1].join(["[approvals]", ""]), ("[policy]",)),
    ("no [approvals]", header().split("[approvals]")[0], ("[approvals]",)),
    ("top-level typo", header() + '\n[[rules]]\nid = "x"\n', ("'rules'", "did you mean 'rule'")),
    ("missing id", header().replace('id = "test"\n', ""), ("[policy]", "'id'", "missing")),
    ("missing version", header().replace('version = "1"\n', ""), ("[policy]", "'version'")),
    ("missing owner", header().replace('owner = "compliance"\n', ""), ("[policy]", "'owner'")),
    (
        "missing default decision",
        header().replace('default_decision = "allow"\n', ""),
        ("[policy]", "'default_decision'", "missing"),
    ),
    ("bad default decision", header(default="maybe"), ("[policy]", "'default_decision'", "maybe")),
    ("bad trading state", header(state="PAUSED"), ("[policy]", "'trading_state'", "PAUSED")),
    (
        "policy key typo",
        header() + "",  # replaced below
        ("[policy]", "'defualt'"),
    ),
    ("version not text", header().replace('version = "1"', "version = 3"), ("'version'",)),
    (
        "approvals missing valid_for",
        header().replace('valid_for = "10m"\n', ""),
        ("[approvals]", "'valid_for'", "missing"),
    ),
    (
        "approvals bad duration",
        header().replace('valid_for = "10m"', 'valid_for = "ten minutes"'),
        ("[approvals]", "'valid_for'", "duration"),
    ),
    (
        "approvals drift over 100%",
        header().replace('max_price_drift_percent = "1"', 'max_price_drift_percent = "150"'),
        ("[approvals]", "'max_price_drift_percent'", "0 to 100"),
    ),
    ("rule without kind", header() + _rule('effect = "deny"'), ("rule 'r1' (#1)", "'kind'")),
    (
        "unknown kind",
        header() + _rule('kind = "max_order_valu"\neffect = "deny"\nlimit = "1"'),
        ("rule 'r1'", "'kind'", "did you mean 'max_order_value'"),
    ),
    (
        "rule without id",
        header() + '\n[[rule]]\nkind = "first_trade"\neffect = "confirm"\n',
        ("rule #1", "'id'", "missing"),
    ),
    (
        "duplicate rule id",
        header() + VALUE_RULE + VALUE_RULE,
        ("rule #2", "'id'", "'value-confirm'", "rule #1"),
    ),
    (
        "effect allow",
        header() + _rule('kind = "first_trade"\neffect = "allow"'),
        ("rule 'r1'", "'effect'", "allow"),
    ),
    (
        "negative limit",
        header() + _rule('kind = "max_order_value"\neffect = "deny"\nlimit = "-5"'),
        ("rule 'r1'", "'limit'", "negative"),
    ),
    (
        "limit not a number",
        header() + _rule('kind = "max_order_value"\neffect = "deny"\nlimit = "lots"'),
        ("rule 'r1'", "'limit'", "'lots'"),
    ),
    (
        "limit a boolean",
        header() + _rule('kind = "max_order_value"\neffect = "deny"\nlimit = true'),
        ("rule 'r1'", "'limit'", "number"),
    ),
    (
        "infinite limit",
        header() + _rule('kind = "max_order_value"\neffect = "deny"\nlimit = "inf"'),
        ("rule 'r1'", "'limit'", "finite"),
    ),
    (
        "rule key typo",
        header() + _rule('kind = "max_order_value"\neffect = "deny"\nlimt = "5"'),
        ("rule 'r1'", "'limt'", "did you mean 'limit'"),
    ),
    (
        "required parameter missing",
        header() + _rule('kind = "price_collar"\neffect = "deny"'),
        ("rule 'r1'", "'max_deviation_percent'", "missing"),
    ),
    (
        "cap with no limit at all",
        header() + _rule('kind = "max_order_value"\neffect = "deny"'),
        ("rule 'r1'", "'limit'", "per_symbol"),
    ),
    (
        "bad symbol in per_symbol",
        header()
        + _rule('kind = "max_order_value"\neffect = "deny"\nper_symbol = { BTCUSDT = "5" }'),
        ("rule 'r1'", "key 'per_symbol' entry 'BTCUSDT'", "BTC/USDT"),
    ),
    (
        "bad side in scope",
        header()
        + _rule('kind = "first_trade"\neffect = "confirm"\n[rule.scope]\nsides = ["short"]'),
        ("rule 'r1'", "scope.sides[0]", "short"),
    ),
    (
        "empty scope list",
        header() + _rule('kind = "first_trade"\neffect = "confirm"\n[rule.scope]\nsymbols = []'),
        ("rule 'r1'", "scope.symbols", "empty"),
    ),
    (
        "scope key typo",
        header()
        + _rule('kind = "first_trade"\neffect = "confirm"\n[rule.scope]\nsymbol = ["BTC/USDT"]'),
        ("rule 'r1'", "'scope.symbol'", "did you mean 'symbols'"),
    ),
    (
        "zero messages",
        header() + _rule('kind = "message_rate"\neffect = "deny"\nmax_messages = 0\nwindow = "1m"'),
        ("rule 'r1'", "'max_messages'", "at least 1"),
    ),
    (
        "fractional count",
        header()
        + _rule('kind = "message_rate"\neffect = "deny"\nmax_messages = 2.5\nwindow = "1m"'),
        ("rule 'r1'", "'max_messages'", "whole number, got 2.5"),
    ),
    (
        "unknown duplicate field",
        header() + _rule('kind = "duplicate"\neffect = "deny"\nwindow = "1m"\nmatch = ["price"]'),
        ("rule 'r1'", "match[0]", "price"),
    ),
    (
        "percent over 100",
        header() + _rule('kind = "concentration"\neffect = "confirm"\nmax_percent = 150'),
        ("rule 'r1'", "'max_percent'", "0 to 100"),
    ),
    (
        "escalation without approvers",
        header(approvers="[]") + _rule('kind = "first_trade"\neffect = "escalate"'),
        ("[approvals]", "r1", "second_approvers"),
    ),
    (
        "reserved rule id",
        header() + _rule('kind = "first_trade"\neffect = "confirm"', rule_id="builtin.venue"),
        ("'id'", "reserved"),
    ),
    (
        "[rule] instead of [[rule]]",
        header() + '\n[rule]\nid = "x"\nkind = "first_trade"\neffect = "confirm"\n',
        ("[[rule]]",),
    ),
    (
        "id with a space",
        header() + _rule('kind = "first_trade"\neffect = "confirm"', rule_id="my rule"),
        ("'id'", "letters, digits"),
    ),
    (
        "breaker trips to an unknown state",
        header()
        + _rule('kind = "loss_breaker"\neffect = "deny"\nmax_daily_loss = 5\ntrips_to = "STOP"'),
        ("rule 'r1'", "'trips_to'", "STOP"),
    ),
    (
        "schedule limits with no limit",
        header() + _rule('kind = "schedule_limits"\neffect = "deny"'),
        ("rule 'r1'", "max_count"),
    ),
    (
        "negative duration",
        header() + _rule('kind = "duplicate"\neffect = "deny"\nwindow = "-5s"'),
        ("rule 'r1'", "'window'", "duration"),
    ),
]
# a key misspelt inside [policy]
MALFORMED[11] = (
    "policy key typo",
    header().replace("default_decision", "defualt_decision"),
    ("[policy]", "'defualt_decision'", "did you mean 'default_decision'"),
)


def test_corpus_has_at_least_twenty_kinds_of_mistake() -> None:
    assert len({name for name, _, _ in MALFORMED}) >= 20


@pytest.mark.parametrize(("name", "text", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_policy_is_refused_with_a_clear_error(
    name: str, text: str | bytes, expected: tuple[str, ...]
) -> None:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy_bytes(data, SOURCE)
    message = str(caught.value)
    assert message.startswith(SOURCE), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert isinstance(caught.value, ConfigError)
    assert caught.value.exit_code == 2


def test_valid_policy_hash_is_sha256_of_the_exact_bytes() -> None:
    text = header() + VALUE_RULE
    crlf = text.replace("\n", "\r\n").encode("utf-8")
    policy = load_policy_bytes(crlf, "p.toml")
    assert policy.hash == hashlib.sha256(crlf).hexdigest()
    assert load_policy(text, "p.toml").hash == hashlib.sha256(text.encode()).hexdigest()
    assert load_policy(text, "p.toml").hash != policy.hash
    assert policy.stamp.id == "test"
    assert policy.stamp.version == "1"
    assert policy.stamp.personal_hash is None


def test_numbers_are_exact_whether_bare_or_quoted() -> None:
    bare = load_policy(header() + VALUE_RULE.replace('"1000"', "1000.10"), "p.toml")
    rule = bare.rule("value-confirm")
    assert isinstance(rule, MaxOrderValue)
    assert rule.limit == Decimal("1000.10")
    assert isinstance(rule.limit, Decimal)


def test_default_policy_loads_and_the_shipped_files_use_every_rule_kind() -> None:
    policy = default_policy()
    assert policy.id == "firm-default"
    assert policy.default_decision == "allow"
    assert policy.trading_state == "ACTIVE"
    kinds = {rule.kind for rule in policy.rules}
    for path in (REPO / "configs" / "policy-tests" / "policies").glob("*.toml"):
        extra = load_policy(path.read_text(encoding="utf-8"), str(path))
        kinds |= {rule.kind for rule in extra.rules}
    assert kinds == set(RULE_KINDS)


def test_an_empty_rule_list_is_allowed_and_says_so_through_its_default() -> None:
    policy = load_policy(header(default="confirm"), "p.toml")
    assert policy.rules == ()
    assert policy.default_decision == "confirm"
