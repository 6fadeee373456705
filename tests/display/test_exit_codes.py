"""One exit-code table: foundation/errors.py holds it, the README and every command's
``--help`` print it, and real runs return what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from foundation import errors
from foundation.errors import EXIT_CODES
from signoff.cli import COMMAND_MODULES, build_parser, main
from signoff.commands.run import exit_code
from signoff.session import Outcome
from tests.conftest import REPO


def _readme_table() -> dict[int, str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Exit codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.MULTILINE)
    return {int(code): meaning for code, meaning in rows}


def _help_table(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[int, str]:
    with pytest.raises(SystemExit):
        main([*args, "--help"])
    text = capsys.readouterr().out
    section = text.split("exit codes:\n", 1)[1]
    rows = re.findall(r"^  (\d+) +(.+)$", section, flags=re.MULTILINE)
    return {int(code): meaning.strip() for code, meaning in rows}


def test_the_readme_prints_the_table() -> None:
    assert _readme_table() == dict(EXIT_CODES)


def test_every_command_help_prints_the_lines_of_the_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    table = dict(EXIT_CODES)
    commands = [[], *([name] for name in COMMAND_MODULES)]
    commands += [["policy", "validate"], ["policy", "explain"], ["policy", "test"]]
    for args in commands:
        shown = _help_table(args, capsys)
        assert shown, args
        for code, meaning in shown.items():
            assert table[code] == meaning, (args, code)
        # every command can meet a usage error and a bug
        assert {2, 70} <= set(shown), args
    assert _help_table([], capsys) == table
    assert set(_help_table(["run"], capsys)) == {0, 1, 2, 4, 70}
    build_parser()


def test_the_error_tree_follows_the_table() -> None:
    assert errors.UsageError("x").exit_code == 2
    assert errors.ConfigError("x").exit_code == 2
    assert errors.AuthenticationFailed("no keys").exit_code == 2
    assert errors.ExecutorConflict("another executor").exit_code == 2
    assert errors.SandboxViolation("live endpoint").exit_code == 2
    assert errors.LedgerError("no ledger").exit_code == 2
    assert errors.AuditIntegrityError("tampered").exit_code == 1
    assert errors.ApprovalError("expired").exit_code == 1
    assert errors.ExecutionError("failed").exit_code == 4
    assert errors.ExchangeUnavailable("down").exit_code == 4


def test_run_exits_by_what_happened_to_the_steps() -> None:
    done = Outcome("s1", "executed", "filled")
    denied = Outcome("s2", "skipped", "denied by the policy")
    unapproved = Outcome("s3", "skipped", "not approved")
    failed = Outcome("s4", "failed", "the exchange is down")
    assert exit_code([done]) == 0
    assert exit_code([done, denied]) == 1  # partly denied
    assert exit_code([unapproved]) == 1
    assert exit_code([done, denied, failed]) == 4


def test_real_runs_return_what_the_table_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["parse", "buy 1 BTC"]) == 0
    assert main(["parse", "buy some bitcoin"]) == 1  # a question
    assert main(["check", "withdraw 1 BTC to my wallet"]) == 1  # a refusal
    assert main(["check", "buy 0.01 BTC"]) == 0
    assert main(["policy", "validate"]) == 0
    assert main(["check", "buy 0.01 BTC", "--now", "yesterday"]) == 2
    assert main(["policy", "validate", str(tmp_path / "missing.toml")]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["check", "--no-such-option"])
    assert usage.value.code == 2

    import signoff.intents

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(signoff.intents, "load_parser", broken)
    assert main(["parse", "buy 1 BTC"]) == 70
    assert "internal error" in capsys.readouterr().err


@pytest.mark.slow
def test_missing_testnet_keys_exit_2(signoff_home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signoff", "run", "--exchange", "binance-testnet", "buy 0.01 BTC"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "SIGNOFF_HOME": str(signoff_home)},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no API keys for binance-testnet" in done.stderr
