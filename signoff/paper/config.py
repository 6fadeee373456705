"""Paper-session files: a rehearsal described in TOML (examples in ``configs/sessions/``).

    [session]
    name = "DCA into BTC"
    start = 2026-01-05T00:00:00Z      # simulated time the session starts at (not with live)
    duration = "14d"                  # how much simulated time it covers
    clock = "fast"                    # fast (as fast as possible) | accelerated | real
                                      # (--interactive runs fast as accelerated; live: real only)
    speed = 60                        # accelerated: simulated seconds per real second
    seed = 7                          # seeds the simulated prices
    trader = "alice"                  # who types the scripted requests
    policy = "default"                # the shipped firm policy, or a path (relative to this file)

    [balances]                        # the paper account at the start
    USDT = "10000"

    [prices]
    source = "simulated"              # simulated | replay | live
    interval = "1m"                   # one candle per interval
    volatility = "0.60"               # simulated: annualised, per market unless given below
    drift = "0"                       # simulated: annualised drift
    [prices.start]                    # simulated: start prices (default: configs/markets.toml)
    "BTC/USDT" = "60000"
    [prices.files]                    # replay: Binance kline CSVs, relative to this file
    "BTC/USDT" = "BTCUSDT-1m-2025.csv"
    # live: public tickers polled every `interval` (needs the network, no keys):
    # venue = "binance"               # binance | bybit | okx | hashkey, or "local"
    # url = "http://127.0.0.1:8765"   # local: the local exchange's URL (default: the
    #                                 # one `signoff localnet` is running at)
    # markets = ["BTC/USDT"]          # the markets to follow (default: every market)

    [fees]
    maker = "0.001"
    taker = "0.001"
    slippage_bps = "5"

    [identities]                      # people in the rehearsal besides the trader, with roles
    bob = ["approver"]

    [[script]]                        # requests at given times, with the answer at each gate
    at = "0m"                         # offset from the start; it runs at the close of
                                      # the candle that moment falls in
    request = "buy 20 USDT of BTC every day for a week"
    answer = "approve"                # approve | reject | expire | approve-as:NAME

    [[script]]                        # compliance halts all trading (and resumes it later)
    at = "3d"
    halt = "rehearsing the kill switch"

Unknown keys and bad values are refused, naming the key and what is wrong. Money
is read as exact decimals; a number written as a TOML float is refused (write it
as a string) so that nothing is rounded on the way in.
"""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from foundation.errors import ConfigError
from foundation.files import read_bytes
from foundation.identity import ROLES, check_name
from policy.model import parse_duration

MAX_MONEY = Decimal("1e15")


def _money(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError('write amounts as strings ("0.1"), so that they are read exactly')
    if not isinstance(value, str | int):
        raise ValueError("must be a number written as a string")
    try:
        amount = Decimal(str(value).strip().replace("_", ""))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise ValueError(f"{value!r} must be between 0 and {MAX_MONEY:,}")
    if amount.as_tuple().exponent < -18:  # type: ignore[operator]
        raise ValueError(f"{value!r} has more than 18 decimal places")
    return amount


def _duration(value: object) -> timedelta:
    if isinstance(value, str) and value.strip() in ("0", "0m", "0s"):
        return timedelta(0)
    return parse_duration(value)


def _utc(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time (2026-01-05T00:00:00Z)") from None
    if not isinstance(value, datetime):
        raise ValueError("must be a date and time such as 2026-01-05T00:00:00Z")
    if value.tzinfo is None:
        raise ValueError("give a time zone (2026-01-05T00:00:00Z)")
    return value.astimezone(UTC)


Money = Annotated[Decimal, BeforeValidator(_money)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
Moment = Annotated[datetime, BeforeValidator(_utc)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionSettings(_Strict):
    name: str = Field(min_length=1, max_length=200)
    start: Moment | None = None
    duration: Duration
    clock: Literal["fast", "accelerated", "real"] = "fast"
    speed: int = Field(default=60, ge=1, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    trader: str = "trader"
    policy: str = "default"
    personal: str | None = None
    reporting_currency: str = "USDT"

    def model_post_init(self, context: Any, /) -> None:
        check_name(self.trader)
        if self.duration > timedelta(days=3660):
            raise ValueError("a session covers at most ten years")


class PriceSettings(_Strict):
    source: Literal["simulated", "replay", "live"] = "simulated"
    interval: Duration = timedelta(minutes=1)
    volatility: Money | None = None
    drift: Annotated[Decimal, BeforeValidator(lambda v: _signed(v))] = Decimal(0)
    start: dict[str, Money] = {}
    files: dict[str, str] = {}
    venue: str | None = Field(default=None, min_length=1, max_length=40)
    url: str | None = Field(default=None, min_length=1, max_length=200)
    markets: list[str] = []


def _signed(value: object) -> Decimal:
    if isinstance(value, str) and value.strip().startswith("-"):
        return -_money(value.strip()[1:])
    return _money(value)


class Fees(_Strict):
    maker: Money = Decimal("0.001")
    taker: Money = Decimal("0.001")
    slippage_bps: Money = Decimal("5")


class ScriptEntry(_Strict):
    at: Duration
    request: str | None = Field(default=None, min_length=1, max_length=2000)
    answer: str = "approve"
    by: str | None = Field(default=None, description="who types it (default: the trader)")
    halt: str | None = Field(
        default=None, min_length=1, max_length=500, description="compliance halts, with why"
    )
    resume: bool = False

    def model_post_init(self, context: Any, /) -> None:
        given = [self.request is not None, self.halt is not None, self.resume]
        if sum(given) != 1:
            raise ValueError(
                'script: each entry has exactly one of request = "...", '
                'halt = "reason" or resume = true'
            )
        if self.answer in ("approve", "reject", "expire"):
            return
        if self.answer.startswith("approve-as:") and self.answer[len("approve-as:") :]:
            check_name(self.answer[len("approve-as:") :])
            return
        raise ValueError(f"answer {self.answer!r}: say approve, reject, expire or approve-as:NAME")

    @property
    def second_approver(self) -> str | None:
        return self.answer.split(":", 1)[1] if self.answer.startswith("approve-as:") else None


class SessionFile(_Strict):
    session: SessionSettings
    balances: dict[str, Money]
    prices: PriceSettings = PriceSettings()
    fees: Fees = Fees()
    identities: dict[str, list[str]] = {}
    script: list[ScriptEntry] = []

    def model_post_init(self, context: Any, /) -> None:
        for name, roles in self.identities.items():
            check_name(name)
            unknown = sorted(set(roles) - set(ROLES))
            if unknown:
                raise ValueError(f"identities.{name}: unknown role {unknown[0]!r}")
        prices = self.prices
        if prices.source == "replay" and not prices.files:
            raise ValueError("prices.files: a replay needs at least one kline CSV")
        live = prices.source == "live"
        for key in ("venue", "url"):
            if not live and getattr(prices, key) is not None:
                raise ValueError(f'prices.{key}: only for prices.source = "live"')
        if not live and prices.markets:
            raise ValueError('prices.markets: only for prices.source = "live"')
        if live:
            _check_live(self)
        elif self.session.start is None:
            raise ValueError(
                "session.start: missing (simulated and replayed prices start at a given moment)"
            )
        for entry in self.script:
            if entry.at > self.session.duration:
                raise ValueError(
                    f"script: a request at +{entry.at} is after the session ends "
                    f"(+{self.session.duration})"
                )
            approver = entry.second_approver
            if approver is not None and approver not in self.identities:
                raise ValueError(
                    f"script: {approver!r} approves, but [identities] does not list them"
                )

    @property
    def begins(self) -> datetime:
        """The simulated start (simulated or replayed prices; a live session starts when run)."""
        if self.session.start is None:  # pragma: no cover - refused when the file is read
            raise ValueError("a live session has no start in its file")
        return self.session.start

    @property
    def end(self) -> datetime:
        return self.begins + self.session.duration


LIVE_VENUES = ("binance", "bybit", "okx", "hashkey", "local")


def _check_live(file: SessionFile) -> None:
    """Live tickers: a venue, real time only, and none of the simulated keys."""
    prices, session = file.prices, file.session
    if prices.venue is None:
        raise ValueError(
            'prices.venue: live prices need a venue, e.g. venue = "binance" '
            f"(one of {', '.join(LIVE_VENUES)})"
        )
    if prices.venue not in LIVE_VENUES:
        raise ValueError(
            f"prices.venue: {prices.venue!r} is not a venue signoff reads tickers from "
            f"(one of {', '.join(LIVE_VENUES)})"
        )
    if prices.url is not None and prices.venue != "local":
        raise ValueError('prices.url: only for venue = "local" (the local exchange)')
    if session.clock != "real":
        raise ValueError(
            f'session.clock: live prices arrive in real time; clock = "{session.clock}" '
            'cannot run ahead of them (set clock = "real" in [session])'
        )
    if session.start is not None:
        raise ValueError(
            "session.start: a live session starts when it is run (remove start from [session])"
        )
    for key in ("volatility", "start", "files"):
        if getattr(prices, key):
            raise ValueError(f"prices.{key}: not used with live prices (remove it)")
    if prices.drift:
        raise ValueError("prices.drift: not used with live prices (remove it)")
    if prices.interval < timedelta(seconds=1):
        raise ValueError("prices.interval: live tickers are polled at most once a second")


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the file"
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key: see configs/sessions/ for what a session file holds"
    if first["type"] == "missing":
        message = "missing"
    if not first["loc"]:
        return message  # a check over the whole file names its own keys
    return f"{where}: {message}"


def load_session_file(path: str) -> tuple[SessionFile, str]:
    """The session file and its directory (for relative paths); ConfigError naming the key."""
    data = read_bytes(path)
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", source=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", source=path) from None
    except RecursionError:
        raise ConfigError("nested too deeply to be a session file", source=path) from None
    try:
        parsed = SessionFile.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(
            _describe(exc), source=path, hint="see configs/sessions/ for examples"
        ) from None
    except ValueError as exc:
        raise ConfigError(
            str(exc), source=path, hint="see configs/sessions/ for examples"
        ) from None
    return parsed, os.path.dirname(os.path.abspath(path))
