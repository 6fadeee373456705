"""Score ``signoff parse --jsonl`` on a corpus of requests with their expected answers.

    python tests/data/score.py tests/data/intent-gen-heldout.jsonl [--show-failures]

A corpus is JSON lines: ``id``, ``text``, ``tags``, and ``expect`` or ``expect_any`` (a
list of acceptable answers). An answer is compared on its canonical projection: the
status, and for a plan the steps' keys that define the order (numbers equal to a relative
1e-6; a rebalance's quote-currency remainder may be left out; a trigger's ``base`` may be
left out when it is the order's own). Prints, overall and per tag:

- ``accuracy``: the share of requests answered as expected;
- ``wrong_plan``: the share answered with a plan that is not an accepted answer — a
  trade nobody asked for; this must stay at zero;
- ``safe_miss``: a plan was expected and signoff asked or refused instead.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

KEYS = {
    "order": (
        "side",
        "base",
        "quote",
        "amount",
        "order_type",
        "limit_price",
        "trigger",
        "schedule",
    ),
    "cancel": ("base", "side"),
    "rebalance": ("targets",),
    "convert": ("from", "to", "amount"),
    "query": ("what", "base"),
}


def project(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("status") != "plan":
        return {"status": answer.get("status")}
    steps = []
    for step in answer.get("steps", []):
        action = step.get("action")
        out = {"action": action, **{k: step.get(k) for k in KEYS.get(action, ())}}
        if action == "order" and out["trigger"]:
            out["trigger"] = {"base": out["base"], **out["trigger"]}
        if action == "rebalance":
            out["targets"] = {k: v for k, v in (out["targets"] or {}).items() if k != "USDT"}
        steps.append(out)
    return {"status": "plan", "steps": steps}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1.0)
    return bool(a == b)


def main() -> int:
    ap = argparse.ArgumentParser(description="score signoff parse --jsonl on a corpus")
    ap.add_argument("corpus")
    ap.add_argument("--show-failures", action="store_true")
    args = ap.parse_args()
    cases = [json.loads(line) for line in Path(args.corpus).read_text("utf-8").splitlines() if line]
    command = shutil.which("signoff") or str(Path(sys.executable).with_name("signoff"))
    stdin = "".join(str(c["text"]).replace("\n", " ") + "\n" for c in cases)
    done = subprocess.run(
        [command, "parse", "--jsonl"], input=stdin, capture_output=True, text=True, check=True
    )
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(cases), "one answer per request"
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # n, right, wrong, miss
    for case, answer in zip(cases, answers, strict=True):
        got = project(answer)
        accepted = [project(a) for a in case.get("expect_any") or [case["expect"]]]
        right = any(same(got, a) for a in accepted)
        wrong = not right and got["status"] == "plan"
        miss = not right and not wrong and any(a["status"] == "plan" for a in accepted)
        for tag in ["all", *case.get("tags", [])]:
            row = tally[tag]
            row[0] += 1
            row[1] += right
            row[2] += wrong
            row[3] += miss
        if args.show_failures and not right:
            kind = "wrong_plan" if wrong else "safe_miss" if miss else "other"
            print(f"[{kind}] {case['id']}: {case['text']}\n    got: {json.dumps(got)}")
    print(f"{'tag':<16}{'n':>5}  accuracy  wrong_plan  safe_miss")
    for tag in ["all", *sorted(t for t in tally if t != "all")]:
        n, hits, wrongs, misses = tally[tag]
        print(f"{tag:<16}{n:>5}  {hits / n:8.3f}  {wrongs / n:10.3f}  {misses / n:9.3f}")
    return 0 if tally["all"][2] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
