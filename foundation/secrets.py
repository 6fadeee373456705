"""Keep API keys, secrets and tokens out of the ledger, the logs and the output.

A process-wide registry holds the secret values signoff knows about: those
loaded from the environment (any variable whose name says it holds a key, a
secret, a token, a password or a passphrase) and those registered by whoever
loads credentials from a file (:func:`register_secret`). Everything that
leaves the process through signoff's own writers passes through
:func:`redact`:

- the ledger redacts every text it stores (free text a person typed, an error
  an exchange echoed back, JSON payloads) before hashing and writing it;
- :class:`RedactingFilter` rewrites log records (install it with
  :func:`install_log_redaction`);
- the CLI can pass any message through :func:`redact` before printing it.

The registry stores the values only in memory; nothing here ever writes them.
This module imports only the standard library.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping

MIN_SECRET_LENGTH = 6
"""Shorter values are not treated as secrets: redacting 'abc' everywhere would garble text."""

_SECRET_NAME = re.compile(
    r"(?:^|_)(?:API_?KEY|KEY|SECRET|API_?SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|PRIVATE_?KEY)(?:_|$)",
    re.IGNORECASE,
)

REDACTED = "[REDACTED]"


def looks_secret(name: str) -> bool:
    """Whether an environment variable or setting named ``name`` holds a credential."""
    return bool(_SECRET_NAME.search(name))


class SecretRegistry:
    """The secret values this process knows, and how to scrub them from text."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None

    def register(self, value: str | None, label: str = "secret") -> None:
        """Remember ``value`` as a secret (values shorter than six characters are ignored)."""
        if value is None:
            return
        value = value.strip()
        if len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value not in self._values:
                self._values[value] = label
                self._pattern = None

    def load_environment(self, environ: Mapping[str, str] | None = None) -> int:
        """Register every environment value whose variable name looks like a credential."""
        env = os.environ if environ is None else environ
        before = len(self)
        for name, value in env.items():
            if looks_secret(name):
                self.register(value, name)
        return len(self) - before

    def labels(self) -> list[str]:
        with self._lock:
            return sorted(set(self._values.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def clear(self) -> None:
        """Forget every registered value (tests only)."""
        with self._lock:
            self._values.clear()
            self._pattern = None

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                # longest first, so a secret that contains another is removed whole
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern

    def find(self, text: str) -> str | None:
        """The label of the first secret found in ``text``, or None."""
        pattern = self._compiled()
        if pattern is None:
            return None
        match = pattern.search(text)
        if match is None:
            return None
        with self._lock:
            return self._values.get(match.group(0), "secret")

    def redact(self, text: str) -> str:
        """``text`` with every registered secret replaced by ``[REDACTED]``."""
        pattern = self._compiled()
        if pattern is None:
            return text
        return pattern.sub(REDACTED, text)


REGISTRY = SecretRegistry()
_ENV_LOADED = False
_ENV_LOCK = threading.Lock()


def register_secret(value: str | None, label: str = "secret") -> None:
    """Tell signoff that ``value`` is a credential (e.g. a key read from a file)."""
    REGISTRY.register(value, label)


def register_secrets(values: Iterable[tuple[str, str | None]]) -> None:
    for label, value in values:
        REGISTRY.register(value, label)


def ensure_environment_loaded() -> None:
    """Register the environment's credentials once per process."""
    global _ENV_LOADED
    with _ENV_LOCK:
        if not _ENV_LOADED:
            REGISTRY.load_environment()
            _ENV_LOADED = True


def reload_environment() -> None:
    """Register the environment's credentials again (after the environment changed)."""
    global _ENV_LOADED
    with _ENV_LOCK:
        REGISTRY.load_environment()
        _ENV_LOADED = True


def reset() -> None:
    """Forget every secret and reload the environment on next use (tests only)."""
    global _ENV_LOADED
    with _ENV_LOCK:
        REGISTRY.clear()
        _ENV_LOADED = False


def redact(text: str) -> str:
    """``text`` with every known secret (the environment's included) replaced by ``[REDACTED]``."""
    ensure_environment_loaded()
    return REGISTRY.redact(text)


def find_secret(text: str) -> str | None:
    """The label of a known secret that occurs in ``text``, or None."""
    return REGISTRY.find(text)


class RedactingFilter(logging.Filter):
    """A logging filter that removes known secrets from the formatted message.

    The message is formatted here (``msg % args``) so that a secret passed as an
    argument is caught too; the record then carries the redacted text and no args.
    Exception text is formatted and redacted as well.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
            # the handler would format exc_info again, unredacted; exc_text stands in for it
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (default: root).

    Filters on handlers (not on the logger) also see records propagated from
    child loggers, which is where libraries log.
    """
    ensure_environment_loaded()
    target = logger or logging.getLogger()
    redacting = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
    return redacting
