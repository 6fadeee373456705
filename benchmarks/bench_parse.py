"""How fast the parser answers, measured where people and programs feel it.

    python benchmarks/bench_parse.py [--runs 9] [--lines 60000]

Two figures, each beside a reference measured in the same run:

- ``signoff parse TEXT``: wall time of the whole command for one request (interpreter,
  imports, asset lists, parse, rich output), median of ``--runs``; the reference is
  ``python -c pass`` (the interpreter's own start-up). Target: under 500 ms.
- ``signoff parse --jsonl``: requests per second *after start-up* (a batch scorer or a
  replay waits for it): the time for ``--lines`` requests minus the time for an empty
  input, median of the runs; the reference is ``json.loads`` of the same JSON lines in
  this process. Target: at least 20,000 requests/s.

The requests are the corpora in tests/data (shared dev set and our own), repeated. Run it
from a regular install (``pip install .`` in its own venv, as the README shows): an
editable install sends every import through an extra finder, which start-up pays for. On a
shared machine the CPU figures are the steadier ones; the wall figures count waiting.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = ("intent-dev.jsonl", "intent-gen-dev.jsonl", "intent-gen-heldout.jsonl")


def _run(command: list[str], stdin: str | None = None) -> tuple[float, float]:
    """Wall time and the child's CPU time (user + system) of one run. On a shared, loaded
    machine the CPU time is the steadier figure: it leaves out the time spent waiting."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> int:
    ap = argparse.ArgumentParser(description="signoff parse: one request and a batch")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--lines", type=int, default=60_000)
    args = ap.parse_args()

    lines = [
        line
        for name in CORPORA
        for line in (REPO / "tests" / "data" / name).read_text("utf-8").splitlines()
        if line.strip()
    ]
    texts = [str(json.loads(line)["text"]).replace("\n", " ") for line in lines]
    signoff = shutil.which("signoff") or str(Path(sys.executable).with_name("signoff"))

    # --- one request, as a person types it at the shell
    request = "sell half my ETH if it drops below 2,000"
    one, one_cpu = _median([_run([signoff, "parse", request]) for _ in range(args.runs)])
    bare, bare_cpu = _median([_run([sys.executable, "-c", "pass"]) for _ in range(args.runs)])
    print(f"signoff parse TEXT ({args.runs} runs, median; target < 500 ms wall)")
    print(f"  command:         {one * 1000:7.1f} ms wall {one_cpu * 1000:7.1f} ms CPU")
    print(
        f"  python -c pass:  {bare * 1000:7.1f} ms wall {bare_cpu * 1000:7.1f} ms CPU"
        f"   command / reference: {one / bare:.1f}x wall, {one_cpu / bare_cpu:.1f}x CPU"
    )

    # --- a batch, after start-up
    repeat = max(1, args.lines // len(texts) + 1)
    batch = (texts * repeat)[: args.lines]
    data = "".join(t + "\n" for t in batch)
    jsonl = [signoff, "parse", "--jsonl"]
    empty, empty_cpu = _median([_run(jsonl, "") for _ in range(max(3, args.runs // 2))])
    full, full_cpu = _median([_run(jsonl, data) for _ in range(max(3, args.runs // 3))])
    rate = len(batch) / max(full - empty, 1e-9)
    cpu_rate = len(batch) / max(full_cpu - empty_cpu, 1e-9)
    json_lines = (lines * repeat)[: args.lines]
    started, cpu_started = time.perf_counter(), time.process_time()
    for line in json_lines:
        json.loads(line)
    json_rate = len(json_lines) / (time.perf_counter() - started)
    json_cpu_rate = len(json_lines) / max(time.process_time() - cpu_started, 1e-9)
    print(
        f"signoff parse --jsonl ({len(batch):,} requests, start-up {empty * 1000:.0f} ms taken "
        "off; target >= 20,000 requests/s)"
    )
    print(f"  after start-up:  {rate:9,.0f} requests/s wall {cpu_rate:9,.0f} requests/s CPU")
    print(
        f"  json.loads:      {json_rate:9,.0f} lines/s wall    {json_cpu_rate:9,.0f} lines/s CPU"
        f"      parse / reference: {rate / json_rate:.3f} wall, {cpu_rate / json_cpu_rate:.3f} CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
