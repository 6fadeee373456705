"""The executor process itself is the gate: it decides, checks signatures and records.

Real processes: ``signoff localnet`` (with its test hooks) and ``signoff
executor``; the tests talk to the executor directly over its unix socket, with
none of signoff's own checks in between, and count what the exchange received
and what the ledger says.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from executors.approvals import ApprovalRefused, sign_request
from executors.journal import SqliteJournal
from executors.process.client import ExecutorClient, start_executor
from executors.testing import (
    LocalnetProcess,
    journal_rows,
    order_step,
    signoff_command,
    wait_for,
)
from foundation.clock import SystemClock
from foundation.errors import ExecutionError, SandboxViolation
from foundation.identity import SigningKey, identities_path
from intent.market import MarketData
from intent.resolved import ResolvedOrder
from ledger.service import Ledger
from policy.decision import PolicyStamp, StepDecision
from policy.engine import evaluate
from policy.loader import load_policy_bytes
from tests.executors.gatekit import new_plan

ALICE = SigningKey.generate("alice")
DESK = SigningKey.generate("risk-desk")


@pytest.fixture
def people(signoff_home: Path) -> None:
    """The identities file the executor pins when it starts: alice trades, risk-desk approves."""
    signoff_home.mkdir(parents=True, exist_ok=True)
    Path(identities_path()).write_text(
        ALICE.identity_line(["trader"]) + DESK.identity_line(["approver"])
    )


@pytest.fixture
def executor(localnet_process: LocalnetProcess, people: None) -> Iterator[ExecutorClient]:
    client = start_executor(
        "local", args=["--url", localnet_process.url, "--refresh", "3600"], reuse=False
    )
    yield client
    client.shutdown()


@pytest.fixture
def ledger(signoff_home: Path) -> Iterator[Ledger]:
    opened = Ledger.open()
    yield opened
    opened.close()


def decide(client: ExecutorClient, plan_id: str, step: ResolvedOrder) -> StepDecision:
    """What an honest client decides, from the executor's policy, account, quotes, counters."""
    policy = load_policy_bytes(client.policy().text.encode(), "executor")
    rules = client.market_rules()
    [decision] = evaluate(
        (step,),
        policy=policy,
        account=client.account(),
        market=MarketData(rules=rules, quotes=client.quotes(sorted(rules))),
        counters=client.counters(),
        now=SystemClock().now(),
        plan_id=plan_id,
    )
    return decision


def run(
    client: ExecutorClient,
    plan_id: str,
    step: ResolvedOrder,
    decision: StepDecision | None = None,
    key: SigningKey | None = ALICE,
) -> Any:
    decision = decision or decide(client, plan_id, step)
    request = None
    if key is not None:
        request = sign_request(
            key,
            plan_id=plan_id,
            step=step,
            decision=decision,
            now=SystemClock().now(),
            validity=client_validity(client),
        )
    return client.execute(plan_id=plan_id, step=step, decision=decision, request=request)


def client_validity(client: ExecutorClient) -> Any:
    return load_policy_bytes(client.policy().text.encode(), "executor").approvals.valid_for


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


@pytest.mark.slow
def test_the_process_decides_itself_and_trusts_only_signatures(
    executor: ExecutorClient, localnet_process: LocalnetProcess, ledger: Ledger
) -> None:
    home = localnet_process.home
    plan = new_plan(ledger, "buy 0.2 BTC")
    big = order_step("s1", quantity="0.2")  # ≈13,500 USDT: the shipped policy escalates
    escalate = decide(executor, plan, big)
    assert escalate.decision == "escalate"
    forged = escalate.model_copy(update={"decision": "allow"})
    assert _refused(lambda: run(executor, plan, big, forged)) == "DECISION_MISMATCH"
    assert _refused(lambda: run(executor, plan, big, key=None)) == "NO_SIGNATURE"
    assert _refused(lambda: run(executor, plan, big, key=SigningKey.generate("alice"))) == (
        "BAD_SIGNATURE"
    )
    assert _refused(lambda: run(executor, "p-made-up", order_step())) == "UNKNOWN_PLAN"
    lax = escalate.model_copy(
        update={"policy": PolicyStamp(id="lax", version="1", hash="0" * 64), "decision": "allow"}
    )
    assert _refused(lambda: run(executor, plan, big, lax)) == "POLICY_MISMATCH"
    assert localnet_process.orders_received() == []
    # the escalated step, validly asked for, waits: nothing is sent
    waiting = run(executor, plan, big)
    assert waiting.status == "waiting"
    assert [(v.plan_id, v.step_id) for v in executor.waiting()] == [(plan, "s1")]
    assert localnet_process.orders_received() == []
    # an allowed step, validly signed, runs once
    small = order_step("s2")
    request = sign_request(
        ALICE,
        plan_id=plan,
        step=small,
        decision=decide(executor, plan, small),
        now=SystemClock().now(),
        validity=client_validity(executor),
    )
    done = executor.execute(
        plan_id=plan, step=small, decision=request_decision(executor, plan, small), request=request
    )
    assert done.orders[0].status == "filled"
    assert len(localnet_process.accepted()) == 1
    assert sorted(_refusals(home)) == sorted(
        ["DECISION_MISMATCH", "NO_SIGNATURE", "BAD_SIGNATURE", "UNKNOWN_PLAN", "POLICY_MISMATCH"]
    )
    # the executor recorded its refusals, its decisions and the order in the ledger,
    # with the uid of the process on the other end of the socket
    story = ledger.plan_story(plan)
    assert story is not None
    view = ledger.order(done.orders[0].client_order_id)
    assert view is not None
    assert view.status == "filled"
    actors = {r.actor for r in ledger.recent(50)}
    assert any(f"uid {os.getuid()}" in a for a in actors)
    # no key in the executor's directory can stand in for a person
    assert not (home / "executor" / "approval.key").exists()


def request_decision(client: ExecutorClient, plan: str, step: ResolvedOrder) -> StepDecision:
    return decide(client, plan, step)


@pytest.mark.slow
def test_raw_requests_need_the_run_secret_and_a_signature(
    executor: ExecutorClient, localnet_process: LocalnetProcess, ledger: Ledger
) -> None:
    home = localnet_process.home
    run_file = json.loads((home / "executor" / "run.json").read_text())
    plan = new_plan(ledger)
    step = order_step()
    body = {
        "plan_id": plan,
        "step": json.loads(step.model_dump_json()),
        "decision": json.loads(decide(executor, plan, step).model_dump_json()),
    }
    transport = httpx.HTTPTransport(uds=run_file["socket"])
    with httpx.Client(transport=transport, base_url="http://executor", timeout=10) as http:
        anonymous = http.post("/v1/execute", json=body)
        assert anonymous.status_code == 401
        wrong = http.post("/v1/execute", json=body, headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        auth = {"Authorization": f"Bearer {run_file['secret']}"}
        # the run secret alone executes nothing
        unsigned = http.post("/v1/execute", json=body, headers=auth)
        assert unsigned.status_code == 403
        assert unsigned.json()["error"]["code"] == "NO_SIGNATURE"
        junk = http.post("/v1/execute", content=b"{not json", headers=auth)
        assert junk.status_code == 400
    assert localnet_process.orders_received() == []
    for path in (home / "executor" / "run.json", Path(run_file["socket"])):
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
def test_killed_between_send_and_reply_then_the_ledger_agrees_with_the_venue(
    localnet_process: LocalnetProcess, people: None, ledger: Ledger
) -> None:
    home = localnet_process.home
    args = ["--url", localnet_process.url, "--refresh", "3600"]
    first = start_executor("local", args=args, reuse=False)
    plan = new_plan(ledger)
    step = order_step()
    decision = decide(first, plan, step)
    # the exchange takes the order, then holds the reply back
    localnet_process.hook(
        "POST", "faults", {"kind": "delay_reply", "path": "/api/v3/order", "seconds": 60}
    )
    outcome: list[BaseException | object] = []

    def send() -> None:
        try:
            outcome.append(run(first, plan, step, decision))
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
    [row] = journal_rows(home)
    assert row["status"] == "sending"
    view = ledger.order(row["client_order_id"])
    assert view is not None
    assert view.status == "intent"  # recorded before it was sent; never "rejected"

    second = start_executor("local", args=args)
    try:
        [row] = journal_rows(home)
        assert row["status"] == "filled"  # reconciled at start, by client order id
        view = ledger.order(row["client_order_id"])
        assert view is not None
        assert view.status == "filled"  # and written into the ledger: the two agree
        assert view.filled_quantity == order_step().quantity
        again = run(second, plan, step, decision)
        assert again.already_sent
        assert len(localnet_process.accepted()) == 1
    finally:
        second.shutdown()


@pytest.mark.slow
def test_one_executor_per_venue_side_by_side_and_cold_starts_share_it(
    people: None, ledger: Ledger
) -> None:
    started: list[ExecutorClient] = []
    failures: list[BaseException] = []

    def cold_start() -> None:
        try:
            started.append(start_executor("paper", args=["--refresh", "3600"]))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=cold_start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    owner = next(c for c in started if c.process is not None)
    local = None
    try:
        assert failures == []
        assert len(started) == 8
        assert {c.health().pid for c in started} == {owner.pid}
        local = start_executor("local", args=["--refresh", "3600"])
        assert local.health().venue == "local"
        assert owner.health().venue == "paper"
        plan = new_plan(ledger, "buy 0.1 BTC")
        result = run(owner, plan, order_step(quantity="0.01"))
        assert result.orders[0].status == "filled"
        assert owner.account().venue == "paper"
        assert [f.client_order_id for f in owner.fills("BTC/USDT")] == [
            result.orders[0].client_order_id
        ]
    finally:
        if local is not None:
            local.shutdown()
        for client in started:
            if client is not owner:
                client.close()
        owner.shutdown()
    assert owner.process is not None
    assert owner.process.returncode == 0


@pytest.mark.slow
def test_no_secret_reaches_the_log_or_the_journal(
    executor: ExecutorClient, localnet_process: LocalnetProcess, ledger: Ledger
) -> None:
    plan = new_plan(ledger)
    run(executor, plan, order_step())
    with pytest.raises(ApprovalRefused):
        run(executor, plan, order_step("s2"), key=None)
    creds = json.loads((localnet_process.home / "localnet" / "credentials.json").read_text())
    run_file = json.loads((localnet_process.home / "executor" / "run.json").read_text())
    log = (localnet_process.home / "executor" / "executor.log").read_text()
    journal = (localnet_process.home / "executor" / "journal.sqlite").read_bytes()
    for secret in (creds["api_key"], creds["secret"], run_file["secret"]):
        assert secret not in log
        assert secret.encode() not in journal


@pytest.mark.slow
def test_a_running_executor_is_never_replaced(people: None) -> None:
    first = start_executor("paper", args=["--refresh", "3600"])
    try:
        same = start_executor("paper", args=["--policy", "/nonexistent.toml"])
        assert same.pid == first.pid
        same.close()
    finally:
        first.shutdown()
