"""Every request captured in these tests went to a sandbox host, never a live one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from executors.capabilities import CAPABILITIES
from tests.venues.capture import MADE

SANDBOX = frozenset().union(*(c.sandbox_hosts for c in CAPABILITIES.values()))
LIVE = frozenset().union(*(c.mainnet_hosts for c in CAPABILITIES.values()))


@pytest.fixture(autouse=True)
def _only_sandbox_hosts() -> Iterator[None]:
    MADE.clear()
    yield
    for capture in MADE:
        for request in capture.requests:
            assert request.url.startswith("https://"), request.url
            assert request.host in SANDBOX, f"{request.method} {request.url} is not a sandbox"
            assert request.host not in LIVE, f"{request.method} {request.url} is a live host"
            for caps in CAPABILITIES.values():
                if caps.sandbox_header and request.host in caps.sandbox_hosts:
                    name, value = caps.sandbox_header
                    assert request.headers.get(name) == value, f"{request.url} without {name}"
    MADE.clear()
