"""The engine's edges, each asserted by its decision and reason: cancels count one message
per market towards the rate, every rule in scope is checked (not only up to the first
that does not fire), the default decision's reason, an unresolved step's refusal, a
step the policy cannot value, and a plain evaluation that is not a firing. (Tests
written to kill the mutants that survived in policy/engine.py and policy/decision.py.)"""

from __future__ import annotations

from decimal import Decimal

from intent.market import OpenOrder
from intent.resolved import ResolvedCancel, Unresolved
from policy.counters import Counters
from policy.decision import strictest
from policy.engine import evaluate
from tests.policy.policy_helpers import NOW, account, decide, flat_market, order, policy_from

RATE = """
[[rule]]
id = "rate"
kind = "message_rate"
effect = "deny"
max_messages = 2
window = "1m"
"""

MARKET = flat_market({"SOL/USDT": "100", "ETH/USDT": "3000", "BTC/USDT": "60000"})


def _resting(order_id: str, symbol: str) -> OpenOrder:
    return OpenOrder(
        order_id=order_id,
        symbol=symbol,
        side="buy",
        order_type="limit",
        price=Decimal(1),
        quantity=Decimal(1),
    )


ACCT = account(
    {"USDT": "100000"},
    open_orders=[
        _resting("o1", "SOL/USDT"),
        _resting("o2", "ETH/USDT"),
        _resting("o3", "BTC/USDT"),
    ],
)


def _cancel(sid: str, *ids: str) -> ResolvedCancel:
    return ResolvedCancel(step_id=sid, source_index=0, order_ids=ids)


def test_a_cancel_counts_one_message_per_market_it_cancels_in() -> None:
    policy = policy_from(RATE)
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET, sid="s2")
    cancel, placed = decide(policy, [_cancel("s1", "o1", "o2"), buy], acct=ACCT, market=MARKET)
    assert cancel.decision == "allow"  # two markets: two messages of two
    assert placed.decision == "deny"
    (reason,) = placed.reasons
    assert (reason.code, reason.limit, reason.observed) == ("MESSAGE_RATE", "2 per 1m", "3 per 1m")


def test_cancels_one_by_one_add_up_and_a_single_cancel_is_one_message() -> None:
    policy = policy_from(RATE)
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET, sid="s3")
    first, second, placed = decide(
        policy, [_cancel("s1", "o1"), _cancel("s2", "o2"), buy], acct=ACCT, market=MARKET
    )
    assert (first.decision, second.decision) == ("allow", "allow")
    assert placed.decision == "deny"
    assert [r.observed for r in placed.reasons] == ["3 per 1m"]


def test_every_rule_in_scope_is_checked_after_one_that_does_not_fire() -> None:
    policy = policy_from(
        """
[[rule]]
id = "sells-only"
kind = "max_order_value"
effect = "deny"
limit = "1"
[rule.scope]
sides = ["sell"]

[[rule]]
id = "big"
kind = "max_order_value"
effect = "deny"
limit = "1000000"

[[rule]]
id = "small"
kind = "max_order_value"
effect = "confirm"
limit = "50"
"""
    )
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    (decision,) = decide(policy, [buy], acct=ACCT, market=MARKET)
    assert decision.decision == "confirm"
    assert [(r.rule, r.code) for r in decision.reasons] == [("small", "MAX_ORDER_VALUE")]


def test_the_default_decision_says_why_and_what_it_raised() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET)
    (bare,) = decide(policy_from(default="escalate"), [buy], acct=ACCT, market=MARKET)
    assert bare.decision == "escalate"
    (reason,) = bare.reasons
    assert reason.message == "DEFAULT_DECISION: no rule applies; the policy's default is escalate"
    assert (reason.effect, reason.limit, reason.observed) == ("escalate", "escalate", "allow")
    small = 'id = "small"\nkind = "max_order_value"\neffect = "confirm"\nlimit = "50"\n'
    policy = policy_from("[[rule]]\n" + small, default="escalate")
    (raised,) = decide(policy, [buy], acct=ACCT, market=MARKET)
    assert raised.decision == "escalate"
    default = raised.reasons[-1]
    assert default.message == (
        "DEFAULT_DECISION: rules that apply ask for less; the policy's default is escalate"
    )
    assert (default.limit, default.observed) == ("escalate", "confirm")


def test_an_unresolved_step_is_denied_with_its_own_code_and_reason() -> None:
    step = Unresolved(step_id="s1", source_index=0, code="NO_MARKET", reason="no market XYZ/USDT")
    (decision,) = decide(policy_from(), [step], acct=ACCT, market=MARKET)
    assert decision.decision == "deny"
    (reason,) = decision.reasons
    assert (reason.rule, reason.code, reason.effect) == ("builtin.resolution", "NO_MARKET", "deny")
    assert reason.message == "NO_MARKET: no market XYZ/USDT"


def test_an_order_the_policy_cannot_value_is_denied_saying_which_currency() -> None:
    planned = flat_market({"ETH/BTC": "0.05", "BTC/USDT": "60000"})
    acct = account({"BTC": "10"})
    buy = order("ETH/BTC", "buy", "1", acct=acct, market=planned)
    policy = policy_from(currency="EUR")
    (decision,) = decide(policy, [buy], acct=acct, market=planned)
    assert decision.decision == "deny"
    reasons = [r for r in decision.reasons if r.code == "NO_VALUATION"]
    assert [r.message for r in reasons] == [
        "NO_VALUATION: cannot value BTC in the policy currency EUR"
    ]


def test_a_plain_evaluation_values_an_order_as_planned_not_at_the_market_of_now() -> None:
    buy = order("SOL/USDT", "buy", "1", acct=ACCT, market=MARKET, limit="100")
    (decision,) = evaluate(
        [buy],
        policy=policy_from(),
        account=ACCT,
        market=flat_market({}),  # no quote now: only a firing would be refused for that
        counters=Counters(),
        now=NOW,
    )
    assert decision.decision == "allow"
    assert decision.reasons == ()


def test_strictest_ranks_deny_over_escalate_over_confirm_over_allow() -> None:
    assert strictest([]) == "allow"
    assert strictest(["allow", "confirm"]) == "confirm"
    assert strictest(("confirm", "escalate", "allow")) == "escalate"
    assert strictest(["deny", "confirm", "escalate"]) == "deny"
    assert strictest(["allow"]) == "allow"
