"""Loading a policy file from its text: fail closed, and say exactly what is wrong.

``load_policy(text, source)`` returns a :class:`~policy.model.Policy` or raises
:class:`~foundation.errors.PolicyError` naming the file, the section or rule, and
the key. Nothing is filled in to make a broken file load: an unknown key, a
wrong type, a negative limit or a missing required setting stops it.

The content hash is the SHA-256 of the file's exact bytes. Callers that read a
file should hand its bytes to :func:`load_policy_bytes` so the hash is that of
the file on disk (line endings and all); :func:`load_policy` hashes the UTF-8
encoding of the text it is given.

The file (TOML; numbers may be bare or quoted, they are read as exact decimals)::

    [policy]
    id = "firm-default"          # required
    version = "2026.11.1"        # required
    owner = "compliance@firm"    # required
    currency = "USDT"            # required: the currency of every value limit
    default_decision = "allow"   # required: when no rule applies (and the floor for orders)
    trading_state = "ACTIVE"     # required: ACTIVE, REDUCING or HALTED

    [approvals]                  # required
    valid_for = "15m"
    max_price_drift_percent = "1"
    second_approvers = ["risk-desk"]
    type_to_confirm_above = "5000"  # optional (5000): above this value, type to confirm

    [[rule]]                     # any number
    id = "value-confirm"
    kind = "max_order_value"
    effect = "confirm"
    limit = "1000"
    [rule.scope]                 # optional: symbols, sides, order_types
    sides = ["buy"]
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from foundation.errors import ConfigError, PolicyError
from foundation.files import MAX_DEPTH, check_depth, check_toml_keys
from intent.plan import Asset, Frozen
from policy.decision import Verdict
from policy.index import rule_index
from policy.model import (
    RULE_KINDS,
    ApprovalSettings,
    Name,
    Policy,
    Rule,
    RuleId,
    TradingState,
)

__all__ = ["load_policy", "load_policy_bytes", "parse_toml", "sha256_hex"]

M = TypeVar("M", bound=BaseModel)

_TOP_KEYS = ("policy", "approvals", "rule")


class PolicySettings(Frozen):
    """The ``[policy]`` table."""

    id: RuleId
    version: Name
    owner: Name
    description: str | None = None
    currency: Asset
    default_decision: Verdict
    trading_state: TradingState


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"not UTF-8 text (byte {exc.start})",
            source=source,
            hint="save the file as UTF-8",
        ) from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML with floats read as exact decimals (``1000.50`` is ``Decimal('1000.50')``)."""
    try:
        check_toml_keys(text, source)
        doc = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", source=source) from None
    except RecursionError:
        raise PolicyError(f"nested more than {MAX_DEPTH} levels deep", source=source) from None
    except ConfigError as exc:  # check_toml_keys
        raise PolicyError(exc.message, hint=exc.hint) from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise PolicyError(f"not valid TOML: {exc}", source=source) from None
    try:
        check_depth(doc, source)
    except ConfigError as exc:
        raise PolicyError(exc.message, hint=exc.hint) from None
    return doc


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for index, part in enumerate(parts):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            # pydantic's marker for "the key of a table", after that key: name it as an entry
            head, _, name = out.rpartition(".")
            out = f"{head}' entry '{name}" if head else f"{out}"
        elif index:
            out += f".{part}"
        else:
            out = str(part)
    return out


def _known_keys(model: type[BaseModel], path: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``path`` inside ``model`` (following nested models)."""
    current: Any = model
    for part in path:
        field = current.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        current = annotation
    return sorted(k for k in current.model_fields if k != "kind")


_TAG = re.compile(
    r"^(?:[a-z-]+\[.*\]|decimal|str|int|float|bool|dict|list|tuple|none|_?[A-Z][a-z][A-Za-z0-9]*)$"
)
"""pydantic's names for the members of a union (``function-after[_non_negative(), ...]``,
``_BalanceEntry``, ``decimal``): its internals, never a key a person wrote."""


def _clean_loc(
    loc: tuple[int | str, ...], data: Any
) -> tuple[tuple[int | str, ...], tuple[int | str, ...] | None]:
    """(the keys a person wrote, the union the error came from or None).

    With the input ``data`` a part that is not a key (a tagged union's tag such as
    ``plan`` or ``order``) is dropped; without it, pydantic's type names are.
    """
    kept: list[int | str] = []
    union: tuple[int | str, ...] | None = None
    current: Any = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if data is not None:
            tag = isinstance(part, str) and _TAG.match(part) is not None
            if isinstance(current, dict) and (part in current or (last and not tag)):
                # a key of the input; the last part may be a missing or unknown key
                current = current.get(part)
                kept.append(part)
                continue
            if isinstance(current, list) and isinstance(part, int) and part < len(current):
                current = current[part]
                kept.append(part)
                continue
        if isinstance(part, str) and (_TAG.match(part) or data is not None):
            union = union if union is not None else loc[: index + 1]
            continue
        kept.append(part)
    return tuple(kept), union


def _readable(msg: str) -> str:
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = re.sub(r" or instance of _?[A-Z]\w*", "", msg)
    msg = re.sub(r"^(?:Tuple|List|Dictionary|Set|String|Value) should", "should", msg)
    msg = msg.replace(" after validation", "")
    return msg.replace("a valid dictionary", "a table")


def describe_validation(
    exc: ValidationError, model: type[BaseModel], data: Any = None
) -> tuple[str, str | None]:
    """A one-line message naming each bad key, and a hint; never pydantic's internals.

    ``data``, the input that failed, lets tagged unions' tags be told from keys.
    """
    messages: list[str] = []
    hint: str | None = None
    errors = exc.errors()
    # of a union's members, report the one that got furthest (the input's own shape)
    deepest: dict[tuple[int | str, ...], tuple[int, int | str | None]] = {}
    cleaned = []
    for error in errors:
        loc = tuple(error["loc"])
        keys, union = _clean_loc(loc, data)
        cleaned.append((error, loc, keys, union))
        if union is not None:
            member = loc[len(union) - 1]
            group = union[:-1]
            if group not in deepest or len(loc) > deepest[group][0]:
                deepest[group] = (len(loc), member)
    seen: set[str] = set()
    for error, loc, keys, union in cleaned:
        if union is not None and deepest.get(union[:-1], (0, None))[1] != loc[len(union) - 1]:
            continue
        key = _loc(keys)
        kind = error["type"]
        msg = _readable(str(error["msg"]))
        if kind == "extra_forbidden":
            known = _known_keys(model, tuple(loc[:-1]))
            mean = _did_you_mean(str(loc[-1]), known)
            text = f"unknown key '{key}'{mean}"
            if known:
                hint = f"known keys here: {', '.join(known)}"
        elif kind == "missing":
            text = f"missing required key '{key}'"
        elif key:
            if msg.startswith("Input should be"):
                msg = msg.replace("Input should be", "should be", 1)
                msg += f", got {_shown(error.get('input'))}"
            text = f"key '{key}': {msg}"
        else:
            text = msg
        if text not in seen:
            seen.add(text)
            messages.append(text)
    return "; ".join(messages), hint


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_table(
    model: type[M], data: Any, *, source: str, location: str, hint: str | None = None
) -> M:
    if not isinstance(data, dict):
        raise PolicyError(
            f"must be a table, got {type(data).__name__}", source=source, location=location
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, own_hint = describe_validation(exc, model)
        raise PolicyError(
            message, source=source, location=location, hint=own_hint or hint
        ) from None


def rule_location(raw: Any, number: int, what: str = "rule") -> str:
    rule_id = raw.get("id") if isinstance(raw, dict) else None
    return f"{what} '{rule_id}' (#{number})" if isinstance(rule_id, str) else f"{what} #{number}"


def load_rule(raw: Any, number: int, source: str) -> Rule:
    """Validate one ``[[rule]]`` table against its kind's model."""
    location = rule_location(raw, number)
    if not isinstance(raw, dict):
        raise PolicyError("each [[rule]] must be a table", source=source, location=location)
    kinds = sorted(RULE_KINDS)
    kind = raw.get("kind")
    if kind is None:
        raise PolicyError(
            "missing required key 'kind'",
            source=source,
            location=location,
            hint=f"kinds: {', '.join(kinds)}",
        )
    if not isinstance(kind, str) or kind not in RULE_KINDS:
        raise PolicyError(
            f"key 'kind': unknown rule kind {kind!r}{_did_you_mean(str(kind), kinds)}",
            source=source,
            location=location,
            hint=f"kinds: {', '.join(kinds)}",
        )
    model = RULE_KINDS[kind]
    rule = validate_table(model, raw, source=source, location=location)
    return rule  # type: ignore[return-value]


def check_unknown(
    doc: dict[str, Any], allowed: tuple[str, ...], source: str, what: str = "a policy file"
) -> None:
    for key in doc:
        if key not in allowed:
            raise PolicyError(
                f"unknown top-level key '{key}'{_did_you_mean(key, list(allowed))}",
                source=source,
                hint=f"{what} holds {', '.join(f'[{k}]' for k in allowed)}",
            )


def rule_tables(doc: dict[str, Any], source: str, key: str = "rule") -> list[Any]:
    raw = doc.get(key, [])
    if isinstance(raw, dict):
        raise PolicyError(f"'{key}' is a single table; write each one as [[{key}]]", source=source)
    if not isinstance(raw, list):
        raise PolicyError(f"'{key}' must be a list of [[{key}]] tables", source=source)
    return raw


def check_escalation(policy: Policy, source: str) -> None:
    if policy.escalates and not policy.approvals.second_approvers:
        escalating = [r.id for r in policy.rules if r.effect == "escalate"]
        what = f"rule(s) {', '.join(escalating)}" if escalating else "the default decision"
        raise PolicyError(
            f"{what} escalate, but no one may approve an escalation",
            source=source,
            location="[approvals]",
            hint="list at least one name in approvals.second_approvers",
        )


def load_policy_bytes(data: bytes, source: str) -> Policy:
    """Load a policy from a file's exact bytes; the hash is of those bytes."""
    text = decode(data, source)
    doc = parse_toml(text, source)
    check_unknown(doc, _TOP_KEYS, source)
    for section in ("policy", "approvals"):
        if section not in doc:
            raise PolicyError(
                f"missing required [{section}] table",
                source=source,
                hint="see configs/policy.toml for a complete example",
            )
    settings = validate_table(PolicySettings, doc["policy"], source=source, location="[policy]")
    approvals = validate_table(
        ApprovalSettings, doc["approvals"], source=source, location="[approvals]"
    )
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rule_tables(doc, source), 1):
        rule = load_rule(raw, number, source)
        if rule.id in seen:
            raise PolicyError(
                f"key 'id': '{rule.id}' is already the id of rule #{seen[rule.id]}",
                source=source,
                location=f"rule #{number}",
                hint="every rule needs its own id: decisions name rules by it",
            )
        seen[rule.id] = number
        rules.append(rule)
    policy = Policy(
        **settings.model_dump(),
        approvals=approvals,
        rules=tuple(rules),
        source=source,
        hash=sha256_hex(data),
    )
    check_escalation(policy, source)
    rule_index(policy)  # index the rules by symbol now, not on the first decision
    return policy


def load_policy(text: str, source: str) -> Policy:
    """Load a policy from its text; the hash is of the text's UTF-8 bytes."""
    return load_policy_bytes(text.encode("utf-8"), source)
