"""The executor process itself refuses what is not approved, and refuses live endpoints.

Real processes: ``signoff localnet`` (with its test hooks) and ``signoff
executor``; the tests talk to the executor directly over its unix socket, with
none of signoff's own checks in between, and count what the exchange received.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from executors.approvals import ApprovalAuthority, ApprovalRefused, ApprovalSettings
from executors.journal import SqliteJournal
from executors.process.client import ExecutorClient, start_executor
from executors.testing import (
    START,
    LocalnetProcess,
    decision,
    journal_rows,
    order_step,
    shipped_policy_stamp,
    signoff_command,
    wait_for,
)
from foundation.errors import ExecutionError, SandboxViolation
from policy.decision import StepDecision, Verdict

# the executor process enforces the shipped policy: decisions carry its stamp
SHIPPED = shipped_policy_stamp()


def dec(step_id: str, verdict: Verdict) -> StepDecision:
    return decision(step_id, verdict, policy=SHIPPED)


@pytest.fixture
def executor(localnet_process: LocalnetProcess) -> Iterator[ExecutorClient]:
    client = start_executor(
        "local", args=["--url", localnet_process.url, "--refresh", "3600"], reuse=False
    )
    yield client
    client.shutdown()


def _refusals(home: Path) -> list[str]:
    j = SqliteJournal(str(home / "executor" / "journal.sqlite"))
    try:
        return [r.code for r in j.refusals()]
    finally:
        j.close()


def _refused(call: Any) -> str:
    with pytest.raises(ApprovalRefused) as err:
        call()
    assert err.value.hint
    return err.value.code


def _altered(token: str) -> str:
    prefix, payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["drift_limit_pct"] = "90"
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return ".".join([prefix, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), sig])


@pytest.mark.slow
def test_the_process_refuses_every_unapproved_step(
    executor: ExecutorClient, localnet_process: LocalnetProcess, tmp_path: Path
) -> None:
    home = localnet_process.home
    step = order_step("s1")
    confirm = dec("s1", "confirm")
    escalate = dec("s1", "escalate")

    def run(dec: Any = confirm, token: str | None = None, **kw: Any) -> Any:
        return executor.execute(
            plan_id=kw.get("plan_id", "p1"), step=kw.get("step", step), decision=dec, token=token
        )

    assert _refused(lambda: run(dec("s1", "deny"))) == "DENIED"
    assert _refused(lambda: run(decision("s1", "allow"))) == "POLICY_MISMATCH"
    assert (
        _refused(
            lambda: executor.issue_approval(
                plan_id="p1", step=step, decision=escalate, requester="ann", approver="bob"
            )
        )
        == "NOT_AN_APPROVER"
    )
    assert _refused(lambda: run(confirm)) == "NO_TOKEN"
    assert _refused(lambda: run(escalate)) == "NO_TOKEN"
    assert (
        _refused(
            lambda: executor.issue_approval(
                plan_id="p1", step=step, decision=escalate, requester="ann", approver="ann"
            )
        )
        == "SELF_APPROVAL"
    )
    valid = executor.issue_approval(
        plan_id="p1", step=step, decision=confirm, requester="ann", approver="ann"
    ).token
    assert _refused(lambda: run(confirm, _altered(valid))) == "ALTERED"
    assert _refused(lambda: run(confirm, valid, step=order_step("s1", quantity="0.5"))) == (
        "CONTENT_MISMATCH"
    )
    assert _refused(lambda: run(confirm, valid, plan_id="p2")) == "CONTENT_MISMATCH"
    other = ApprovalAuthority.open(str(tmp_path / "someone-elses-key"))
    try:
        foreign = other.issue(
            plan_id="p1",
            step=step,
            decision=confirm,
            requester="ann",
            approver="ann",
            now=START,
            settings=ApprovalSettings(),
            price=None,
        )
    finally:
        other.close()
    assert _refused(lambda: run(confirm, foreign)) == "FOREIGN"
    short = executor.issue_approval(
        plan_id="p1",
        step=order_step("s2"),
        decision=dec("s2", "confirm"),
        requester="ann",
        approver="ann",
        validity=timedelta(seconds=1),
    ).token
    wait_for(lambda: _past(short), 5, "the short approval to expire")
    assert (
        _refused(
            lambda: executor.execute(
                plan_id="p1", step=order_step("s2"), decision=dec("s2", "confirm"), token=short
            )
        )
        == "EXPIRED"
    )
    assert localnet_process.orders_received() == []  # nothing reached the exchange so far

    # the valid token works once, and only once
    done = run(confirm, valid)
    assert done.orders[0].status == "filled"
    assert _refused(lambda: run(confirm, valid)) == "REPLAYED"
    assert len(localnet_process.accepted()) == 1
    assert len(localnet_process.orders_received()) == 1
    # every refusal was recorded by the process
    assert sorted(_refusals(home)) == sorted(
        [
            "DENIED",
            "POLICY_MISMATCH",
            "NO_TOKEN",
            "NO_TOKEN",
            "ALTERED",
            "CONTENT_MISMATCH",
            "CONTENT_MISMATCH",
            "FOREIGN",
            "EXPIRED",
            "REPLAYED",
        ]
    )


def _past(token: str) -> bool:
    payload = token.split(".")[1]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return datetime.now(UTC) > datetime.fromisoformat(data["expires_at"])


@pytest.mark.slow
def test_raw_requests_get_the_same_refusals_and_need_the_run_secret(
    executor: ExecutorClient, localnet_process: LocalnetProcess
) -> None:
    home = localnet_process.home
    run = json.loads((home / "executor" / "run.json").read_text())
    body = {
        "plan_id": "p1",
        "step": json.loads(order_step().model_dump_json()),
        "decision": json.loads(dec("s1", "deny").model_dump_json()),
    }
    transport = httpx.HTTPTransport(uds=run["socket"])
    with httpx.Client(transport=transport, base_url="http://executor", timeout=10) as http:
        anonymous = http.post("/v1/execute", json=body)
        assert anonymous.status_code == 401
        wrong = http.post("/v1/execute", json=body, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        auth = {"Authorization": f"Bearer {run['secret']}"}
        denied = http.post("/v1/execute", json=body, headers=auth)
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "DENIED"
        # a decision of "allow" smuggled in for a step id the decision does not name
        body["decision"] = json.loads(dec("other", "allow").model_dump_json())
        mismatch = http.post("/v1/execute", json=body, headers=auth)
        assert mismatch.json()["error"]["code"] == "STEP_MISMATCH"
        junk = http.post("/v1/execute", content=b"{not json", headers=auth)
        assert junk.status_code == 400
    assert localnet_process.orders_received() == []
    # private files are private
    for path in (
        home / "executor" / "run.json",
        home / "executor" / "approval.key",
        Path(run["socket"]),
    ):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(home / "executor").st_mode) == 0o700


@pytest.mark.slow
@pytest.mark.parametrize(
    ("exchange", "url"),
    [
        ("local", "https://api.binance.com"),
        ("local", "https://testnet.binance.vision"),  # a testnet, but not the local exchange
        ("local", "http://192.168.1.20:8080"),
        ("binance-testnet", "https://api.binance.com/api/v3"),
    ],
)
def test_the_process_refuses_to_start_against_live_endpoints(exchange: str, url: str) -> None:
    with pytest.raises(SandboxViolation) as err:
        start_executor(exchange, args=["--url", url], reuse=False, timeout=60)
    assert err.value.hint


def test_the_command_reports_a_live_endpoint_without_a_traceback() -> None:
    done = subprocess.run(
        signoff_command("executor", "--url", "https://api.binance.com"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.startswith("error: https://api.binance.com is not the local exchange")
    assert "hint:" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_killed_between_send_and_reply_then_reconciled_on_restart(
    localnet_process: LocalnetProcess,
) -> None:
    home = localnet_process.home
    args = ["--url", localnet_process.url, "--refresh", "3600"]
    first = start_executor("local", args=args, reuse=False)
    # the exchange takes the order, then holds the reply back
    localnet_process.hook(
        "POST", "faults", {"kind": "delay_reply", "path": "/api/v3/order", "seconds": 60}
    )
    outcome: list[BaseException | object] = []

    def send() -> None:
        try:
            outcome.append(
                first.execute(plan_id="p1", step=order_step(), decision=dec("s1", "allow"))
            )
        except BaseException as exc:
            outcome.append(exc)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    wait_for(lambda: len(localnet_process.accepted()) == 1, 20, "the exchange to accept")
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)
    sender.join(timeout=20)
    assert not sender.is_alive()
    assert isinstance(outcome[0], ExecutionError)  # the connection died with the process
    first.close()
    assert first.process is not None
    first.process.wait(timeout=10)
    # the journal knows the order was on its way, not what became of it
    [row] = journal_rows(home)
    assert (row["client_order_id"], row["status"]) == ("so-p1:s1", "sending")

    second = start_executor("local", args=args)
    try:
        [row] = journal_rows(home)
        assert row["status"] == "filled"  # reconciled at start, by client order id
        assert row["state"]["filled"] == "0.01"
        again = second.execute(plan_id="p1", step=order_step(), decision=dec("s1", "allow"))
        assert again.already_sent
        assert len(localnet_process.accepted()) == 1
    finally:
        second.shutdown()


@pytest.mark.slow
def test_one_executor_per_home_and_the_paper_engine_behind_the_same_api() -> None:
    client = start_executor("paper", args=["--refresh", "3600"])
    try:
        with pytest.raises(ExecutionError) as err:
            start_executor("local", reuse=True)
        assert "already running" in err.value.message
        result = client.execute(
            plan_id="p1", step=order_step(quantity="0.1"), decision=dec("s1", "allow")
        )
        assert result.orders[0].status == "filled"
        account = client.account()
        assert account.venue == "paper"
        assert account.balances["BTC"].free == Decimal("0.5999")
        assert "BTC/USDT" in client.market_rules()
        assert client.quotes(["BTC/USDT"])["BTC/USDT"].last > 0
        assert [f.client_order_id for f in client.fills("BTC/USDT")] == ["so-p1:s1"]
    finally:
        client.shutdown()
    assert client.process is not None
    assert client.process.returncode == 0


@pytest.mark.slow
def test_no_secret_reaches_the_log_or_the_journal(
    executor: ExecutorClient, localnet_process: LocalnetProcess
) -> None:
    executor.execute(plan_id="p1", step=order_step(), decision=dec("s1", "allow"))
    with pytest.raises(ApprovalRefused):
        executor.execute(plan_id="p1", step=order_step("s2"), decision=dec("s2", "deny"))
    creds = json.loads((localnet_process.home / "localnet" / "credentials.json").read_text())
    key = (localnet_process.home / "executor" / "approval.key").read_text().strip()
    run = json.loads((localnet_process.home / "executor" / "run.json").read_text())
    log = (localnet_process.home / "executor" / "executor.log").read_text()
    journal = (localnet_process.home / "executor" / "journal.sqlite").read_bytes()
    for secret in (creds["api_key"], creds["secret"], key, run["secret"]):
        assert secret not in log
        assert secret.encode() not in journal


@pytest.mark.slow
def test_an_executor_enforcing_another_policy_is_replaced() -> None:
    first = start_executor("paper", args=["--refresh", "3600"])
    try:
        assert first.health().policy_hash == SHIPPED.hash
        same = start_executor("paper", policy_hash=SHIPPED.hash)
        assert same.pid == first.pid
        same.close()
        replaced = start_executor("paper", args=["--refresh", "3600"], policy_hash="0" * 64)
        try:
            assert replaced.pid != first.pid
            assert replaced.health().venue == "paper"
        finally:
            replaced.shutdown()
    finally:
        first.close()
        assert first.process is not None
        first.process.wait(timeout=10)
