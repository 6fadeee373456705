"""How fast the deterministic parser answers, measured as the scorer measures it.

    python benchmarks/bench_parse.py [--runs 30] [--corpus tests/data/intent-dev.jsonl]

Prints requests per second through ``signoff parse --jsonl`` (a fresh process per run,
so interpreter start and imports count, as they do for score.py) and the parser's
own throughput inside one process.
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--corpus", default=str(REPO / "tests" / "data" / "intent-dev.jsonl"))
    args = ap.parse_args()

    texts = [
        json.loads(line)["text"]
        for line in Path(args.corpus).read_text("utf-8").splitlines()
        if line.strip()
    ]
    data = "".join(t.replace("\n", " ") + "\n" for t in texts)
    command = shutil.which("signoff") or str(Path(sys.executable).with_name("signoff"))

    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        done = subprocess.run(
            [command, "parse", "--jsonl"],
            input=data,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        times.append(time.perf_counter() - started)
        assert len(done.stdout.splitlines()) == len(texts)
    median, best = statistics.median(times), min(times)
    print(f"signoff parse --jsonl, {len(texts)} requests, {args.runs} runs")
    print(
        f"  through the command: median {len(texts) / median:,.0f} requests/s "
        f"({median * 1000:.1f} ms), best {len(texts) / best:,.0f} requests/s"
    )

    sys.path.insert(0, str(REPO))
    from signoff.intents import load_parser

    parser = load_parser()
    rounds = max(1, 20_000 // len(texts))
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            parser.parse(text)
    elapsed = time.perf_counter() - started
    print(
        f"  in one process:      {rounds * len(texts) / elapsed:,.0f} requests/s "
        f"({elapsed / (rounds * len(texts)) * 1e6:.1f} µs each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
