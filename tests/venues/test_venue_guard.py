"""The sandbox guard, per venue: a configuration that would reach a live host is refused.

Refused before the first request: the captured transport must see nothing.
(Every request the other tests in this directory capture is checked against
the sandbox hosts by conftest.py.)
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt
import pytest

from executors.capabilities import CAPABILITIES
from executors.ccxt_exec import CcxtExecutor
from executors.venues import SANDBOX_HOSTS, check_sandbox, parse_venue_profiles
from foundation.clock import SystemClock
from foundation.errors import ConfigError, SandboxViolation
from tests.venues.capture import FAKE_KEYS, VENUES, Capture, CaptureExecutor, profile

LIVE_URL = {
    "binance-testnet": "https://api.binance.com/api/v3",
    "bybit-testnet": "https://api.bybit.com",
    "okx-demo": "https://aws.okx.com",
    "hashkey-sandbox": "https://api-glb.hashkey.com",
}


class _Misconfigured(CaptureExecutor):
    """The production executor with one thing changed after it built its exchange."""

    def __init__(self, venue: str, change: str) -> None:
        super().__init__(profile(venue), Capture())
        self.change = change
        self.venue_name = venue

    def _build(self) -> Any:
        exchange = super()._build()
        if self.change == "sandbox off":
            exchange.set_sandbox_mode(False)
        elif self.change == "live url":
            key = next(iter(exchange.urls["api"]))
            exchange.urls["api"][key] = LIVE_URL[self.venue_name]
        elif self.change == "no demo header":
            exchange.headers = {}
        return exchange


def _changes() -> list[tuple[str, str]]:
    cases = [(v, c) for v in VENUES for c in ("sandbox off", "live url")]
    cases += [
        (v, "no demo header")
        for v in VENUES
        if CAPABILITIES[profile(v).ccxt_id].sandbox_header is not None
    ]
    return cases


@pytest.mark.asyncio
@pytest.mark.parametrize(("venue", "change"), _changes())
async def test_a_live_configuration_is_refused_before_any_request(venue: str, change: str) -> None:
    executor = _Misconfigured(venue, change)
    with pytest.raises(SandboxViolation) as err:
        await executor.start()
    assert venue in err.value.message
    assert err.value.hint
    assert executor.capture.requests == []
    await executor.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("venue", VENUES)
async def test_live_hosts_are_not_sandbox_hosts(venue: str) -> None:
    """What ccxt calls without sandbox mode is never on the venue's sandbox list.

    (okx's demo shares its live host; the demo header is what tells them apart.)
    """
    ccxt_id = profile(venue).ccxt_id
    exchange = getattr(ccxt, ccxt_id)({"options": {"defaultType": "spot"}})
    try:
        live = {
            url.replace("{hostname}", exchange.hostname or "").split("/")[2]
            for url in _strings(exchange.urls["api"])
        }
        caps = CAPABILITIES[ccxt_id]
        if caps.sandbox_header is None:
            assert live.isdisjoint(SANDBOX_HOSTS[ccxt_id]), live
        else:
            assert exchange.headers.get(caps.sandbox_header[0]) != caps.sandbox_header[1]
            with pytest.raises(SandboxViolation):
                check_sandbox(exchange, profile(venue))
            assert live == caps.sandbox_hosts  # the same host: only the header differs
            return
        assert live & caps.mainnet_hosts, f"{venue}: mainnet hosts {live} not listed"
    finally:
        await exchange.close()


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


@pytest.mark.parametrize("venue", VENUES)
def test_no_profile_setting_points_a_venue_elsewhere(venue: str) -> None:
    ccxt_id = profile(venue).ccxt_id
    for extra in (
        f'url = "{LIVE_URL[venue]}"',
        "sandbox = false",
        "live = true",
        f'hostname = "{LIVE_URL[venue].split("/")[2]}"',
    ):
        with pytest.raises(ConfigError):
            parse_venue_profiles(f'[exchange.x]\nccxt = "{ccxt_id}"\n{extra}\n', source="x.toml")


@pytest.mark.parametrize("venue", VENUES)
def test_a_testnet_executor_takes_no_url(venue: str) -> None:
    with pytest.raises(SandboxViolation):
        CcxtExecutor(profile(venue), FAKE_KEYS, clock=SystemClock(), url=LIVE_URL[venue])
