"""Hostile input: each gives one clear error naming the input, exit 2, and changes
nothing (no ledger, no state directory written)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signoff.cli import main
from tests.conftest import REPO

PLAN = (
    '{"status": "plan", "steps": [{"action": "order", "side": "buy", "base": "BTC", '
    '"quote": "USDT", "amount": {"unit": "base", "value": %s}, "order_type": "market"}]}'
)


def _write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _cases(tmp: Path) -> list[tuple[list[str], str]]:
    deep_toml = _write(tmp, "deep.toml", "a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    deep_json = _write(tmp, "deep.json", "[" * 100_000 + "]" * 100_000)
    deep_keys = _write(tmp, "keys.toml", "a" + ".a" * 100_000 + " = 1\n")
    deep_plan = _write(tmp, "plan-deep.json", '{"status": ' + "[" * 100_000 + "]" * 100_000 + "}")
    account = _write(tmp, "account.toml", '[balances]\nUSDT = "1e999999999"\n')
    quotes = _write(tmp, "quotes.toml", '["BTC/USDT"]\nprice = "1e999999999"\n')
    plan = _write(tmp, "plan.json", PLAN % "1e400")
    tiny = _write(tmp, "tiny.json", PLAN % "1e-400")
    return [
        (["policy", "validate", deep_toml], deep_toml),
        (["policy", "validate", deep_keys], deep_keys),
        (["policy", "validate", "--personal", deep_toml], deep_toml),
        (["check", "buy 0.01 BTC", "--account", deep_toml], deep_toml),
        (["check", "buy 0.01 BTC", "--account", deep_json], deep_json),
        (["check", "buy 0.01 BTC", "--quotes", deep_json], deep_json),
        (["check", "--plan", deep_json], deep_json),
        (["check", "--plan", deep_plan], deep_plan),
        (["check", "buy 0.01 BTC", "--account", account], "balances.USDT"),
        (["check", "buy 0.01 BTC", "--quotes", quotes], "BTC/USDT.price"),
        (["check", "--plan", plan], "steps[0].amount.value"),
        (["check", "--plan", tiny], "steps[0].amount.value"),
        (["policy", "validate", "/dev/zero"], "/dev/zero"),
        (["policy", "validate", "/dev/urandom"], "/dev/urandom"),
        (["check", "buy 0.01 BTC", "--policy", "/dev/zero"], "/dev/zero"),
        (["parse", "buy 1 \udcff BTC"], "buy 1 \ufffd BTC"),
        (["check", "buy 1 \ud800 BTC"], "not valid UTF-8"),
    ]


def _one_line_error(err: str, needle: str) -> None:
    lines = err.strip().splitlines()
    assert lines, "no error message"
    assert lines[0].startswith("error: "), err
    assert needle in lines[0], (needle, err)
    assert all(line.startswith(("error: ", "hint: ")) for line in lines), err
    assert len(lines) <= 2, err
    assert "Traceback" not in err
    assert "internal error" not in err


def test_each_hostile_input_is_named_and_exits_2(
    tmp_path: Path, signoff_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, needle in _cases(tmp_path):
        code = main(args)
        out, err = capsys.readouterr()
        assert code == 2, (args[:2], out, err)
        _one_line_error(err, needle)
    # nothing was recorded or created
    assert not signoff_home.exists()


def test_a_fifo_as_a_policy_is_refused_at_once(tmp_path: Path, signoff_home: Path) -> None:
    fifo = tmp_path / "policy.toml"
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-m", "signoff", "policy", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,  # it used to wait for a writer for ever
        cwd=REPO,
    )
    assert done.returncode == 2
    _one_line_error(done.stderr, "FIFO")


def test_a_file_too_large_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of zeros
    assert main(["policy", "validate", str(big)]) == 2


def test_signoff_home_that_is_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "a-file"
    home.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("SIGNOFF_HOME", str(home))
    code = main(["run", "buy 0.01 BTC", "--no-input"])
    _, err = capsys.readouterr()
    assert code == 2
    _one_line_error(err, str(home))
    assert home.read_text(encoding="utf-8") == "not a directory"


def test_state_is_private_and_shared_state_is_warned_about(
    signoff_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ledger.service import Ledger

    Ledger.open().close()
    assert signoff_home.stat().st_mode & 0o777 == 0o700
    ledger = signoff_home / "ledger.sqlite3"
    assert ledger.stat().st_mode & 0o777 == 0o600
    signoff_home.chmod(0o755)
    ledger.chmod(0o644)
    import foundation.paths

    foundation.paths._warned.clear()
    Ledger.open(create=False).close()
    err = capsys.readouterr().err
    assert f"{signoff_home} can be read by other users (mode 0755)" in err
    assert f"{ledger} can be read by other users (mode 0644)" in err
    assert "chmod 600" in err
