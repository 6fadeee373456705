"""Run a paper session: the scripted requests through the real gate, on simulated time.

A session is the whole signoff loop in one process, on a clock that follows the
prices: each scripted request goes through the session service
(:class:`signoff.session.Session`: parse, resolve, decide, record), is answered at
its gates as the script says (the trader's own signature confirms; a second
identity's signature approves an escalation), and is carried out by the same
execution service ``signoff executor`` runs — which decides every step again,
checks every signature and sends each order once to a paper engine. Triggers and
scheduled runs are decided again by that service at the moment they fire.

Prices are candles (simulated from a seed, or replayed from Binance kline CSVs)
walked by :class:`executors.paper.replay.EventReplay`, which only shows the
engine the candles where something can happen.

Everything is recorded in the session's own ledger,
``$SIGNOFF_HOME/sessions/<id>/ledger.sqlite3`` (``signoff audit --db`` reads it),
under the session's id; the report, fills and chart are written beside it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from executors.base import OrderState
from executors.catalog import load_market_catalog
from executors.paper.replay import CandleSeries, EventReplay, simulate_candles
from foundation.clock import Clock, FakeClock
from foundation.errors import ConfigError, SignoffError
from foundation.identity import IdentityRegistry, SigningKey
from intent.plan import Plan
from signoff.paper.config import SessionFile, load_session_file
from signoff.paper.report import GateEvent, SessionReport, equity_curve

if TYPE_CHECKING:
    from executors.approvals import Gatekeeper
    from executors.inprocess import InProcessExecutor
    from executors.journal import SqliteJournal
    from executors.paper.engine import PaperEngine
    from executors.process.client import ExecutorClient
    from executors.service import ExecutionService
    from ledger.service import Ledger
    from signoff.session import Proposal, Session

SESSIONS_DIR = "sessions"


@dataclass(frozen=True)
class Progress:
    """Where a running session is: for a progress bar."""

    now: datetime
    start: datetime
    end: datetime
    fills: int
    equity: Decimal

    @property
    def done(self) -> float:
        total = (self.end - self.start).total_seconds()
        return min(1.0, max(0.0, (self.now - self.start).total_seconds() / total)) if total else 1.0


@dataclass
class SessionRun:
    report: SessionReport
    directory: str
    candles: dict[str, CandleSeries]


def sessions_home(home: str) -> str:
    return os.path.join(home, SESSIONS_DIR)


def _policy_path(file: SessionFile, directory: str) -> str:
    from executors.policy_file import policy_path

    if file.session.policy == "default":
        return policy_path(None)
    return os.path.join(directory, file.session.policy)


def _candles(file: SessionFile, directory: str) -> dict[str, CandleSeries]:
    catalog = load_market_catalog()
    prices = file.prices
    if prices.source == "live":  # pragma: no cover - live prices are polled, not candles
        raise ConfigError("prices.source = live has no candles to replay")
    if prices.source == "replay":
        series: dict[str, CandleSeries] = {}
        for symbol, name in sorted(prices.files.items()):
            if symbol not in catalog.specs:
                raise ConfigError(
                    f"prices.files: no market {symbol}",
                    hint=f"markets: {', '.join(sorted(catalog.specs))}",
                )
            series[symbol] = CandleSeries.read_csv(os.path.join(directory, name), symbol)
        return series
    chosen = prices.start or {symbol: spec.start_price for symbol, spec in catalog.specs.items()}
    for symbol in chosen:
        if symbol not in catalog.specs:
            raise ConfigError(
                f"prices.start: no market {symbol}",
                hint=f"markets: {', '.join(sorted(catalog.specs))}",
            )
    volatility = {
        symbol: prices.volatility
        if prices.volatility is not None
        else catalog.specs[symbol].volatility
        for symbol in chosen
    }
    return simulate_candles(
        dict(chosen),
        start=file.begins,
        duration=file.session.duration,
        interval=prices.interval,
        seed=file.session.seed,
        volatility=volatility,
        drift=prices.drift,
        tick_sizes={s: catalog.specs[s].rules.tick_size for s in chosen},
    )


def _identities(file: SessionFile, directory: str) -> tuple[str, dict[str, SigningKey]]:
    """Keys for everyone in the rehearsal, and the identities file naming them."""
    people: dict[str, list[str]] = {file.session.trader: ["trader"]}
    for name, roles in file.identities.items():
        people[name] = sorted(set(people.get(name, [])) | set(roles))
    keys: dict[str, SigningKey] = {}
    lines = ["# the people of this paper session (keys in keys/, made for it)\n"]
    for name in sorted(people):
        key = SigningKey.generate(name)
        key.save(os.path.join(directory, "keys", f"{name}.key"), None)
        keys[name] = key
        lines.append(key.identity_line(people[name]))
    path = os.path.join(directory, "identities.toml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path, keys


@dataclass
class Stack:
    """One session's whole loop: its account, gate, ledger and people, opened and recorded."""

    file: SessionFile
    path: str
    session_id: str
    where: str
    session_policy: str
    clock: Clock
    engine: PaperEngine
    ledger: Ledger
    journal: SqliteJournal
    gatekeeper: Gatekeeper
    service: ExecutionService
    executor: InProcessExecutor
    sessions: dict[str, Session]
    start: datetime
    opening: dict[str, Decimal]
    started_at: datetime
    started_wall: float
    identities_path: str
    gate: list[GateEvent] = field(default_factory=list)
    plan_labels: dict[str, str] = field(default_factory=dict)

    def next_due(self) -> datetime | None:
        """When the gate's next scheduled run is due (None: no schedule)."""
        times = []
        for entry in self.service.journal.active_schedules(self.service.venue):
            view = self.service.schedule_view(entry.client_order_id)
            if view is not None and view.schedule.next_at is not None:
                times.append(view.schedule.next_at)
        return min(times) if times else None

    def follow(self, when: datetime) -> None:
        """A replay's clock follows the candles; a real-time clock follows itself."""
        if isinstance(self.clock, FakeClock) and when > self.clock.now():
            self.clock.set(when)

    def on_time(self, when: datetime) -> None:
        self.follow(when)
        due = self.next_due()
        if due is not None and due <= when:
            self.executor.run_due()

    def scripted(self, index: int) -> Callable[[PaperEngine, datetime], None]:
        """The action of script entry ``index`` (a request answered as written, or a halt)."""
        file = self.file
        entry = file.script[index]

        def act(_: PaperEngine, when: datetime) -> None:
            self.follow(when)
            if entry.halt is not None or entry.resume:
                state = "HALTED" if entry.halt is not None else "ACTIVE"
                _set_trading_state(self.session_policy, state, index + 1)
                self.gate.append(
                    GateEvent(
                        when,
                        "halt" if entry.halt is not None else "resume",
                        "-",
                        "compliance",
                        state.lower(),
                        (),
                        entry.halt or "",
                    )
                )
                return
            assert entry.request is not None
            person = entry.by or file.session.trader
            if person not in self.sessions:
                raise ConfigError(f"script #{index + 1}: {person!r} is not in [identities]")
            self.gate.extend(
                _carry_out(
                    self.sessions[person],
                    self.sessions,
                    entry.request,
                    entry.answer,
                    when,
                    self.plan_labels,
                )
            )

        return act

    def close(self) -> None:
        self.engine.fire_check = None
        try:
            self.executor.close()
        finally:
            self.journal.close()
            self.gatekeeper.close()
            self.ledger.close()


def open_stack(
    path: str,
    file: SessionFile,
    directory: str,
    *,
    home: str,
    start: datetime,
    opening: dict[str, Decimal],
    clock: Clock,
    feed: str,
    wall: Callable[[], float] = time.monotonic,
    executor_class: type[InProcessExecutor] | None = None,
    session_class: type[Session] | None = None,
) -> Stack:
    """Make the session's directory, people, policy copy, account, ledger and gate; start it."""
    from executors.approvals import Gatekeeper, NonceStore
    from executors.inprocess import InProcessExecutor
    from executors.journal import SqliteJournal
    from executors.paper.engine import PaperEngine, PaperSettings
    from executors.paper.executor import PaperExecutor
    from executors.service import ExecutionService, PolicySource
    from ledger.service import Ledger
    from signoff.session import Session

    started_wall = wall()
    started_at = datetime.now(UTC)
    session_id = "ps-" + secrets.token_hex(6)
    where = os.path.join(sessions_home(home), session_id)
    os.makedirs(where, mode=0o700)
    identities_path, keys = _identities(file, where)
    # the session's own copy of the policy: a scripted halt changes it, and the gate
    # reads it again before its next send, as it would the firm's file
    session_policy = os.path.join(where, "policy.toml")
    shutil.copyfile(_policy_path(file, directory), session_policy)
    policy_source = PolicySource.load(session_policy)
    registry = IdentityRegistry.load(identities_path)
    catalog = load_market_catalog()
    engine = PaperEngine.with_balances(
        catalog,
        file.balances,
        start,
        PaperSettings(
            maker_fee=file.fees.maker,
            taker_fee=file.fees.taker,
            slippage_bps=file.fees.slippage_bps,
        ),
        account_id=session_id,
    )
    engine.set_prices(opening, start)

    ledger = Ledger.open(f"sqlite:///{os.path.join(where, 'ledger.sqlite3')}", clock=clock)
    journal = SqliteJournal(os.path.join(where, "journal.sqlite3"))
    gatekeeper = Gatekeeper(registry, NonceStore(os.path.join(where, "nonces.sqlite3")))
    service = ExecutionService(
        PaperExecutor(engine, clock),
        journal,
        gatekeeper,
        clock=clock,
        policy=policy_source,
        ledger=ledger,
    )
    # a loss-breaker trip in a rehearsal stays in the session: never the firm's log
    service.breaker_log = os.path.join(where, "trading-state.jsonl")
    service.breaker_identities = identities_path
    executor = (executor_class or InProcessExecutor)(service, identities=identities_path)
    try:
        executor.start()
        ledger.record_session_start(
            actor=file.session.trader,
            venue="paper",
            feed=feed,
            snapshot=engine.snapshot(),
            settings={"file": os.path.abspath(path), "name": file.session.name},
            seed=file.session.seed,
            session_id=session_id,
        )
        policy = policy_source.policy
        sessions = {
            name: (session_class or Session)(
                ledger=ledger,
                policy=policy,
                policy_text=policy_source.text,
                executor=cast("ExecutorClient", executor),
                actor=name,
                key=key,
                clock=clock,
            )
            for name, key in keys.items()
        }
    except BaseException:
        executor.close()
        journal.close()
        gatekeeper.close()
        ledger.close()
        raise
    stack = Stack(
        file=file,
        path=path,
        session_id=session_id,
        where=where,
        session_policy=session_policy,
        clock=clock,
        engine=engine,
        ledger=ledger,
        journal=journal,
        gatekeeper=gatekeeper,
        service=service,
        executor=executor,
        sessions=sessions,
        start=start,
        opening=opening,
        started_at=started_at,
        started_wall=started_wall,
        identities_path=identities_path,
    )

    def fire_check(state: OrderState, when: datetime) -> str | None:
        stack.follow(when)
        entry = service.journal.get(state.client_order_id)
        if entry is None:
            return None
        return executor.run(service.firing_refusal(state.client_order_id, entry.plan_id))

    engine.fire_check = fire_check
    return stack


def finish(
    stack: Stack,
    candles: dict[str, CandleSeries],
    end: datetime,
    *,
    wall: Callable[[], float] = time.monotonic,
    extra: dict[str, object] | None = None,
) -> SessionRun:
    """Settle the gate, value the account and write the report (recorded in the ledger too)."""
    file, engine = stack.file, stack.engine
    stack.follow(end)
    stack.executor.reconcile()
    plan_labels = stack.plan_labels

    # plan ids are random; the report names orders by scripted request instead
    # ("r2:s1.3": request 2, step s1, third run) so that a re-run reads the same
    def relabel(coid: str | None) -> str | None:
        for plan_id, label in plan_labels.items():
            if coid and plan_id in coid:
                return coid.replace(f"so-{plan_id}", label).replace(plan_id, label)
        return coid

    fills = [
        f.model_copy(update={"client_order_id": relabel(f.client_order_id)})
        for o in engine.orders()
        for f in o.fills
    ]
    times, equity, exposure = equity_curve(
        file.balances,
        fills,
        dict(candles),
        file.session.reporting_currency,
    )
    report = SessionReport(
        session_id=stack.session_id,
        name=file.session.name,
        start=stack.start,
        end=end,
        reporting_currency=file.session.reporting_currency,
        start_balances=dict(file.balances),
        end_balances=engine.total_balances(),
        last_prices=engine.prices(),
        fills=fills,
        gate=stack.gate,
        equity_times_ms=times,
        equity=equity,
        exposure=exposure,
        run={
            "session_id": stack.session_id,
            "file": os.path.abspath(stack.path),
            "started_at": stack.started_at.isoformat(),
            "wall_seconds": round(wall() - stack.started_wall, 3),
            "start_prices": {s: str(p) for s, p in stack.opening.items()},
            **(extra or {}),
        },
    )
    stack.ledger.record_session_end(
        session_id=stack.session_id,
        actor=file.session.trader,
        report=report.as_data(with_run=False),
    )
    write_report(report, stack.where, candles)
    return SessionRun(report=report, directory=stack.where, candles=candles)


def run_session(
    path: str,
    *,
    home: str,
    progress: Callable[[Progress], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.monotonic,
) -> SessionRun:
    """Run the session file at ``path`` to its end; the report, and where it was written."""
    file, directory = load_session_file(path)
    if file.prices.source == "live":
        from signoff.paper.realtime import run_live

        return run_live(path, file, directory, home=home, progress=progress, sleep=sleep, wall=wall)
    candles = _candles(file, directory)
    start, end, first = _period(file, candles)
    opening = {symbol: series.candle(first).open for symbol, series in candles.items()}
    clock = FakeClock(start)
    stack = open_stack(
        path,
        file,
        directory,
        home=home,
        start=start,
        opening=opening,
        clock=clock,
        feed=describe_feed(file),
        wall=wall,
    )
    engine = stack.engine
    try:
        events = [(start + entry.at, stack.scripted(i)) for i, entry in enumerate(file.script)]
        pace_start = wall()

        def on_candle(_: int, when: datetime) -> None:
            if file.session.clock != "fast":
                speed = 1 if file.session.clock == "real" else file.session.speed
                target = (when - start).total_seconds() / speed
                ahead = target - (wall() - pace_start)
                if ahead > 0:
                    sleep(min(ahead, 3600.0))
            if progress is not None:
                fills = sum(len(o.fills) for o in engine.orders())
                equity = _value(engine.total_balances(), engine.prices(), file)
                progress(Progress(when, start, end, fills, equity))

        replay = EventReplay(
            engine,
            candles,
            events=events,
            on_time=stack.on_time,
            next_due=stack.next_due,
            on_candle=on_candle,
        )
        replay.run(start=start, end=end)
        result = finish(stack, candles, end, wall=wall)
        if progress is not None:
            figures = result.report.as_data()["figures"]
            progress(
                Progress(end, start, end, len(result.report.fills), Decimal(figures["end_value"]))
            )
        return result
    finally:
        stack.close()


def _period(file: SessionFile, candles: dict[str, CandleSeries]) -> tuple[datetime, datetime, int]:
    """The session's start and end within the candles, and the first candle's index."""
    start = file.begins
    grid = next(iter(candles.values()))
    first = grid.index_at(start)
    if first >= len(grid):
        raise ConfigError(
            f"session.start {start:%Y-%m-%d %H:%M} is after the last candle",
            hint="start the session within the replayed period",
        )
    start = max(start, grid.time(first))
    end = min(file.end, grid.candle(len(grid) - 1).close_time)
    return start, end, first


def describe_feed(file: SessionFile) -> str:
    prices = file.prices
    if prices.source == "simulated":
        return f"simulated (seed {file.session.seed})"
    if prices.source == "replay":
        return "replay: " + ", ".join(sorted(prices.files.values()))
    return f"live: {prices.venue} ({', '.join(prices.markets) or 'every market'})"


def _value(balances: dict[str, Decimal], prices: dict[str, Decimal], file: SessionFile) -> Decimal:
    cur = file.session.reporting_currency
    return sum(
        (
            amount if asset == cur else amount * prices.get(f"{asset}/{cur}", Decimal(0))
            for asset, amount in balances.items()
        ),
        Decimal(0),
    )


def _carry_out(
    session: Session,
    people: dict[str, Session],
    text: str,
    answer: str,
    when: datetime,
    plan_labels: dict[str, str],
) -> list[GateEvent]:
    """One scripted request: propose, answer every gate as scripted, execute."""
    proposal: Proposal = session.propose(text)
    plan_labels[proposal.plan_id] = f"r{len(plan_labels) + 1}"
    if not isinstance(proposal.result, Plan) or proposal.gated is None:
        status = (
            "clarify" if proposal.result.__class__.__name__ == "Clarification" else "unsupported"
        )
        message = getattr(proposal.result, "question", None) or getattr(
            proposal.result, "reason", ""
        )
        return [GateEvent(when, text, "-", status, "asked", (), str(message))]
    events: dict[str, GateEvent] = {}
    approvals = {}
    for step, decision in proposal.pairs:
        rules = tuple(sorted({r.rule for r in decision.reasons if r.effect != "allow"}))
        sid = step.step_id
        if decision.decision == "deny":
            events[sid] = GateEvent(when, text, sid, "deny", "denied", rules)
            continue
        if not decision.needs_approval:
            continue
        if answer == "reject":
            session.reject(proposal, sid)
            events[sid] = GateEvent(when, text, sid, decision.decision, "rejected", rules)
        elif answer == "expire":
            events[sid] = GateEvent(
                when, text, sid, decision.decision, "expired", rules, "nobody answered in time"
            )
        else:
            approvals[sid] = session.approve(proposal, sid)
    outcomes = session.execute(proposal, approvals)
    approver = answer.split(":", 1)[1] if answer.startswith("approve-as:") else None
    for outcome in outcomes:
        step, decision = proposal.step(outcome.step_id)
        if outcome.step_id in events:
            continue
        rules = tuple(sorted({r.rule for r in decision.reasons if r.effect != "allow"}))
        status = outcome.status
        detail = ""
        if status == "waiting" and approver is not None:
            try:
                second = people[approver].approve_waiting(proposal.plan_id, outcome.step_id)
                status = second.status
            except SignoffError as error:
                status, detail = "refused", error.message
        elif status == "waiting":
            status, detail = "expired", "no second approver answered"
        elif status in ("refused", "failed"):
            detail = outcome.detail.split("\n")[0]
        events[outcome.step_id] = GateEvent(
            when, text, outcome.step_id, decision.decision, _outcome_word(status), rules, detail
        )
    return [events[s.step_id] for s, _ in proposal.pairs if s.step_id in events]


def _outcome_word(status: str) -> str:
    return {
        "executed": "sent",
        "filled": "sent",
        "open": "sent",
        "sent": "sent",
        "skipped": "skipped",
    }.get(status, status)


def write_report(report: SessionReport, where: str, candles: dict[str, CandleSeries]) -> None:
    with open(os.path.join(where, "report.json"), "w", encoding="utf-8") as handle:
        handle.write(report.to_json())
    with open(os.path.join(where, "fills.csv"), "w", encoding="utf-8") as handle:
        handle.write(report.fills_csv())
    report.chart(os.path.join(where, "chart.png"), candles)


def find_session(home: str, session_id: str) -> str:
    where = os.path.join(sessions_home(home), session_id)
    if not session_id.startswith("ps-") or not os.path.isdir(where):
        raise ConfigError(
            f"no paper session {session_id!r}",
            hint="`signoff session list` shows the sessions there are",
        )
    return where


def list_sessions(home: str) -> list[dict[str, str]]:
    """Every session run in this home, newest first, from their report files."""
    import json

    found = []
    root = sessions_home(home)
    if not os.path.isdir(root):
        return []
    for name in os.listdir(root):
        report = os.path.join(root, name, "report.json")
        if not name.startswith("ps-"):
            continue
        if not os.path.exists(report):
            found.append({"id": name, "name": "(did not finish)", "started": "", "change": ""})
            continue
        with open(report, encoding="utf-8") as handle:
            data = json.load(handle)
        found.append(
            {
                "id": name,
                "name": data.get("name", ""),
                "started": data.get("run", {}).get("started_at", ""),
                "period": f"{data['start'][:16]} → {data['end'][:16]}",
                "change": f"{data['figures']['change']} {data['reporting_currency']}",
            }
        )
    return sorted(found, key=lambda item: item.get("started", ""), reverse=True)


def _set_trading_state(policy_file: str, state: str, step: int) -> None:
    """Compliance's switch in a rehearsal: the trading state, and a version of its own."""
    with open(policy_file, encoding="utf-8") as handle:
        text = handle.read()
    text, found = re.subn(
        r'^(\s*trading_state\s*=\s*)"[A-Z]+"', rf'\1"{state}"', text, count=1, flags=re.M
    )
    if not found:
        text = re.sub(
            r"^\[policy\]\s*$", f'[policy]\ntrading_state = "{state}"', text, count=1, flags=re.M
        )
    text = re.sub(
        r'^(\s*version\s*=\s*)"([^"]*)"', rf'\1"\2+session.{step}"', text, count=1, flags=re.M
    )
    with open(policy_file, "w", encoding="utf-8") as handle:
        handle.write(text)
