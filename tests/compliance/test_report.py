"""signoff report compliance: on a real ledger, with approvals, a halt and a policy change."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Literal

import pytest

from executors.trading_state import append_change
from foundation.clock import FakeClock
from foundation.identity import SigningKey
from ledger.history import RecordedDecision, decisions_since
from ledger.service import Ledger
from policy.loader import load_policy
from signoff.cli import main
from signoff.commands.report import per_day
from tests.compliance.history_helpers import POLICY_TEXT, buys, record
from tests.compliance.test_policy_lifecycle import TIGHT
from tests.policy.policy_helpers import NOW, default_policy


def test_report_compliance_tables_csv_and_chart(
    people: dict[str, SigningKey], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with Ledger.open(url, clock=FakeClock()) as ledger:
        # day 0: 500 (allow), 1,200 (confirm), 15,000 (escalate); day 1 under TIGHT: 600 (confirm)
        record(
            ledger,
            default_policy(),
            POLICY_TEXT,
            buys([("alice", "5"), ("bob", "12"), ("alice", "150")]),
        )
        record(ledger, load_policy(TIGHT, "tight.toml"), TIGHT, buys([("bob", "6")], day=1))
        decided = decisions_since(ledger)
        assert [d.verdict for d in decided] == ["allow", "confirm", "escalate", "confirm"]
        confirm, escalate = decided[1], decided[2]
        approvals: tuple[tuple[RecordedDecision, str, Literal["confirm", "escalate"]], ...] = (
            (confirm, "bob", "confirm"),
            (escalate, "ravi", "escalate"),
        )
        for decision, approver, role in approvals:
            ledger.record_approval(
                plan_id=decision.plan_id,
                step_id=decision.step_id,
                approver=approver,
                role=role,
                content_hash="0" * 64,
                policy_hash=default_policy().hash,
                expires_at=None,
            )
    append_change(state="HALTED", reason="venue incident", by="carol", at=NOW, key=people["carol"])

    out_csv, chart = tmp_path / "decisions.csv", tmp_path / "chart.png"
    argv = ["report", "compliance", "--db", url, "--as", "carol"]
    assert main([*argv, "--csv", str(out_csv), "--chart", str(chart)]) == 0
    out = capsys.readouterr().out
    assert "4 decisions (1 allow, 2 confirm, 1 escalate, 0 deny)" in out
    assert "bob (confirm, approved)" in out
    assert "ravi (escalate, approved)" in out
    assert "venue incident" in out
    assert "firm-default@tight" in out
    assert "value-confirm" in out

    with out_csv.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["decision"] for r in rows] == ["allow", "confirm", "escalate", "confirm"]
    assert rows[2]["approvers"] == "ravi (escalate, approved)"
    assert rows[2]["trader"] == "alice"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 5000

    assert main([*argv, "--since", "2026-01-06"]) == 0
    out = capsys.readouterr().out
    assert "1 decisions (0 allow, 1 confirm, 0 escalate, 0 deny)" in out


def test_per_day_counts_each_outcome() -> None:
    from ledger.history import RecordedDecision

    def made(day: int, verdict: str) -> RecordedDecision:
        from datetime import timedelta

        return RecordedDecision(
            decided_at=NOW + timedelta(days=day),
            plan_id="p",
            step_id="s1",
            verdict=verdict,
            rules=(),
            codes=(),
            trader="t",
            policy="x@1",
        )

    days = per_day([made(0, "allow"), made(0, "deny"), made(1, "deny"), made(0, "allow")])
    assert list(days.values()) == [
        {"allow": 2, "confirm": 0, "escalate": 0, "deny": 1},
        {"allow": 0, "confirm": 0, "escalate": 0, "deny": 1},
    ]
