"""Only sandboxes: venue profiles, the sandbox guard on real ccxt objects, keys, client ids."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from executors.ccxt_exec import CcxtExecutor
from executors.ids import MAX_BASE, client_order_id, is_valid, run_id
from executors.venues import (
    ApiKeys,
    Secret,
    VenueProfile,
    check_sandbox,
    load_venue_profiles,
    parse_venue_profiles,
    resolve_keys,
)
from foundation.clock import SystemClock
from foundation.errors import AuthenticationFailed, ConfigError, SandboxViolation

EXECUTORS = Path(__file__).resolve().parents[2] / "executors"
KEYS = ApiKeys(api_key=Secret("k" * 64), secret=Secret("s" * 64))


def test_shipped_profiles_are_all_sandboxes() -> None:
    profiles = load_venue_profiles()
    assert set(profiles) == {
        "local",
        "binance-testnet",
        "bybit-testnet",
        "okx-demo",
        "hashkey-sandbox",
    }
    assert profiles["local"].local
    assert profiles["okx-demo"].password_env == "OKX_DEMO_PASSPHRASE"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[exchange.x]\nccxt = "binance"\nlive = true\n', "unknown key(s): live"),
        ('[exchange.x]\nccxt = "binance"\nurl = "https://api.binance.com"\n', "unknown key"),
        ('[exchange.x]\nccxt = "kraken"\n', "'ccxt' must be one of"),
        ('[exchange.x]\nccxt = "bybit"\nlocal = true\n', "speaks Binance"),
        ('[exchange.x]\nccxt = "binance"\ntimeout_ms = 1.5\n', "whole number"),
        ('sandbox = false\n[exchange.x]\nccxt = "binance"\n', "unknown top-level"),
    ],
)
def test_profiles_refuse_what_they_do_not_know(text: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_venue_profiles(text, source="exchanges.toml")
    assert words in err.value.message
    assert "exchanges.toml" in err.value.message


async def _build(ccxt_id: str, sandbox: bool = True, **patch: Any) -> Any:
    exchange = getattr(ccxt, ccxt_id)({"options": {"defaultType": "spot"}})
    if sandbox:
        exchange.set_sandbox_mode(True)
    for key, value in patch.items():
        exchange.urls["api"][key] = value
    return exchange


@pytest.mark.asyncio
@pytest.mark.parametrize("ccxt_id", ["binance", "bybit", "okx", "hashkey"])
async def test_sandbox_mode_of_each_exchange_passes(ccxt_id: str) -> None:
    exchange = await _build(ccxt_id)
    try:
        check_sandbox(exchange, VenueProfile(name=f"{ccxt_id}-test", ccxt_id=ccxt_id))  # type: ignore[arg-type]
    finally:
        await exchange.close()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("ccxt_id", "sandbox", "patch"),
    [
        ("binance", False, {}),
        ("bybit", False, {}),
        ("okx", False, {}),
        ("binance", True, {"public": "https://api.binance.com/api/v3"}),
        ("binance", True, {"private": "https://api1.binance.com/api/v3"}),
        ("binance", True, {"sapi": "https://api.binance.com/sapi/v1"}),
        ("bybit", True, {"private": "https://api.bybit.com"}),
    ],
)
async def test_live_endpoints_are_a_sandbox_violation(
    ccxt_id: str, sandbox: bool, patch: dict[str, str]
) -> None:
    exchange = await _build(ccxt_id, sandbox, **patch)
    try:
        with pytest.raises(SandboxViolation) as err:
            check_sandbox(exchange, VenueProfile(name="x", ccxt_id=ccxt_id))  # type: ignore[arg-type]
        assert err.value.hint
    finally:
        await exchange.close()


@pytest.mark.asyncio
async def test_okx_without_the_demo_header_is_live() -> None:
    exchange = await _build("okx")
    exchange.headers = {}
    try:
        with pytest.raises(SandboxViolation):
            check_sandbox(exchange, VenueProfile(name="okx-demo", ccxt_id="okx"))
    finally:
        await exchange.close()


@pytest.mark.asyncio
async def test_local_profile_only_on_loopback() -> None:
    local = VenueProfile(name="local", ccxt_id="binance", local=True)
    for url in ("https://api.binance.com", "http://8.8.8.8:80", "ftp://127.0.0.1"):
        with pytest.raises(SandboxViolation):
            CcxtExecutor(local, KEYS, clock=SystemClock(), url=url)
    testnet = VenueProfile(name="binance-testnet", ccxt_id="binance")
    with pytest.raises(SandboxViolation):
        CcxtExecutor(testnet, KEYS, clock=SystemClock(), url="https://api.binance.com")


def test_keys_come_from_the_environment_and_never_print() -> None:
    profile = load_venue_profiles()["binance-testnet"]
    env = {"BINANCE_TESTNET_API_KEY": "AKIA-abc", "BINANCE_TESTNET_API_SECRET": "shh-123"}
    keys = resolve_keys(profile, env)
    assert keys.api_key.reveal() == "AKIA-abc"
    assert "AKIA-abc" not in repr(keys)
    assert "shh-123" not in f"{keys} {keys.secret}"


def test_missing_keys_say_which_variables() -> None:
    profile = load_venue_profiles()["okx-demo"]
    with pytest.raises(AuthenticationFailed) as err:
        resolve_keys(profile, {"OKX_DEMO_API_KEY": "visible-key"})
    assert "OKX_DEMO_API_SECRET" in err.value.message
    assert "OKX_DEMO_PASSPHRASE" in err.value.message
    assert "visible-key" not in str(err.value)


def test_client_order_ids() -> None:
    assert client_order_id("p1", "s1") == "so-p1:s1"
    long = client_order_id("01J9ZQ4N3K6V8W2X5Y7A9B1C3D", "s12")
    assert long == client_order_id("01J9ZQ4N3K6V8W2X5Y7A9B1C3D", "s12")
    assert long != client_order_id("01J9ZQ4N3K6V8W2X5Y7A9B1C3D", "s13")
    assert len(long) <= MAX_BASE
    odd = client_order_id("plan with spaces/ü", "s1")
    assert is_valid(odd)
    assert is_valid(run_id(long, 100_000))
    with pytest.raises(ValueError, match="plan id"):
        client_order_id("", "s1")


_WALLET = re.compile(r"withdraw|transfer|deposit", re.IGNORECASE)


def test_executors_have_no_wallet_code() -> None:
    """No name in the executors mentions withdrawals, transfers or deposits (prose may)."""
    found: list[str] = []
    for path in sorted(EXECUTORS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME and _WALLET.search(token.string):
                found.append(f"{path.name}:{token.start[0]}: {token.string}")
            if token.type == tokenize.STRING and re.search(
                r"(withdraw|transfer|deposit)\w*\(|/(withdraw|transfer|deposit)|capital/",
                token.string,
                re.IGNORECASE,
            ):
                found.append(f"{path.name}:{token.start[0]}: {token.string[:60]}")
    assert found == []
