"""A recorded history in a real SQLite ledger, written through the ledger's own API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from intent.market import AccountSnapshot, MarketData
from intent.plan import Plan
from intent.resolved import ResolvedStep
from ledger.service import Ledger
from policy.counters import Counters
from policy.engine import evaluate
from policy.model import Policy
from tests.policy.policy_helpers import NOW, REPO, account, flat_market, order

POLICY_TEXT = (REPO / "configs" / "policy.toml").read_text(encoding="utf-8")
QUERY_PLAN = Plan.model_validate({"steps": [{"action": "query", "what": "balance"}]})


@dataclass(frozen=True)
class Situation:
    trader: str
    steps: tuple[ResolvedStep, ...]
    account: AccountSnapshot
    market: MarketData
    counters: Counters
    now: datetime


def record(ledger: Ledger, policy: Policy, text: str, situations: Sequence[Situation]) -> None:
    """Record each situation as the session does: request, parse, resolution, decisions."""
    for situation in situations:
        request = ledger.record_request(text="(test)", actor=situation.trader, parser="test")
        plan = ledger.record_parse(request_id=request.id, result=QUERY_PLAN, actor="test")
        resolution = ledger.record_resolution(
            plan_id=plan.id,
            steps=situation.steps,
            snapshot=situation.account,
            market=situation.market,
            actor=situation.trader,
        )
        decisions = evaluate(
            situation.steps,
            policy=policy,
            account=situation.account,
            market=situation.market,
            counters=situation.counters,
            now=situation.now,
            plan_id=plan.id,
        )
        ledger.record_decisions(
            plan_id=plan.id,
            decisions=decisions,
            snapshot=situation.account,
            quotes=situation.market,
            counters=situation.counters.model_dump(mode="json"),
            actor=situation.trader,
            resolution_id=resolution.id,
            policy_text=text,
        )


def buys(values: Sequence[tuple[str, str]], *, day: int = 0) -> list[Situation]:
    """One plan per (trader, SOL quantity): a SOL/USDT market buy at 100 USDT."""
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000", "SOL": "10"})
    out = []
    for number, (trader, quantity) in enumerate(values):
        step = order("SOL/USDT", "buy", quantity, acct=acct, market=market)
        out.append(
            Situation(
                trader=trader,
                steps=(step,),
                account=acct,
                market=market,
                counters=Counters(assets_traded=frozenset({"SOL"})),
                now=NOW + timedelta(days=day, minutes=10 * number),
            )
        )
    return out
