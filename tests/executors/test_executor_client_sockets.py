"""A client of an executor that went away closes every socket it opened.

Its socket file is left behind (or gone); each request fails with a clear
:class:`ExecutionError`, and nothing is left for the garbage collector to warn about
(a ResourceWarning was the sign of the leak in the two-person TUI flow)."""

from __future__ import annotations

import gc
import socket
import warnings
from pathlib import Path

import pytest

from executors.process.client import ExecutorClient
from foundation.errors import ExecutionError


def _stale_socket(where: Path) -> str:
    """A socket file nobody listens on: what a stopped executor leaves behind."""
    path = str(where / "executor.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.close()
    return path


@pytest.mark.parametrize("kind", ["stale socket file", "no socket file"])
def test_requests_to_a_stopped_executor_leave_no_socket_open(tmp_path: Path, kind: str) -> None:
    path = _stale_socket(tmp_path) if kind == "stale socket file" else str(tmp_path / "gone.sock")
    client = ExecutorClient(path, "secret", timeout=2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            with pytest.raises(ExecutionError, match="cannot reach the executor"):
                client.health()
        client.close()
        del client
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]
