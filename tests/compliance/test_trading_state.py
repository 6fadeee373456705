"""The firm-wide kill switch: signed changes, fail-closed reading, a second process
stopping before its next send, the loss-breaker latch, and the compliance role."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.trading_state import (
    append_change,
    current_state,
    latch_loss_breaker,
    state_history,
    state_path,
)
from foundation.errors import IdentityError
from foundation.identity import SigningKey
from policy.counters import Counters
from signoff.cli import main
from tests.policy.policy_helpers import NOW, REPO, default_policy


def test_no_log_means_active(people: dict[str, SigningKey]) -> None:
    assert current_state().state == "ACTIVE"


def test_halt_and_resume_are_signed_recorded_with_who_and_why(
    people: dict[str, SigningKey], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["halt", "--reason", "venue incident", "--as", "carol"]) == 0
    assert "ACTIVE → HALTED" in capsys.readouterr().out
    state = current_state()
    assert (state.state, state.by, state.reason) == ("HALTED", "carol", "venue incident")
    assert main(["halt", "--reducing", "--reason", "wind down", "--as", "carol"]) == 0
    assert current_state().state == "REDUCING"
    assert main(["resume", "--reason", "incident over", "--as", "carol"]) == 0
    assert current_state().state == "ACTIVE"
    history = state_history()
    assert [(c.state, c.by, c.reason) for c in history] == [
        ("HALTED", "carol", "venue incident"),
        ("REDUCING", "carol", "wind down"),
        ("ACTIVE", "carol", "incident over"),
    ]
    assert all(c.signature for c in history)
    assert main(["trading-state"]) == 0
    out = capsys.readouterr().out
    assert "trading state: ACTIVE" in out
    assert "by carol: venue incident" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["halt", "--reason", "x"],
        ["halt", "--reducing", "--reason", "x"],
        ["resume", "--reason", "x"],
        ["report", "compliance"],
        ["policy", "replay", "configs/policy.toml"],
        ["policy", "tighter", "configs/policy.toml", "configs/policy.toml"],
    ],
)
@pytest.mark.parametrize("who", ["alice", "ravi", "mallory"])
def test_every_compliance_command_refuses_a_caller_without_the_role(
    people: dict[str, SigningKey], argv: list[str], who: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*argv, "--as", who])
    err = capsys.readouterr().err
    assert code == 1
    command = " ".join(a for a in argv[:2] if not a.startswith("-"))
    assert f"signoff {command} needs the compliance role" in err
    assert "Traceback" not in err
    if who == "mallory":
        assert "UNKNOWN_IDENTITY" in err
    else:
        assert "NO_ROLE" in err
        assert f"{who} does not have the compliance role" in err
    assert current_state().state == "ACTIVE"
    assert not os.path.exists(state_path())


def test_a_compliance_name_without_their_key_is_refused(
    people: dict[str, SigningKey], capsys: pytest.CaptureFixture[str]
) -> None:
    os.remove(os.path.join(os.environ["SIGNOFF_HOME"], "keys", "carol.key"))
    assert main(["halt", "--reason", "x", "--as", "carol"]) == 2
    assert "NO_KEY: no key for carol" in capsys.readouterr().err
    assert current_state().state == "ACTIVE"


def test_a_forged_or_tampered_log_fails_closed(people: dict[str, SigningKey]) -> None:
    append_change(state="HALTED", reason="drill", by="carol", at=NOW, key=people["carol"])
    append_change(state="ACTIVE", reason="drill over", by="carol", at=NOW, key=people["carol"])
    path = Path(state_path())
    good = path.read_text(encoding="utf-8")
    # a trader signing their own resume: refused at write time is not enough, the reader checks
    append_change(state="HALTED", reason="x", by="alice", at=NOW, key=people["alice"])
    state = current_state()
    assert state.state == "HALTED"
    assert not state.valid
    assert "alice does not have the compliance role" in state.reason
    # editing the reason of a signed line breaks its signature
    path.write_text(good.replace("drill over", "drill over!"), encoding="utf-8")
    state = current_state()
    assert (state.state, state.valid) == ("HALTED", False)
    assert "signature" in state.reason
    # an unsigned line may never lift the state
    path.write_text(good, encoding="utf-8")
    assert current_state().state == "ACTIVE"
    with pytest.raises(IdentityError):
        append_change(state="ACTIVE", reason="x", by="carol", at=NOW, key=people["alice"])


def test_halt_reaches_a_second_running_process_before_its_next_send(
    people: dict[str, SigningKey], tmp_path: Path
) -> None:
    sends = tmp_path / "sends.txt"
    env = dict(os.environ)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.compliance.sender", state_path(), str(sends), "3000"],
        cwd=REPO,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sends.exists() and sends.read_text(encoding="utf-8").count("sent") >= 5:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the second process never started sending")
        halt = subprocess.run(
            [sys.executable, "-m", "signoff", "halt", "--reason", "stop now", "--as", "carol"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert halt.returncode == 0, halt.stderr
        sent_when_halted = sends.read_text(encoding="utf-8").count("sent")
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    lines = sends.read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "stopped HALTED carol"
    # at most the one send already past its state check when the halt was written
    assert lines.count("sent " + lines[-2].split()[-1]) == 1
    assert len([line for line in lines if line.startswith("sent")]) <= sent_when_halted + 1


def test_the_loss_breaker_latches_until_a_compliance_identity_resumes(
    people: dict[str, SigningKey], capsys: pytest.CaptureFixture[str]
) -> None:
    policy = default_policy()  # loss-breaker: max_daily_loss 5000, trips to REDUCING
    calm = Counters(realised_loss_today=Decimal(4000))
    assert latch_loss_breaker(policy, calm, NOW) is None
    bad = Counters(realised_loss_today=Decimal(6000))
    tripped = latch_loss_breaker(policy, bad, NOW)
    assert tripped is not None
    assert tripped.by == "loss-breaker:loss-breaker"
    assert current_state().state == "REDUCING"
    # a new day: the loss counter is back to zero, the state stays tripped
    assert latch_loss_breaker(policy, Counters(), NOW + timedelta(days=1)) is None
    assert current_state().state == "REDUCING"
    # a trader cannot reset it
    assert main(["resume", "--reason", "please", "--as", "alice"]) == 1
    assert current_state().state == "REDUCING"
    assert main(["resume", "--reason", "reviewed the losses", "--as", "carol"]) == 0
    assert current_state().state == "ACTIVE"
    capsys.readouterr()


def test_the_session_counters_carry_the_firm_wide_state(
    people: dict[str, SigningKey], tmp_path: Path
) -> None:
    from foundation.clock import FakeClock
    from ledger.service import Ledger
    from signoff.session import counters_from_ledger

    with Ledger.open(f"sqlite:///{tmp_path / 'l.sqlite3'}", clock=FakeClock()) as ledger:
        policy = default_policy()
        assert counters_from_ledger(ledger, now=NOW, policy=policy).trading_state == "ACTIVE"
        append_change(state="REDUCING", reason="wind down", by="carol", at=NOW, key=people["carol"])
        assert counters_from_ledger(ledger, now=NOW, policy=policy).trading_state == "REDUCING"


def test_refusal_before_a_send_follows_the_state(people: dict[str, SigningKey]) -> None:
    from executors.trading_state import refusal
    from tests.policy.policy_helpers import account, flat_market, order

    market = flat_market({"SOL/USDT": "100", "BTC/USDT": "50000", "SOL/BTC": "0.002"})
    acct = account({"USDT": "1000", "SOL": "10"})
    buy = order("SOL/USDT", "buy", "1", acct=acct, market=market)
    sell = order("SOL/USDT", "sell", "1", acct=acct, market=market)
    swap = order("SOL/BTC", "sell", "1", acct=acct, market=market)
    policy = default_policy()
    assert refusal(buy, current_state(), policy=policy, account=acct, now=NOW) is None
    append_change(state="REDUCING", reason="wind down", by="carol", at=NOW, key=people["carol"])
    reducing = current_state()
    assert refusal(sell, reducing, policy=policy, account=acct, now=NOW) is None
    for grows in (buy, swap):
        why = refusal(grows, reducing, policy=policy, account=acct, now=NOW)
        assert why is not None
        assert why.startswith("TRADING_REDUCING")
        assert "wind down (by carol)" in why
    append_change(state="HALTED", reason="stop", by="carol", at=NOW, key=people["carol"])
    why = refusal(sell, current_state(), policy=policy, account=acct, now=NOW)
    assert why is not None
    assert why.startswith("TRADING_HALTED")
