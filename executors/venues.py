"""Venue profiles (``configs/exchanges.toml``), API keys, and the sandbox guard.

The guard is the reason signoff can be pointed at exchanges at all: every URL a
ccxt exchange object would call is checked against the testnet hosts of its
exchange (or 127.0.0.1 for the local exchange) before the first request, and
anything else is a :class:`SandboxViolation`. There is no setting that relaxes
it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from executors.capabilities import CAPABILITIES, CCXT_IDS, CcxtId
from foundation.errors import ConfigError, MissingCredentials, SandboxViolation
from foundation.files import parse_toml, read_text
from foundation.paths import shipped_config
from foundation.secrets import register_secrets

_CCXT_IDS: tuple[CcxtId, ...] = CCXT_IDS

# the hosts each exchange's sandbox mode uses; nothing else is ever allowed. okx's
# demo trading shares the live host: the x-simulated-trading header is what makes
# it a sandbox, so it is checked as well (see check_sandbox)
SANDBOX_HOSTS: dict[str, frozenset[str]] = {i: c.sandbox_hosts for i, c in CAPABILITIES.items()}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

_PROFILE_KEYS = {
    "ccxt",
    "local",
    "key_env",
    "secret_env",
    "password_env",
    "keyring_service",
    "recv_window_ms",
    "timeout_ms",
}


@dataclass(frozen=True)
class VenueProfile:
    name: str
    ccxt_id: CcxtId
    local: bool = False
    key_env: str | None = None
    secret_env: str | None = None
    password_env: str | None = None
    keyring_service: str | None = None
    recv_window_ms: int = 5000
    timeout_ms: int = 10000


class Secret:
    """A key that prints as ``<hidden>`` everywhere: repr, str, f-strings, logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<hidden>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class ApiKeys:
    api_key: Secret
    secret: Secret
    password: Secret | None = None


def _int(value: Any, *, source: str, where: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"'{key}' must be a whole number", source=source, location=where)
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(
            f"'{key}' must be a whole number, got {value!r}", source=source, location=where
        ) from None
    if number <= 0:
        raise ConfigError(f"'{key}' must be positive", source=source, location=where)
    return number


def parse_venue_profiles(text: str, *, source: str) -> dict[str, VenueProfile]:
    data = parse_toml(text, source, exact=False)
    unknown = set(data) - {"exchange"}
    if unknown:
        raise ConfigError(
            f"unknown top-level key(s): {', '.join(sorted(unknown))}",
            source=source,
            hint="the file holds only [exchange.NAME] tables",
        )
    tables = data.get("exchange")
    if not isinstance(tables, dict) or not tables:
        raise ConfigError("no [exchange.NAME] entries", source=source)
    profiles: dict[str, VenueProfile] = {}
    for name, entry in tables.items():
        where = f"exchange {name}"
        if not isinstance(entry, dict):
            raise ConfigError("must be a table", source=source, location=where)
        bad = set(entry) - _PROFILE_KEYS
        if bad:
            raise ConfigError(
                f"unknown key(s): {', '.join(sorted(bad))}",
                source=source,
                location=where,
                hint=f"known keys: {', '.join(sorted(_PROFILE_KEYS))}; there is no "
                "setting for live trading",
            )
        ccxt_id = entry.get("ccxt")
        if ccxt_id not in _CCXT_IDS:
            raise ConfigError(
                f"'ccxt' must be one of {', '.join(_CCXT_IDS)}, got {ccxt_id!r}",
                source=source,
                location=where,
            )
        local = entry.get("local", False)
        if not isinstance(local, bool):
            raise ConfigError("'local' must be true or false", source=source, location=where)
        if local and ccxt_id != "binance":
            raise ConfigError(
                'the local exchange speaks Binance\'s API: use ccxt = "binance"',
                source=source,
                location=where,
            )
        strings: dict[str, str | None] = {}
        for key in ("key_env", "secret_env", "password_env", "keyring_service"):
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"'{key}' must be a string", source=source, location=where)
            strings[key] = value
        profiles[name] = VenueProfile(
            name=name,
            ccxt_id=ccxt_id,
            local=local,
            key_env=strings["key_env"],
            secret_env=strings["secret_env"],
            password_env=strings["password_env"],
            keyring_service=strings["keyring_service"],
            recv_window_ms=_int(
                entry.get("recv_window_ms", 5000), source=source, where=where, key="recv_window_ms"
            ),
            timeout_ms=_int(
                entry.get("timeout_ms", 10000), source=source, where=where, key="timeout_ms"
            ),
        )
    return profiles


def load_venue_profiles(path: str | None = None) -> dict[str, VenueProfile]:
    source = path or shipped_config("exchanges.toml")
    return parse_venue_profiles(read_text(source), source=source)


def venue_profile(name: str, path: str | None = None) -> VenueProfile:
    profiles = load_venue_profiles(path)
    profile = profiles.get(name)
    if profile is None:
        raise ConfigError(
            f"no exchange named {name!r}",
            source=path or shipped_config("exchanges.toml"),
            hint=f"known exchanges: {', '.join(sorted(profiles))}",
        )
    return profile


def _keyring_get(service: str, user: str) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(service, user)
    except Exception:  # any keyring backend failure means "no key there"
        return None
    return value if isinstance(value, str) and value else None


def resolve_keys(profile: VenueProfile, env: Mapping[str, str] | None = None) -> ApiKeys:
    """The venue's keys from the environment or the keyring; never printed."""
    environ = os.environ if env is None else env

    def find(env_name: str | None, keyring_user: str) -> str | None:
        if env_name and environ.get(env_name):
            return environ[env_name]
        if profile.keyring_service:
            return _keyring_get(profile.keyring_service, keyring_user)
        return None

    key = find(profile.key_env, "api_key")
    secret = find(profile.secret_env, "secret")
    password = find(profile.password_env, "password") if profile.password_env else None
    missing = [
        n
        for n, v in (
            (profile.key_env, key),
            (profile.secret_env, secret),
            (profile.password_env, password if profile.password_env else "x"),
        )
        if n and not v
    ]
    if not key or not secret or missing:
        where = " and ".join(n for n in missing if n) or "the keyring"
        raise MissingCredentials(
            f"no API keys for {profile.name}: set {where}",
            hint=(
                f"create keys on {CAPABILITIES[profile.ccxt_id].keys_site} and export them"
                + (
                    f", or store them in the keyring under '{profile.keyring_service}'"
                    if profile.keyring_service
                    else ""
                )
            ),
        )
    # keys from the keyring are not in the environment: make sure no log or error shows them
    register_secrets(
        [
            (f"{profile.name} api key", key),
            (f"{profile.name} secret", secret),
            (f"{profile.name} password", password),
        ]
    )
    return ApiKeys(
        api_key=Secret(key), secret=Secret(secret), password=Secret(password) if password else None
    )


def _urls(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _urls(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _urls(item)


def check_url_is_local(url: str) -> None:
    """The local exchange's URL must be plain HTTP(S) on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK_HOSTS:
        raise SandboxViolation(
            f"{url} is not the local exchange: it must be on 127.0.0.1",
            hint="start it with 'signoff localnet' and pass the URL it prints; signoff "
            "never trades on a live exchange (only its public prices can be read)",
        )


def check_sandbox(exchange: Any, profile: VenueProfile) -> None:
    """Refuse unless every API URL of ``exchange`` is its sandbox's (or loopback for local)."""
    if not getattr(exchange, "isSandboxModeEnabled", False):
        raise SandboxViolation(
            f"{profile.name}: sandbox mode is off", hint="signoff only trades on testnets"
        )
    hostname = str(getattr(exchange, "hostname", "") or "")
    allowed = LOOPBACK_HOSTS if profile.local else SANDBOX_HOSTS[profile.ccxt_id]
    for raw in _urls(exchange.urls.get("api")):
        url = raw.replace("{hostname}", hostname)
        host = urlsplit(url).hostname
        if host not in allowed:
            raise SandboxViolation(
                f"{profile.name}: {url} is not a testnet endpoint of {profile.ccxt_id}",
                hint="signoff only trades on testnets, demo environments and the local "
                "exchange; there is no way to reach a live exchange",
            )
    header = CAPABILITIES[profile.ccxt_id].sandbox_header
    if header is not None and not profile.local:
        headers = getattr(exchange, "headers", None) or {}
        if headers.get(header[0]) != header[1]:
            raise SandboxViolation(
                f"{profile.name}: {profile.ccxt_id} without the {header[0]} header is the "
                "live exchange",
                hint=f"signoff only trades on {CAPABILITIES[profile.ccxt_id].title}",
            )


def keys_table(path: str | None = None) -> str:
    """The README's table of where each venue's keys come from (Markdown)."""
    lines = [
        "| venue | exchange | environment variables | keyring service | keys from |",
        "|---|---|---|---|---|",
    ]
    for profile in load_venue_profiles(path).values():
        if profile.local:
            continue
        caps = CAPABILITIES[profile.ccxt_id]
        names = [n for n in (profile.key_env, profile.secret_env, profile.password_env) if n]
        lines.append(
            f"| `{profile.name}` | {caps.title} | {', '.join(f'`{n}`' for n in names)} | "
            f"`{profile.keyring_service or '-'}` | {caps.keys_site} |"
        )
    return "\n".join(lines) + "\n"
