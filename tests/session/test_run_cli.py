"""`signoff run` as a person runs it: a real process, the executor it starts, the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.session.conftest import signoff


def test_an_allowed_request_runs_and_the_trail_verifies(home: Path) -> None:
    done = signoff(home, "run", "buy 0.01 BTC")
    assert done.returncode == 0, done.stderr
    assert "ALLOW" in done.stdout
    assert "s1 executed: buy 0.01 BTC/USDT: filled" in done.stdout
    assert "signoff audit show p-" in done.stdout
    verified = signoff(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_a_confirm_step_asks_and_runs_on_yes(home: Path) -> None:
    done = signoff(home, "run", "buy 10 SOL at 150", stdin="y\n")
    assert done.returncode == 0, done.stderr
    assert "Confirm s1" in done.stdout
    assert "s1 approved by alice" in done.stdout
    # a resting order was placed, not executed
    assert "s1 placed: buy 10 SOL/USDT: open (resting at 150)" in done.stdout
    assert "executed" not in done.stdout


def test_a_confirm_step_does_not_run_on_no_or_without_an_answer(home: Path) -> None:
    for stdin in ("n\n", ""):
        done = signoff(home, "run", "buy 10 SOL at 150", stdin=stdin)
        assert done.returncode == 1, done.stderr  # not done: a step not approved
        assert "executed" not in done.stdout
        assert "Nothing to run" in done.stdout


def test_an_escalation_runs_with_a_named_second_approver_only(home: Path) -> None:
    refused = signoff(home, "run", "buy 0.2 BTC", "--approve", "s1", "--no-input")
    assert refused.returncode == 1, refused.stderr
    assert "alice may not approve step s1" in refused.stdout
    assert "executed" not in refused.stdout
    approved = signoff(home, "run", "buy 0.2 BTC", "--approve", "s1:risk-desk")
    assert approved.returncode == 0, approved.stderr
    assert "s1 approved by risk-desk" in approved.stdout
    assert "s1 executed: buy 0.2 BTC/USDT: filled" in approved.stdout


def test_a_denied_step_is_shown_and_never_sent(home: Path) -> None:
    done = signoff(home, "run", "buy 2 BTC", "--approve", "s1:risk-desk")
    assert done.returncode == 1, done.stderr
    assert "DENY" in done.stdout
    assert "executed" not in done.stdout
    assert "Traceback" not in done.stderr


def test_a_question_exits_1_and_runs_nothing(home: Path) -> None:
    done = signoff(home, "run", "buy some bitcoin")
    assert done.returncode == 1
    assert "Question:" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "buy 0.01 BTC", "--exchange", "kraken-live"], "kraken-live"),
        (["run", "buy 0.01 BTC", "--approve", "s9"], "this plan has steps s1"),
        (["run", "buy 0.01 BTC", "--policy", "/nonexistent/policy.toml"], "policy.toml"),
    ],
)
def test_user_errors_are_clear(home: Path, args: list[str], needle: str) -> None:
    done = signoff(home, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_the_executor_left_running_can_be_seen_and_stopped(home: Path) -> None:
    assert signoff(home, "executor", "--status").returncode == 1
    assert signoff(home, "run", "buy 0.01 BTC").returncode == 0
    status = signoff(home, "executor", "--status")
    assert status.returncode == 0
    assert "executor pid" in status.stdout
    stopped = signoff(home, "executor", "--stop")
    assert "stopped the executor" in stopped.stdout
    assert signoff(home, "executor", "--status").returncode == 1
