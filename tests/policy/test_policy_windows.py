"""Rules with different windows each count their own window (no window's count is reused
for another), an order sent at this very moment is inside every window, and a plan that
is not recorded has no earlier executions. (Tests written to kill the mutants that
survived in policy/context.py.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from policy.counters import Counters, Execution, RecentOrder
from tests.policy.policy_helpers import NOW, account, decide, flat_market, order, policy_from

MARKET = flat_market({"SOL/USDT": "100"})
ACCT = account({"USDT": "100000"})


def _duplicates(*windows: str) -> str:
    return "".join(
        f'[[rule]]\nid = "dup-{w}"\nkind = "duplicate"\neffect = "confirm"\nwindow = "{w}"\n'
        'match = ["symbol", "side", "quantity"]\n\n'
        for w in windows
    )


def _sent(minutes_ago: int) -> Counters:
    return Counters(
        orders=(
            RecentOrder(
                symbol="SOL/USDT",
                side="buy",
                order_type="market",
                quantity=Decimal(1),
                notional=Decimal(100),
                at=NOW - timedelta(minutes=minutes_ago),
            ),
        )
    )


def test_two_duplicate_windows_each_see_only_their_own_recent_orders() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    for windows in (("1m", "1h"), ("1h", "1m")):
        policy = policy_from(_duplicates(*windows))
        (decision,) = decide(policy, [buy], acct=ACCT, market=MARKET, counters=_sent(30))
        assert [r.rule for r in decision.reasons] == ["dup-1h"]
        assert decision.decision == "confirm"


def test_an_order_sent_at_this_very_moment_is_a_duplicate() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    policy = policy_from(_duplicates("1m"))
    (decision,) = decide(policy, [buy], acct=ACCT, market=MARKET, counters=_sent(0))
    assert decision.decision == "confirm"
    assert [r.code for r in decision.reasons] == ["DUPLICATE_ORDER"]


def _throttles(*windows: str) -> str:
    return "".join(
        f'[[rule]]\nid = "runs-{w}"\nkind = "execution_throttle"\neffect = "deny"\n'
        f'max_executions = 1\nwindow = "{w}"\n\n'
        for w in windows
    )


def test_two_throttle_windows_each_count_their_own_executions() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    counters = Counters(executions=(Execution(plan_id="p-1", at=NOW - timedelta(minutes=30)),))
    for windows in (("10m", "1h"), ("1h", "10m")):
        policy = policy_from(_throttles(*windows))
        (decision,) = decide(
            policy, [buy], acct=ACCT, market=MARKET, counters=counters, plan_id="p-1"
        )
        assert [r.rule for r in decision.reasons] == ["runs-1h"]
        assert decision.decision == "deny"


def test_a_plan_that_is_not_recorded_has_run_no_times_before() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    counters = Counters(executions=(Execution(plan_id="p-1", at=NOW - timedelta(minutes=5)),))
    (decision,) = decide(
        policy_from(_throttles("1h")), [buy], acct=ACCT, market=MARKET, counters=counters
    )
    assert decision.decision == "allow"
    assert decision.reasons == ()


def test_a_window_holds_what_happened_after_its_start_up_to_and_including_now() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    policy = policy_from(_throttles("1h") + _duplicates("1h"))
    verdicts = []
    for minutes_ago in (60, 0):
        at = NOW - timedelta(minutes=minutes_ago)
        counters = _sent(minutes_ago).model_copy(
            update={"executions": (Execution(plan_id="p-1", at=at),)}
        )
        (decision,) = decide(
            policy, [buy], acct=ACCT, market=MARKET, counters=counters, plan_id="p-1"
        )
        verdicts.append(sorted(r.code for r in decision.reasons))
    assert verdicts == [[], ["DUPLICATE_ORDER", "EXECUTION_THROTTLE"]]
