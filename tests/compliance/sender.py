"""A second process that, like an executor, reads the trading state before each send.

    python -m tests.compliance.sender LOG SENDS_FILE MAX

Before each of at most MAX sends it calls ``current_state()``; ACTIVE: it "sends"
(appends a line to SENDS_FILE) and waits 20 ms; anything else: it writes the state it
saw and stops.
"""

from __future__ import annotations

import sys
import time

from executors.trading_state import current_state


def main() -> int:
    log, sends, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for number in range(limit):
        state = current_state(log)
        if not state.allows_new_orders:
            with open(sends, "a", encoding="utf-8") as handle:
                handle.write(f"stopped {state.state} {state.by}\n")
            return 0
        with open(sends, "a", encoding="utf-8") as handle:
            handle.write(f"sent {number}\n")
        time.sleep(0.02)
    return 1


if __name__ == "__main__":
    sys.exit(main())
