"""Reading the files that describe a situation: account, quotes, history, policy scenarios.

The formats below are documented for users in ``docs/scenarios.md``; keep both in step.

This is wiring: it reads files and hands typed values to the domain. Files are TOML,
or JSON when the name ends in ``.json`` (same structure). Numbers may be bare or
quoted; they are read as exact decimals, never as floats. Errors name the file, the
entry and the key.

**Account file** (``--account``; ``configs/demo-account.toml`` is one)::

    account_id = "my-account"          # optional (default "account")
    venue = "paper"                     # optional
    reporting_currency = "USDT"         # optional (default USDT)
    [balances]
    USDT = "25000"                      # free amount, or
    BTC = { free = "0.5", locked = "0.1" }
    [[open_orders]]                     # optional
    order_id = "o-1"
    symbol = "BTC/USDT"
    side = "buy"
    order_type = "limit"
    price = "60000"
    quantity = "0.1"
    conditional = false

**Quotes file** (``--quotes``): a table per market. Market rules always come from
the market catalogue (``configs/markets.toml``); markets not listed keep their
simulated start price::

    ["BTC/USDT"]
    price = "67000"                     # bid and ask from the market's simulated spread, or
    ["ETH/USDT"]
    bid = "3149.5"
    ask = "3150.5"
    last = "3150"

**History** (``[counters]`` in a scenario): every time may be a TOML datetime or a
duration before ``now`` such as ``"30s"``::

    [counters]
    trading_state = "ACTIVE"
    assets_traded = ["BTC"]
    realised_loss_today = "0"
    drawdown_percent = "0"
    tripped_throttles = []
    messages = ["10s", "20s"]
    [[counters.orders]]
    symbol = "BTC/USDT"
    side = "buy"
    order_type = "market"
    quantity = "0.01"
    notional = "675"
    at = "30s"
    [[counters.executions]]
    plan_id = "p-1"
    at = "5m"
    [[counters.pending]]
    symbol = "BTC/USDT"
    conditional = false

**Scenario file** (``signoff policy test DIR`` runs every ``*.toml`` in DIR)::

    name = "a 1,500 USDT buy needs confirmation"
    now = 2026-01-05T09:30:00Z          # optional (default: 2026-01-05T09:30:00Z)
    policy = "policies/strict.toml"     # optional, relative to this file (default: the
                                        # policy given to the command)
    personal = "personal/ana.toml"      # optional personal file, relative to this file
    plan_id = "p-1"                     # optional, for the execution throttle
    firing = false                      # optional: re-check of a conditional order firing
    request = "buy $1500 of BTC"        # the text, or [[steps]] (intent steps),
                                        # or [[orders]] (exact orders, not rounded)
    [account]                           # optional: default the demo account
    [quotes]                            # optional: overrides of the simulated quotes
    [counters]                          # optional: history
    [[expect]]
    step = "s1"
    decision = "confirm"
    rules = ["value-confirm"]           # optional: exact set of rule ids
    codes = ["MAX_ORDER_VALUE"]         # optional: codes that must appear
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from executors.catalog import MarketCatalog
from foundation.errors import ConfigError
from foundation.files import decode, parse_json, parse_toml, read_bytes
from intent.market import AccountSnapshot, Balance, MarketData, OpenOrder, Quote
from intent.plan import Frozen, Plan, Schedule, Side, Trigger
from intent.resolve import order_as_given
from intent.resolved import ResolvedStep
from policy.counters import Counters
from policy.loader import describe_validation
from policy.model import Amount, parse_duration
from policy.scenarios import Expectation, Scenario

DEFAULT_NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)

__all__ = [
    "DEFAULT_NOW",
    "ScenarioFile",
    "load_scenarios",
    "parse_account",
    "parse_counters",
    "parse_quotes",
    "read_bytes",
    "read_document",
]


def read_document(path: str) -> dict[str, Any]:
    """A TOML file (or JSON, by its extension) as a dict; numbers as exact decimals.

    Read through :mod:`foundation.files`: a regular file of bounded size and depth.
    """
    text = decode(read_bytes(path), path)
    doc = parse_json(text, path) if path.endswith(".json") else parse_toml(text, path)
    if not isinstance(doc, dict):
        raise ConfigError("must hold a table (a JSON object) at the top", source=path)
    return doc


def _validate(model: type[Any], data: Any, *, source: str, location: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(
            f"must be a table, got {type(data).__name__}", source=source, location=location
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, hint = describe_validation(exc, model, data)
        raise ConfigError(message, source=source, location=location, hint=hint) from None


# --- account --------------------------------------------------------------------------


class _BalanceEntry(Frozen):
    free: Amount
    locked: Amount = Decimal(0)


class _AccountFile(Frozen):
    account_id: str = "account"
    venue: str = "paper"
    reporting_currency: str = "USDT"
    balances: dict[str, Amount | _BalanceEntry]
    open_orders: tuple[OpenOrder, ...] = ()


def parse_account(
    data: dict[str, Any], *, source: str, now: datetime, location: str = ""
) -> AccountSnapshot:
    raw: _AccountFile = _validate(_AccountFile, data, source=source, location=location)
    try:
        balances = {}
        for asset, entry in raw.balances.items():
            if isinstance(entry, _BalanceEntry):
                balances[asset] = Balance(asset=asset, free=entry.free, locked=entry.locked)
            else:
                balances[asset] = Balance(asset=asset, free=entry)
        return AccountSnapshot(
            account_id=raw.account_id,
            venue=raw.venue,
            balances=balances,
            open_orders=raw.open_orders,
            reporting_currency=raw.reporting_currency,
            taken_at=now,
        )
    except ValidationError as exc:
        message, hint = describe_validation(exc, AccountSnapshot)
        raise ConfigError(message, source=source, location=location, hint=hint) from None


# --- quotes ---------------------------------------------------------------------------


class _QuoteEntry(Frozen):
    price: Amount | None = None
    bid: Amount | None = None
    ask: Amount | None = None
    last: Amount | None = None
    time: datetime | None = None


def parse_quotes(
    data: dict[str, Any],
    *,
    source: str,
    now: datetime,
    catalog: MarketCatalog,
    location: str = "",
) -> MarketData:
    """The catalogue's rules with its start quotes, replaced by the quotes given."""
    market = catalog.start_market_data(now)
    quotes = dict(market.quotes)
    for symbol, entry in data.items():
        where = f"{location}.{symbol}" if location else symbol
        spec = catalog.specs.get(symbol)
        if spec is None:
            raise ConfigError(
                f"unknown market '{symbol}'",
                source=source,
                location=where,
                hint=f"markets in {catalog.source}: {', '.join(sorted(catalog.specs))}",
            )
        raw: _QuoteEntry = _validate(_QuoteEntry, entry, source=source, location=where)
        when = raw.time or now
        try:
            if raw.price is not None:
                if raw.bid is not None or raw.ask is not None or raw.last is not None:
                    raise ConfigError(
                        "give either 'price' or 'bid', 'ask' and 'last', not both",
                        source=source,
                        location=where,
                    )
                if raw.price <= 0:
                    raise ConfigError("'price' must be positive", source=source, location=where)
                quotes[symbol] = spec.quote_at(raw.price, when)
            elif raw.bid is not None and raw.ask is not None and raw.last is not None:
                quotes[symbol] = Quote(
                    symbol=symbol, bid=raw.bid, ask=raw.ask, last=raw.last, time=when
                )
            else:
                raise ConfigError(
                    "needs 'price', or all of 'bid', 'ask' and 'last'",
                    source=source,
                    location=where,
                )
        except ValidationError as exc:
            message, _ = describe_validation(exc, Quote)
            raise ConfigError(message, source=source, location=where) from None
    return MarketData(rules=market.rules, quotes=quotes)


# --- counters -------------------------------------------------------------------------


def _when(value: Any, now: datetime, *, source: str, location: str) -> Any:
    """A TOML datetime stays; ``"30s"`` means thirty seconds before ``now``."""
    if isinstance(value, str):
        try:
            return now - parse_duration(value)
        except ValueError:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                raise ConfigError(
                    f'{value!r} is neither a time nor a duration before now such as "30s"',
                    source=source,
                    location=location,
                ) from None
    return value


def parse_counters(
    data: dict[str, Any], *, source: str, now: datetime, location: str = "counters"
) -> Counters:
    if not isinstance(data, dict):
        raise ConfigError("must be a table", source=source, location=location)
    fixed = dict(data)
    if isinstance(fixed.get("messages"), list):
        fixed["messages"] = [
            _when(v, now, source=source, location=f"{location}.messages") for v in fixed["messages"]
        ]
    for key in ("orders", "executions"):
        entries = fixed.get(key)
        if isinstance(entries, list):
            fixed[key] = [
                {**e, "at": _when(e["at"], now, source=source, location=f"{location}.{key}")}
                if isinstance(e, dict) and "at" in e
                else e
                for e in entries
            ]
    counters: Counters = _validate(Counters, fixed, source=source, location=location)
    return counters


# --- scenarios ------------------------------------------------------------------------


class _OrderEntry(Frozen):
    id: str | None = None
    symbol: str
    side: Side
    quantity: Amount
    limit_price: Amount | None = None
    trigger: Trigger | None = None
    schedule: Schedule | None = None


class ScenarioFile(Frozen):
    """A scenario as read, with the paths of the policy and personal file it names."""

    scenario: Scenario
    policy: str | None = None
    personal: str | None = None


_SCENARIO_KEYS = {
    "name",
    "now",
    "policy",
    "personal",
    "plan_id",
    "firing",
    "request",
    "steps",
    "orders",
    "account",
    "quotes",
    "counters",
    "expect",
}


def _relative(path: Any, base: str, *, source: str, key: str) -> str | None:
    if path is None:
        return None
    if not isinstance(path, str):
        raise ConfigError(f"'{key}' must be a path", source=source)
    return os.path.normpath(os.path.join(os.path.dirname(base), path))


def load_scenarios(path: str, *, catalog: MarketCatalog, demo_account: str) -> list[ScenarioFile]:
    """Every scenario of a file: the file itself, or each of its ``[[scenario]]`` cases.

    A case's keys replace the file's top-level keys of the same name, so a file can
    set the account, quotes and history once and test a limit at, under and over.
    """
    doc = read_document(path)
    cases = doc.pop("scenario", None)
    if cases is None:
        return [_scenario(doc, path, catalog=catalog, demo_account=demo_account)]
    if not isinstance(cases, list) or not cases:
        raise ConfigError("'scenario' must be a list of [[scenario]] tables", source=path)
    base = doc.get("name", os.path.splitext(os.path.basename(path))[0])
    out = []
    for number, case in enumerate(cases, 1):
        if not isinstance(case, dict):
            raise ConfigError("must be a table", source=path, location=f"scenario #{number}")
        merged = {**doc, **case, "name": f"{base}: {case.get('name', f'#{number}')}"}
        try:
            out.append(_scenario(merged, path, catalog=catalog, demo_account=demo_account))
        except ConfigError as exc:
            # name the case as well as the file; keep the inner location and message
            prefix = ", ".join(p for p in (exc.source, exc.location) if p) + ": "
            message = exc.message.removeprefix(prefix)
            where = ", ".join(
                p for p in (f"scenario '{case.get('name', number)}'", exc.location) if p
            )
            raise ConfigError(message, source=path, location=where, hint=exc.hint) from None
    return out


def _scenario(
    doc: dict[str, Any], path: str, *, catalog: MarketCatalog, demo_account: str
) -> ScenarioFile:
    unknown = sorted(set(doc) - _SCENARIO_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s): {', '.join(unknown)}",
            source=path,
            hint=f"a scenario holds: {', '.join(sorted(_SCENARIO_KEYS))}",
        )
    now = doc.get("now", DEFAULT_NOW)
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ConfigError(
            "'now' must be a date and time with a zone, such as 2026-01-05T09:30:00Z",
            source=path,
        )
    now = now.astimezone(UTC)
    if "account" in doc:
        account = parse_account(doc["account"], source=path, now=now, location="account")
    else:
        from executors.catalog import load_demo_account

        account = load_demo_account(now, demo_account)
    quotes = doc.get("quotes", {})
    if not isinstance(quotes, dict):
        raise ConfigError("must be a table", source=path, location="quotes")
    market = parse_quotes(quotes, source=path, now=now, catalog=catalog, location="quotes")
    counters = parse_counters(doc.get("counters", {}), source=path, now=now)
    given = [k for k in ("request", "steps", "orders") if k in doc]
    if len(given) != 1:
        raise ConfigError(
            "needs exactly one of 'request' (text), [[steps]] (intent steps) or [[orders]]",
            source=path,
        )
    request = doc.get("request")
    if request is not None and not isinstance(request, str):
        raise ConfigError("'request' must be text", source=path)
    plan = None
    if "steps" in doc:
        plan = _validate(Plan, {"steps": doc["steps"]}, source=path, location="steps")
    orders: tuple[ResolvedStep, ...] | None = None
    if "orders" in doc:
        entries = doc["orders"]
        if not isinstance(entries, list) or not entries:
            raise ConfigError("'orders' must be a list of [[orders]] tables", source=path)
        built = []
        for number, raw in enumerate(entries, 1):
            entry: _OrderEntry = _validate(
                _OrderEntry, raw, source=path, location=f"orders #{number}"
            )
            built.append(
                order_as_given(
                    sid=entry.id or f"s{number}",
                    symbol=entry.symbol,
                    side=entry.side,
                    quantity=entry.quantity,
                    limit_price=entry.limit_price,
                    account=account,
                    market=market,
                    trigger=entry.trigger,
                    schedule=entry.schedule,
                    index=number - 1,
                )
            )
        orders = tuple(built)
    expect_raw = doc.get("expect")
    if not isinstance(expect_raw, list) or not expect_raw:
        raise ConfigError(
            "needs at least one [[expect]] table (step, decision, rules)", source=path
        )
    expect = tuple(
        _validate(Expectation, e, source=path, location=f"expect #{n}")
        for n, e in enumerate(expect_raw, 1)
    )
    name = doc.get("name", os.path.splitext(os.path.basename(path))[0])
    plan_id = doc.get("plan_id")
    firing = doc.get("firing", False)
    if not isinstance(name, str) or not (plan_id is None or isinstance(plan_id, str)):
        raise ConfigError("'name' and 'plan_id' must be text", source=path)
    if not isinstance(firing, bool):
        raise ConfigError("'firing' must be true or false", source=path)
    scenario = Scenario(
        name=name,
        source=path,
        now=now,
        account=account,
        market=market,
        counters=counters,
        plan_id=plan_id,
        firing=firing,
        request=request,
        plan=plan,
        orders=orders,
        expect=expect,
    )
    return ScenarioFile(
        scenario=scenario,
        policy=_relative(doc.get("policy"), path, source=path, key="policy"),
        personal=_relative(doc.get("personal"), path, source=path, key="personal"),
    )
