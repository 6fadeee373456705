"""Property: random steps × random decisions × random token tampering never leak an order.

For every generated plan the real gate, the real ccxt client and the local
exchange run over loopback; afterwards the orders the exchange actually
received are compared with the steps that were allowed or validly approved.
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from executors.approvals import ApprovalAuthority, ApprovalRefused, ApprovalSettings
from executors.catalog import MarketCatalog, load_demo_account
from executors.ccxt_exec import CcxtExecutor
from executors.ids import client_order_id
from executors.journal import SqliteJournal
from executors.localnet.server import Credentials, LocalExchange
from executors.paper.engine import engine_from
from executors.service import ExecutionService
from executors.testing import FAST_LOCAL, decision, keys_of, order_step
from foundation.clock import FakeClock, SystemClock
from foundation.errors import ExchangeError
from policy.decision import Verdict

TAMPERING = (
    "none",
    "valid",
    "expired",
    "altered",
    "foreign",
    "other_content",
    "other_plan",
    "other_decision",
    "drift",
    "replay",
)
QUANTITIES = {
    "BTC/USDT": ("0.001", "0.01", "1"),  # 1 BTC is more than the demo account can pay
    "ETH/USDT": ("0.01", "0.5", "30"),
    "SOL/USDT": ("0.1", "2", "900"),
}


@dataclass(frozen=True)
class StepCase:
    symbol: str
    side: str
    quantity: str
    verdict: Verdict
    tampering: str


step_cases = st.builds(
    StepCase,
    symbol=st.sampled_from(sorted(QUANTITIES)),
    side=st.sampled_from(["buy", "sell"]),
    quantity=st.integers(0, 2),  # index into QUANTITIES
    verdict=st.sampled_from(["allow", "confirm", "escalate", "deny"]),
    tampering=st.sampled_from(TAMPERING),
).map(
    lambda c: StepCase(
        c.symbol, c.side, QUANTITIES[c.symbol][int(c.quantity)], c.verdict, c.tampering
    )
)


def _alter(token: str) -> str:
    prefix, payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["approver"] = "mallory"
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return ".".join([prefix, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), sig])


async def _scenario(catalog: MarketCatalog, cases: list[StepCase]) -> None:
    clock = FakeClock(SystemClock().now())
    exchange = LocalExchange(
        engine=engine_from(catalog, load_demo_account(SystemClock().now())),
        credentials=Credentials.generate(),
        clock=SystemClock(),
    )
    await exchange.start()
    executor = CcxtExecutor(FAST_LOCAL, keys_of(exchange), clock=SystemClock(), url=exchange.url)
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal(f"{tmp}/journal.sqlite")
        authority = ApprovalAuthority.open(f"{tmp}/key")
        stranger = ApprovalAuthority.open(f"{tmp}/other-key")
        service = ExecutionService(
            executor,
            journal,
            authority,
            clock=clock,
            settings=ApprovalSettings(validity=timedelta(minutes=5), drift_limit_pct=Decimal(1)),
        )
        legit: set[str] = set()
        refused = 0
        used_tokens: list[str] = []
        try:
            await service.start()
            for n, case in enumerate(cases):
                sid = f"s{n}"
                step = order_step(sid, symbol=case.symbol, side=case.side, quantity=case.quantity)
                dec = decision(sid, case.verdict)
                gated = case.verdict in ("confirm", "escalate")
                issue_as: Verdict = case.verdict if gated else "confirm"
                token: str | None = None
                kind = case.tampering
                if kind != "none":
                    issuer = stranger if kind == "foreign" else authority
                    approved = step
                    if kind == "other_content":
                        approved = order_step(
                            sid, symbol=case.symbol, side=case.side, quantity="0.0001"
                        )
                    if kind == "other_decision":
                        issue_as = "escalate" if issue_as == "confirm" else "confirm"
                    token = issuer.issue(
                        plan_id="other" if kind == "other_plan" else "plan",
                        step=approved,
                        decision=decision(sid, issue_as),
                        requester="ann",
                        approver="bob",
                        now=clock.now(),
                        settings=service.settings,
                        price=exchange.engine.last(case.symbol),
                    )
                    if kind == "altered":
                        token = _alter(token)
                    if kind == "expired":
                        clock.advance(timedelta(minutes=6))
                    if kind == "drift":
                        exchange.engine.set_price(
                            case.symbol,
                            exchange.engine.last(case.symbol) * Decimal("1.03"),
                            SystemClock().now(),
                        )
                    if kind == "replay" and used_tokens:
                        token = used_tokens[-1]
                should_pass = case.verdict == "allow" or (
                    gated and (kind == "valid" or (kind == "replay" and not used_tokens))
                )
                try:
                    await service.execute(plan_id="plan", step=step, decision=dec, token=token)
                except ApprovalRefused:
                    assert not should_pass, f"{case} was refused"
                    refused += 1
                except ExchangeError:
                    pass  # funds or rules: the exchange saw it and said no
                else:
                    assert should_pass, f"{case} went through"
                if should_pass:
                    legit.add(client_order_id("plan", sid))
                if token is not None and gated and should_pass:
                    used_tokens.append(token)
            received = [r.params.get("newClientOrderId", "") for r in exchange.orders_received()]
            # nothing but allowed or validly approved steps reached the exchange ...
            assert set(received) <= legit
            # ... each of them exactly once, and every refusal is on record
            assert sorted(received) == sorted(legit)
            assert len(journal.refusals()) == refused
        finally:
            await service.close()
            await exchange.stop()
            journal.close()
            authority.close()
            stranger.close()


@settings(max_examples=30)
@given(cases=st.lists(step_cases, min_size=1, max_size=6))
def test_exchange_only_receives_allowed_or_validly_approved_steps(
    catalog: MarketCatalog, cases: list[StepCase]
) -> None:
    asyncio.run(_scenario(catalog, cases))
