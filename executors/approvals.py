"""Approval tokens: an approval bound to the exact step, signed by the executor side.

When a person approves a gated step (``confirm``, or ``escalate`` by a second
person), the executor side issues a token: an HMAC-SHA256 over the canonical
content of the step, the plan id, the step id, the policy hash and decision, the
requester and the approver, the expiry, a nonce and the price at approval. The
key is created on first use in ``$SIGNOFF_HOME/executor/approval.key`` (mode
0600) and is only ever read by the executor process: the rest of signoff holds
tokens it can neither mint nor alter.

Before it sends a gated step, the executor checks the token again and refuses,
with an :class:`ApprovalRefused` that carries a code, a token that is missing,
unreadable, signed by another key (``FOREIGN``), altered (``ALTERED``), expired
(``EXPIRED``), already used (``REPLAYED``: used nonces are persisted), or bound
to other content (``CONTENT_MISMATCH``), and an escalated step approved by its
own requester (``SELF_APPROVAL``). If the price moved more than the drift limit
since approval, the code is ``CONFIRM_AGAIN``: the step goes back to the person.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError

from foundation.display import number
from foundation.errors import ApprovalError, ConfigError
from foundation.secrets import register_secret
from intent.canonical import canonical_bytes, content_hash
from intent.plan import Frozen
from intent.resolved import ResolvedCancel, ResolvedOrder
from policy.decision import StepDecision

if TYPE_CHECKING:
    from policy.model import ApprovalSettings as PolicyApprovals

TOKEN_PREFIX = "sot1"  # noqa: S105 - a format tag, not a secret
KEY_FILE = "approval.key"
NONCE_DB = "approval-nonces.sqlite"
HUNDRED = Decimal(100)

ApprovableStep = ResolvedOrder | ResolvedCancel

RefusalCode = Literal[
    "DENIED",
    "NOT_GATED",
    "NO_TOKEN",
    "MALFORMED",
    "FOREIGN",
    "ALTERED",
    "EXPIRED",
    "REPLAYED",
    "CONTENT_MISMATCH",
    "STEP_MISMATCH",
    "POLICY_MISMATCH",
    "SELF_APPROVAL",
    "NOT_AN_APPROVER",
    "NO_APPROVER",
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

    - ``validity``: how long an approval lasts;
    - ``drift_limit_pct``: how far (percent of the price at approval) the price may
      move before the step must be approved again;
    - ``second_approvers``: who may approve an escalated step (and, besides the
      requester, a confirmed one). ``None``: no list, anyone but the requester
      may approve an escalation. The requester never approves their own.
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

    def check_approver(self, verdict: str, *, approver: str, requester: str, step_id: str) -> None:
        """Refuse an approver the policy does not let approve this step."""
        if not approver.strip():
            raise ApprovalRefused(
                "NO_APPROVER", "an approval needs the approver's name", hint="name who approves"
            )
        if verdict == "escalate" and same_person(approver, requester):
            raise ApprovalRefused(
                "SELF_APPROVAL",
                f"step {step_id} needs a second approver; {approver} asked for it",
                hint="ask another person (not the requester) to approve it",
            )
        if self.second_approvers is None:
            return
        listed = any(same_person(approver, name) for name in self.second_approvers)
        if verdict == "escalate" and not listed:
            raise ApprovalRefused(
                "NOT_AN_APPROVER",
                f"{approver} may not approve escalated step {step_id}",
                hint=f"the policy's second approvers are: {', '.join(self.second_approvers)}",
            )
        if verdict == "confirm" and not (listed or same_person(approver, requester)):
            raise ApprovalRefused(
                "NOT_AN_APPROVER",
                f"{approver} may not confirm step {step_id} for {requester}",
                hint="the requester confirms their own step, or a listed second approver",
            )


class ApprovalClaims(Frozen):
    """What a token says; every field is covered by the signature."""

    v: Literal[1] = 1
    key_id: str
    plan_id: str = Field(min_length=1, max_length=200)
    step_id: str
    step_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    decision: Literal["confirm", "escalate"]
    policy_hash: str
    requester: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    issued_at: datetime
    expires_at: datetime
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")
    price_symbol: str | None = None
    price_at_approval: Decimal | None = None
    drift_limit_pct: Decimal


def same_person(a: str, b: str) -> bool:
    """Names compare without case or surrounding blanks: ``Alice`` is ``alice ``."""
    return a.strip().casefold() == b.strip().casefold()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(b"signoff-approval-key:" + key).hexdigest()[:16]


def load_or_create_key(directory: str) -> bytes:
    """The approval key in ``directory``, created (0600) on first use.

    A key file that others can read is refused: anyone who can read it can
    mint approvals.
    """
    os.makedirs(directory, mode=0o700, exist_ok=True)
    path = os.path.join(directory, KEY_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"the approval key is readable by others (mode {mode:o})",
            source=path,
            hint=f"run 'chmod 600 {path}', or delete it to create a new key "
            "(approvals issued with the old key then stop working)",
        )
    with open(path, encoding="ascii") as handle:
        text = handle.read().strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError(
            "the approval key is damaged", source=path, hint="delete it to create a new key"
        )
    register_secret(text, "approval key")
    return key


class NonceStore:
    """Nonces of tokens already used, in SQLite so that a restart does not forget them."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
        # the executor process handles requests on one event-loop thread;
        # check_same_thread=False lets tests drive it from a helper thread too
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        # no fsync per nonce: a nonce lost to a power cut would let its token be
        # shown again, but its step is already in the journal (written with a
        # full sync right after) under the same client order id, so it is not resent
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS used_nonce ("
            " nonce TEXT PRIMARY KEY, plan_id TEXT NOT NULL, step_id TEXT NOT NULL,"
            " used_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
        )

    def is_used(self, nonce: str) -> bool:
        row = self._db.execute("SELECT 1 FROM used_nonce WHERE nonce = ?", (nonce,)).fetchone()
        return row is not None

    def consume(self, claims: ApprovalClaims, now: datetime) -> bool:
        """Mark the nonce used; ``False`` if it already was (atomically)."""
        try:
            self._db.execute(
                "INSERT INTO used_nonce VALUES (?, ?, ?, ?, ?)",
                (
                    claims.nonce,
                    claims.plan_id,
                    claims.step_id,
                    now.isoformat(),
                    claims.expires_at.isoformat(),
                ),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    def close(self) -> None:
        self._db.close()


class ApprovalAuthority:
    """Issues and checks approval tokens with the executor's key."""

    def __init__(self, key: bytes, nonces: NonceStore) -> None:
        self._key = key
        self.key_id = key_id_of(key)
        self.nonces = nonces

    @classmethod
    def open(cls, directory: str) -> ApprovalAuthority:
        return cls(load_or_create_key(directory), NonceStore(os.path.join(directory, NONCE_DB)))

    def close(self) -> None:
        self.nonces.close()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def issue(
        self,
        *,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        requester: str,
        approver: str,
        now: datetime,
        settings: ApprovalSettings,
        price: Decimal | None,
    ) -> str:
        """A token for ``approver``'s approval of ``step``; refuses what may not be approved."""
        check_decision_matches(step, decision)
        if decision.decision == "deny":
            raise ApprovalRefused(
                "DENIED",
                f"step {step.step_id} is denied by the policy; no one can approve it",
                hint="change the plan, or ask compliance about the rule that denied it",
            )
        if decision.decision == "allow":
            raise ApprovalRefused(
                "NOT_GATED",
                f"step {step.step_id} is allowed by the policy and needs no approval",
                hint="submit it without a token",
            )
        settings.check_approver(
            decision.decision, approver=approver, requester=requester, step_id=step.step_id
        )
        claims = ApprovalClaims(
            key_id=self.key_id,
            plan_id=plan_id,
            step_id=step.step_id,
            step_hash=content_hash(step),
            decision=decision.decision,
            policy_hash=decision.policy.hash,
            requester=requester,
            approver=approver,
            issued_at=now,
            expires_at=now + settings.validity,
            nonce=secrets.token_hex(16),
            price_symbol=step.symbol if isinstance(step, ResolvedOrder) else None,
            price_at_approval=price,
            drift_limit_pct=settings.drift_limit_pct,
        )
        payload = canonical_bytes(claims)
        return f"{TOKEN_PREFIX}.{_b64(payload)}.{_b64(self._sign(payload))}"

    def read(self, token: str) -> ApprovalClaims:
        """The claims of a token signed with this key; refuses unreadable, foreign, altered."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            raise ApprovalRefused(
                "MALFORMED",
                "the approval token is not a signoff token",
                hint="approve the step again",
            )
        try:
            payload, signature = _unb64(parts[1]), _unb64(parts[2])
            data = json.loads(payload)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise ApprovalRefused(
                "MALFORMED", "the approval token cannot be decoded", hint="approve the step again"
            ) from None
        key_id = data.get("key_id") if isinstance(data, dict) else None
        if key_id != self.key_id:
            raise ApprovalRefused(
                "FOREIGN",
                "the approval token was not issued by this executor (another key signed it)",
                hint="approve the step again with the executor that will carry it out",
            )
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise ApprovalRefused(
                "ALTERED",
                "the approval token was altered after it was issued (signature mismatch)",
                hint="approve the step again; do not edit tokens",
            )
        try:
            return ApprovalClaims.model_validate(data)
        except ValidationError:
            raise ApprovalRefused(
                "MALFORMED", "the approval token's content is invalid", hint="approve it again"
            ) from None

    def verify(
        self,
        token: str | None,
        *,
        plan_id: str,
        step: ApprovableStep,
        decision: StepDecision,
        now: datetime,
        settings: ApprovalSettings | None = None,
    ) -> ApprovalClaims | None:
        """Check everything that can be checked without a price; ``None`` for allowed steps.

        With ``settings``, the approver must also still be one the policy accepts.
        Does not use the nonce up: :meth:`consume` does, right before sending.
        """
        check_decision_matches(step, decision)
        if decision.decision == "deny":
            reasons = "; ".join(r.message for r in decision.reasons) or "no reason given"
            raise ApprovalRefused(
                "DENIED",
                f"step {step.step_id} is denied by the policy ({reasons})",
                hint="a denied step is never executed; change the plan or ask compliance",
            )
        if decision.decision == "allow":
            return None
        if not token:
            raise ApprovalRefused(
                "NO_TOKEN",
                f"step {step.step_id} needs {decision.decision} approval and came without a token",
                hint="approve the step (a second person for escalate) and submit it with the token",
            )
        claims = self.read(token)
        if self.nonces.is_used(claims.nonce):
            raise ApprovalRefused(
                "REPLAYED",
                f"the approval token for step {claims.step_id} was already used",
                hint="each approval carries out one step once; approve it again to repeat it",
            )
        mismatches = [
            name
            for name, ok in (
                ("plan id", claims.plan_id == plan_id),
                ("step id", claims.step_id == step.step_id),
                ("step content", claims.step_hash == content_hash(step)),
                ("policy", claims.policy_hash == decision.policy.hash),
                ("decision", claims.decision == decision.decision),
            )
            if not ok
        ]
        if mismatches:
            raise ApprovalRefused(
                "CONTENT_MISMATCH",
                f"step {step.step_id} differs from what was approved ({', '.join(mismatches)})",
                hint="approve the step as it is now",
            )
        if now >= claims.expires_at:
            raise ApprovalRefused(
                "EXPIRED",
                f"the approval of step {step.step_id} expired at {claims.expires_at.isoformat()}",
                hint="approve the step again",
            )
        if claims.decision == "escalate" and same_person(claims.approver, claims.requester):
            raise ApprovalRefused(
                "SELF_APPROVAL",
                f"step {step.step_id} was approved by its own requester {claims.approver}",
                hint="an escalated step needs another person's approval",
            )
        if settings is not None:
            settings.check_approver(
                claims.decision,
                approver=claims.approver,
                requester=claims.requester,
                step_id=step.step_id,
            )
        return claims

    def consume(self, claims: ApprovalClaims, now: datetime) -> None:
        """Use the token's nonce up; a token seen before is refused as replayed."""
        if not self.nonces.consume(claims, now):
            raise ApprovalRefused(
                "REPLAYED",
                f"the approval token for step {claims.step_id} was already used",
                hint="each approval carries out one step once; approve it again to repeat it",
            )


def check_decision_matches(step: ApprovableStep, decision: StepDecision) -> None:
    if decision.step_id != step.step_id:
        raise ApprovalRefused(
            "STEP_MISMATCH",
            f"the decision is for step {decision.step_id}, not step {step.step_id}",
            hint="send each step with its own decision",
        )


def drift_pct(at_approval: Decimal, current: Decimal) -> Decimal:
    """How far the price moved since approval, in percent of the price at approval."""
    return abs(current - at_approval) * HUNDRED / at_approval


def check_drift(claims: ApprovalClaims, current: Decimal | None) -> None:
    """Refuse with ``CONFIRM_AGAIN`` when the price moved past the approval's drift limit."""
    if claims.price_at_approval is None:
        return
    if current is None:
        raise ApprovalRefused(
            "CONFIRM_AGAIN",
            f"no current price for {claims.price_symbol} to compare with the approval",
            hint="confirm the step again once prices are available",
        )
    moved = drift_pct(claims.price_at_approval, current)
    if moved > claims.drift_limit_pct:
        raise ApprovalRefused(
            "CONFIRM_AGAIN",
            f"{claims.price_symbol} moved "
            f"{number(moved, places=2, limit=claims.drift_limit_pct)}% since approval "
            f"({number(claims.price_at_approval, group=False)} → {number(current, group=False)}); "
            f"the limit is {number(claims.drift_limit_pct)}%",
            hint="review the step at the new price and confirm it again",
        )
