"""Talking to the executor process, and starting it when it is not running.

:class:`ExecutorClient` is what the rest of signoff uses: it holds no exchange
key, only the per-run secret that opens the executor's socket; what it sends is
executed only if the people's signatures and the executor's own decision allow it.
Errors come back as the same classes of :mod:`foundation.errors` (refusals as
:class:`executors.approvals.ApprovalRefused` with their code).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast, get_args

import httpcore
import httpx
from httpcore._backends.sync import SyncStream
from pydantic import TypeAdapter

from executors.approvals import ApprovalRefused, RefusalCode, SignedApproval, SignedRequest
from executors.base import Fill, OrderState
from executors.journal import JournalEntry
from executors.process.server import RUN_FILE, START_ERROR_FILE, executor_dir
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
from executors.service import ReconcileResult, ScheduleView, StepResult, WaitingView
from foundation import errors
from foundation.errors import ExecutionError, SignoffError
from intent.market import AccountSnapshot, MarketRules, Quote
from intent.resolved import ResolvedCancel, ResolvedOrder, ResolvedStep
from policy.counters import Counters
from policy.decision import StepDecision

_ORDERS = TypeAdapter(list[OrderState])
_FILLS = TypeAdapter(list[Fill])
_RULES = TypeAdapter(dict[str, MarketRules])
_QUOTES = TypeAdapter(dict[str, Quote])
_RECONCILED = TypeAdapter(list[ReconcileResult])
_WAITING = TypeAdapter(list[WaitingView])
_RESULTS = TypeAdapter(list[StepResult])


_REFUSAL_CODES: frozenset[str] = frozenset(get_args(RefusalCode))


def _error_from(body: ErrorBody) -> SignoffError:
    """The executor's error as the same class here (its message already carries the code)."""
    if body.type == "ApprovalRefused" and body.code in _REFUSAL_CODES:
        code = cast(RefusalCode, body.code)
        return ApprovalRefused(code, body.message.removeprefix(f"{code}: "), hint=body.hint)
    if body.type == "IdentityError" and body.code:
        return errors.IdentityError(
            body.code, body.message.removeprefix(f"{body.code}: "), hint=body.hint
        )
    cls = getattr(errors, body.type, None)
    if isinstance(cls, type) and issubclass(cls, SignoffError):
        error = cls.__new__(cls)
        SignoffError.__init__(error, body.message, hint=body.hint)
        return error
    return ExecutionError(body.message, hint=body.hint)


class _UnixBackend(httpcore.SyncBackend):
    """httpcore's own backend, but a socket that could not connect is closed.

    httpcore 1.0 leaves it open when ``connect()`` fails (the executor went away, its
    socket file left behind), to be found later by the garbage collector with a
    ResourceWarning: every request to an executor that stopped leaked one socket.
    """

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(timeout)
            sock.connect(path)
        except TimeoutError as exc:
            sock.close()
            raise httpcore.ConnectTimeout(exc) from exc
        except OSError as exc:
            sock.close()
            raise httpcore.ConnectError(exc) from exc
        return SyncStream(sock)


class _UnixTransport(httpx.HTTPTransport):
    """httpx's transport over the executor's socket, on :class:`_UnixBackend`."""

    def __init__(self, path: str) -> None:
        super().__init__(uds=path)
        # the pool httpx would build (its default limits), with the closing backend
        self._pool = httpcore.ConnectionPool(
            uds=path,
            network_backend=_UnixBackend(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )


class ExecutorClient:
    """A connection to a running executor process (sync; one request at a time)."""

    def __init__(
        self, socket_path: str, secret: str, *, timeout: float = 30.0, pid: int | None = None
    ) -> None:
        self.socket_path = socket_path
        self.pid = pid
        self.process: subprocess.Popen[bytes] | None = None
        self._http = httpx.Client(
            transport=_UnixTransport(socket_path),
            base_url="http://executor",
            headers={"Authorization": f"Bearer {secret}"},
            timeout=timeout,
        )

    @classmethod
    def connect(
        cls, base: str | None = None, *, timeout: float = 30.0, venue: str = "local"
    ) -> ExecutorClient:
        """The executor of this ``$SIGNOFF_HOME`` and venue, from its ``run.json``."""
        path = os.path.join(executor_dir(base, venue), RUN_FILE)
        try:
            with open(path, encoding="utf-8") as handle:
                run = json.load(handle)
        except FileNotFoundError:
            raise ExecutionError(
                "no executor is running", hint="start one with 'signoff executor'"
            ) from None
        except (OSError, ValueError) as exc:
            raise ExecutionError(f"cannot read {path}: {exc}") from None
        return cls(str(run["socket"]), str(run["secret"]), timeout=timeout, pid=int(run["pid"]))

    def close(self) -> None:
        self._http.close()

    @property
    def closed(self) -> bool:
        """This client was closed (or the executor shut down through it)."""
        return self._http.is_closed

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._http.is_closed:
            raise ExecutionError(
                f"this connection to the executor was closed before {path}",
                hint="open a new one (signoff connects again on its next command)",
            )
        try:
            response = self._http.request(method, f"{API}{path}", **kwargs)
        except httpx.TimeoutException as exc:
            raise errors.OrderStateUnknown(
                f"the executor did not answer {path} in time",
                hint="it may still be working: list orders before trying again",
            ) from exc
        except httpx.TransportError as exc:
            raise ExecutionError(
                f"cannot reach the executor at {self.socket_path}",
                hint="start it with 'signoff executor' (or let signoff start it)",
            ) from exc
        if response.status_code >= 400:
            try:
                body = ErrorBody.model_validate(response.json()["error"])
            except (ValueError, KeyError, TypeError):
                raise ExecutionError(
                    f"the executor answered {response.status_code} to {path}"
                ) from None
            raise _error_from(body)
        return response.json()

    # ------------------------------------------------------------------ API
    def health(self) -> Health:
        return Health.model_validate(self._request("GET", "/health"))

    def market_rules(self) -> dict[str, MarketRules]:
        return _RULES.validate_python(self._request("GET", "/markets"))

    def quotes(self, symbols: Sequence[str]) -> dict[str, Quote]:
        body = QuotesRequest(symbols=tuple(symbols)).model_dump_json()
        return _QUOTES.validate_python(self._request("POST", "/quotes", content=body))

    def account(self) -> AccountSnapshot:
        return AccountSnapshot.model_validate(self._request("GET", "/account"))

    def policy(self) -> PolicyInfo:
        """The firm policy the executor enforces, with its text."""
        return PolicyInfo.model_validate(self._request("GET", "/policy"))

    def counters(self) -> Counters:
        """The history the executor decides with (from its own journal)."""
        return Counters.model_validate(self._request("GET", "/counters"))

    def execute(
        self,
        *,
        plan_id: str,
        step: ResolvedOrder | ResolvedCancel,
        decision: StepDecision,
        request: SignedRequest | None,
        plan_steps: Sequence[ResolvedStep] = (),
        personal: str | None = None,
        approval: SignedApproval | None = None,
    ) -> StepResult:
        body = ExecuteRequest(
            plan_id=plan_id,
            step=step,
            decision=decision,
            request=request,
            plan_steps=tuple(plan_steps),
            personal=personal,
            approval=approval,
        )
        data = self._request("POST", "/execute", content=body.model_dump_json())
        return StepResult.model_validate(data)

    def waiting(self, plan_id: str | None = None, *, everything: bool = False) -> list[WaitingView]:
        """Escalated steps waiting for a second signature (``everything``: in any state)."""
        params = {}
        if plan_id:
            params["plan_id"] = plan_id
        if everything:
            params["all"] = "1"
        return _WAITING.validate_python(self._request("GET", "/waiting", params=params))

    def approve(self, *, plan_id: str, step_id: str, approval: SignedApproval) -> StepResult:
        body = ApproveRequest(plan_id=plan_id, step_id=step_id, approval=approval)
        data = self._request("POST", "/approve", content=body.model_dump_json())
        return StepResult.model_validate(data)

    def resume(self, plan_id: str) -> list[StepResult]:
        body = ResumeRequest(plan_id=plan_id)
        return _RESULTS.validate_python(
            self._request("POST", "/resume", content=body.model_dump_json())
        )

    def open_orders(self, symbol: str | None = None) -> list[OrderState]:
        params = {"symbol": symbol} if symbol else None
        return _ORDERS.validate_python(self._request("GET", "/open-orders", params=params))

    def order(self, symbol: str, client_order_id: str) -> OrderState | None:
        """The venue's state of one order, looked up by client order id (None: it has none)."""
        params = {"symbol": symbol, "client_order_id": client_order_id}
        data = self._request("GET", "/order", params=params)
        return None if data is None else OrderState.model_validate(data)

    def journal_entry(self, client_order_id: str) -> JournalEntry | None:
        """What the executor's journal says about an order (None: it never sent it)."""
        data = self._request("GET", "/journal", params={"client_order_id": client_order_id})
        return None if data is None else JournalEntry.model_validate(data)

    def schedule(self, client_order_id: str) -> ScheduleView | None:
        """A recurring step and its runs so far (None: no schedule has this id)."""
        data = self._request("GET", "/schedule", params={"client_order_id": client_order_id})
        return None if data is None else ScheduleView.model_validate(data)

    def fills(self, symbol: str, since: datetime | None = None) -> list[Fill]:
        params = {"symbol": symbol}
        if since is not None:
            params["since"] = since.isoformat()
        return _FILLS.validate_python(self._request("GET", "/fills", params=params))

    def reconcile(self) -> list[ReconcileResult]:
        return _RECONCILED.validate_python(self._request("POST", "/reconcile"))

    def countersign(self) -> Countersigned:
        """Ask the executor to check the chain since its last signed head and sign the head.

        Records this client appended through its own (unsigned) ledger connection
        are then covered by the executor's signature; nothing is appended.
        """
        return Countersigned.model_validate(self._request("POST", "/audit/countersign"))

    def shutdown(self, *, wait: float = 10.0) -> None:
        """Ask the process to stop; waits (bounded) for it to exit when this client started it."""
        with contextlib.suppress(ExecutionError):
            self._request("POST", "/shutdown")
        if self.process is not None:
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                self.process.wait(timeout=wait)
        self.close()


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        # our own child that exited is a zombie until reaped: reap it
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: ask the kernel below
    else:
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_executor(
    exchange: str = "local",
    *,
    args: Sequence[str] = (),
    base: str | None = None,
    timeout: float = 30.0,
    reuse: bool = True,
) -> ExecutorClient:
    """A client of this home's executor for ``exchange``, starting ``signoff executor`` if needed.

    Each venue has its own executor (``executor/`` for the local exchange,
    ``executor-<venue>/`` for others), side by side. Concurrent cold starts
    queue on a start lock: the first starts the process, the others connect to
    it. A running executor is never restarted on another policy.

    The process is started in its own session (so that Ctrl-C in the terminal
    does not kill it mid-order) with its output in ``executor.log``.
    """
    directory = executor_dir(base, exchange)
    start_lock = os.path.join(directory, "start.lock")
    if not os.access(directory, os.W_OK):
        # an executor run by its own OS user (README: deployment): connect, never start
        return ExecutorClient.connect(base, timeout=timeout, venue=exchange)
    with open(start_lock, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ExecutionError(
                        "another signoff is starting the executor and did not finish",
                        hint=f"see {os.path.join(directory, 'executor.log')}",
                    ) from None
                time.sleep(0.05)
        try:
            return _connect_or_start(exchange, directory, args, base, timeout, reuse)
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _connect_or_start(
    exchange: str,
    directory: str,
    args: Sequence[str],
    base: str | None,
    timeout: float,
    reuse: bool,
) -> ExecutorClient:
    if reuse:
        try:
            client = ExecutorClient.connect(base, timeout=timeout, venue=exchange)
        except ExecutionError:
            pass
        else:
            if _alive(client.pid):
                try:
                    health = client.health()
                except ExecutionError:
                    client.close()
                else:
                    if health.venue != exchange:  # pragma: no cover - one directory per venue
                        client.close()
                        raise errors.ExecutorConflict(
                            f"an executor for {health.venue} answers for {exchange}",
                            hint=f"stop it: signoff executor --stop --exchange {exchange}",
                        )
                    return client
            else:
                client.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(directory, START_ERROR_FILE))
    env = dict(os.environ)
    if base is not None:
        env["SIGNOFF_HOME"] = base
    log_path = os.path.join(directory, "executor.log")
    with open(log_path, "ab") as log_file:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "signoff", "executor", "--exchange", exchange, *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            env=env,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    run_path = os.path.join(directory, RUN_FILE)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise _startup_failure(log_path, process.returncode)
        try:
            with open(run_path, encoding="utf-8") as handle:
                run = json.load(handle)
        except (FileNotFoundError, ValueError):
            run = None
        if run and run.get("pid") == process.pid:
            client = ExecutorClient(
                str(run["socket"]), str(run["secret"]), timeout=timeout, pid=process.pid
            )
            client.process = process
            return client
        time.sleep(0.05)
    process.terminate()
    process.wait(timeout=10)
    raise ExecutionError(
        f"the executor did not start within {timeout:.0f} s",
        hint=f"see {log_path}",
    )


def _startup_failure(log_path: str, code: int | None) -> SignoffError:
    """The executor's own start-up error, re-raised here with its class."""
    failure = os.path.join(os.path.dirname(log_path), START_ERROR_FILE)
    try:
        with open(failure, encoding="utf-8") as handle:
            body = ErrorBody.model_validate_json(handle.read())
    except (OSError, ValueError):
        body = None
    if body is not None:
        return _error_from(body)
    try:
        with open(log_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()[-40:]
    except OSError:
        lines = []
    message = next((ln[7:] for ln in reversed(lines) if ln.startswith("error: ")), None)
    hint = next((ln[6:] for ln in reversed(lines) if ln.startswith("hint: ")), None)
    return ExecutionError(
        f"the executor stopped at start (exit {code}): {message or 'see its log'}",
        hint=hint or f"see {log_path}",
    )
