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
    ├── IdentityError                 unknown person, bad signature, missing role,
    │                                 missing or locked key (``code`` says which)
    ├── LedgerError                   the ledger cannot be opened or written
    │   ├── SchemaVersionError        a database from a newer or unknown schema
    │   └── AuditIntegrityError       the audit chain does not verify
    └── ExecutionError                a step could not be carried out
        ├── ExecutorConflict          another executor holds this home (exit 2)
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

Exit codes (the one table; README "Exit codes" and every command's help repeat it,
and ``tests/display/test_exit_codes.py`` checks all three against real runs):

    0    done
    1    not done, and nothing is wrong with signoff: a question, a refusal, a step the
         policy denies or nobody approved (also when other steps ran), a tampered audit
         trail, a failing policy test
    2    a usage or configuration error: bad arguments, a file that cannot be read or is
         invalid, missing or refused exchange keys, a non-sandbox endpoint, an executor
         already running for another exchange, a ledger that cannot be opened
    4    carrying out failed: a step failed at the executor or the exchange, or they
         could not be reached
    70   an internal error (a bug in signoff; details in $SIGNOFF_HOME/logs)
    130  interrupted

This module imports nothing but the standard library, so the domain packages
(``intent``, ``policy``) may use it.
"""

from __future__ import annotations

EXIT_DONE = 0
EXIT_NOT_DONE = 1
EXIT_USAGE = 2
EXIT_FAILED = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_DONE, "done"),
    (EXIT_NOT_DONE, "not done: a question, a refusal, a step denied or not approved"),
    (EXIT_USAGE, "usage or configuration error (arguments, files, keys, executor)"),
    (EXIT_FAILED, "a step failed at the executor or the exchange"),
    (EXIT_INTERNAL, "internal error: a bug in signoff"),
)
"""The table every command's help and the README print."""


def exit_codes_help(*codes: int) -> str:
    """The exit-code lines of a command's ``--help`` (the codes it can return)."""
    wanted = set(codes) | {EXIT_USAGE, EXIT_INTERNAL}
    lines = [f"  {code:<3} {text}" for code, text in EXIT_CODES if code in wanted]
    return "exit codes:\n" + "\n".join(lines)


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

    exit_code = EXIT_USAGE


class InputError(SignoffError):
    """A file or a text cannot be used as asked."""

    exit_code = EXIT_USAGE


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


class IdentityError(SignoffError):
    """A person's identity, key or signature cannot be used as asked.

    ``code`` is one of UNKNOWN_IDENTITY, BAD_SIGNATURE, NO_ROLE (a refusal: exit 1)
    or NO_KEY, KEY_LOCKED (the person's own key is missing or needs its passphrase:
    exit 2).
    """

    def __init__(self, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code = code
        self.exit_code = 2 if code in ("NO_KEY", "KEY_LOCKED") else 1


class LedgerError(SignoffError):
    """The ledger cannot be opened or written."""

    exit_code = EXIT_USAGE


class SchemaVersionError(LedgerError):
    """The database was written by a newer or unknown version of signoff."""


class AuditIntegrityError(LedgerError):
    """The audit chain does not verify."""

    exit_code = EXIT_NOT_DONE


class ExecutionError(SignoffError):
    """A step could not be carried out."""

    exit_code = EXIT_FAILED


class ExecutorConflict(ExecutionError):
    """Another executor holds this $SIGNOFF_HOME, or runs for another exchange."""

    exit_code = EXIT_USAGE


class ApprovalError(ExecutionError):
    """An approval token is missing, expired, altered, replayed or foreign."""

    exit_code = EXIT_NOT_DONE


class SandboxViolation(ExecutionError):
    """An endpoint that is not a sandbox, a testnet or the local exchange."""

    exit_code = EXIT_USAGE


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
    """API keys are missing or were refused: configuration, not a failed step."""

    exit_code = EXIT_USAGE


class MissingCredentials(AuthenticationFailed):
    """No API keys are set for the venue: a setup problem, fixed by setting them."""

    exit_code = EXIT_USAGE
