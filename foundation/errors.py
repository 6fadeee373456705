"""signoff's one error tree.

Every error a person can cause or meet says what is wrong and what to do next.
Library errors (ccxt, pydantic-ai, SQLAlchemy) are mapped at the boundary with
``raise ... from exc`` so that nothing above the boundary sees them.

    SignoffError                      base: ``message``, ``hint``, ``exit_code``
    ├── UsageError                    wrong command-line use (exit 2)
    ├── InputError                    a file or text that cannot be read as asked
    │   └── ConfigError               a config, asset list or policy file is invalid;
    │       │                         names the file, the entry and the key
    │       └── PolicyError           the policy file, or a personal file loosening it
    ├── LedgerError                   the ledger cannot be opened or written
    │   ├── SchemaVersionError        a database from a newer or unknown schema
    │   └── AuditIntegrityError       the audit chain does not verify
    └── ExecutionError                a step could not be carried out
        ├── ApprovalError             missing, expired, altered, replayed or foreign token
        ├── SandboxViolation          an endpoint that is not a testnet or the local exchange
        └── ExchangeError             the exchange refused or could not be reached
            ├── InsufficientFunds
            ├── OrderRejected         the exchange's rules (step, tick, min notional)
            ├── OrderNotFound
            ├── ExchangeUnavailable   network, timeout, maintenance
            ├── OrderStateUnknown     sent, but the outcome is not known yet
            ├── RateLimited
            └── AuthenticationFailed  keys missing or refused
                └── MissingCredentials  no keys set (exit 2: set the named variables)

This module imports nothing but the standard library, so the domain packages
(``intent``, ``policy``) may use it.
"""

from __future__ import annotations


class SignoffError(Exception):
    """Base of every error signoff raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(SignoffError):
    """The command line was used wrongly."""

    exit_code = 2


class InputError(SignoffError):
    """A file or a text cannot be used as asked."""

    exit_code = 2


class ConfigError(InputError):
    """A configuration file (settings, asset list, policy) is invalid."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        location: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ", ".join(part for part in (source, location) if part)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.source = source
        self.location = location


class PolicyError(ConfigError):
    """The policy file (or a personal threshold file) does not load."""


class LedgerError(SignoffError):
    """The ledger cannot be opened or written."""


class SchemaVersionError(LedgerError):
    """The database was written by a newer or unknown version of signoff."""


class AuditIntegrityError(LedgerError):
    """The audit chain does not verify."""


class ExecutionError(SignoffError):
    """A step could not be carried out."""


class ApprovalError(ExecutionError):
    """An approval token is missing, expired, altered, replayed or foreign."""


class SandboxViolation(ExecutionError):
    """An endpoint that is not a sandbox, a testnet or the local exchange."""


class ExchangeError(ExecutionError):
    """The exchange refused the request or could not be reached."""


class InsufficientFunds(ExchangeError):
    """Not enough balance for the order."""


class OrderRejected(ExchangeError):
    """The exchange's rules refused the order (step, tick, min notional, ...)."""


class OrderNotFound(ExchangeError):
    """The exchange does not know the order."""


class ExchangeUnavailable(ExchangeError):
    """Network failure, timeout or maintenance."""


class OrderStateUnknown(ExchangeError):
    """The order was sent but its outcome is not known; look it up before retrying."""


class RateLimited(ExchangeError):
    """The exchange's or the policy's rate limit was hit."""


class AuthenticationFailed(ExchangeError):
    """API keys are missing or were refused."""


class MissingCredentials(AuthenticationFailed):
    """No API keys are set for the venue: a setup problem, fixed by setting them."""

    exit_code = 2
