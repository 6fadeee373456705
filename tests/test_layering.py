"""The domain (intent/, policy/) does no I/O and imports no UI, database or exchange code."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO

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
    "psycopg",
    "sqlite3",
    "requests",
)


def test_domain_packages_import_nothing_outside_the_domain() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import intent, policy\n"
        "for pkg in (intent, policy):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=str(REPO / "configs"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"domain imports: {done.stdout}"


def test_domain_source_reads_no_files_or_environment() -> None:
    for package in ("intent", "policy"):
        for path in (REPO / package).rglob("*.py"):
            source = path.read_text("utf-8")
            for call in ("open(", "os.environ", "getenv(", "Path(", ".read_text(", "urlopen("):
                # the lexicon's table generator writes its own source file; nothing else may
                allowed = path.name == "lexicon.py" and call == "open("
                assert allowed or call not in source, f"{path.relative_to(REPO)} uses {call}"
