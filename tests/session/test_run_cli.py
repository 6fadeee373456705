"""`signoff run` as a person runs it: a real process, the executor it starts, the ledger."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from executors.testing import journal_rows
from tests.conftest import REPO
from tests.session.conftest import signoff, write_identities

# each test runs the executor (or the CLI) as a real process: seconds each
pytestmark = pytest.mark.slow


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
    assert "s1 confirmed by alice" in done.stdout
    # a resting order was placed, not executed
    assert "s1 placed: buy 10 SOL/USDT: open (resting at 150)" in done.stdout


def test_a_confirm_step_does_not_run_on_no_or_without_an_answer(home: Path) -> None:
    for stdin in ("n\n", ""):
        done = signoff(home, "run", "buy 10 SOL at 150", stdin=stdin)
        assert done.returncode == 1, done.stderr  # not done: a step not approved
        assert "executed" not in done.stdout
        assert "Nothing to run" in done.stdout


def test_four_eyes_with_two_people_in_two_terminals(home: Path) -> None:
    """alice asks; risk-desk, in another process with their own key, approves; sent once."""
    write_identities(home, {"alice": ["trader", "approver"], "risk-desk": ["approver"]})
    # typing a name approves nothing
    typed = signoff(home, "run", "buy 0.2 BTC", "--approve", "s1:risk-desk")
    assert typed.returncode == 2
    assert "typing a name approves nothing" in typed.stderr
    asked = signoff(home, "run", "buy 0.2 BTC", "--approve", "s1", "--no-input")
    assert asked.returncode == 0, asked.stderr
    assert "s1 waiting" in asked.stdout
    assert "executed" not in asked.stdout
    plan = re.search(r"signoff approve (p-[0-9a-f]+):s1", asked.stdout)
    assert plan is not None
    target = f"{plan.group(1)}:s1"
    listed = signoff(home, "approvals", env={"SIGNOFF_USER": "risk-desk"})
    assert listed.returncode == 0
    assert target in listed.stdout
    assert "asked by alice" in listed.stdout
    assert "MAX_ORDER_VALUE" in listed.stdout
    assert journal_rows(home) == []  # nothing sent while it waits
    # the requester cannot be the second person
    mine = signoff(home, "approve", target)
    assert mine.returncode == 1
    assert "SELF_APPROVAL" in mine.stderr
    assert "another person" in mine.stderr
    approved = signoff(home, "approve", target, env={"SIGNOFF_USER": "risk-desk"})
    assert approved.returncode == 0, approved.stderr
    assert "s1 executed: buy 0.2 BTC/USDT: filled" in approved.stdout
    again = signoff(home, "approve", target, env={"SIGNOFF_USER": "risk-desk"})
    assert again.returncode == 1
    resumed = signoff(home, "run", "--resume", plan.group(1))
    assert resumed.returncode == 0, resumed.stderr
    assert "s1 executed: buy 0.2 BTC/USDT: filled" in resumed.stdout
    rows = journal_rows(home)
    assert [r["status"] for r in rows] == ["filled"]  # executed once
    assert signoff(home, "audit", "verify").returncode == 0


def test_a_swapped_policy_is_refused_naming_both_hashes(home: Path, tmp_path: Path) -> None:
    assert signoff(home, "run", "buy 0.01 BTC").returncode == 0
    before = signoff(home, "executor", "--status").stdout
    lax = tmp_path / "lax.toml"
    shipped = (REPO / "configs" / "policy.toml").read_text()
    lax.write_text(shipped.split("[[rule]]")[0])  # the firm's id and version, no rules
    for env, args in (({}, ["--policy", str(lax)]), ({"SIGNOFF_POLICY": str(lax)}, [])):
        done = signoff(home, "run", "buy 0.2 BTC", "--approve", "s1", *args, env=env)
        assert done.returncode == 2, done.stdout
        assert "the executor enforces policy firm-default" in done.stderr
        assert done.stderr.count("sha256") == 2
    # the same executor, on the same policy: no silent restart
    assert signoff(home, "executor", "--status").stdout == before
    assert len(journal_rows(home)) == 1


def test_a_denied_step_is_shown_and_never_sent(home: Path) -> None:
    done = signoff(home, "run", "buy 2 BTC", "--approve", "s1")
    assert "DENY" in done.stdout
    assert "executed" not in done.stdout
    assert done.returncode == 1  # a denied step: not done (the exit-code table)
    assert "Nothing to run" in done.stdout
    assert "Traceback" not in done.stderr
    assert journal_rows(home) == []  # nothing was sent to the venue


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
