"""The terminal UI's first paint and the time from a request to its plan on the screen.

    .venv/bin/python benchmarks/bench_tui.py [--runs 5] [--requests 20]

First paint: a fresh interpreter imports the app, starts it headless at 100×30 and stops
at its first refresh (the executor starts in a worker and is not waited for); the
reference is an empty textual ``App`` measured the same way. Target: < 1.5 s.

Request to plan: the real app against the real executor process (local exchange) and a
SQLite ledger in a temporary ``SIGNOFF_HOME``; from pressing Enter in the request box to
the first frame drawn after the plan's rows went into the table (textual's
``post_display_hook``). The reference is ``Session.propose`` called directly on the same
session (as ``signoff check`` and ``signoff run`` call it), so the ratio is what the
screen adds. Target: < 100 ms. A second line says where the time goes: from Enter to the
worker, ``Service.propose`` in the worker (parse, the executor's account, rules, quotes
and counters, the policy, the ledger's records; the executor countersigns after the plan
is posted), from its return to the plan in the table, and from there to the drawn frame.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PAINT = """
import time, sys
began = time.perf_counter()
{imports}
class Probe({base}):
    def on_mount(self) -> None:
        self.call_after_refresh(self.done)
    def done(self) -> None:
        print(time.perf_counter() - began)
        self.exit()
{make}
app.run(headless=True, size=(100, 30))
"""

EMPTY = PAINT.format(imports="from textual.app import App", base="App[None]", make="app = Probe()")
SIGNOFF = PAINT.format(
    imports=(
        "from tui.app import SignoffApp\n"
        "from tui.service import Options, Service\n"
        "from foundation.errors import ExecutionError\n"
        "def opener(options):\n"
        "    raise ExecutionError('benchmark: no executor')\n"
    ),
    base="SignoffApp",
    make="app = Probe(Service(Options(local_identity=False), opener=opener), poll=False)",
)


def first_paint(code: str, home: str) -> float:
    """Seconds from process start to the first refresh, as the process itself measures."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "SIGNOFF_HOME": home},
    )
    inside = float(done.stdout.strip().splitlines()[-1])
    # the interpreter's own start-up counts too: a person waits for it
    return inside + _startup


_startup = 0.0


def interpreter_startup() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=60)
    return time.perf_counter() - began


Stages = dict[str, list[float]]


async def request_to_plan(requests: int) -> tuple[list[float], list[float], Stages]:
    from tui.app import SignoffApp
    from tui.messages import PlanProposed
    from tui.screens.main import MainScreen
    from tui.service import Options, Service
    from tui.views import PlanView

    painted = asyncio.Event()
    armed = False
    painted_at = 0.0
    # where the time goes, per request: when the worker called the service and it
    # returned, when the screen's handler began and ended
    marks: dict[str, float] = {}
    shown = MainScreen.on_plan_proposed

    def on_plan_proposed(self: MainScreen, message: PlanProposed) -> None:
        nonlocal armed
        marks["handler"] = time.perf_counter()
        shown(self, message)
        marks["shown"] = time.perf_counter()
        armed = True  # the next frame the app draws carries the plan's rows

    def displayed() -> None:
        # textual calls this right after it has drawn a frame (App.post_display_hook)
        nonlocal armed, painted_at
        if armed:
            armed = False
            painted_at = time.perf_counter()
            painted.set()

    MainScreen.on_plan_proposed = on_plan_proposed  # type: ignore[method-assign]
    service = Service(Options(actor="bench", local_identity=False))
    app = SignoffApp(service, poll=False)
    app.post_display_hook = displayed  # type: ignore[method-assign]
    propose = service.propose

    def timed_propose(text: str) -> PlanView:
        marks["worker"] = time.perf_counter()
        try:
            return propose(text)
        finally:
            marks["proposed"] = time.perf_counter()

    service.propose = timed_propose  # type: ignore[method-assign]
    screen_times: list[float] = []
    direct_times: list[float] = []
    stages: Stages = {"to the worker": [], "Service.propose": [], "to the screen": []}
    stages["drawn"] = []
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen_stack[0]
            assert isinstance(screen, MainScreen)
            deadline = time.monotonic() + 90
            while screen.status is None:
                assert time.monotonic() < deadline, "the executor did not start"
                await pilot.pause(0.05)
            texts = ["buy 0.01 BTC", "buy 10 SOL at 150", "sell 0.1 ETH", "buy 0.2 BTC"]
            for index in range(requests + 2):
                text = texts[index % len(texts)]
                screen.request_box.focus()
                screen.request_box.value = text
                await pilot.pause()
                painted.clear()
                began = time.perf_counter()
                await screen.request_box.action_submit()  # what Enter does
                await asyncio.wait_for(painted.wait(), 60)
                elapsed = painted_at - began
                began = time.perf_counter()
                service.session.propose(text)
                direct = time.perf_counter() - began
                if index >= 2:  # warm-up
                    screen_times.append(elapsed)
                    direct_times.append(direct)
                    stages["to the worker"].append(marks["worker"] - (painted_at - elapsed))
                    stages["Service.propose"].append(marks["proposed"] - marks["worker"])
                    stages["to the screen"].append(marks["shown"] - marks["proposed"])
                    stages["drawn"].append(painted_at - marks["shown"])
    finally:
        service.close(stop_executor=True)
        MainScreen.on_plan_proposed = shown  # type: ignore[method-assign]
    return screen_times, direct_times, stages


def main() -> None:
    global _startup
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["SIGNOFF_HOME"] = home
        _startup = statistics.median(interpreter_startup() for _ in range(3))
        empty = statistics.median(first_paint(EMPTY, home) for _ in range(args.runs))
        ours = statistics.median(first_paint(SIGNOFF, home) for _ in range(args.runs))
        print(
            f"first paint:      signoff {ours * 1000:7.0f} ms   empty textual App "
            f"{empty * 1000:7.0f} ms   ratio {ours / empty:.2f}   (target < 1500 ms; "
            f"both include {_startup * 1000:.0f} ms of interpreter start-up)"
        )
        screen, direct, stages = asyncio.run(request_to_plan(args.requests))
        s, d = statistics.median(screen), statistics.median(direct)
        print(
            f"request to plan:  on screen {s * 1000:7.1f} ms   Session.propose alone "
            f"{d * 1000:7.1f} ms   ratio {s / d:.2f}   (median of {len(screen)}; "
            "target < 100 ms)"
        )
        where = ", ".join(
            f"{name} {statistics.median(times) * 1000:.1f}" for name, times in stages.items()
        )
        print(f"  where (medians, ms): {where}")


if __name__ == "__main__":
    main()
