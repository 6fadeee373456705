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


# The house, top to bottom. A package may import only packages below it; the app
# (signoff/) and the TUI stand side by side at the top, over one session service.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("signoff", "tui"),
    ("executors",),
    ("ledger",),
    ("policy",),
    ("intent",),
    ("foundation",),
)
FIRST_PARTY = {name for layer in LAYERS for name in layer}


def _imported_packages(path: os.PathLike[str] | str) -> set[tuple[str, int]]:
    """Every first-party package a module imports, lazily inside functions included."""
    import ast

    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), filename=str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                found.add((top, node.lineno))
    return found


def test_every_import_runs_downward() -> None:
    upward: list[str] = []
    for depth, layer in enumerate(LAYERS):
        allowed = set(layer).union(*LAYERS[depth + 1 :])
        for package in layer:
            for path in sorted((REPO / package).rglob("*.py")):
                for top, line in sorted(_imported_packages(path)):
                    if top not in allowed:
                        upward.append(f"{path.relative_to(REPO)}:{line} imports {top}")
    assert upward == [], "imports that run upward:\n" + "\n".join(upward)


def test_the_layering_check_sees_an_upward_import(tmp_path: os.PathLike[str]) -> None:
    module = os.path.join(str(tmp_path), "m.py")
    with open(module, "w", encoding="utf-8") as handle:
        handle.write("def f():\n    from signoff.session import Session\n    import ledger.store\n")
    assert _imported_packages(module) == {("signoff", 2), ("ledger", 3)}


def test_every_package_is_placed_in_the_house() -> None:
    packages = {
        entry.name
        for entry in REPO.iterdir()
        if entry.is_dir()
        and (entry / "__init__.py").exists()
        and entry.name not in ("tests", "benchmarks")
    }
    assert packages == FIRST_PARTY
