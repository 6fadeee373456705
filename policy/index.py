"""Rules indexed by symbol, built once per policy, so evaluation cost stays flat with rule count.

A policy of 1,000 rules each scoped to one market should cost about what a 10-rule
policy costs for an order on one market: only the rules that can apply are looked
at. :func:`rule_index` builds (once per loaded policy) an index of every rule with
its check: rules without a symbol scope, rules scoped to exact symbols (a dict), and
rules scoped by wildcard patterns (one compiled regular expression each). The
rules that apply to a symbol are merged once per symbol, in the policy's order, and
remembered.

The caches are keyed by the identity of the policy's rule tuple (kept alive by the
cache), so a policy copied with other rules (a personal file on top) gets its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policy.checks import CHECKS, Check
from policy.model import MessageRate, Policy, Rule, SymbolMatcher

__all__ = ["IndexedRule", "RuleIndex", "rule_index"]

_MAX_CACHED = 4096


@dataclass(frozen=True, slots=True)
class IndexedRule:
    """A rule, its check, and the side and order-type filters of its scope (None: all)."""

    position: int
    rule: Rule
    check: Check
    sides: tuple[str, ...] | None
    order_types: tuple[str, ...] | None

    def applies(self, side: str, order_type: str) -> bool:
        if self.sides is not None and side not in self.sides:
            return False
        return self.order_types is None or order_type in self.order_types


class RuleIndex:
    """Every rule of a policy, indexed by the symbols its scope names."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self.message_rates: tuple[MessageRate, ...] = tuple(
            r for r in rules if isinstance(r, MessageRate)
        )
        self._anywhere: list[IndexedRule] = []
        self._exact: dict[str, list[IndexedRule]] = {}
        self._wild: list[tuple[IndexedRule, re.Pattern[str]]] = []
        for position, rule in enumerate(rules):
            scope = rule.scope
            entry = IndexedRule(
                position=position,
                rule=rule,
                check=CHECKS[type(rule)],
                sides=scope.sides,
                order_types=scope.order_types,
            )
            if scope.symbols is None:
                self._anywhere.append(entry)
                continue
            matcher = SymbolMatcher(scope.symbols)
            for symbol in matcher.exact:
                self._exact.setdefault(symbol, []).append(entry)
            if matcher.wild is not None:
                self._wild.append((entry, matcher.wild))
        self._by_symbol: dict[str, tuple[IndexedRule, ...]] = {}

    def for_symbol(self, symbol: str) -> tuple[IndexedRule, ...]:
        """The rules whose symbol scope covers ``symbol``, in the policy's order."""
        found = self._by_symbol.get(symbol)
        if found is not None:
            return found
        entries = {e.position: e for e in self._anywhere}
        for entry in self._exact.get(symbol, ()):
            entries[entry.position] = entry
        for entry, pattern in self._wild:
            if pattern.match(symbol) is not None:
                entries[entry.position] = entry
        merged = tuple(entries[p] for p in sorted(entries))
        if len(self._by_symbol) >= _MAX_CACHED:
            self._by_symbol.clear()
        self._by_symbol[symbol] = merged
        return merged


_INDEXES: dict[int, RuleIndex] = {}


def rule_index(policy: Policy) -> RuleIndex:
    """The policy's rule index, built on first use (the loader builds it at load time)."""
    rules = policy.rules
    found = _INDEXES.get(id(rules))
    if found is not None and found.rules is rules:
        return found
    if len(_INDEXES) >= 256:
        _INDEXES.clear()
    index = RuleIndex(rules)
    _INDEXES[id(rules)] = index
    return index
