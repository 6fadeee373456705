"""Fuzzing every reader: whatever a file or a request holds, signoff answers with a
result or a clear user error (exit 0, 1 or 2) — never an internal error (exit 70),
never an uncaught exception, never pydantic's or Python's internals in the message."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from executors.catalog import parse_demo_account, parse_market_catalog
from executors.venues import parse_venue_profiles
from foundation.errors import SignoffError
from signoff.cli import main
from tests.conftest import REPO

CONFIGS = REPO / "configs"

LEAKS = (
    "Traceback",
    "internal error",
    "function-after",
    "function-before",
    "[type=",
    "errors.pydantic.dev",
    "_BalanceEntry",
    "RecursionError",
    "decimal.",
)

HOSTILE = (
    '"1e999999999"',
    "1e400",
    "-1e400",
    '"1e-400"',
    "1" * 5000,
    "nan",
    "inf",
    '"NaN"',
    '"-0"',
    "[" * 200,
    "{" * 200,
    "a." * 100 + "a = 1",
    "\x00",
    "\ufeff",
    '"\\ud800"',
    "\ud800",
    "[[rule]]",
    "= =",
    '"',
    "'''",
    "-1",
    "0",
    "true",
    "[]",
    "{}",
    '{ free = "x" }',
)

KEYS = (
    "status steps action side base quote amount unit value order_type limit_price trigger "
    "below above schedule every count balances free locked open_orders account_id venue "
    "reporting_currency price bid ask last symbol quantity policy rule id kind effect limit "
    "per_symbol scope symbols approvals request orders expect step decision rules counters "
    "name now market tick_size step_size min_qty exchange"
).split()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.text(max_size=12),
    st.sampled_from(
        ["1e999999999", "1e-400", "BTC/USDT", "BTC", "buy", "limit", "30s", "-1", "0", "0.5"]
    ),
)
trees = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=14,
)


def _mutated(base: str) -> st.SearchStrategy[str]:
    return st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(base)),
            st.integers(min_value=0, max_value=8),
            st.sampled_from(HOSTILE) | st.text(max_size=6),
        ),
        min_size=1,
        max_size=3,
    ).map(lambda edits: _apply(base, edits))


def _apply(base: str, edits: list[tuple[int, int, str]]) -> str:
    text = base
    for at, cut, snippet in edits:
        at = min(at, len(text))
        text = text[:at] + snippet + text[at + cut :]
    return text


def contents(base_file: str, *, json_tree: bool = False) -> st.SearchStrategy[bytes]:
    base = (CONFIGS / base_file).read_text(encoding="utf-8")
    options = [
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        _mutated(base).map(lambda t: t.encode("utf-8", "surrogatepass")),
    ]
    if json_tree:
        options.append(trees.map(lambda t: json.dumps(t).encode()))
    else:
        options.append(trees.map(lambda t: _toml_like(t).encode("utf-8", "surrogatepass")))
    return st.one_of(*options)


def _toml_like(tree: object) -> str:
    """A tree as TOML (tables of key = JSON-ish values: TOML accepts most of them)."""
    if not isinstance(tree, dict):
        return f"x = {json.dumps(tree)}\n"
    return "".join(f"{json.dumps(str(k))} = {json.dumps(v)}\n" for k, v in tree.items())


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:
            # argparse's own usage errors (a request starting with '-' reads as an option)
            code = exit_.code if isinstance(exit_.code, int) else 2
    return code, err.getvalue()


def _check(args: list[str]) -> None:
    code, err = _run(args)
    assert code in (0, 1, 2), (args, code, err)
    for leak in LEAKS:
        assert leak not in err, (args, err)


def _with_file(data: bytes, suffix: str, make_args: Callable[[str], list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"input{suffix}")
        with open(path, "wb") as handle:
            handle.write(data)
        _check(make_args(path))


READERS: dict[str, tuple[str, str, Callable[[str], list[str]]]] = {
    "policy": ("policy.toml", ".toml", lambda p: ["policy", "validate", p]),
    "personal": (
        "policy-tests/personal/ana.toml",
        ".toml",
        lambda p: ["policy", "validate", "--personal", p],
    ),
    "account": (
        "examples/account.toml",
        ".toml",
        lambda p: ["check", "buy 0.01 BTC", "--account", p],
    ),
    "account-json": (
        "examples/plan.json",
        ".json",
        lambda p: ["check", "sell 1 ETH", "--account", p],
    ),
    "quotes": (
        "examples/quotes.toml",
        ".toml",
        lambda p: ["check", "buy 0.01 BTC", "--quotes", p],
    ),
    "plan": ("examples/plan.json", ".json", lambda p: ["check", "--plan", p]),
    "plan-toml": ("examples/quotes.toml", ".toml", lambda p: ["check", "--plan", p]),
    "assets": ("assets.txt", ".txt", lambda p: ["parse", "--assets", p, "buy 1 BTC"]),
    "scenario": (
        "policy-tests/balance.toml",
        ".toml",
        lambda p: ["policy", "test", os.path.dirname(p)],
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_no_file_makes_a_reader_crash(reader: str) -> None:
    base, suffix, make_args = READERS[reader]

    @settings(max_examples=40)
    @given(contents(base, json_tree=suffix == ".json"))
    def fuzz(data: bytes) -> None:
        _with_file(data, suffix, make_args)

    fuzz()


@pytest.mark.parametrize(
    ("base", "parse"),
    [
        ("markets.toml", lambda text: parse_market_catalog(text, source="markets.toml")),
        ("exchanges.toml", lambda text: parse_venue_profiles(text, source="exchanges.toml")),
        (
            "demo-account.toml",
            lambda text: parse_demo_account(
                text, source="demo-account.toml", when=datetime(2026, 1, 5, tzinfo=UTC)
            ),
        ),
    ],
)
def test_no_configuration_makes_its_reader_crash(base: str, parse: Callable[[str], object]) -> None:
    @settings(max_examples=60)
    @given(contents(base))
    def fuzz(data: bytes) -> None:
        text = data.decode("utf-8", "replace")
        caught: SignoffError | None = None
        try:
            parse(text)
        except SignoffError as error:
            caught = error
        if caught is not None:
            assert caught.exit_code == 2
            for leak in LEAKS:
                assert leak not in str(caught)

    fuzz()


_TYPED = (
    "buy sell 0.01 BTC 1e400 1e999999999 at if below every day half of my USDT kaufe für "
    "比特币 -1 1/0 0.000000000000000000000000000000001"
)
WORDS = [*_TYPED.split(), "\ud800", "\udcff", "\x00", "9" * 60]

requests = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
)


@settings(max_examples=60)
@given(requests)
@example("-:")
@example("buy 1e400 BTC")
def test_no_request_makes_parse_or_check_crash(text: str) -> None:
    _check(["parse", text])
    _check(["check", text])


@pytest.mark.parametrize("asset", ["1e400ETH", "eth", "", "ETH/USDT", "BTC "])
def test_a_bad_asset_name_in_the_demo_account_is_named(asset: str) -> None:
    # found by the fuzz above: the name failed inside the model, outside the error handling
    text = f'[balances]\n"{asset}" = "1"\n'
    with pytest.raises(SignoffError) as caught:
        parse_demo_account(text, source="acct.toml", when=datetime(2026, 1, 5, tzinfo=UTC))
    assert caught.value.exit_code == 2
    assert f"balances.{asset}:" in str(caught.value)
    assert "Value error" not in str(caught.value)
