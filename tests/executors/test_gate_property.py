"""Property: random plans × random policies × random client claims and signatures → the
orders the venue received are exactly those the policy and valid signatures allow.

Each example builds a fresh gate over the paper engine (on a fake clock) with a
random firm policy, then sends random steps with a random claimed decision, a
random requester signature and, for escalated steps, a random second signature.
Right before each request the executor is asked what it would decide now (its
own decision, which the gate must enforce); a step should reach the venue only
if the claim matches that decision, the decision is not deny, the requester's
signature is valid and, for escalate, a listed approver who is not the
requester signed it. The venue's own order list must equal that set: zero extra.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from executors.approvals import (
    ApprovalRefused,
    Gatekeeper,
    NonceStore,
    SignedApproval,
    SignedRequest,
)
from executors.catalog import MarketCatalog, load_demo_account
from executors.ids import client_order_id
from executors.journal import SqliteJournal
from executors.paper.engine import engine_from
from executors.paper.executor import PaperExecutor
from executors.service import ExecutionService, PolicySource
from executors.testing import START, order_step
from foundation.clock import FakeClock
from foundation.errors import ExchangeError
from foundation.identity import IdentityRegistry, SigningKey
from policy.decision import Verdict
from tests.executors.gatekit import ROLES, People, gate_policy, identities_text

KEYS = People({name: SigningKey.generate(name) for name in ROLES})
IMPOSTOR = SigningKey.generate("alice")
QUANTITIES = {
    "BTC/USDT": ("0.001", "0.02", "0.2", "1"),
    "ETH/USDT": ("0.01", "0.5", "5", "30"),
    "SOL/USDT": ("0.1", "10", "100", "900"),
}
VERDICTS: tuple[Verdict, ...] = ("allow", "confirm", "escalate", "deny")
SIGNATURES = (
    "valid",
    "valid",
    "valid",
    "none",
    "impostor",
    "approver_asks",
    "other_content",
    "expired",
)
SECONDS = ("none", "valid", "valid", "self", "unlisted", "typed", "trader")


@dataclass(frozen=True)
class PolicyCase:
    confirm: str
    escalate: str
    deny: str
    budget: str
    state: str


@dataclass(frozen=True)
class StepCase:
    symbol: str
    side: str
    size: int
    claim: Verdict | None  # None: the honest decision
    signature: str
    second: str
    requester: str


policies = st.builds(
    PolicyCase,
    confirm=st.sampled_from(["500", "1000", "5000"]),
    escalate=st.sampled_from(["5000", "20000"]),
    deny=st.sampled_from(["30000", "100000"]),
    budget=st.sampled_from(["2000", "50000", "1000000"]),
    state=st.sampled_from(["ACTIVE", "ACTIVE", "ACTIVE", "HALTED"]),
)
steps = st.builds(
    StepCase,
    symbol=st.sampled_from(sorted(QUANTITIES)),
    side=st.sampled_from(["buy", "sell"]),
    size=st.integers(0, 3),
    claim=st.one_of(st.none(), st.none(), st.sampled_from(VERDICTS)),
    signature=st.sampled_from(SIGNATURES),
    second=st.sampled_from(SECONDS),
    requester=st.sampled_from(["alice", "ann"]),
)


def policy_text(case: PolicyCase) -> str:
    text = gate_policy(budget=case.budget, trading_state=f'"{case.state}"')
    return (
        text.replace('limit = "1000"\n', f'limit = "{case.confirm}"\n', 1)
        .replace('limit = "10000"\n', f'limit = "{case.escalate}"\n', 1)
        .replace('limit = "50000"\n', f'limit = "{case.deny}"\n', 1)
    )


async def _scenario(catalog: MarketCatalog, policy: PolicyCase, cases: list[StepCase]) -> None:
    clock = FakeClock(START)
    engine = engine_from(catalog, load_demo_account(START))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.toml"
        path.write_text(policy_text(policy))
        registry = IdentityRegistry.from_bytes(identities_text(KEYS).encode(), source="ids")
        journal = SqliteJournal(f"{tmp}/journal.sqlite")
        keeper = Gatekeeper(registry, NonceStore(f"{tmp}/nonces.sqlite"))
        gate = ExecutionService(
            PaperExecutor(engine, clock),
            journal,
            keeper,
            clock=clock,
            policy=PolicySource.load(str(path)),
        )
        allowed: set[str] = set()
        try:
            for n, case in enumerate(cases):
                plan, sid = f"p{n}", "s1"
                step = order_step(
                    sid,
                    symbol=case.symbol,
                    side=case.side,
                    quantity=QUANTITIES[case.symbol][case.size],
                    reference_price=str(engine.quote(case.symbol).ask)
                    if case.side == "buy"
                    else str(engine.quote(case.symbol).bid),
                )
                [own] = await gate.preview(plan, (step,))
                claim = case.claim or own.decision
                shown = own.model_copy(update={"decision": claim})
                request = _request(case, gate, plan, step, shown)
                second = _second(case, gate, plan, step)
                signature_ok = case.signature == "valid"
                second_ok = case.second == "valid" or (
                    case.second == "self" and case.requester != "ann"
                )
                expected = (
                    signature_ok
                    and claim == own.decision
                    and (
                        own.decision in ("allow", "confirm")
                        or (own.decision == "escalate" and second_ok)
                    )
                )
                try:
                    result = await gate.execute(
                        plan_id=plan,
                        step=step,
                        decision=shown,
                        request=request,
                        approval=second,
                    )
                except ApprovalRefused:
                    assert not expected, f"{case} under {policy} was refused"
                except ExchangeError:
                    assert expected  # the venue saw it and said no (funds)
                    allowed.add(client_order_id(plan, sid))
                else:
                    if result.status == "waiting":
                        # a valid request for an escalated step with no second signature
                        assert case.second == "none"
                        assert own.decision == "escalate"
                        assert signature_ok
                        continue
                    assert expected, f"{case} under {policy} went through"
                    allowed.add(client_order_id(plan, sid))
            received = {o.client_order_id for o in engine.orders()}
            assert received <= allowed  # zero extra
            placed = {e.client_order_id for e in journal.entries()}
            assert placed == allowed
        finally:
            await gate.close()
            journal.close()
            keeper.close()


def _request(
    case: StepCase, gate: ExecutionService, plan: str, step: object, shown: object
) -> SignedRequest | None:
    from executors.approvals import sign_request

    if case.signature == "none":
        return None
    key = {
        "impostor": IMPOSTOR,
        "approver_asks": KEYS["risk-desk"],
    }.get(case.signature, KEYS[case.requester])
    signed_step = step
    if case.signature == "other_content":
        signed_step = step.model_copy(update={"quantity": step.quantity * 2})  # type: ignore[attr-defined]
    now = gate.clock.now()
    if case.signature == "expired":
        now -= timedelta(minutes=11)
    return sign_request(
        key,
        plan_id=plan,
        step=signed_step,  # type: ignore[arg-type]
        decision=shown,  # type: ignore[arg-type]
        now=now,
        validity=timedelta(minutes=10),
    )


def _second(
    case: StepCase, gate: ExecutionService, plan: str, step: object
) -> SignedApproval | None:
    from executors.approvals import sign_approval

    if case.second == "none":
        return None
    key = {
        "valid": KEYS["risk-desk"],
        "self": KEYS["ann"],
        "unlisted": KEYS["carol"],
        "typed": KEYS["alice"],
        "trader": KEYS["bob"],
    }[case.second]
    signed = sign_approval(
        key,
        plan_id=plan,
        step=step,  # type: ignore[arg-type]
        policy_hash=gate.policies.policy.hash,
        requester=case.requester,
        now=gate.clock.now(),
        validity=timedelta(minutes=10),
    )
    if case.second == "typed":  # alice's key, risk-desk's name typed in
        signed = signed.model_copy(
            update={"claims": signed.claims.model_copy(update={"approver": "risk-desk"})}
        )
    return signed


@settings(max_examples=100, deadline=None)
@given(policy=policies, cases=st.lists(steps, min_size=1, max_size=6))
def test_the_venue_receives_exactly_what_the_policy_and_valid_signatures_allow(
    catalog: MarketCatalog, policy: PolicyCase, cases: list[StepCase]
) -> None:
    asyncio.run(_scenario(catalog, policy, cases))
