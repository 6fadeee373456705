"""signoff: intent-driven trading with confirmation gates.

This package wires the domain (``intent``, ``policy``) to the outside world
(``executors``, ``ledger``, ``tui``) and holds the command line. Keep this
module empty of imports: ``signoff parse --jsonl`` is timed from process start.
"""

__version__ = "0.1.0"
