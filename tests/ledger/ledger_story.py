"""Drive a whole request through the Ledger, as the session service will: text to fills.

Used by the ledger tests to build a real ledger to read, tamper with and scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from foundation.clock import FakeClock
from intent.canonical import content_hash
from intent.market import AccountSnapshot, Balance, MarketData, Quote
from intent.plan import Amount, OrderStep, Plan, QueryStep
from intent.resolved import ResolvedOrder, ResolvedQuery
from ledger.service import Ledger
from policy.decision import PolicyStamp, Reason, StepDecision

POLICY_TEXT = """\
[policy]
id = "desk-default"
version = "7"

[limits]
max_order_value = "5000"
"""
POLICY = PolicyStamp(id="desk-default", version="7", hash=content_hash(POLICY_TEXT))
ORDER_STEP = OrderStep(side="buy", base="BTC", amount=Amount(unit="base", value=Decimal("0.1")))


@dataclass(frozen=True)
class Story:
    request_id: str
    plan_id: str
    resolution_id: str
    decision_id: str
    approval_id: str
    client_order_id: str
    seqs: dict[str, int]


def snapshot(clock: FakeClock) -> AccountSnapshot:
    return AccountSnapshot(
        account_id="paper-demo",
        venue="paper",
        balances={
            "USDT": Balance(asset="USDT", free=Decimal("25000")),
            "BTC": Balance(asset="BTC", free=Decimal("0.5")),
        },
        taken_at=clock.now(),
    )


def record_story(
    ledger: Ledger,
    clock: FakeClock,
    *,
    text: str = "buy 0.1 BTC and show my balance",
    actor: str = "alice",
    suffix: str = "",
) -> Story:
    """Record request, parse, resolution, policy, decisions, approval, order, fills."""
    seqs: dict[str, int] = {}
    request = ledger.record_request(text=text, actor=actor, parser="deterministic")
    seqs["request"] = request.audit.seq
    clock.advance(0.2)
    plan = Plan(steps=(ORDER_STEP, QueryStep(what="balance")))
    parsed = ledger.record_parse(request_id=request.id, result=plan, actor=actor)
    seqs["parse"] = parsed.audit.seq
    clock.advance(0.1)
    quote = Quote(
        symbol="BTC/USDT",
        bid=Decimal("67499.99"),
        ask=Decimal("67500.01"),
        last=Decimal("67500"),
        time=clock.now(),
    )
    order = ResolvedOrder(
        step_id="s1",
        source_index=0,
        symbol="BTC/USDT",
        base="BTC",
        quote="USDT",
        side="buy",
        order_type="market",
        quantity=Decimal("0.10000"),
        reference_price=Decimal("67500.01"),
        notional=Decimal("6750.001"),
        notional_reporting=Decimal("6750.001"),
    )
    query = ResolvedQuery(step_id="s2", source_index=1, what="balance")
    account = snapshot(clock)
    market = MarketData(quotes={"BTC/USDT": quote})
    resolved = ledger.record_resolution(
        plan_id=parsed.id, steps=[order, query], snapshot=account, market=market, actor="signoff"
    )
    seqs["resolution"] = resolved.audit.seq
    policy_record = ledger.record_policy_version(stamp=POLICY, text=POLICY_TEXT, actor="policy")
    if policy_record is not None:
        seqs["policy_version"] = policy_record.seq
    decisions = [
        StepDecision(
            step_id="s1",
            decision="confirm",
            reasons=(
                Reason(
                    rule="max-order-value",
                    code="MAX_ORDER_VALUE",
                    effect="confirm",
                    limit="5000 USDT",
                    observed="6750.001 USDT",
                    message="MAX_ORDER_VALUE: limit=5000 USDT, notional=6750.001 USDT",
                ),
            ),
            policy=POLICY,
            decided_at=clock.now(),
        ),
        StepDecision(step_id="s2", decision="allow", policy=POLICY, decided_at=clock.now()),
    ]
    decided = ledger.record_decisions(
        plan_id=parsed.id,
        resolution_id=resolved.id,
        decisions=decisions,
        snapshot=account,
        quotes=market.quotes,
        counters={"orders_today": 3, "notional_today": Decimal("1200.50")},
        actor="policy",
    )
    seqs["decision"] = decided[0].audit.seq
    clock.advance(4)
    approval = ledger.record_approval(
        plan_id=parsed.id,
        step_id="s1",
        approver=actor,
        role="confirm",
        content_hash=content_hash(order),
        policy_hash=POLICY.hash,
        expires_at=clock.now() + timedelta(minutes=2),
        decision_id=decided[0].id,
        nonce="n-1",
    )
    seqs["approval"] = approval.audit.seq
    client_order_id = f"so-{parsed.id[2:]}-s1{suffix}"
    intent = ledger.record_order_intent(
        plan_id=parsed.id,
        step_id="s1",
        client_order_id=client_order_id,
        venue="paper",
        symbol="BTC/USDT",
        side="buy",
        order_type="market",
        quantity=Decimal("0.10000"),
        approval_id=approval.id,
        decision_id=decided[0].id,
        account_id="paper-demo",
        actor="executor",
    )
    seqs["order_intent"] = intent.seq
    seqs["approval_use"] = ledger.record_approval_used(
        approval_id=approval.id, actor="executor", client_order_id=client_order_id
    ).seq
    clock.advance(0.05)
    seqs["sent"] = ledger.record_order_status(
        client_order_id=client_order_id,
        status="sent",
        exchange_order_id="PX-1001",
        actor="executor",
    ).seq
    first = ledger.record_fill(
        client_order_id=client_order_id,
        trade_id="T-1",
        quantity=Decimal("0.04"),
        price=Decimal("67500.01"),
        fee=Decimal("0.00004"),
        fee_asset="BTC",
        actor="executor",
    )
    second = ledger.record_fill(
        client_order_id=client_order_id,
        trade_id="T-2",
        quantity=Decimal("0.06"),
        price=Decimal("67500.02"),
        actor="executor",
    )
    assert first is not None
    assert second is not None
    seqs["fill"] = first.seq
    seqs["fill2"] = second.seq
    seqs["filled"] = ledger.record_order_status(
        client_order_id=client_order_id,
        status="filled",
        filled_quantity=Decimal("0.1"),
        average_price=Decimal("67500.016"),
        actor="executor",
    ).seq
    return Story(
        request_id=request.id,
        plan_id=parsed.id,
        resolution_id=resolved.id,
        decision_id=decided[0].id,
        approval_id=approval.id,
        client_order_id=client_order_id,
        seqs=seqs,
    )
