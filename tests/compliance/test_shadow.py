"""Shadow mode records where a candidate policy disagrees, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from executors.shadow import shadow_check, shadow_log_path
from policy.engine import evaluate
from policy.loader import load_policy
from tests.compliance.test_policy_lifecycle import TIGHT
from tests.policy.policy_helpers import NOW, account, default_policy, flat_market, order


def test_shadow_records_disagreements_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(TIGHT, encoding="utf-8")
    monkeypatch.setenv("SIGNOFF_SHADOW_POLICY", str(candidate))
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000", "SOL": "10"})
    steps = (
        order("SOL/USDT", "buy", "5", acct=acct, market=market, sid="s1"),  # 500: allow → confirm
        order("SOL/USDT", "buy", "12", acct=acct, market=market, sid="s2"),  # 1,200: confirm both
    )
    from policy.counters import Counters

    counters = Counters(assets_traded=frozenset({"SOL"}))
    live = evaluate(
        steps, policy=default_policy(), account=acct, market=market, counters=counters, now=NOW
    )
    before = [d.model_dump() for d in live]
    found = shadow_check(
        steps, live, account=acct, market=market, counters=counters, now=NOW, plan_id="p-1"
    )
    assert [(d.step_id, d.live, d.candidate) for d in found] == [("s1", "allow", "confirm")]
    assert [d.model_dump() for d in live] == before  # the live decisions are untouched
    lines = Path(shadow_log_path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["plan_id"] == "p-1"
    assert record["live_policy"] == "firm-default@2026.11.1"
    assert record["candidate_policy"] == "firm-default@tight"
    assert (record["live"], record["candidate"]) == ("allow", "confirm")
    assert record["candidate_rules"] == ["value-confirm"]


def test_shadow_is_off_without_a_candidate_and_never_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    market = flat_market({"SOL/USDT": "100"})
    acct = account({"USDT": "100000"})
    steps = (order("SOL/USDT", "buy", "5", acct=acct, market=market),)
    from policy.counters import Counters

    live = evaluate(
        steps, policy=default_policy(), account=acct, market=market, counters=Counters(), now=NOW
    )
    assert (
        shadow_check(steps, live, account=acct, market=market, counters=Counters(), now=NOW) == []
    )
    assert not Path(shadow_log_path()).exists()
    broken = tmp_path / "broken.toml"
    broken.write_text("[policy]\nid = 1\n", encoding="utf-8")
    monkeypatch.setenv("SIGNOFF_SHADOW_POLICY", str(broken))
    assert (
        shadow_check(steps, live, account=acct, market=market, counters=Counters(), now=NOW) == []
    )
    assert "error" in json.loads(Path(shadow_log_path()).read_text(encoding="utf-8"))
    assert load_policy(TIGHT, "t.toml").version == "tight"
