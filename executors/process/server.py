"""``signoff executor``: the executor service behind HTTP on a unix socket.

The process builds one executor (the paper engine, the local exchange through
ccxt, or a testnet through ccxt), loads and pins the firm policy
(``--policy FILE``, default the shipped ``configs/policy.toml``) and the
identities file, opens its journal and the ledger, reconciles what the journal
left unfinished, and then answers requests on a unix socket in
``$SIGNOFF_HOME/executor`` (``executor-<venue>`` for a venue other than the
local exchange; mode 0600, in a 0700 directory), each carrying the per-run
bearer secret from ``run.json`` (also 0600). The secret only opens the socket:
nothing is executed without a person's signature. The peer's uid comes from the
socket (``SO_PEERCRED``) and is recorded with everything done for it. A lock
file keeps a second executor from starting on the same home and venue.

It has no wallet operations at all, and it refuses to start against any
endpoint that is not a testnet, a demo environment or the local exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from aiohttp import web
from pydantic import BaseModel, ValidationError

from executors.approvals import NONCE_DB, ApprovalRefused, Gatekeeper, NonceStore
from executors.base import Executor
from executors.journal import JOURNAL_FILE, SqliteJournal
from executors.paper.engine import PaperSettings
from executors.process.wire import (
    API,
    ApproveRequest,
    Countersigned,
    ErrorBody,
    ExecuteRequest,
    Health,
    PolicyInfo,
    QuotesRequest,
    ResumeRequest,
)
from executors.service import ExecutionService, PolicySource
from foundation.clock import Clock, SystemClock
from foundation.errors import (
    ConfigError,
    ExchangeError,
    ExecutionError,
    ExecutorConflict,
    InputError,
    SignoffError,
)
from foundation.paths import home
from foundation.secrets import install_log_redaction, redact, register_secret

log = logging.getLogger("signoff.executor")

RUN_FILE = "run.json"
START_ERROR_FILE = "start-error.json"
LOCK_FILE = "executor.lock"
SOCKET_NAME = "executor.sock"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes on Linux, 104 on macOS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ExecutorOptions:
    """How ``signoff executor`` was asked to run."""

    exchange: str = "local"
    url: str | None = None
    seed: int = 7
    policy_path: str | None = None  # the firm policy it pins (default: the shipped one)
    validity: timedelta | None = None  # may shorten the policy's approval validity
    drift_limit_pct: Decimal | None = None  # may narrow the policy's drift limit
    db_url: str | None = None  # the ledger it records in (default: $SIGNOFF_DB_URL, home)
    identities_path: str | None = None  # default: $SIGNOFF_IDENTITIES, home/identities.toml
    shared: bool = False  # members of its group may connect (its own OS user; see README)
    refresh_seconds: float = 5.0  # wall-clock period of background reconciliation
    # how long an exchange's account and prices, read after the executor's own last
    # order, may be decided with (ExecutionService._venue_view); the paper engine,
    # in this process, is always read at the moment of deciding
    view_ttl_seconds: float = 1.0
    exchanges_file: str | None = None
    tick_seconds: float = 1.0  # wall-clock period of the embedded exchange's price feed
    paper: PaperSettings = field(default_factory=PaperSettings)  # fees and slippage
    feed: str | None = None  # the paper engine's prices: csv:FILE[,SYMBOL=FILE...] or live


def executor_dir(
    base: str | None = None, venue: str = "local", *, shared: bool | None = None
) -> str:
    """The executor's own directory; one per venue, side by side (``executor`` for local).

    Only the executor itself (``shared`` given) sets its mode: 0700, or 0750 when the
    members of its group may connect (``signoff executor --shared``).
    """
    name = "executor" if venue == "local" else f"executor-{venue}"
    path = os.path.join(base or home(create=True), name)
    os.makedirs(path, mode=0o700, exist_ok=True)
    if shared is not None:
        os.chmod(path, 0o750 if shared else 0o700)
    return path


def _status_of(error: SignoffError) -> int:
    if isinstance(error, ApprovalRefused):
        return 403
    if isinstance(error, ExchangeError):
        return 502
    if isinstance(error, InputError):
        return 400
    return 409


def _error_response(error: SignoffError) -> web.Response:
    body = ErrorBody(
        type=type(error).__name__,
        message=redact(error.message),
        hint=redact(error.hint) if error.hint else None,
        code=getattr(error, "code", None),
    )
    return web.json_response({"error": body.model_dump(mode="json")}, status=_status_of(error))


def _json(model: BaseModel | list[Any] | dict[str, Any]) -> web.Response:
    if isinstance(model, BaseModel):
        return web.Response(text=model.model_dump_json(), content_type="application/json")
    return web.Response(text=json.dumps(_plain(model)), content_type="application/json")


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def peer_of(request: web.Request) -> str:
    """Who is on the other end of the socket, as the kernel says (``SO_PEERCRED``)."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    option = getattr(socket, "SO_PEERCRED", None)
    if sock is None or option is None:
        return "executor"
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    except OSError:
        return "executor"
    pid, uid, _gid = struct.unpack("3i", raw)
    return f"executor (uid {uid}, pid {pid})"


@dataclass
class ExecutorServer:
    service: ExecutionService
    secret: str
    clock: Clock
    started_at: datetime
    identities: str | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth, self._errors], client_max_size=256 * 1024)
        r = app.router
        r.add_get(f"{API}/health", self._health)
        r.add_get(f"{API}/markets", self._markets)
        r.add_post(f"{API}/quotes", self._quotes)
        r.add_get(f"{API}/account", self._account)
        r.add_get(f"{API}/policy", self._policy)
        r.add_get(f"{API}/counters", self._counters)
        r.add_post(f"{API}/execute", self._execute)
        r.add_get(f"{API}/waiting", self._waiting)
        r.add_post(f"{API}/approve", self._approve)
        r.add_post(f"{API}/resume", self._resume)
        r.add_get(f"{API}/open-orders", self._open_orders)
        r.add_get(f"{API}/order", self._order)
        r.add_get(f"{API}/journal", self._journal)
        r.add_get(f"{API}/schedule", self._schedule)
        r.add_get(f"{API}/fills", self._fills)
        r.add_post(f"{API}/reconcile", self._reconcile)
        r.add_post(f"{API}/audit/countersign", self._countersign)
        r.add_post(f"{API}/shutdown", self._shutdown)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self.secret}"
        if not secrets.compare_digest(given.encode(), expected.encode()):
            body = ErrorBody(
                type="AuthenticationFailed",
                message="the executor refused a request without this run's secret",
                hint="connect through signoff (it reads $SIGNOFF_HOME/executor/run.json)",
            )
            return web.json_response({"error": body.model_dump(mode="json")}, status=401)
        return await handler(request)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except SignoffError as error:
            log.info("refused %s: %s", request.path, error.message)
            return _error_response(error)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            return _error_response(
                InputError(f"bad request to the executor: {where}: {first['msg']}")
            )
        except web.HTTPException:
            raise
        except Exception as error:
            log.exception("internal error on %s", request.path)
            return _error_response(
                ExecutionError(
                    f"internal error in the executor ({type(error).__name__})",
                    hint="see the executor's log in $SIGNOFF_HOME/executor",
                )
            )

    async def _body(self, request: web.Request) -> bytes:
        return await request.read()

    async def _health(self, request: web.Request) -> web.Response:
        return _json(
            Health(
                venue=self.service.venue,
                pid=os.getpid(),
                started_at=self.started_at,
                policy_hash=self.service.expected_policy_hash,
                ledger=self.service.ledger.where if self.service.ledger else None,
                identities=self.identities,
            )
        )

    async def _markets(self, request: web.Request) -> web.Response:
        return _json(await self.service.executor.market_rules())

    async def _quotes(self, request: web.Request) -> web.Response:
        body = QuotesRequest.model_validate_json(await self._body(request))
        return _json(await self.service.executor.quotes(list(body.symbols)))

    async def _account(self, request: web.Request) -> web.Response:
        return _json(await self.service.executor.account())

    async def _policy(self, request: web.Request) -> web.Response:
        policy = self.service.current_policy()
        return _json(
            PolicyInfo(
                id=policy.id,
                version=policy.version,
                hash=policy.hash,
                source=self.service.policies.path,
                text=self.service.policies.text,
            )
        )

    async def _counters(self, request: web.Request) -> web.Response:
        policy = self.service.current_policy()
        return _json(self.service.counters(policy, self.clock.now()))

    async def _execute(self, request: web.Request) -> web.Response:
        body = ExecuteRequest.model_validate_json(await self._body(request))
        result = await self.service.execute(
            plan_id=body.plan_id,
            step=body.step,
            decision=body.decision,
            request=body.request,
            plan_steps=body.plan_steps,
            personal=body.personal,
            approval=body.approval,
            actor=peer_of(request),
        )
        return _json(result)

    async def _waiting(self, request: web.Request) -> web.Response:
        plan_id = request.query.get("plan_id") or None
        everything = request.query.get("all") == "1"
        return _json(self.service.waiting(plan_id, everything=everything))

    async def _approve(self, request: web.Request) -> web.Response:
        body = ApproveRequest.model_validate_json(await self._body(request))
        result = await self.service.approve(
            plan_id=body.plan_id,
            step_id=body.step_id,
            approval=body.approval,
            actor=peer_of(request),
        )
        return _json(result)

    async def _resume(self, request: web.Request) -> web.Response:
        body = ResumeRequest.model_validate_json(await self._body(request))
        return _json(await self.service.resume(body.plan_id))

    async def _open_orders(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol") or None
        venue = await self.service.executor.open_orders(symbol)
        # with the stops and take-profits the executor holds itself until they fire
        return _json([*venue, *self.service.held_orders(symbol)])

    async def _order(self, request: web.Request) -> web.Response:
        """One order by client order id, as the venue reports it now (null: unknown there)."""
        symbol = request.query.get("symbol")
        client_id = request.query.get("client_order_id")
        if not symbol or not client_id:
            raise InputError(
                "an order lookup needs a symbol and a client order id",
                hint="e.g. ?symbol=BTC/USDT&client_order_id=so-p-1:s1",
            )
        held = self.service.held_order(client_id)
        if held is not None:
            return _json(held)
        state = await self.service.executor.lookup(symbol, client_id)
        if state is None:
            return web.Response(text="null", content_type="application/json")
        if self.service.journal.get(client_id) is not None:
            self.service.journal.record_state(state, at=self.service.clock.now())
            self.service._ledger_state(state)
        return _json(state)

    async def _journal(self, request: web.Request) -> web.Response:
        """What this executor's journal says about one client order id (null: never sent)."""
        client_id = request.query.get("client_order_id")
        if not client_id:
            raise InputError("a journal lookup needs a client order id")
        entry = self.service.journal.get(client_id)
        if entry is None:
            return web.Response(text="null", content_type="application/json")
        return _json(entry)

    async def _schedule(self, request: web.Request) -> web.Response:
        """A recurring step by its client order id, with its runs (null: not a schedule)."""
        client_id = request.query.get("client_order_id")
        if not client_id:
            raise InputError("a schedule lookup needs a client order id")
        view = self.service.schedule_view(client_id)
        if view is None:
            return web.Response(text="null", content_type="application/json")
        return _json(view)

    async def _fills(self, request: web.Request) -> web.Response:
        symbol = request.query.get("symbol")
        if not symbol:
            raise InputError("fills need a symbol", hint="e.g. ?symbol=BTC/USDT")
        since_text = request.query.get("since")
        try:
            since = datetime.fromisoformat(since_text) if since_text else None
        except ValueError:
            raise InputError(f"'since' is not an ISO time: {since_text}") from None
        return _json(await self.service.executor.fills(symbol, since))

    async def _reconcile(self, request: web.Request) -> web.Response:
        return _json(await self.service.reconcile())

    async def _countersign(self, request: web.Request) -> web.Response:
        """Check the chain since the executor's last signed head, then sign the head.

        Appends nothing. Whoever holds the socket may ask, so this vouches only
        that the records were intact and linked when the executor signed them.
        """
        ledger = self.service.ledger
        if ledger is None:
            raise InputError("this executor records in no ledger: nothing to countersign")
        made = ledger.countersign()
        if made is None:
            return _json(Countersigned())
        log.info("countersigned the audit head #%d for %s", made.seq, peer_of(request))
        return _json(Countersigned(sequence=made.seq, hash=made.hash))

    async def _shutdown(self, request: web.Request) -> web.Response:
        self.stop_event.set()
        return _json({"stopping": True})


# --------------------------------------------------------------------------- price feeds
FEED_HELP = "csv:FILE[,SYMBOL=FILE...] (Binance kline CSVs) or live (public tickers)"


def feed_files(spec: str, symbols: Sequence[str]) -> dict[str, str]:
    """The files of a ``csv:`` feed by market: ``SYMBOL=FILE``, or a bare FILE named like
    Binance's dumps (``BTCUSDT-1m-2024-01.csv``: the market is read from the name)."""
    body = spec.removeprefix("csv:")
    by_name = {s.replace("/", "").upper(): s for s in symbols}
    files: dict[str, str] = {}
    for item in (part.strip() for part in body.split(",")):
        if not item:
            raise InputError(f"--feed {spec!r}: an empty file name", hint=f"use --feed {FEED_HELP}")
        symbol_text, sep, path = item.partition("=")
        if sep:
            symbol = symbol_text.strip().upper()
            if symbol not in symbols:
                raise InputError(
                    f"--feed: no market {symbol!r} in the catalogue",
                    hint=f"use one of: {', '.join(sorted(symbols))}",
                )
        else:
            path = item
            stem = os.path.basename(path).split("-")[0].split(".")[0].upper()
            found = by_name.get(stem)
            if found is None:
                raise InputError(
                    f"--feed: cannot tell the market of {path} from its name",
                    hint=f"name it: --feed csv:BTC/USDT={path}",
                )
            symbol = found
        if symbol in files:
            raise InputError(f"--feed: two files for {symbol}", hint="give one file per market")
        files[symbol] = path.strip()
    return files


def read_feed_files(files: dict[str, str]) -> dict[str, str]:
    """The text of each file, or a clear error naming the file."""
    texts: dict[str, str] = {}
    for symbol, path in files.items():
        try:
            with open(path, encoding="utf-8") as handle:
                texts[symbol] = handle.read(64 * 1024 * 1024)
        except FileNotFoundError:
            raise InputError(f"--feed: no file {path}", hint="give a Binance kline CSV") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                f"--feed: cannot read {path}: {getattr(exc, 'strerror', None) or exc}",
                hint="give a Binance kline CSV",
            ) from None
    return texts


def build_feed(spec: str, symbols: Sequence[str], start: datetime) -> tuple[Any, Any]:
    """The paper engine's feed for ``--feed`` and the ccxt exchange to close after (or None).

    ``csv:...`` replays the files from ``start`` on, in real time (a bad file is an
    :class:`InputError`); ``live`` reads public tickers from Binance through ccxt (no
    keys; nothing is fetched until the engine asks for prices).
    """
    from executors.paper.feeds import LiveTickerFeed, ReplayFeed

    if spec == "live":
        import ccxt.async_support as ccxt_async

        exchange = ccxt_async.binance({"enableRateLimit": True})
        return LiveTickerFeed(exchange, symbols), exchange
    if not spec.startswith("csv:"):
        raise InputError(f"--feed {spec!r} is not a feed", hint=f"use --feed {FEED_HELP}")
    files = feed_files(spec, symbols)
    texts = read_feed_files(files)
    try:
        feed = ReplayFeed.from_csv(texts, start_at=start)
    except InputError as exc:
        # parse_klines names the market; name the file too
        for symbol, path in files.items():
            if exc.message.startswith(symbol):
                raise InputError(exc.message.replace(symbol, path, 1), hint=exc.hint) from None
        raise
    return feed, None


# --------------------------------------------------------------------------- building
@contextlib.asynccontextmanager
async def build_executor(
    options: ExecutorOptions, base: str, clock: Clock
) -> AsyncIterator[Executor]:
    """The executor ``options`` name, with whatever it needs running (and stopped after)."""
    from executors.catalog import load_demo_account, load_market_catalog
    from executors.ccxt_exec import CcxtExecutor
    from executors.localnet.server import (
        Credentials,
        LocalExchange,
        load_or_create_credentials,
    )
    from executors.paper.engine import PaperEngine, engine_from
    from executors.paper.executor import PaperExecutor
    from executors.paper.feeds import SimulatedFeed
    from executors.venues import ApiKeys, Secret, check_url_is_local, resolve_keys, venue_profile

    def paper_engine(state_path: str) -> PaperEngine:
        catalog = load_market_catalog()
        if os.path.exists(state_path):
            with open(state_path, encoding="utf-8") as handle:
                return PaperEngine.loads(catalog, handle.read(), options.paper)
        return engine_from(catalog, load_demo_account(clock.now()), options.paper)

    if options.exchange == "paper":
        if options.url is not None:
            check_url_is_local(options.url)
            raise InputError("the paper engine has no URL", hint="drop --url")
        state = os.path.join(executor_dir(base, "paper"), "paper-state.json")
        engine = paper_engine(state)
        feed: Any
        live: Any = None
        if options.feed is None:
            feed = SimulatedFeed(
                engine.catalog, seed=options.seed, start=clock.now(), prices=engine.prices()
            )
        else:
            feed, live = build_feed(options.feed, sorted(engine.catalog.specs), clock.now())
        try:
            yield PaperExecutor(
                engine, clock, feed, state_path=state, autosync_seconds=options.tick_seconds
            )
        finally:
            if live is not None:
                await live.close()
        return
    if options.feed is not None:
        raise InputError(
            "--feed chooses the paper engine's prices", hint="use it with --exchange paper"
        )

    try:
        profile = venue_profile(options.exchange, options.exchanges_file)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, hint=f"{exc.hint}, or paper (the paper engine)" if exc.hint else None
        ) from None
    if not profile.local:
        if options.url is not None:
            check_url_is_local(options.url)  # raises: a testnet's URL is ccxt's own
        yield CcxtExecutor(profile, resolve_keys(profile), clock=clock)
        return

    if options.url is not None:
        check_url_is_local(options.url)
        env_key = os.environ.get("SIGNOFF_LOCALNET_API_KEY")
        env_secret = os.environ.get("SIGNOFF_LOCALNET_API_SECRET")
        if env_key and env_secret:
            keys = ApiKeys(api_key=Secret(env_key), secret=Secret(env_secret))
        else:
            creds = load_or_create_credentials(os.path.join(base, "localnet", "credentials.json"))
            keys = ApiKeys(api_key=Secret(creds.api_key), secret=Secret(creds.secret))
        yield CcxtExecutor(profile, keys, clock=clock, url=options.url)
        return

    # no URL: run the local exchange inside this process, on a random loopback port;
    # its state file lets a restarted executor find its orders again
    local_dir = os.path.join(base, "localnet")
    os.makedirs(local_dir, mode=0o700, exist_ok=True)
    state = os.path.join(local_dir, "embedded-state.json")
    engine = paper_engine(state)
    creds = Credentials.generate()
    exchange = LocalExchange(
        engine=engine,
        credentials=creds,
        clock=clock,
        feed=SimulatedFeed(
            engine.catalog, seed=options.seed, start=clock.now(), prices=engine.prices()
        ),
        tick_seconds=options.tick_seconds,
        state_path=state,
    )
    url = await exchange.start()
    try:
        keys = ApiKeys(api_key=Secret(creds.api_key), secret=Secret(creds.secret))
        yield CcxtExecutor(profile, keys, clock=clock, url=url)
    finally:
        await exchange.stop()


# --------------------------------------------------------------------------- running
class _Lock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._handle: TextIO | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ExecutorConflict(
                "an executor is already running for this $SIGNOFF_HOME",
                hint="stop it first, or use a different SIGNOFF_HOME",
            ) from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _socket_path(directory: str) -> tuple[str, str | None]:
    path = os.path.join(directory, SOCKET_NAME)
    if len(path) <= _MAX_SOCKET_PATH:
        return path, None
    # a deep $SIGNOFF_HOME does not fit in a socket address: use a private temp dir
    short = tempfile.mkdtemp(prefix="signoff-")
    os.chmod(short, 0o700)
    return os.path.join(short, SOCKET_NAME), short


def _write_private(path: str, text: str, mode: int = 0o600) -> None:
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


async def serve(
    options: ExecutorOptions,
    *,
    clock: Clock | None = None,
    base: str | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Run the executor process until SIGTERM, SIGINT or a shutdown request."""
    from executors.policy_file import default_policy_path
    from foundation.identity import IdentityRegistry, identities_path
    from ledger.service import Ledger
    from ledger.signing import HeadSigner, load_or_create_audit_key

    clock = clock or SystemClock()
    base = base or home(create=True)
    directory = executor_dir(base, options.exchange, shared=options.shared)
    lock = _Lock(os.path.join(directory, LOCK_FILE))
    lock.acquire()
    run_file = os.path.join(directory, RUN_FILE)
    short_dir: str | None = None
    runner: web.AppRunner | None = None
    ledger: Ledger | None = None
    signer: HeadSigner | None = None
    gatekeeper: Gatekeeper | None = None
    try:
        # the firm policy and the identities file are pinned here, never chosen by a client
        policy = PolicySource.load(options.policy_path or default_policy_path())
        people = options.identities_path or identities_path()
        registry = IdentityRegistry.load(people) if os.path.exists(people) else None
        journal = SqliteJournal(os.path.join(directory, JOURNAL_FILE))
        gatekeeper = Gatekeeper(
            registry, NonceStore(os.path.join(directory, NONCE_DB)), path=people
        )
        # the audit key lives in the base executor directory, whatever the venue, so
        # `signoff audit verify` finds its audit.pub by default
        signer = load_or_create_audit_key(os.path.join(base, "executor"))
        ledger = Ledger.open(options.db_url, clock=clock, head_signer=signer)
        async with build_executor(options, base, clock) as executor:
            service = ExecutionService(
                executor,
                journal,
                gatekeeper,
                clock=clock,
                policy=policy,
                ledger=ledger,
                validity=options.validity,
                drift_limit_pct=options.drift_limit_pct,
                view_ttl=timedelta(
                    seconds=0 if options.exchange == "paper" else options.view_ttl_seconds
                ),
            )
            reconciled = await service.start()
            for item in reconciled:
                log.info("reconciled %s: %s -> %s", item.client_order_id, item.before, item.after)
            if registry is None:
                log.warning("no identities file at %s: every step will be refused", people)
            synced = service.sync_ledger()
            if synced:
                log.info("brought %d order(s) in the ledger up to date with the venue", synced)
            log.info(
                "enforcing policy %s %s (%s) from %s",
                policy.policy.id,
                policy.policy.version,
                policy.policy.hash,
                policy.path,
            )
            run_secret = secrets.token_urlsafe(32)
            register_secret(run_secret, "executor run secret")
            server = ExecutorServer(
                service=service,
                secret=run_secret,
                clock=clock,
                started_at=clock.now(),
                identities=people if registry is not None else None,
            )
            socket_path, short_dir = _socket_path(directory)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(socket_path)
            runner = web.AppRunner(
                server.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
            )
            await runner.setup()
            old_umask = os.umask(0o177)
            try:
                site = web.UnixSite(runner, socket_path)
                await site.start()
            finally:
                os.umask(old_umask)
            os.chmod(socket_path, 0o660 if options.shared else 0o600)
            _write_private(
                run_file,
                json.dumps(
                    {
                        "pid": os.getpid(),
                        "socket": socket_path,
                        "secret": server.secret,
                        "venue": service.venue,
                        "started_at": server.started_at.isoformat(),
                    }
                ),
                0o640 if options.shared else 0o600,
            )
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, server.stop_event.set)
            if ready is not None:
                ready(socket_path)
            await _run_until_stopped(service, server.stop_event, options.refresh_seconds)
            await service.close()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(run_file)
        if runner is not None:
            await runner.cleanup()
        if short_dir is not None:
            shutil.rmtree(short_dir, ignore_errors=True)
        if gatekeeper is not None:
            gatekeeper.close()
        if ledger is not None:
            ledger.close()
        if signer is not None:
            signer.close()
        lock.release()


async def _run_until_stopped(
    service: ExecutionService, stop: asyncio.Event, refresh_seconds: float
) -> None:
    """Send scheduled runs when due (checked every second); reconcile every ``refresh_seconds``.

    ``run_due`` first carries out a `signoff halt --cancel-open` seen for the first time
    (open orders canceled, schedules stopped), so a halt acts within a second.
    """
    last_reconcile = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=min(1.0, refresh_seconds))
        if stop.is_set():
            return
        try:
            await service.flush_ledger()
            for state in await service.run_due():
                log.info("scheduled run %s: %s", state.client_order_id, state.status)
            if time.monotonic() - last_reconcile >= refresh_seconds:
                last_reconcile = time.monotonic()
                for item in await service.reconcile():
                    log.info(
                        "reconciled %s: %s -> %s", item.client_order_id, item.before, item.after
                    )
        except SignoffError as error:
            log.warning("background work failed: %s", error.message)


def main(options: ExecutorOptions) -> int:
    """Entry point of ``signoff executor``."""
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    # every key this process loads is registered with foundation.secrets; the filter
    # scrubs them from any log line, ccxt's and aiohttp's included
    install_log_redaction()

    def ready(socket_path: str) -> None:
        sys.stdout.write(f"executor ready on {socket_path}\n")
        sys.stdout.flush()

    try:
        asyncio.run(serve(options, ready=ready))
    except SignoffError as error:
        # the process that started this one reads it to raise the same error
        body = ErrorBody(
            type=type(error).__name__,
            message=error.message,
            hint=error.hint,
            code=getattr(error, "code", None),
        )
        with contextlib.suppress(OSError):
            _write_private(
                os.path.join(executor_dir(None, options.exchange), START_ERROR_FILE),
                body.model_dump_json(),
            )
        raise
    return 0
