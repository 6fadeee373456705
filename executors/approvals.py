"""Signed requests and approvals: people are keys, not names.

Every step that reaches the executor carries its requester's Ed25519 signature
(:mod:`foundation.identity`) over :class:`RequestClaims`: the exact content of
the step (its canonical hash), the plan and step ids, the firm policy's hash,
the decision the requester saw, an expiry and a nonce. An escalated step also
needs :class:`ApprovalClaims` signed by a *different* identity with the
``approver`` role (and, when the policy names second approvers, one of them).

The executor checks each signature against the identities file it pinned at
start, and refuses with an :class:`ApprovalRefused` that carries a code:
``NO_SIGNATURE``, ``UNKNOWN_IDENTITY``, ``BAD_SIGNATURE``, ``NO_ROLE``,
``CONTENT_MISMATCH`` (signed for other content), ``EXPIRED`` (or valid for
longer than the policy allows), ``REPLAYED`` (nonces are used once and
persisted), ``SELF_APPROVAL``, ``NOT_AN_APPROVER``. If the price moved past the
drift limit since the decision or the approval, the code is ``CONFIRM_AGAIN``.

Typing a name approves nothing: a name without its key's signature is refused.
The executor holds no key that can stand in for a person's.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from foundation.display import number
from foundation.errors import ApprovalError, IdentityError
from intent.canonical import canonical_bytes, content_hash
from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder
from policy.decision import StepDecision, Verdict

if TYPE_CHECKING:
    from foundation.identity import Identity, IdentityRegistry, SigningKey
    from policy.model import ApprovalSettings as PolicyApprovals

NONCE_DB = "approval-nonces.sqlite"
HUNDRED = Decimal(100)
REQUEST_KIND = "signoff/request/v1"
APPROVAL_KIND = "signoff/approval/v1"
# a signature made on a clock a little ahead of the executor's is still accepted
CLOCK_SKEW = timedelta(seconds=30)

ApprovableStep = ResolvedOrder | ResolvedCancel

RefusalCode = Literal[
    "DENIED",
    "NO_SIGNATURE",
    "UNKNOWN_IDENTITY",
    "BAD_SIGNATURE",
    "NO_ROLE",
    "NO_IDENTITIES",
    "EXPIRED",
    "REPLAYED",
    "CONTENT_MISMATCH",
    "STEP_MISMATCH",
    "POLICY_MISMATCH",
    "PERSONAL_REFUSED",
    "DECISION_MISMATCH",
    "UNKNOWN_PLAN",
    "SELF_APPROVAL",
    "NOT_AN_APPROVER",
    "NOT_WAITING",
    "REJECTED",
    "CONFIRM_AGAIN",
]


class ApprovalRefused(ApprovalError):
    """A step refused by the executor's own checks; ``code`` says which one."""

    def __init__(self, code: RefusalCode, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{code}: {message}", hint=hint)
        self.code: RefusalCode = code


@dataclass(frozen=True)
class ApprovalSettings:
    """What the policy says about approvals, as the executor enforces it.

    - ``validity``: how long a signed request or approval lasts at most;
    - ``drift_limit_pct``: how far (percent) the price may move from the price the
      step was decided on, or approved at, before it must be decided again;
    - ``second_approvers``: who may give the second signature of an escalated step
      (they also need the ``approver`` role). ``None`` or empty: anyone with the role.
      The requester never approves their own.
    """

    validity: timedelta = timedelta(minutes=5)
    drift_limit_pct: Decimal = Decimal("1")
    second_approvers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.validity <= timedelta(0):
            raise ValueError("an approval's validity must be positive")
        if not self.drift_limit_pct.is_finite() or self.drift_limit_pct < 0:
            raise ValueError("the drift limit must be a non-negative percentage")

    @classmethod
    def from_policy(cls, approvals: PolicyApprovals) -> ApprovalSettings:
        """The approval settings of a loaded policy (``policy.model.ApprovalSettings``)."""
        return cls(
            validity=approvals.valid_for,
            drift_limit_pct=approvals.max_price_drift_percent,
            second_approvers=tuple(approvals.second_approvers),
        )

    def tightened(
        self, validity: timedelta | None, drift_limit_pct: Decimal | None
    ) -> ApprovalSettings:
        """These settings, narrowed (never widened) by the executor's own options."""
        return ApprovalSettings(
            validity=min(self.validity, validity) if validity else self.validity,
            drift_limit_pct=self.drift_limit_pct
            if drift_limit_pct is None
            else min(self.drift_limit_pct, drift_limit_pct),
            second_approvers=self.second_approvers,
        )


class RequestClaims(Frozen):
    """What a requester signs for one step; the signature covers every field."""

    kind: Literal["signoff/request/v1"] = "signoff/request/v1"
    plan_id: str = Field(min_length=1, max_length=200)
    step_id: str
    step_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    decision: Verdict = Field(description="the decision the requester was shown")
    policy_hash: str
    personal_hash: str | None = None
    requester: str = Field(min_length=1)
    issued_at: datetime
    expires_at: datetime
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")


class ApprovalClaims(Frozen):
    """What a second person signs to approve (or reject) an escalated step."""

    kind: Literal["signoff/approval/v1"] = "signoff/approval/v1"
    plan_id: str = Field(min_length=1, max_length=200)
    step_id: str
    step_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    policy_hash: str
    requester: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    outcome: Literal["approve", "reject"] = "approve"
    reason: str | None = Field(default=None, max_length=500)
    issued_at: datetime
    expires_at: datetime
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")


class SignedRequest(Frozen):
    claims: RequestClaims
    signature: str = Field(max_length=200)


class SignedApproval(Frozen):
    claims: ApprovalClaims
    signature: str = Field(max_length=200)


def sign_request(
    key: SigningKey,
    *,
    plan_id: str,
    step: ApprovableStep,
    decision: StepDecision,
    now: datetime,
    validity: timedelta,
) -> SignedRequest:
    """``key``'s signature over one step as it is now (content, plan, policy, decision)."""
    claims = RequestClaims(
        plan_id=plan_id,
        step_id=step.step_id,
        step_hash=content_hash(step),
        decision=decision.decision,
        policy_hash=decision.policy.hash,
        personal_hash=decision.policy.personal_hash,
        requester=key.name,
        issued_at=now,
        expires_at=now + validity,
        nonce=secrets.token_hex(16),
    )
    return SignedRequest(claims=claims, signature=key.sign(canonical_bytes(claims)))


def sign_approval(
    key: SigningKey,
    *,
    plan_id: str,
    step: ApprovableStep,
    policy_hash: str,
    requester: str,
    now: datetime,
    validity: timedelta,
    outcome: Literal["approve", "reject"] = "approve",
    reason: str | None = None,
) -> SignedApproval:
    """``key``'s approval (or rejection) of an escalated step, bound to its content."""
    claims = ApprovalClaims(
        plan_id=plan_id,
        step_id=step.step_id,
        step_hash=content_hash(step),
        policy_hash=policy_hash,
        requester=requester,
        approver=key.name,
        outcome=outcome,
        reason=reason,
        issued_at=now,
        expires_at=now + validity,
        nonce=secrets.token_hex(16),
    )
    return SignedApproval(claims=claims, signature=key.sign(canonical_bytes(claims)))


class NonceStore:
    """Nonces of signatures already used, in SQLite so that a restart does not forget them."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        # the executor process handles requests on one event-loop thread;
        # check_same_thread=False lets tests drive it from a helper thread too
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        # no fsync per nonce: a nonce lost to a power cut would let its signature be
        # shown again, but its step is already in the journal (written with a full
        # sync right after) under the same client order id, so it is not resent
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS used_nonce ("
            " nonce TEXT PRIMARY KEY, plan_id TEXT NOT NULL, step_id TEXT NOT NULL,"
            " used_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
        )

    def is_used(self, nonce: str) -> bool:
        row = self._db.execute("SELECT 1 FROM used_nonce WHERE nonce = ?", (nonce,)).fetchone()
        return row is not None

    def consume(
        self, nonce: str, *, plan_id: str, step_id: str, expires_at: datetime, now: datetime
    ) -> bool:
        """Mark the nonce used; ``False`` if it already was (atomically)."""
        try:
            self._db.execute(
                "INSERT INTO used_nonce VALUES (?, ?, ?, ?, ?)",
                (nonce, plan_id, step_id, now.isoformat(), expires_at.isoformat()),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def close(self) -> None:
        self._db.close()


def _identity_refusal(error: IdentityError) -> ApprovalRefused:
    code: RefusalCode = (
        error.code  # type: ignore[assignment]  # the three refusal codes are shared
        if error.code in ("UNKNOWN_IDENTITY", "BAD_SIGNATURE", "NO_ROLE")
        else "BAD_SIGNATURE"
    )
    return ApprovalRefused(
        code,
        error.message.removeprefix(f"{error.code}: "),
        hint=error.hint
        or "sign with your own key (signoff does); compliance lists keys in the identities file",
    )


def same_person(a: str, b: str) -> bool:
    """Names compare without case or surrounding blanks: ``Alice`` is ``alice ``."""
    return a.strip().casefold() == b.strip().casefold()


class Gatekeeper:
    """Checks people's signatures against the pinned identities file; uses nonces once.

    With ``path``, a changed identities file (compliance added or removed someone) is
    read again before the next check; a file that no longer loads refuses everyone.
    """

    def __init__(
        self, registry: IdentityRegistry | None, nonces: NonceStore, path: str | None = None
    ) -> None:
        self.registry = registry
        self.nonces = nonces
        self.path = path
        # given a registry, it is the file as it is now; without one, read it when asked
        self._stat = self._stat_of() if registry is not None else None

    def _stat_of(self) -> tuple[int, int, int] | None:
        if self.path is None:
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return (0, 0, 0)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _current(self) -> IdentityRegistry | None:
        if self.path is None:
            return self.registry
        stat = self._stat_of()
        if stat != self._stat:
            from foundation.errors import SignoffError
            from foundation.identity import IdentityRegistry

            self._stat = stat
            try:
                self.registry = IdentityRegistry.load(self.path)
            except SignoffError:
                self.registry = None
        return self.registry

    def close(self) -> None:
        self.nonces.close()

    def _verify(self, name: str, payload: bytes, signature: str, role: str) -> Identity:
        registry = self._current()
        if registry is None:
            raise ApprovalRefused(
                "NO_IDENTITIES",
                "the executor has no identities file, so it cannot tell who signed",
                hint="compliance writes the identities file; restart the executor after",
            )
        try:
            registry.verify(name, payload, signature)
            return registry.require_role(name, role)
        except IdentityError as error:
            raise _identity_refusal(error) from None

    @staticmethod
    def _check_time(
        what: str,
        step_id: str,
        issued_at: datetime,
        expires_at: datetime,
        now: datetime,
        settings: ApprovalSettings,
    ) -> None:
        if now >= expires_at:
            raise ApprovalRefused(
                "EXPIRED",
                f"the {what} of step {step_id} expired at {expires_at.isoformat()}",
                hint="decide and sign the step again",
            )
        if issued_at > now + CLOCK_SKEW or expires_at - issued_at > settings.validity:
            raise ApprovalRefused(
                "EXPIRED",
                f"the {what} of step {step_id} claims a validity the policy does not give "
                f"(at most {settings.validity})",
                hint="sign the step again with signoff",
            )

    def check_request(
        self,
        signed: SignedRequest | None,
        *,
        plan_id: str,
        step: ApprovableStep,
        policy_hash: str,
        now: datetime,
        settings: ApprovalSettings,
        personal_hash: str | None = None,
    ) -> Identity:
        """The requester, if ``signed`` is their valid, unused signature over this step.

        ``personal_hash``: the personal file the step is decided with here (None: none);
        it must be the one the requester signed for, so nobody can drop or swap the
        limits a trader set for themselves."""
        if signed is None:
            raise ApprovalRefused(
                "NO_SIGNATURE",
                f"step {step.step_id} came without its requester's signature",
                hint="send steps through signoff, which signs them with your key",
            )
        claims = signed.claims
        identity = self._verify(
            claims.requester, canonical_bytes(claims), signed.signature, "trader"
        )
        self._check_binding(
            claims.plan_id,
            claims.step_id,
            claims.step_hash,
            claims.policy_hash,
            plan_id=plan_id,
            step=step,
            policy_hash=policy_hash,
        )
        if claims.personal_hash != personal_hash:
            raise ApprovalRefused(
                "CONTENT_MISMATCH",
                f"step {step.step_id} differs from what was signed (personal file)",
                hint="send the step with the personal file it was decided and signed with",
            )
        self._check_time(
            "request", step.step_id, claims.issued_at, claims.expires_at, now, settings
        )
        if self.nonces.is_used(claims.nonce):
            raise ApprovalRefused(
                "REPLAYED",
                f"the signed request for step {step.step_id} was already used",
                hint="each signature carries out one step once; sign it again to repeat it",
            )
        return identity

    def check_approval(
        self,
        signed: SignedApproval,
        *,
        plan_id: str,
        step: ApprovableStep,
        policy_hash: str,
        requester: str,
        now: datetime,
        settings: ApprovalSettings,
    ) -> Identity:
        """The second person, if ``signed`` is a valid approval by someone who may give it."""
        claims = signed.claims
        identity = self._verify(
            claims.approver, canonical_bytes(claims), signed.signature, "approver"
        )
        if same_person(claims.approver, requester):
            raise ApprovalRefused(
                "SELF_APPROVAL",
                f"step {step.step_id} needs a second person; {claims.approver} asked for it",
                hint="another person with the approver role approves it with their own key",
            )
        listed = settings.second_approvers
        if listed and not any(same_person(claims.approver, name) for name in listed):
            raise ApprovalRefused(
                "NOT_AN_APPROVER",
                f"{claims.approver} may not approve escalated step {step.step_id}",
                hint=f"the policy's second approvers are: {', '.join(listed)}",
            )
        if claims.requester != requester:
            raise ApprovalRefused(
                "CONTENT_MISMATCH",
                f"the approval names requester {claims.requester}, not {requester}",
                hint="approve the step as it waits",
            )
        self._check_binding(
            claims.plan_id,
            claims.step_id,
            claims.step_hash,
            claims.policy_hash,
            plan_id=plan_id,
            step=step,
            policy_hash=policy_hash,
        )
        self._check_time(
            "approval", step.step_id, claims.issued_at, claims.expires_at, now, settings
        )
        if self.nonces.is_used(claims.nonce):
            raise ApprovalRefused(
                "REPLAYED",
                f"the approval of step {step.step_id} was already used",
                hint="approve it again to repeat it",
            )
        return identity

    @staticmethod
    def _check_binding(
        plan: str,
        step_id: str,
        step_hash: str,
        signed_policy: str,
        *,
        plan_id: str,
        step: ApprovableStep,
        policy_hash: str,
    ) -> None:
        mismatches = [
            name
            for name, ok in (
                ("plan id", plan == plan_id),
                ("step id", step_id == step.step_id),
                ("step content", step_hash == content_hash(step)),
                ("policy", signed_policy == policy_hash),
            )
            if not ok
        ]
        if mismatches:
            raise ApprovalRefused(
                "CONTENT_MISMATCH",
                f"step {step.step_id} differs from what was signed ({', '.join(mismatches)})",
                hint="sign the step as it is now",
            )

    def consume(
        self, nonce: str, *, plan_id: str, step_id: str, expires_at: datetime, now: datetime
    ) -> None:
        """Use a signature's nonce up; one seen before is refused as replayed."""
        if not self.nonces.consume(
            nonce, plan_id=plan_id, step_id=step_id, expires_at=expires_at, now=now
        ):
            raise ApprovalRefused(
                "REPLAYED",
                f"the signature for step {step_id} was already used",
                hint="each signature carries out one step once; sign it again to repeat it",
            )


def check_decision_matches(step: ApprovableStep, decision: StepDecision) -> None:
    if decision.step_id != step.step_id:
        raise ApprovalRefused(
            "STEP_MISMATCH",
            f"the decision is for step {decision.step_id}, not step {step.step_id}",
            hint="send each step with its own decision",
        )


def drift_pct(reference: Decimal, current: Decimal) -> Decimal:
    """How far the price moved from ``reference``, in percent of it."""
    return abs(current - reference) * HUNDRED / reference


def check_drift(
    what: str, symbol: str, reference: Decimal | None, current: Decimal | None, limit: Decimal
) -> None:
    """Refuse with ``CONFIRM_AGAIN`` when the price moved past ``limit`` percent since ``what``."""
    if reference is None:
        return
    if current is None:
        raise ApprovalRefused(
            "CONFIRM_AGAIN",
            f"no current price for {symbol} to compare with the price at {what}",
            hint="decide the step again once prices are available",
        )
    moved = drift_pct(reference, current)
    if moved > limit:
        raise ApprovalRefused(
            "CONFIRM_AGAIN",
            f"{symbol} moved {number(moved, places=2, limit=limit)}% since {what} "
            f"({number(reference, group=False)} → {number(current, group=False)}); "
            f"the limit is {number(limit)}%",
            hint="review the step at the new price and confirm it again",
        )
