"""`signoff` with no arguments in a real terminal (tmux): type a request, see the gated plan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
TMUX = shutil.which("tmux")


@pytest.fixture
def terminal(signoff_home: Path) -> Iterator[str]:
    if TMUX is None:
        pytest.skip("tmux is not installed (apt-get install tmux): no real terminal to drive")
    name = f"signoff-test-{os.getpid()}"
    env = {
        "SIGNOFF_HOME": str(signoff_home),
        "SIGNOFF_USER": "alice",
        "PYTHONPATH": str(REPO),
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    command = f"env {exports} {sys.executable} -m signoff"
    subprocess.run(
        [TMUX, "new-session", "-d", "-s", name, "-x", "80", "-y", "24", command],
        check=True,
        timeout=30,
    )
    try:
        yield name
    finally:
        subprocess.run([TMUX, "kill-session", "-t", name], check=False, timeout=30)
        from executors.process.client import ExecutorClient
        from foundation.errors import ExecutionError

        try:
            client = ExecutorClient.connect(str(signoff_home))
        except ExecutionError:
            pass
        else:
            client.shutdown()


def screen_of(name: str) -> str:
    done = subprocess.run(
        [TMUX, "capture-pane", "-t", name, "-p"],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return str(done.stdout)


def wait_for_text(name: str, *needles: str, timeout: float = 90.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen_of(name)
        if all(n in shown for n in needles):
            return shown
        time.sleep(0.2)
    raise AssertionError(f"never saw {needles} on the screen:\n{shown}")


def test_signoff_alone_opens_the_tui_and_shows_the_gated_plan(terminal: str) -> None:
    wait_for_text(terminal, "executor ● ok", "Type a request")
    subprocess.run(
        [TMUX, "send-keys", "-t", terminal, "buy 0.01 BTC and buy 10 SOL at 150", "Enter"],  # type: ignore[list-item]
        check=True,
        timeout=30,
    )
    shown = wait_for_text(terminal, "✓ allow", "? confirm")
    assert "limit 150 USDT" in shown
    assert "to conf" in shown
    subprocess.run([TMUX, "send-keys", "-t", terminal, "C-q"], check=True, timeout=30)  # type: ignore[list-item]
