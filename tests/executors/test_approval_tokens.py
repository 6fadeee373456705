"""Approval tokens: bound to the exact step, expiring, used once, signed by this executor's key."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from executors.approvals import (
    KEY_FILE,
    ApprovalAuthority,
    ApprovalRefused,
    ApprovalSettings,
    check_drift,
    load_or_create_key,
)
from executors.testing import POLICY, START, decision, order_step
from foundation.errors import ApprovalError, ConfigError
from policy.decision import PolicyStamp, Verdict

SETTINGS = ApprovalSettings(validity=timedelta(minutes=5), drift_limit_pct=Decimal("1"))


def issue(auth: ApprovalAuthority, verdict: str = "confirm", **kw: object) -> str:
    step = kw.pop("step", order_step())
    args: dict[str, object] = {
        "plan_id": "plan-1",
        "step": step,
        "decision": decision("s1", verdict),  # type: ignore[arg-type]
        "requester": "ann",
        "approver": "ann" if verdict == "confirm" else "bob",
        "now": START,
        "settings": SETTINGS,
        "price": Decimal("67500"),
    }
    args.update(kw)
    return auth.issue(**args)  # type: ignore[arg-type]


def refusal(excinfo: pytest.ExceptionInfo[ApprovalRefused]) -> str:
    assert isinstance(excinfo.value, ApprovalError)
    assert excinfo.value.hint
    return excinfo.value.code


def test_key_is_created_private_and_reused(tmp_path: Path) -> None:
    key = load_or_create_key(str(tmp_path / "k"))
    path = tmp_path / "k" / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(str(tmp_path / "k")) == key
    assert len(key) == 32


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_key(str(tmp_path))
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(ConfigError) as err:
        load_or_create_key(str(tmp_path))
    assert "chmod 600" in (err.value.hint or "")


def test_valid_token_verifies_and_is_used_once(authority: ApprovalAuthority) -> None:
    token = issue(authority)
    claims = authority.verify(
        token, plan_id="plan-1", step=order_step(), decision=decision("s1", "confirm"), now=START
    )
    assert claims is not None
    assert claims.approver == "ann"
    assert claims.price_at_approval == Decimal("67500")
    authority.consume(claims, START)
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "confirm"),
            now=START,
        )
    assert refusal(err) == "REPLAYED"


def test_used_nonces_survive_a_restart(tmp_path: Path) -> None:
    first = ApprovalAuthority.open(str(tmp_path))
    token = issue(first)
    claims = first.verify(
        token, plan_id="plan-1", step=order_step(), decision=decision("s1", "confirm"), now=START
    )
    assert claims is not None
    first.consume(claims, START)
    first.close()
    second = ApprovalAuthority.open(str(tmp_path))
    try:
        with pytest.raises(ApprovalRefused) as err:
            second.verify(
                token,
                plan_id="plan-1",
                step=order_step(),
                decision=decision("s1", "confirm"),
                now=START,
            )
        assert refusal(err) == "REPLAYED"
    finally:
        second.close()


def test_allowed_steps_need_no_token(authority: ApprovalAuthority) -> None:
    assert (
        authority.verify(
            None, plan_id="p", step=order_step(), decision=decision("s1", "allow"), now=START
        )
        is None
    )


@pytest.mark.parametrize("verdict", ["confirm", "escalate"])
def test_gated_step_without_token(authority: ApprovalAuthority, verdict: Verdict) -> None:
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            None,
            plan_id="p",
            step=order_step(),
            decision=decision("s1", verdict),
            now=START,
        )
    assert refusal(err) == "NO_TOKEN"


def test_denied_step_is_refused_even_with_a_token(authority: ApprovalAuthority) -> None:
    token = issue(authority)
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token, plan_id="plan-1", step=order_step(), decision=decision("s1", "deny"), now=START
        )
    assert refusal(err) == "DENIED"
    assert "MAX_ORDER_VALUE" in err.value.message


def test_expired_token(authority: ApprovalAuthority) -> None:
    token = issue(authority)
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "confirm"),
            now=START + timedelta(minutes=5),
        )
    assert refusal(err) == "EXPIRED"


def _tamper(token: str, **changes: object) -> str:
    prefix, payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    return ".".join([prefix, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), sig])


@pytest.mark.parametrize(
    "change",
    [
        {"approver": "mallory"},
        {"expires_at": "2030-01-01T00:00:00+00:00"},
        {"drift_limit_pct": "50"},
        {"decision": "escalate"},
    ],
)
def test_altered_token(authority: ApprovalAuthority, change: dict[str, object]) -> None:
    token = _tamper(issue(authority), **change)
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "confirm"),
            now=START,
        )
    assert refusal(err) == "ALTERED"


def test_foreign_token(tmp_path: Path, authority: ApprovalAuthority) -> None:
    other = ApprovalAuthority.open(str(tmp_path / "other"))
    try:
        token = issue(other)
    finally:
        other.close()
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "confirm"),
            now=START,
        )
    assert refusal(err) == "FOREIGN"


@pytest.mark.parametrize("garbage", ["", "x", "sot1.!!!.!!!", "sot1.e30.AAAA", "v9.a.b"])
def test_malformed_token(authority: ApprovalAuthority, garbage: str) -> None:
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            garbage or "sot1",
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "confirm"),
            now=START,
        )
    assert refusal(err) in ("MALFORMED", "FOREIGN")


@pytest.mark.parametrize(
    ("plan_id", "step", "policy", "verdict", "what"),
    [
        ("plan-2", order_step(), POLICY, "confirm", "plan id"),
        ("plan-1", order_step(quantity="0.02"), POLICY, "confirm", "step content"),
        ("plan-1", order_step(side="sell"), POLICY, "confirm", "step content"),
        ("plan-1", order_step(symbol="ETH/USDT"), POLICY, "confirm", "step content"),
        (
            "plan-1",
            order_step(),
            PolicyStamp(id="firm", version="4", hash="cd" * 32),
            "confirm",
            "policy",
        ),
        ("plan-1", order_step(), POLICY, "escalate", "decision"),
    ],
)
def test_token_for_other_content(
    authority: ApprovalAuthority,
    plan_id: str,
    step: object,
    policy: PolicyStamp,
    verdict: str,
    what: str,
) -> None:
    token = issue(authority)
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id=plan_id,
            step=step,  # type: ignore[arg-type]
            decision=decision("s1", verdict, policy=policy),  # type: ignore[arg-type]
            now=START,
        )
    assert refusal(err) == "CONTENT_MISMATCH"
    assert what in err.value.message


def test_decision_for_another_step(authority: ApprovalAuthority) -> None:
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            None, plan_id="p", step=order_step("s1"), decision=decision("s2", "allow"), now=START
        )
    assert refusal(err) == "STEP_MISMATCH"


def test_escalation_needs_someone_else(authority: ApprovalAuthority) -> None:
    with pytest.raises(ApprovalRefused) as err:
        issue(authority, "escalate", approver=" ANN ")
    assert refusal(err) == "SELF_APPROVAL"
    token = issue(authority, "escalate", approver="bob")
    claims = authority.verify(
        token, plan_id="plan-1", step=order_step(), decision=decision("s1", "escalate"), now=START
    )
    assert claims is not None
    assert claims.approver == "bob"


@pytest.mark.parametrize(("verdict", "code"), [("allow", "NOT_GATED"), ("deny", "DENIED")])
def test_no_token_for_ungated_or_denied_steps(
    authority: ApprovalAuthority, verdict: str, code: str
) -> None:
    with pytest.raises(ApprovalRefused) as err:
        issue(authority, verdict)
    assert refusal(err) == code


@pytest.mark.parametrize(
    ("now_price", "refused"),
    [("67500", False), ("68175", False), ("68175.01", True), ("66824.99", True)],
)
def test_price_drift_sends_the_step_back(
    authority: ApprovalAuthority, now_price: str, refused: bool
) -> None:
    token = issue(authority)
    claims = authority.verify(
        token, plan_id="plan-1", step=order_step(), decision=decision("s1", "confirm"), now=START
    )
    assert claims is not None
    if refused:
        with pytest.raises(ApprovalRefused) as err:
            check_drift(claims, Decimal(now_price))
        assert refusal(err) == "CONFIRM_AGAIN"
        assert "1%" in err.value.message
    else:
        check_drift(claims, Decimal(now_price))


LISTED = ApprovalSettings(second_approvers=("risk-desk", "head-of-trading"))


@pytest.mark.parametrize(
    ("verdict", "approver", "code"),
    [
        ("confirm", "ann", None),  # the requester confirms their own step
        ("confirm", "Risk-Desk", None),  # or a listed second approver
        ("confirm", "bob", "NOT_AN_APPROVER"),
        ("escalate", "risk-desk", None),
        ("escalate", "bob", "NOT_AN_APPROVER"),
        ("escalate", "ann", "SELF_APPROVAL"),
    ],
)
def test_approvers_follow_the_policy_list(
    authority: ApprovalAuthority, verdict: str, approver: str, code: str | None
) -> None:
    if code is None:
        issue(authority, verdict, approver=approver, settings=LISTED)
        return
    with pytest.raises(ApprovalRefused) as err:
        issue(authority, verdict, approver=approver, settings=LISTED)
    assert refusal(err) == code


def test_a_token_from_an_approver_struck_off_the_list_is_refused(
    authority: ApprovalAuthority,
) -> None:
    token = issue(authority, "escalate", approver="risk-desk", settings=LISTED)
    narrower = ApprovalSettings(second_approvers=("head-of-trading",))
    with pytest.raises(ApprovalRefused) as err:
        authority.verify(
            token,
            plan_id="plan-1",
            step=order_step(),
            decision=decision("s1", "escalate"),
            now=START,
            settings=narrower,
        )
    assert refusal(err) == "NOT_AN_APPROVER"


def test_settings_from_the_shipped_policy() -> None:
    from executors.policy_file import load_policy_file

    settings = ApprovalSettings.from_policy(load_policy_file(None, None).approvals)
    assert settings.validity == timedelta(minutes=10)
    assert settings.drift_limit_pct == Decimal("1")
    assert settings.second_approvers == ("risk-desk", "head-of-trading")
