"""A separate process that appends to a ledger: ``python ledger_writer.py URL NAME COUNT SECONDS``.

Each append records a request whose text is ``NAME-i`` and, every third one,
its parse result with several steps (a bigger transaction). After each append
has returned (committed) it prints ``NAME-i SEQ`` and flushes, so the parent
knows exactly what was committed. It stops after COUNT appends or SECONDS,
whichever comes first. It starts appending when it reads ``go`` on stdin.
"""

from __future__ import annotations

import sys
import time
from decimal import Decimal

from intent.plan import Amount, OrderStep, Plan
from ledger.service import Ledger


def main(argv: list[str]) -> int:
    url, name, count, seconds = argv[0], argv[1], int(argv[2]), float(argv[3])
    steps = tuple(
        OrderStep(side="buy", base="BTC", amount=Amount(unit="quote", value=Decimal(10 + i)))
        for i in range(8)
    )
    with Ledger.open(url) as ledger:
        print("ready", flush=True)
        # start together with the other writers: the parent says go on stdin
        if sys.stdin.readline().strip() != "go":
            return 1
        deadline = time.monotonic() + seconds
        for i in range(count):
            if time.monotonic() > deadline:
                break
            subject = f"{name}-{i}"
            request = ledger.record_request(text=subject, actor=name, parser="deterministic")
            print(f"{subject} {request.audit.seq}", flush=True)
            if i % 3 == 0:
                parsed = ledger.record_parse(
                    request_id=request.id, result=Plan(steps=steps), actor=name
                )
                print(f"{subject}-plan {parsed.audit.seq}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
