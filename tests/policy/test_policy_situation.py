"""Account, quotes, history and scenario files: exact numbers, clear errors."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from executors.catalog import load_market_catalog
from foundation.errors import ConfigError
from signoff.situation import (
    load_scenarios,
    parse_account,
    parse_counters,
    parse_quotes,
    read_document,
)
from tests.policy.policy_helpers import NOW, REPO

CATALOG = load_market_catalog()
DEMO = str(REPO / "configs" / "demo-account.toml")


def test_account_balances_open_orders_and_exact_numbers() -> None:
    acct = parse_account(
        {
            "account_id": "a",
            "balances": {"USDT": Decimal("10.10"), "BTC": {"free": "0.5", "locked": 1}},
            "open_orders": [
                {
                    "order_id": "1",
                    "symbol": "BTC/USDT",
                    "side": "sell",
                    "order_type": "limit",
                    "price": "70000",
                    "quantity": "1",
                }
            ],
        },
        source="a.toml",
        now=NOW,
    )
    assert acct.free("USDT") == Decimal("10.10")
    assert acct.total("BTC") == Decimal("1.5")
    assert acct.open_orders[0].price == Decimal(70000)
    assert acct.taken_at == NOW


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"balances": {"USDT": "-1"}}, "key 'balances.USDT"),
        ({"balances": {"USDT": "lots"}}, "'lots'"),
        ({}, "missing required key 'balances'"),
        (
            {"balances": {}, "acount_id": "x"},
            "unknown key 'acount_id' (did you mean 'account_id'?)",
        ),
        ({"balances": {"btc": "1"}}, "upper-case ticker"),
        ({"balances": {"BTC": 1.5}}, "exact number"),
    ],
)
def test_bad_account_entries_are_named(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_account(data, source="acct.toml", now=NOW)
    assert str(caught.value).startswith("acct.toml")
    assert expected in str(caught.value)


def test_quotes_price_shorthand_and_exact_quotes() -> None:
    market = parse_quotes(
        {
            "BTC/USDT": {"price": "60000"},
            "ETH/USDT": {"bid": "2999", "ask": "3001", "last": "3000"},
        },
        source="q.toml",
        now=NOW,
        catalog=CATALOG,
    )
    btc = market.quotes["BTC/USDT"]
    assert btc.bid <= Decimal(60000) <= btc.ask
    assert market.quotes["ETH/USDT"].mid == Decimal(3000)
    # markets not listed keep their simulated start quote; rules come from the catalogue
    assert market.quotes["SOL/USDT"] == CATALOG.start_market_data(NOW).quotes["SOL/USDT"]
    assert set(market.rules) == set(CATALOG.specs)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"XYZ/USDT": {"price": "1"}}, "unknown market 'XYZ/USDT'"),
        ({"BTC/USDT": {"price": "1", "bid": "1"}}, "either 'price' or 'bid'"),
        ({"BTC/USDT": {"bid": "1", "ask": "2"}}, "needs 'price', or all of"),
        ({"BTC/USDT": {"bid": "3", "ask": "2", "last": "2"}}, "above ask"),
        ({"BTC/USDT": {"price": "0"}}, "'price' must be positive"),
        ({"BTC/USDT": {"prise": "1"}}, "unknown key 'prise' (did you mean 'price'?)"),
        ({"BTC/USDT": "60000"}, "must be a table"),
    ],
)
def test_bad_quotes_are_named(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_quotes(data, source="q.toml", now=NOW, catalog=CATALOG)
    message = str(caught.value)
    assert message.startswith("q.toml, ")
    assert expected in message


def test_counters_with_durations_before_now_and_datetimes() -> None:
    counters = parse_counters(
        {
            "messages": ["30s", NOW - timedelta(minutes=2)],
            "orders": [
                {
                    "symbol": "BTC/USDT",
                    "side": "buy",
                    "order_type": "market",
                    "quantity": "1",
                    "notional": "60000",
                    "at": "1h",
                }
            ],
            "executions": [{"plan_id": "p", "at": "2026-01-05T09:00:00+00:00"}],
            "assets_traded": ["BTC"],
            "trading_state": "REDUCING",
        },
        source="s.toml",
        now=NOW,
    )
    assert counters.messages[0] == NOW - timedelta(seconds=30)
    assert counters.orders[0].at == NOW - timedelta(hours=1)
    assert counters.executions[0].at == NOW - timedelta(minutes=30)
    assert counters.assets_traded == frozenset({"BTC"})
    assert counters.trading_state == "REDUCING"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"messages": ["yesterday"]}, "neither a time nor a duration"),
        ({"trading_state": "PAUSED"}, "key 'trading_state'"),
        ({"realised_loss": "5"}, "unknown key 'realised_loss'"),
        ({"drawdown_percent": "150"}, "key 'drawdown_percent'"),
    ],
)
def test_bad_counters_are_named(data: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_counters(data, source="s.toml", now=NOW)
    assert "s.toml" in str(caught.value)
    assert expected in str(caught.value)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_scenario_cases_inherit_the_file_and_name_themselves(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.toml",
        """
name = "base"
policy = "policies/p.toml"
orders = [{ symbol = "SOL/USDT", side = "buy", quantity = "1" }]
[[scenario]]
name = "one"
expect = [{ step = "s1", decision = "allow" }]
[[scenario]]
name = "two"
firing = true
expect = [{ step = "s1", decision = "deny", rules = [] }]
""",
    )
    first, second = load_scenarios(path, catalog=CATALOG, demo_account=DEMO)
    assert first.scenario.name == "base: one"
    assert second.scenario.name == "base: two"
    assert second.scenario.firing
    assert first.policy == str(tmp_path / "policies" / "p.toml")
    assert first.scenario.account.account_id == "paper-demo"
    assert second.scenario.expect[0].rules == ()


def test_a_json_scenario(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.json",
        json.dumps(
            {
                "now": "ignored as text",
                "steps": [{"action": "query", "what": "balance"}],
                "expect": [{"step": "s1", "decision": "allow"}],
            }
        ),
    )
    with pytest.raises(ConfigError, match="'now' must be a date and time with a zone"):
        load_scenarios(path, catalog=CATALOG, demo_account=DEMO)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('request = "x"\n', "at least one [[expect]]"),
        ("steps = []\nexpect = [{ step = 's1', decision = 'allow' }]\n", "key 'steps'"),
        (
            'request = "x"\nsteps = [{ action = "query", what = "balance" }]\n'
            'expect = [{ step = "s1", decision = "allow" }]\n',
            "exactly one of 'request'",
        ),
        ('reqest = "x"\n', "unknown key(s): reqest"),
        (
            'request = "x"\nexpect = [{ step = "s1", decision = "fine" }]\n',
            "expect #1: key 'decision'",
        ),
        (
            'orders = [{ symbol = "SOL/USDT", side = "buy" }]\n'
            'expect = [{ step = "s1", decision = "allow" }]\n',
            "orders #1: missing required key 'quantity'",
        ),
        (
            'steps = [{ action = "order", side = "buy", base = "BTC" }]\n'
            'expect = [{ step = "s1", decision = "allow" }]\n',
            "steps",
        ),
        (
            'request = "x"\nexpect = [{ step = "s1", decision = "allow" }]\n'
            "[[scenario]]\nname = 'bad'\nnow = 2026-01-05T09:30:00\n",
            "scenario 'bad'",
        ),
        ("[account\n", "not valid TOML"),
    ],
)
def test_bad_scenarios_are_named(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_scenarios(path, catalog=CATALOG, demo_account=DEMO)
    assert str(caught.value).startswith(path)
    assert expected in str(caught.value)


def test_read_document_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        read_document(str(tmp_path / "none.toml"))
    with pytest.raises(ConfigError, match="is a directory"):
        read_document(str(tmp_path))
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_document(write(tmp_path, "x.json", "{"))
    with pytest.raises(ConfigError, match="must hold a table"):
        read_document(write(tmp_path, "y.json", "[1]"))
    assert read_document(write(tmp_path, "z.json", '{"a": 0.1}')) == {"a": Decimal("0.1")}
