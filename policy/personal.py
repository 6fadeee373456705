"""A trader's personal file: stricter thresholds on top of the firm's policy, never looser.

``apply_personal(text, source, firm)`` returns the firm's policy with the personal
file applied, or raises :class:`~foundation.errors.PolicyError`. The result keeps the
firm's id, version and hash, and adds the personal file's hash to every stamp.

The file (TOML)::

    [personal]
    owner = "ana"                  # required
    default_decision = "confirm"   # optional: only stricter than the firm's
    trading_state = "REDUCING"     # optional: only stricter than the firm's

    [approvals]                    # optional: shorter validity, smaller drift, fewer approvers,
    valid_for = "5m"               # a lower size above which confirming means typing
    type_to_confirm_above = "1000"

    [[override]]                   # tighten a firm rule, named by its id
    rule = "value-confirm"
    limit = "500"                  # any of the rule's parameters
    effect = "escalate"            # only a stricter effect

    [[rule]]                       # rules of your own, same format as the firm's
    id = "no-doge"
    kind = "denied_symbols"
    effect = "deny"
    assets = ["DOGE"]

An override may not change a rule's ``id``, ``kind`` or ``scope`` (a narrower scope
would loosen it; add a rule of your own for a wider one). Every threshold of the
overridden rule is compared with the firm's, key by key: any value that would let
through something the firm's rule would not is refused, naming the rule and key.
Rules of your own only ever add reasons, so they cannot loosen anything.
"""

from __future__ import annotations

from typing import Any

from foundation.display import number as show_number
from foundation.errors import PolicyError
from intent.plan import Frozen
from policy.decision import SEVERITY, Verdict
from policy.index import rule_index
from policy.loader import (
    check_escalation,
    check_unknown,
    decode,
    load_rule,
    parse_toml,
    rule_location,
    rule_tables,
    sha256_hex,
    validate_table,
)
from policy.model import (
    STATE_SEVERITY,
    ApprovalSettings,
    Name,
    PersonalInfo,
    Policy,
    Rule,
    RuleBase,
    Threshold,
    TradingState,
    format_duration,
)

__all__ = ["apply_personal", "apply_personal_bytes", "loosened"]

_TOP_KEYS = ("personal", "approvals", "override", "rule")
_FIXED = ("id", "kind", "scope")
_STRICTER = "a personal file may only make the firm's policy stricter"


class PersonalSettings(Frozen):
    owner: Name
    description: str | None = None
    default_decision: Verdict | None = None
    trading_state: TradingState | None = None


def _show(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]" if value else "[]"
    if hasattr(value, "total_seconds"):
        return format_duration(value)  # type: ignore[arg-type]
    return str(value)


def loosened(firm: RuleBase, mine: RuleBase) -> list[str]:
    """Each threshold or setting where ``mine`` lets through more than ``firm``."""
    problems = []
    if SEVERITY[mine.effect] < SEVERITY[firm.effect]:
        problems.append(f"'effect' from {firm.effect} to {mine.effect}")
    keys = firm.map_keys() | mine.map_keys()
    theirs: dict[str, Threshold] = firm.thresholds(keys)
    ours = mine.thresholds(keys)
    for name in sorted(theirs):
        if ours[name].looser_than(theirs[name]):
            problems.append(
                f"'{name}' from {_show(theirs[name].value)} to {_show(ours[name].value)}"
            )
    return problems


def _merge(firm: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(firm)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}  # tighten one symbol, keep the others
        else:
            merged[key] = value
    return merged


def _override(raw: Any, number: int, firm: Policy, source: str) -> Rule:
    location = f"override #{number}"
    if not isinstance(raw, dict):
        raise PolicyError("each [[override]] must be a table", source=source, location=location)
    target = raw.get("rule")
    if not isinstance(target, str):
        raise PolicyError(
            "missing required key 'rule': the id of the firm rule to tighten",
            source=source,
            location=location,
        )
    location = f"override of rule '{target}' (#{number})"
    rule = firm.rule(target)
    if rule is None:
        raise PolicyError(
            f"the firm's policy has no rule '{target}'",
            source=source,
            location=location,
            hint=f"firm rules: {', '.join(r.id for r in firm.rules)}",
        )
    changes = {k: v for k, v in raw.items() if k != "rule"}
    for key in _FIXED:
        if key in changes:
            raise PolicyError(
                f"key '{key}' of a firm rule cannot be changed",
                source=source,
                location=location,
                hint="add a [[rule]] of your own instead",
            )
    merged = _merge(rule.model_dump(exclude_none=True), changes)
    mine: Rule = validate_table(type(rule), merged, source=source, location=location)
    problems = loosened(rule, mine)
    if problems:
        raise PolicyError(
            f"loosens the firm's rule '{rule.id}': {'; '.join(problems)}",
            source=source,
            location=location,
            hint=_STRICTER,
        )
    return mine


def _approvals(raw: Any, firm: ApprovalSettings, source: str) -> ApprovalSettings:
    location = "[approvals]"
    if not isinstance(raw, dict):
        raise PolicyError("must be a table", source=source, location=location)
    mine = validate_table(
        ApprovalSettings, {**firm.model_dump(), **raw}, source=source, location=location
    )
    problems = []
    if mine.valid_for > firm.valid_for:
        problems.append(
            f"'valid_for' from {format_duration(firm.valid_for)} "
            f"to {format_duration(mine.valid_for)}"
        )
    if mine.max_price_drift_percent > firm.max_price_drift_percent:
        problems.append(
            f"'max_price_drift_percent' from {show_number(firm.max_price_drift_percent)} "
            f"to {show_number(mine.max_price_drift_percent)}"
        )
    if mine.type_to_confirm_above > firm.type_to_confirm_above:
        problems.append(
            f"'type_to_confirm_above' from {show_number(firm.type_to_confirm_above)} "
            f"to {show_number(mine.type_to_confirm_above)}"
        )
    extra = set(mine.second_approvers) - set(firm.second_approvers)
    if extra:
        problems.append(f"'second_approvers' adds {', '.join(sorted(extra))}")
    if problems:
        raise PolicyError(
            f"loosens the firm's approval settings: {'; '.join(problems)}",
            source=source,
            location=location,
            hint=_STRICTER,
        )
    return mine


def apply_personal_bytes(data: bytes, source: str, firm: Policy) -> Policy:
    """Apply a personal file (its exact bytes) on top of ``firm``."""
    doc = parse_toml(decode(data, source), source)
    check_unknown(doc, _TOP_KEYS, source, what="a personal file")
    if "personal" not in doc:
        raise PolicyError(
            "missing required [personal] table (with at least 'owner')", source=source
        )
    settings = validate_table(
        PersonalSettings, doc["personal"], source=source, location="[personal]"
    )
    default = firm.default_decision
    if settings.default_decision is not None:
        if SEVERITY[settings.default_decision] < SEVERITY[default]:
            raise PolicyError(
                f"'default_decision' {settings.default_decision} is looser than "
                f"the firm's {default}",
                source=source,
                location="[personal]",
                hint=_STRICTER,
            )
        default = settings.default_decision
    state = firm.trading_state
    if settings.trading_state is not None:
        if STATE_SEVERITY[settings.trading_state] < STATE_SEVERITY[state]:
            raise PolicyError(
                f"'trading_state' {settings.trading_state} is looser than the firm's {state}",
                source=source,
                location="[personal]",
                hint=_STRICTER,
            )
        state = settings.trading_state
    approvals = firm.approvals
    if "approvals" in doc:
        approvals = _approvals(doc["approvals"], firm.approvals, source)

    rules: list[Rule] = list(firm.rules)
    index = {rule.id: i for i, rule in enumerate(rules)}
    overridden: set[str] = set()
    for number, raw in enumerate(rule_tables(doc, source, "override"), 1):
        mine = _override(raw, number, firm, source)
        if mine.id in overridden:
            raise PolicyError(
                f"rule '{mine.id}' is overridden twice",
                source=source,
                location=f"override #{number}",
                hint="put every change to one rule in one [[override]]",
            )
        overridden.add(mine.id)
        rules[index[mine.id]] = mine
    for number, raw in enumerate(rule_tables(doc, source), 1):
        rule = load_rule(raw, number, source)
        if rule.id in index:
            owner = "the firm's policy" if firm.rule(rule.id) is not None else "this file"
            raise PolicyError(
                f"key 'id': '{rule.id}' is already the id of a rule in {owner}",
                source=source,
                location=rule_location(raw, number),
                hint="give your own rule an id of its own; to tighten a firm rule use [[override]]",
            )
        index[rule.id] = len(rules)
        rules.append(rule)

    policy = firm.model_copy(
        update={
            "default_decision": default,
            "trading_state": state,
            "approvals": approvals,
            "rules": tuple(rules),
            "personal": PersonalInfo(owner=settings.owner, source=source, hash=sha256_hex(data)),
        }
    )
    check_escalation(policy, source)
    rule_index(policy)  # index the rules by symbol now, not on the first decision
    return policy


def apply_personal(text: str, source: str, firm: Policy) -> Policy:
    """Apply a personal file (its text) on top of ``firm``."""
    return apply_personal_bytes(text.encode("utf-8"), source, firm)
