"""The policy engine and resolution are pure domain code: no I/O, no heavy libraries."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from tests.policy.policy_helpers import REPO

DOMAIN_MODULES = [
    "intent.resolve",
    "intent.valuation",
    "policy.model",
    "policy.loader",
    "policy.personal",
    "policy.counters",
    "policy.context",
    "policy.checks",
    "policy.engine",
    "policy.explain",
    "policy.scenarios",
    "policy.gate",
    "policy.index",
    "policy.lifecycle",
]
FORBIDDEN = (
    "executors",
    "ledger",
    "tui",
    "sqlmodel",
    "sqlalchemy",
    "ccxt",
    "textual",
    "httpx",
    "aiohttp",
    "pydantic_ai",
    "rich",
)


def test_domain_imports_no_io_layer_or_heavy_library() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {DOMAIN_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=60,
    )
    loaded = json.loads(result.stdout)
    bad = [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_domain_source_does_no_io() -> None:
    calls = {"open", "input", "print"}
    attributes = {"environ", "getenv", "read_text", "read_bytes", "write_text", "urlopen"}
    clocks = {"now", "utcnow", "today", "time", "monotonic"}
    files = [REPO / "intent" / "resolve.py", REPO / "intent" / "valuation.py"]
    files += sorted((REPO / "policy").glob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in calls, f"{path.name}:{node.lineno} calls {node.func.id}"
            if isinstance(node, ast.Attribute):
                assert node.attr not in attributes, f"{path.name}:{node.lineno} uses .{node.attr}"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date", "time"}
            ):
                # time comes in as ``now``; the domain never reads a clock
                assert node.func.attr not in clocks, f"{path.name}:{node.lineno} reads the clock"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                module = getattr(node, "module", None) or ""
                for name in [module, *names]:
                    assert name.split(".")[0] not in {"os", "pathlib", "socket", "signoff"} or (
                        name == "foundation.errors"
                    ), f"{path.name}:{node.lineno} imports {name}"
