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

The requests are the corpora in tests/data (shared dev set and our own), repeated.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPORA = ("intent-dev.jsonl", "intent-gen-dev.jsonl", "intent-gen-heldout.jsonl")


def _wall(command: list[str], stdin: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, input=stdin, capture_output=True, text=True, check=False, timeout=300)
    return time.perf_counter() - started


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
    single = statistics.median(_wall([signoff, "parse", request]) for _ in range(args.runs))
    bare = statistics.median(_wall([sys.executable, "-c", "pass"]) for _ in range(args.runs))
    print(f"signoff parse TEXT ({args.runs} runs, median)")
    print(f"  command:           {single * 1000:7.1f} ms wall  (target < 500 ms)")
    ratio = single / bare
    print(f"  python -c pass:    {bare * 1000:7.1f} ms wall  (command / reference: {ratio:.1f}x)")

    # --- a batch, after start-up
    repeat = max(1, args.lines // len(texts) + 1)
    batch = (texts * repeat)[: args.lines]
    data = "".join(t + "\n" for t in batch)
    empty = statistics.median(
        _wall([signoff, "parse", "--jsonl"], stdin="") for _ in range(max(3, args.runs // 2))
    )
    full = statistics.median(
        _wall([signoff, "parse", "--jsonl"], stdin=data) for _ in range(max(3, args.runs // 3))
    )
    rate = len(batch) / max(full - empty, 1e-9)
    json_lines = (lines * repeat)[: args.lines]
    started = time.perf_counter()
    for line in json_lines:
        json.loads(line)
    json_rate = len(json_lines) / (time.perf_counter() - started)
    print(
        f"signoff parse --jsonl ({len(batch):,} requests; start-up {empty * 1000:.0f} ms taken off)"
    )
    print(f"  after start-up:    {rate:10,.0f} requests/s  (target >= 20,000)")
    share = rate / json_rate
    print(f"  json.loads lines:  {json_rate:10,.0f} lines/s     (parse / reference: {share:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
