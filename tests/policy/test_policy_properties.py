"""Safety properties of the policy engine, on random policies, plans and histories.

- making any threshold stricter never turns a confirm, escalate or deny into a more
  permissive decision (and the personal-file check agrees that it is stricter);
- a deny rule that matches always wins;
- every decision other than allow lists at least one reason, and its reasons justify
  exactly that decision;
- every decision carries the policy's hash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from intent.market import AccountSnapshot, MarketData
from intent.plan import Schedule, Side, Trigger
from intent.resolved import ResolvedCancel, ResolvedQuery, ResolvedStep
from policy.counters import Counters, Execution, RecentOrder
from policy.decision import SEVERITY, Reason, StepDecision
from policy.loader import load_policy
from policy.model import Policy
from policy.personal import loosened
from tests.policy.policy_helpers import NOW, account, decide, header, order, quoted_market

PRICES = {"SOL/USDT": "100", "BTC/USDT": "1000", "ETH/USDT": "50", "DOGE/USDT": "1"}
SYMBOLS = sorted(PRICES)
EFFECTS = ("confirm", "escalate", "deny")
VERDICTS = ("allow", "confirm", "escalate", "deny")

# for each kind: its numeric parameters, which way is stricter, and their ranges
LOWER, HIGHER = "lower", "higher"
PARAMS: dict[str, dict[str, tuple[str, int, int]]] = {
    "max_order_value": {"limit": (LOWER, 0, 20000)},
    "max_order_quantity": {"limit": (LOWER, 0, 200)},
    "price_collar": {"max_deviation_percent": (LOWER, 0, 20)},
    "daily_notional": {"limit": (LOWER, 0, 50000)},
    "max_position": {"limit": (LOWER, 0, 50000)},
    "concentration": {"max_percent": (LOWER, 0, 100)},
    "sell_share": {"max_percent": (LOWER, 0, 100)},
    "plan_total": {"limit": (LOWER, 0, 50000)},
    "message_rate": {"max_messages": (LOWER, 1, 30), "window": (HIGHER, 1, 120)},
    "open_orders": {
        "max_per_symbol": (LOWER, 0, 6),
        "max_total": (LOWER, 0, 10),
        "max_conditional": (LOWER, 0, 4),
    },
    "duplicate": {"window": (HIGHER, 1, 120)},
    "trigger_band": {"max_distance_percent": (LOWER, 0, 60)},
    "schedule_limits": {"max_count": (LOWER, 1, 50), "max_horizon": (LOWER, 1, 120)},
    "execution_throttle": {"max_executions": (LOWER, 1, 10), "window": (HIGHER, 1, 120)},
    "loss_breaker": {"max_daily_loss": (LOWER, 0, 2000), "max_drawdown_percent": (LOWER, 0, 30)},
    "balance": {},
    "first_trade": {},
}
DURATIONS = {"window", "max_horizon"}
COUNTS = {"max_messages", "max_per_symbol", "max_total", "max_conditional", "max_count"}
COUNTS |= {"max_executions"}


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    effect: str
    params: tuple[tuple[str, int], ...]
    trips_to: str = "REDUCING"

    def toml(self, rule_id: str) -> str:
        lines = ["[[rule]]", f'id = "{rule_id}"', f'kind = "{self.kind}"']
        lines.append(f'effect = "{self.effect}"')
        for name, value in self.params:
            if name in DURATIONS:
                lines.append(
                    f'{name} = "{value}m"' if name == "max_horizon" else f'{name} = "{value}s"'
                )
            elif name in COUNTS:
                lines.append(f"{name} = {value}")
            else:
                lines.append(f'{name} = "{value}"')
        if self.kind == "loss_breaker":
            lines.append(f'trips_to = "{self.trips_to}"')
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PolicySpec:
    default: str
    rules: tuple[RuleSpec, ...]

    def load(self, extra: str = "") -> Policy:
        text = header(default=self.default) + "\n".join(
            r.toml(f"r{i}") for i, r in enumerate(self.rules)
        )
        return load_policy(text + extra, "generated.toml")


@st.composite
def rule_specs(draw: st.DrawFn) -> RuleSpec:
    kind = draw(st.sampled_from(sorted(PARAMS)))
    params = []
    for name, (_, low, high) in PARAMS[kind].items():
        params.append((name, draw(st.integers(low, high))))
    return RuleSpec(
        kind=kind,
        effect=draw(st.sampled_from(EFFECTS)),
        params=tuple(params),
        trips_to=draw(st.sampled_from(("REDUCING", "HALTED"))),
    )


policy_specs = st.builds(
    PolicySpec,
    default=st.sampled_from(("allow", "confirm", "escalate")),
    rules=st.lists(rule_specs(), min_size=0, max_size=6).map(tuple),
)


@dataclass(frozen=True)
class World:
    acct: AccountSnapshot
    steps: tuple[ResolvedStep, ...]
    counters: Counters
    plan_id: str | None
    market: MarketData


@st.composite
def markets(draw: st.DrawFn) -> MarketData:
    """Quotes as markets have them: a spread around the mid, the last trade off the mid
    (bid != ask != last, most of the time)."""
    quotes = {}
    for symbol, price in PRICES.items():
        mid = Decimal(price)
        half = mid * draw(st.integers(0, 200)) / 20000
        last = mid + mid * draw(st.integers(-150, 150)) / 10000
        quotes[symbol] = (str(mid - half), str(mid + half), str(last))
    return quoted_market(quotes)


@st.composite
def worlds(draw: st.DrawFn, *, first_is_order: bool = False) -> World:
    """A plan of one to five steps; ``first_is_order``: its first step is an order."""
    balances = {
        "USDT": str(draw(st.integers(0, 60000))),
        "SOL": str(draw(st.integers(0, 200))),
        "BTC": str(draw(st.integers(0, 20))),
    }
    acct = account(balances)
    market = draw(markets())
    steps: list[ResolvedStep] = []
    for index in range(draw(st.integers(1, 5))):
        sid = f"s{index + 1}"
        kind = draw(st.sampled_from(("order", "order", "order", "cancel", "query")))
        if first_is_order and index == 0:
            kind = "order"
        if kind == "cancel":
            steps.append(ResolvedCancel(step_id=sid, source_index=index))
            continue
        if kind == "query":
            steps.append(ResolvedQuery(step_id=sid, source_index=index, what="price"))
            continue
        symbol = draw(st.sampled_from(SYMBOLS))
        price = Decimal(PRICES[symbol])
        side: Side = draw(st.sampled_from(("buy", "sell")))
        quantity = Decimal(draw(st.integers(1, 400)))
        limit = None
        if draw(st.booleans()):
            limit = str(price * Decimal(draw(st.integers(80, 120))) / 100)
        trigger = None
        if draw(st.integers(0, 3)) == 0:
            level = price * Decimal(draw(st.integers(50, 150))) / 100
            trigger = Trigger(base=symbol.split("/")[0], below=level)
        schedule = None
        if draw(st.integers(0, 3)) == 0:
            schedule = Schedule(
                every=f"{draw(st.integers(1, 90))}m", count=draw(st.none() | st.integers(1, 60))
            )
        steps.append(
            order(
                symbol,
                side,
                quantity,
                acct=acct,
                market=market,
                limit=limit,
                trigger=trigger,
                schedule=schedule,
                sid=sid,
            )
        )
    recent = tuple(
        RecentOrder(
            symbol=draw(st.sampled_from(SYMBOLS)),
            side="buy",
            order_type="market",
            quantity=Decimal(draw(st.integers(1, 50))),
            notional=Decimal(draw(st.integers(0, 20000))),
            at=NOW - timedelta(seconds=draw(st.integers(0, 7200))),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    counters = Counters(
        orders=recent,
        messages=tuple(
            NOW - timedelta(seconds=draw(st.integers(0, 150)))
            for _ in range(draw(st.integers(0, 25)))
        ),
        executions=tuple(
            Execution(plan_id="p", at=NOW - timedelta(seconds=draw(st.integers(0, 150))))
            for _ in range(draw(st.integers(0, 8)))
        ),
        assets_traded=frozenset(draw(st.sets(st.sampled_from(("SOL", "BTC", "ETH", "DOGE"))))),
        realised_loss_today=Decimal(draw(st.integers(0, 2500))),
        drawdown_percent=Decimal(draw(st.integers(0, 40))),
    )
    return World(acct=acct, steps=tuple(steps), counters=counters, plan_id="p", market=market)


def run(policy: Policy, world: World) -> tuple[StepDecision, ...]:
    return decide(
        policy,
        world.steps,
        acct=world.acct,
        market=world.market,
        counters=world.counters,
        plan_id=world.plan_id,
    )


@st.composite
def tightened(draw: st.DrawFn, spec: PolicySpec) -> PolicySpec:
    """``spec`` with one thing made stricter: a threshold, an effect, the default, or a new rule."""
    choices = ["default", "add", "add"]
    if spec.rules:
        choices += ["threshold", "threshold", "effect"]
    what = draw(st.sampled_from(choices))
    if what == "default":
        higher = [v for v in VERDICTS if SEVERITY[v] >= SEVERITY[spec.default]]
        return replace(spec, default=draw(st.sampled_from(higher)))
    if what == "add":
        return replace(spec, rules=(*spec.rules, draw(rule_specs())))
    index = draw(st.integers(0, len(spec.rules) - 1))
    rule = spec.rules[index]
    if what == "effect" or not rule.params:
        stricter = [e for e in EFFECTS if SEVERITY[e] >= SEVERITY[rule.effect]]
        new_rule = replace(rule, effect=draw(st.sampled_from(stricter)))
        if rule.kind == "loss_breaker" and draw(st.booleans()):
            new_rule = replace(new_rule, trips_to="HALTED")
    else:
        position = draw(st.integers(0, len(rule.params) - 1))
        name, value = rule.params[position]
        direction, low, high = PARAMS[rule.kind][name]
        new = (
            draw(st.integers(low, value))
            if direction == LOWER
            else draw(st.integers(value, high * 2))
        )
        params = list(rule.params)
        params[position] = (name, new)
        new_rule = replace(rule, params=tuple(params))
    rules = list(spec.rules)
    rules[index] = new_rule
    return replace(spec, rules=tuple(rules))


@settings(max_examples=300)
@given(data=st.data(), spec=policy_specs, world=worlds())
def test_stricter_thresholds_never_give_a_more_permissive_decision(
    data: st.DataObject, spec: PolicySpec, world: World
) -> None:
    strict = data.draw(tightened(spec))
    loose_policy, strict_policy = spec.load(), strict.load()
    for before, after in zip(run(loose_policy, world), run(strict_policy, world), strict=True):
        assert SEVERITY[after.decision] >= SEVERITY[before.decision], (before, after)
    # the personal-file check calls the same change stricter (never looser)
    for old, new in zip(loose_policy.rules, strict_policy.rules, strict=False):
        assert loosened(old, new) == [], (old, new)


@settings(max_examples=60)
@given(spec=policy_specs, world=worlds(first_is_order=True), pick=st.integers(0, 10))
def test_a_matching_deny_rule_always_wins(spec: PolicySpec, world: World, pick: int) -> None:
    orders = [s for s in world.steps if s.kind == "order"]
    assert orders  # the strategy puts an order first: no example is skipped
    target = orders[pick % len(orders)]
    symbol = getattr(target, "symbol")  # noqa: B009 - ResolvedStep union, an order here
    extra = (
        '\n[[rule]]\nid = "blocked"\nkind = "denied_symbols"\neffect = "deny"\n'
        f'symbols = ["{symbol}"]\n'
    )
    decisions = {d.step_id: d for d in run(spec.load(extra), world)}
    decision = decisions[target.step_id]
    assert decision.decision == "deny"
    assert "blocked" in {r.rule for r in decision.reasons}


@settings(max_examples=80)
@given(spec=policy_specs, world=worlds())
def test_reasons_justify_every_decision_and_carry_the_hash(spec: PolicySpec, world: World) -> None:
    policy = spec.load()
    decisions = run(policy, world)
    assert [d.step_id for d in decisions] == [s.step_id for s in world.steps]
    for step, decision in zip(world.steps, decisions, strict=True):
        assert decision.policy.hash == policy.hash
        assert decision.policy.id == policy.id
        assert decision.policy.version == policy.version
        if decision.decision != "allow":
            assert decision.reasons, decision
        for reason in decision.reasons:
            # the engine builds reasons without re-validating them: they must still be valid
            assert Reason.model_validate(reason.model_dump()) == reason
            assert reason.message.startswith(f"{reason.code}: ")
        if decision.reasons:
            strongest = max(SEVERITY[r.effect] for r in decision.reasons)
            assert strongest == SEVERITY[decision.decision], decision
        if step.kind == "order" and decision.decision != policy.default_decision:
            assert decision.reasons
        if step.kind == "query":
            assert decision.decision == "allow"
