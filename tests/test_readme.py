"""The README opens with the two commands, and .ci/run runs the same test command."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _commands() -> list[str]:
    text = (REPO / "README.md").read_text("utf-8")
    head = text.split("\n## ", 1)[0]
    return [line.strip() for line in head.splitlines() if line.startswith("    ")]


def test_readme_opens_with_a_run_and_a_test_command() -> None:
    run, test = _commands()[:2]
    assert run.startswith("python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/signoff")
    assert test.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command() -> None:
    test = _commands()[1]
    ci = (REPO / ".ci" / "run").read_text("utf-8")
    line = next(line for line in ci.splitlines() if "pytest" in line and "venv" in line)
    assert line.startswith(test), (line, test)
    assert re.search(r"git .*archive", ci), "CI must test a clean checkout"
    assert "ran > 0" in ci, "CI must fail when no test ran"
