"""Paper sessions on a clock of their own: live tickers, and the terminal UI (``--interactive``).

A scripted session on simulated or replayed candles jumps from event to event
(:mod:`signoff.paper.runner`). Two kinds of session cannot: one whose prices are
live public tickers, which arrive in real time, and one a person drives from the
terminal UI, who types at human speed. Both run here, on a :class:`ScaledClock`
(wall time, times a speed, from the session's start) with a :class:`Driver` that
brings the paper account up to that clock: the feed's ticks due by now (candles,
or a poll of the venue's tickers), the gate's scheduled runs, and — for a scripted
live session — the scripted requests.

The account, gate, ledger and people are the very ones a scripted session has
(:func:`signoff.paper.runner.open_stack`), and the report is written the same way
(:func:`signoff.paper.runner.finish`), so ``signoff session report ID`` reads either.
The terminal UI gets the trader's :class:`signoff.session.Session` through its one
door (:class:`tui.service.Service`): there is no other path to the executor.

A venue that cannot be reached or answers garbage is noted and polled again; after
:data:`MAX_FAILURES` polls in a row the session stops and reports what happened up
to then (the ledger keeps everything recorded).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from executors.inprocess import InProcessExecutor
from executors.paper.feeds import PriceFeed
from executors.paper.replay import CandleSeries, SeriesFeed
from foundation.errors import ConfigError, ExchangeError, SignoffError, UsageError
from intent.plan import Plan
from signoff.paper.config import SessionFile, load_session_file
from signoff.paper.report import GateEvent
from signoff.paper.runner import (
    Progress,
    SessionRun,
    Stack,
    _candles,
    _outcome_word,
    _period,
    _value,
    describe_feed,
    finish,
    open_stack,
)
from signoff.session import Session

if TYPE_CHECKING:
    from signoff.session import Approval, Outcome, Proposal
    from tui.app import SignoffApp
    from tui.service import Service

T = TypeVar("T")

MAX_FAILURES = 5
"""Polls of a live venue in a row that may fail before the session stops."""

TICK_SECONDS = 0.25
"""How often (wall time) an interactive session's account is brought up to its clock."""


class ScaledClock:
    """The session's time: its start plus the wall time since, times ``speed``; never past
    ``end``."""

    def __init__(
        self,
        start: datetime,
        *,
        speed: float = 1.0,
        end: datetime | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        self.start = start
        self.speed = speed
        self.end = end
        self._wall = wall
        self._began = wall()

    def now(self) -> datetime:
        elapsed = max(0.0, self._wall() - self._began) * self.speed
        when = self.start + timedelta(seconds=elapsed)
        return min(when, self.end) if self.end is not None else when

    @property
    def finished(self) -> bool:
        return self.end is not None and self.now() >= self.end


class SharedExecutor(InProcessExecutor):
    """The in-process gate, shared by the screen's worker threads and the session's driver.

    Its event loop runs on a thread of its own (a caller may have a loop running,
    as the terminal UI does), and every call takes one lock. Before a call from
    outside (a request, a quote, the portfolio) the driver brings the account up to
    the clock, so what a person sees and what an order fills at are the prices of
    the session's now.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.RLock()
        self.before: Callable[[], None] | None = None
        self._depth = 0
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="paper session gate", daemon=True
        )
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:  # pragma: no cover - a bug if reached
            work.close()
            raise RuntimeError("the gate's own loop called the gate")
        with self.lock:
            outer = self._depth == 0
            self._depth += 1
            try:
                if outer and self.before is not None:
                    self.before()
                return asyncio.run_coroutine_threadsafe(work, self.loop).result()
            finally:
                self._depth -= 1

    def close(self) -> None:
        if self._closed:
            return
        self.before = None
        try:
            self.run(self.service.close())
        finally:
            self._closed = True
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()


@dataclass
class Note:
    at: datetime
    text: str


@dataclass
class Driver:
    """Brings a session's account up to its clock, one :meth:`step` at a time."""

    stack: Stack
    feed: PriceFeed
    poll_every: timedelta | None = None  # None: ask the feed at every step (candles)
    scripted: bool = False
    notes: list[Note] = field(default_factory=list)
    seen: list[tuple[datetime, dict[str, Decimal]]] = field(default_factory=list)
    failures: int = 0
    stopped: str | None = None
    _last_poll: datetime | None = None
    _next_entry: int = 0

    def __post_init__(self) -> None:
        self._order = sorted(range(len(self.stack.file.script)), key=self._entry_at)

    def _entry_at(self, index: int) -> datetime:
        return self.stack.start + self.stack.file.script[index].at

    def step(self) -> None:
        executor = self.stack.executor
        lock = executor.lock if isinstance(executor, SharedExecutor) else contextlib.nullcontext()
        with lock:
            now = self.stack.clock.now()
            if self.stopped is None and self._poll_due(now):
                self._poll(now)
            engine = self.stack.engine
            engine.advance(now)
            due = self.stack.next_due()
            if due is not None and due <= now:
                executor.run_due()
            while self.scripted and self._next_entry < len(self._order):
                index = self._order[self._next_entry]
                if self._entry_at(index) > now:
                    break
                self._next_entry += 1
                self.stack.scripted(index)(engine, now)

    def _poll_due(self, now: datetime) -> bool:
        if self.poll_every is None or self._last_poll is None:
            return True
        return now - self._last_poll >= self.poll_every

    def _poll(self, now: datetime) -> None:
        self._last_poll = now
        try:
            ticks = self.stack.executor.run(self.feed.ticks_until(now))
        except ExchangeError as error:
            self.failures += 1
            if self.failures == 1:
                self.notes.append(Note(now, f"no prices: {error.message}"))
            if self.failures >= MAX_FAILURES:
                self.stopped = (
                    f"stopped: {self.failures} polls in a row without prices ({error.message})"
                )
                self.notes.append(Note(now, self.stopped))
            return
        if self.failures:
            self.notes.append(Note(now, f"prices again after {self.failures} failed poll(s)"))
            self.failures = 0
        for tick in ticks:
            self.seen.append((tick.time, dict(tick.prices)))
            self.stack.engine.set_prices(tick.prices, tick.time)


# --------------------------------------------------------------------------- live
def _live_feed(file: SessionFile, home: str) -> tuple[Any, list[str]]:
    """The venue's public ccxt client (the caller closes it) and the markets followed."""
    from executors.catalog import load_market_catalog
    from executors.paper.feeds import public_exchange

    prices = file.prices
    catalog = load_market_catalog()
    markets = list(prices.markets) or sorted(catalog.specs)
    for symbol in markets:
        if symbol not in catalog.specs:
            raise ConfigError(
                f"prices.markets: no market {symbol}",
                hint=f"markets: {', '.join(sorted(catalog.specs))}",
            )
    assert prices.venue is not None
    url = prices.url
    if prices.venue == "local" and url is None:
        from executors.localnet.run import URL_FILE, localnet_dir, read_url_file

        url = read_url_file(os.path.join(localnet_dir(home), URL_FILE))
        if url is None:
            raise ConfigError(
                "prices.venue = local: the local exchange is not running",
                hint='start it with `signoff localnet`, or give prices.url = "http://127.0.0.1:PORT"',
            )
    return public_exchange(prices.venue, url=url), markets


def _live_candles(
    seen: list[tuple[datetime, dict[str, Decimal]]], opening: Mapping[str, Decimal]
) -> dict[str, CandleSeries]:
    """The prices polled, as one flat candle per poll (for the report's equity and chart)."""
    times: list[int] = []
    rows: list[dict[str, Decimal]] = []
    last = dict(opening)
    for when, prices in seen:
        last.update(prices)
        ms = int(when.timestamp() * 1000)
        if times and ms <= times[-1]:
            rows[-1] = dict(last)
            continue
        times.append(ms)
        rows.append(dict(last))
    out: dict[str, CandleSeries] = {}
    for symbol in opening:
        column = [float(row[symbol]) for row in rows]
        out[symbol] = CandleSeries.from_columns(
            symbol, times, column, column, column, column, source=f"live {symbol}"
        )
    return out


def _first_prices(feed: PriceFeed, exchange: Any, now: datetime) -> dict[str, Decimal]:
    """One poll, on a loop of its own (the caller may be running one)."""

    async def first() -> dict[str, Decimal]:
        try:
            ticks = await feed.ticks_until(now)
        finally:
            await exchange.close()
        return dict(ticks[-1].prices) if ticks else {}

    found: dict[str, Decimal] = {}
    failed: list[BaseException] = []

    def poll() -> None:
        try:
            found.update(asyncio.run(first()))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=poll, name="first prices")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return found


def run_live(
    path: str,
    file: SessionFile,
    directory: str,
    *,
    home: str,
    progress: Callable[[Progress], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    wall: Callable[[], float] = time.monotonic,
) -> SessionRun:
    """A scripted session on live public tickers, in real time, to its end (or Ctrl-C)."""
    stack, driver, exchange = _open_live(path, file, directory, home=home, wall=wall)
    clock = stack.clock
    assert isinstance(clock, ScaledClock)
    assert clock.end is not None
    end = clock.end
    interval = file.prices.interval.total_seconds()
    stopped: str | None = None
    try:
        driver.scripted = True
        # a bound on the polls: one per interval, and as many again for early wake-ups
        limit = 2 * int(file.session.duration.total_seconds() / interval) + len(file.script) + 10
        try:
            for _ in range(limit):
                driver.step()
                now = clock.now()
                if progress is not None:
                    engine = stack.engine
                    fills = sum(len(o.fills) for o in engine.orders())
                    equity = _value(engine.total_balances(), engine.prices(), file)
                    progress(Progress(now, stack.start, end, fills, equity))
                if driver.stopped is not None or now >= end:
                    break
                sleep(min(interval, (end - now).total_seconds()))
        except KeyboardInterrupt:
            stopped = "stopped: interrupted (Ctrl-C)"
            driver.notes.append(Note(clock.now(), stopped))
        stopped = stopped or driver.stopped
        reached = clock.now()
        return finish(
            stack,
            _live_candles(driver.seen, stack.opening),
            reached,
            wall=wall,
            extra=_extra(driver, stopped),
        )
    finally:
        with contextlib.suppress(Exception):
            stack.executor.run(exchange.close())
        stack.close()


def _open_live(
    path: str,
    file: SessionFile,
    directory: str,
    *,
    home: str,
    wall: Callable[[], float],
    executor_class: type[InProcessExecutor] = SharedExecutor,
) -> tuple[Stack, Driver, Any]:
    from executors.paper.feeds import LiveTickerFeed
    from foundation.clock import SystemClock

    # the first prices are asked for before anything is made: a venue that cannot be
    # reached leaves no half-started session behind
    probe, markets = _live_feed(file, home)
    begun = SystemClock().now()
    opening = _first_prices(LiveTickerFeed(probe, markets), probe, begun)
    missing = [s for s in markets if s not in opening]
    if not opening:
        raise ExchangeError(
            f"{file.prices.venue} gave no price for {', '.join(markets)}",
            hint="check prices.markets and the venue",
        )
    if missing and file.prices.markets:
        raise ConfigError(
            f"prices.markets: {file.prices.venue} has no ticker for {', '.join(missing)}",
            hint="follow markets the venue lists",
        )
    start = begun.replace(microsecond=0)
    clock = ScaledClock(start, speed=1.0, end=start + file.session.duration, wall=wall)
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
        executor_class=executor_class,
        session_class=WatchedSession,
    )
    # the feed's client lives on the gate's event loop: it is polled from there
    exchange, _ = _live_feed(file, home)
    feed = LiveTickerFeed(exchange, sorted(opening))
    driver = Driver(stack, feed, poll_every=file.prices.interval)
    driver.seen.append((start, dict(opening)))
    return stack, driver, exchange


def _extra(driver: Driver, stopped: str | None) -> dict[str, object]:
    extra: dict[str, object] = {
        "notes": [{"at": n.at.isoformat(), "note": n.text} for n in driver.notes]
    }
    if stopped is not None:
        extra["stopped"] = stopped
    return extra


# --------------------------------------------------------------------------- interactive
@dataclass
class GateLog:
    """Each step's way through the gate in an interactive session, for the report.

    A scripted session knows what it answered; an interactive one learns it from the
    person's session as they go. The latest word on a step stands.
    """

    labels: dict[str, str]
    events: dict[tuple[str, str], GateEvent] = field(default_factory=dict)

    def proposed(self, proposal: Proposal, when: datetime) -> None:
        self.labels.setdefault(proposal.plan_id, f"r{len(self.labels) + 1}")
        result = proposal.result
        if not isinstance(result, Plan) or proposal.gated is None:
            status = "clarify" if type(result).__name__ == "Clarification" else "unsupported"
            message = getattr(result, "question", None) or getattr(result, "reason", "")
            self.events[(proposal.plan_id, "-")] = GateEvent(
                when, proposal.text, "-", status, "asked", (), str(message)
            )
            return
        for step, decision in proposal.pairs:
            rules = tuple(sorted({r.rule for r in decision.reasons if r.effect != "allow"}))
            if decision.decision == "deny":
                event = GateEvent(when, proposal.text, step.step_id, "deny", "denied", rules)
            elif decision.needs_approval:
                event = GateEvent(
                    when,
                    proposal.text,
                    step.step_id,
                    decision.decision,
                    "expired",
                    rules,
                    "not answered before the session ended",
                )
            else:
                event = GateEvent(
                    when,
                    proposal.text,
                    step.step_id,
                    decision.decision,
                    "not sent",
                    rules,
                    "not run before the session ended",
                )
            self.events[(proposal.plan_id, step.step_id)] = event

    def _update(
        self, plan_id: str, step_id: str, when: datetime, outcome: str, detail: str
    ) -> None:
        event = self.events.get((plan_id, step_id))
        if event is not None:
            self.events[(plan_id, step_id)] = GateEvent(
                when, event.request, step_id, event.decision, outcome, event.rules, detail
            )

    def rejected(self, proposal: Proposal, step_id: str, when: datetime) -> None:
        self._update(proposal.plan_id, step_id, when, "rejected", "")

    def carried_out(self, plan_id: str, outcomes: list[Outcome], when: datetime) -> None:
        for outcome in outcomes:
            detail = ""
            if outcome.status == "waiting":
                detail = "for a second approver"
            elif outcome.status in ("refused", "failed"):
                detail = outcome.detail.split("\n")[0]
            self._update(plan_id, outcome.step_id, when, _outcome_word(outcome.status), detail)

    def gate(self) -> list[GateEvent]:
        return list(self.events.values())


class WatchedSession(Session):
    """The trader's session in an interactive rehearsal: the same calls, noted for the report."""

    log: GateLog | None = None

    def propose(self, text: str, **kwargs: Any) -> Proposal:
        proposal = super().propose(text, **kwargs)
        if self.log is not None:
            self.log.proposed(proposal, self.clock.now())
        return proposal

    def reject(self, proposal: Proposal, step_id: str, approver: str | None = None) -> str:
        recorded = super().reject(proposal, step_id, approver)
        if self.log is not None:
            self.log.rejected(proposal, step_id, self.clock.now())
        return recorded

    def execute(self, proposal: Proposal, approvals: Mapping[str, Approval]) -> list[Outcome]:
        outcomes = super().execute(proposal, approvals)
        if self.log is not None:
            self.log.carried_out(proposal.plan_id, outcomes, self.clock.now())
        return outcomes

    def approve_waiting(self, plan_id: str, step_id: str, key: Any = None) -> Outcome:
        outcome = super().approve_waiting(plan_id, step_id, key)
        if self.log is not None:
            self.log.carried_out(plan_id, [outcome], self.clock.now())
        return outcome


@dataclass
class Interactive:
    """A session opened for the terminal UI: build the app with :meth:`app`, then :meth:`close`."""

    stack: Stack
    driver: Driver
    clock: ScaledClock
    candles: dict[str, CandleSeries] | None
    first: int
    notice: str | None
    exchange: Any = None
    tick_seconds: float | None = TICK_SECONDS
    service: Service | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _saved_env: str | None = None
    error: str | None = None
    log: GateLog | None = None

    def __post_init__(self) -> None:
        self.log = GateLog(self.stack.plan_labels)
        for session in self.stack.sessions.values():
            if isinstance(session, WatchedSession):
                session.log = self.log

    def app(self, *, poll: bool = True) -> SignoffApp:
        """The terminal UI on this session: the trader's session, through the UI's one door."""
        from foundation.identity import ENV_IDENTITIES
        from tui.app import SignoffApp
        from tui.service import Options, Service

        trader = self.stack.file.session.trader
        # who may approve, and the trader's role, are read from the session's people
        self._saved_env = os.environ.get(ENV_IDENTITIES)
        os.environ[ENV_IDENTITIES] = self.stack.identities_path
        self.service = Service(
            Options(actor=trader, local_identity=False, clock_label=self.clock_label),
            session=self.stack.sessions[trader],
            clock=self.clock,
        )
        self.start()
        return SignoffApp(self.service, poll=poll)

    def clock_label(self) -> str:
        """The session's time for the status bar, and whether it has ended."""
        now = self.clock.now()
        speed = f"{self.clock.speed:g}"
        label = f"session {self.stack.session_id} {now:%Y-%m-%d %H:%M:%S} ×{speed}"
        return f"{label} · ended" if self.clock.finished else label

    def start(self) -> None:
        executor = self.stack.executor
        if isinstance(executor, SharedExecutor):
            executor.before = self._catch_up
        if self.tick_seconds is not None and self._thread is None:
            self._thread = threading.Thread(
                target=self._keep_up, name=f"session {self.stack.session_id}", daemon=True
            )
            self._thread.start()

    def _catch_up(self) -> None:
        self.driver.step()

    def _keep_up(self) -> None:
        assert self.tick_seconds is not None
        while not self._stop.wait(self.tick_seconds):
            try:
                self.driver.step()
            except SignoffError as error:
                self.driver.notes.append(Note(self.clock.now(), error.message))
            except Exception as error:  # the report is still written on close
                self.error = f"{type(error).__name__}: {error}"
                return
            if self.clock.finished or self.driver.stopped is not None:
                return

    def close(self) -> SessionRun:
        """Stop the driver and write the report of the session up to the clock's now."""
        from foundation.identity import ENV_IDENTITIES

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        executor = self.stack.executor
        if isinstance(executor, SharedExecutor):
            executor.before = None
        if self._saved_env is None:
            os.environ.pop(ENV_IDENTITIES, None)
        else:
            os.environ[ENV_IDENTITIES] = self._saved_env
        try:
            self.driver.step()
            reached = self.clock.now()
            if self.candles is not None:
                candles = _slice(self.candles, self.first, reached)
            else:
                candles = _live_candles(self.driver.seen, self.stack.opening)
            stopped = self.driver.stopped or self.error
            if self.log is not None:
                self.stack.gate[:] = self.log.gate()
            return finish(self.stack, candles, reached, extra=_extra(self.driver, stopped))
        finally:
            if self.exchange is not None:
                with contextlib.suppress(Exception):
                    executor.run(self.exchange.close())
            self.stack.close()


def _slice(
    candles: dict[str, CandleSeries], first: int, until: datetime
) -> dict[str, CandleSeries]:
    """The candles from ``first`` to the one ``until`` falls in."""
    out = {}
    for symbol, series in candles.items():
        last = max(first + 1, min(len(series), series.index_at(until) or len(series)))
        if last <= first:  # pragma: no cover - a session has at least one candle
            last = first + 1
        out[symbol] = CandleSeries(
            symbol,
            series.open_ms[first:last],
            series.close_ms[first:last],
            series.open[first:last],
            series.high[first:last],
            series.low[first:last],
            series.close[first:last],
        )
    return out


def interactive_speed(file: SessionFile) -> tuple[float, str | None]:
    """The clock's speed for a person at the keyboard, and a note when it is not the file's."""
    clock = file.session.clock
    if clock == "real":
        return 1.0, None
    if clock == "accelerated":
        return float(file.session.speed), None
    return float(file.session.speed), (
        f'clock = "fast" runs as fast as the prices allow, which nobody can type along with: '
        f"this interactive session runs accelerated instead, {file.session.speed} simulated "
        'seconds per real second (set clock = "accelerated" or "real" and speed in [session])'
    )


def open_interactive(
    path: str,
    *,
    home: str,
    wall: Callable[[], float] = time.monotonic,
    tick_seconds: float | None = TICK_SECONDS,
) -> Interactive:
    """Open the session file at ``path`` for the terminal UI (the CLI's ``--interactive``).

    UsageError when the file has a script (an interactive session is driven by the
    person); ConfigError for what the file gets wrong, as for a scripted run.
    """
    file, directory = load_session_file(path)
    if file.script:
        raise UsageError(
            f"--interactive: {path} has a script ({len(file.script)} [[script]] entries); "
            "an interactive session is driven by what you type",
            hint="remove the [[script]] entries for an interactive session, or run it "
            "without --interactive",
        )
    speed, notice = interactive_speed(file)
    if file.prices.source == "live":
        stack, driver, exchange = _open_live(path, file, directory, home=home, wall=wall)
        clock = stack.clock
        assert isinstance(clock, ScaledClock)
        return Interactive(
            stack, driver, clock, None, 0, notice, exchange=exchange, tick_seconds=tick_seconds
        )
    candles = _candles(file, directory)
    start, end, first = _period(file, candles)
    opening = {symbol: series.candle(first).open for symbol, series in candles.items()}
    clock = ScaledClock(start, speed=speed, end=end, wall=wall)
    stack = open_stack(
        path,
        file,
        directory,
        home=home,
        start=start,
        opening=opening,
        clock=clock,
        feed=describe_feed(file) + f", interactive at {speed:g}×",
        wall=wall,
        executor_class=SharedExecutor,
        session_class=WatchedSession,
    )
    driver = Driver(stack, SeriesFeed(candles, first))
    return Interactive(stack, driver, clock, candles, first, notice, tick_seconds=tick_seconds)
