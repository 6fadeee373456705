"""Policy versions, diff, replay and tighter: on a real SQLite ledger and real policy files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from foundation.clock import FakeClock
from foundation.errors import PolicyError
from foundation.identity import SigningKey
from ledger.history import (
    check_policy_version,
    find_policy_version,
    policy_versions,
    recorded_evaluations,
)
from ledger.service import Ledger
from policy.lifecycle import diff, loosenings, replay
from policy.loader import load_policy
from policy.tighter import find_loosening
from signoff.cli import main
from tests.compliance.history_helpers import POLICY_TEXT, buys, record
from tests.policy.policy_helpers import NOW, default_policy, flat_market


def variant(version: str, *pairs: tuple[str, str]) -> str:
    text = POLICY_TEXT.replace('version = "2026.11.1"', f'version = "{version}"')
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


# value-confirm 1000 -> 400, value-escalate 10000 -> 4000: stricter
TIGHT = variant(
    "tight",
    ('limit = "1000"', 'limit = "400"'),
    ('limit = "10000"', 'limit = "4000"'),
)
# value-confirm 1000 -> 1500: a planted loosening
LOOSE = variant("loose", ('limit = "1000"', 'limit = "1500"'))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@pytest.fixture
def history(url: str) -> Iterator[Ledger]:
    """alice and bob: buys of 500, 1,200, 5,000 and 15,000 USDT under the shipped policy."""
    with Ledger.open(url, clock=FakeClock()) as ledger:
        record(
            ledger,
            default_policy(),
            POLICY_TEXT,
            buys([("alice", "5"), ("bob", "12"), ("alice", "50"), ("bob", "150")])
            + buys([("bob", "6")], day=1),
        )
        yield ledger


def test_replay_under_the_same_policy_changes_nothing(history: Ledger) -> None:
    report = replay(recorded_evaluations(history), default_policy())
    assert report.evaluations == 5
    assert report.steps == 5
    assert report.changes == []


def test_replay_counts_exactly_what_a_stricter_version_would_change(history: Ledger) -> None:
    report = replay(recorded_evaluations(history), load_policy(TIGHT, "tight.toml"))
    # 500 and 600: allow -> confirm; 5,000: confirm -> escalate; 1,200 and 15,000 unchanged
    assert dict(report.by_transition) == {"allow → confirm": 2, "confirm → escalate": 1}
    assert dict(report.by_trader) == {"alice": 2, "bob": 1}
    assert dict(report.by_rule) == {"+value-confirm": 2, "+value-escalate": 1}
    escalated = next(c for c in report.changes if c.after == "escalate")
    assert escalated.trader == "alice"
    assert escalated.step == "buy 50 SOL/USDT market"


def test_replay_since_leaves_out_what_came_before(history: Ledger) -> None:
    from datetime import timedelta

    report = replay(
        recorded_evaluations(history, since=NOW + timedelta(days=1) - timedelta(minutes=1)),
        load_policy(TIGHT, "tight.toml"),
    )
    assert report.evaluations == 1
    assert dict(report.by_transition) == {"allow → confirm": 1}


def test_tighter_finds_the_planted_loosening_in_the_recorded_history(history: Ledger) -> None:
    found = loosenings(
        default_policy(), load_policy(LOOSE, "loose.toml"), list(recorded_evaluations(history))
    )
    assert len(found) == 1
    assert (found[0].old, found[0].new) == ("confirm", "allow")
    assert found[0].step == "buy 12 SOL/USDT market"


def test_tighter_passes_a_real_tightening_on_history_and_generated_cases(history: Ledger) -> None:
    tight = load_policy(TIGHT, "tight.toml")
    assert loosenings(default_policy(), tight, list(recorded_evaluations(history))) == []
    market = flat_market(start=True)
    assert find_loosening(default_policy(), tight, market, NOW, max_examples=60) is None


def test_tighter_generates_a_counter_example_without_any_history() -> None:
    market = flat_market(start=True)
    found = find_loosening(
        default_policy(), load_policy(LOOSE, "loose.toml"), market, NOW, max_examples=300
    )
    assert found is not None
    assert (found.old, found.new) == ("confirm", "allow")
    assert any("MAX_ORDER_VALUE" in r for r in found.old_reasons)


def test_a_known_id_and_version_with_other_content_is_refused_naming_both(
    history: Ledger,
) -> None:
    check_policy_version(history, default_policy().stamp)  # the recorded one: fine
    changed = load_policy(POLICY_TEXT.replace('limit = "1000"', 'limit = "900"'), "edited.toml")
    with pytest.raises(PolicyError) as refused:
        check_policy_version(history, changed.stamp)
    message = refused.value.message
    assert default_policy().hash in message
    assert changed.hash in message
    assert "2026.11.1" in message


def test_history_lists_every_version_whole(history: Ledger) -> None:
    record(history, load_policy(TIGHT, "t.toml"), TIGHT, buys([("carol", "1")], day=2))
    versions = policy_versions(history)
    assert [(v.version, v.decisions) for v in versions] == [("2026.11.1", 5), ("tight", 1)]
    assert versions[1].text == TIGHT
    assert find_policy_version(history, "firm-default@tight") == versions[1]
    assert find_policy_version(history, versions[0].hash[:10]) == versions[0]


def test_diff_says_what_changed_rule_by_rule() -> None:
    changes = diff(default_policy(), load_policy(LOOSE, "loose.toml"))
    words = [(c.where, c.what, c.direction) for c in changes]
    assert ("value-confirm", "limit: 1000 → 1500", "looser") in words
    changes = diff(
        default_policy(),
        load_policy(
            variant(
                "v2", ('effect = "confirm"\nlimit = "1000"', 'effect = "escalate"\nlimit = "1000"')
            ),
            "v2.toml",
        ),
    )
    assert ("value-confirm", "effect: confirm → escalate", "stricter") in [
        (c.where, c.what, c.direction) for c in changes
    ]
    text = POLICY_TEXT.replace(
        '[[rule]]\nid = "first-trade"\nkind = "first_trade"\neffect = "confirm"\n', ""
    )
    assert ("first-trade", "removed (first_trade, confirm)", "looser") in [
        (c.where, c.what, c.direction) for c in diff(default_policy(), load_policy(text, "x.toml"))
    ]


def test_cli_history_diff_replay_and_tighter(
    history: Ledger,
    url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    people: dict[str, SigningKey],
) -> None:
    loose = tmp_path / "loose.toml"
    loose.write_text(LOOSE, encoding="utf-8")
    tight = tmp_path / "tight.toml"
    tight.write_text(TIGHT, encoding="utf-8")
    shipped = str(Path(__file__).resolve().parents[2] / "configs" / "policy.toml")

    assert main(["policy", "history", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "2026.11.1" in out
    assert "firm-default" in out

    assert main(["policy", "diff", "firm-default@2026.11.1", str(loose), "--db", url]) == 0
    out = capsys.readouterr().out
    assert "[looser] value-confirm: limit: 1000 → 1500" in out

    assert main(["policy", "replay", str(tight), "--db", url, "--csv", "-", "--as", "carol"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("plan_id,step_id,trader,at,step,before,after")
    assert len(lines) == 1 + 3
    assert main(["policy", "replay", str(tight), "--db", url, "--as", "carol"]) == 0
    out = capsys.readouterr().out
    assert "5 evaluations, 5 steps, 3 would change" in out

    assert main(["policy", "tighter", shipped, str(loose), "--db", url, "--as", "carol"]) == 1
    out = capsys.readouterr().out
    assert "NOT tighter" in out
    assert "buy 12 SOL/USDT market" in out
    argv = ["policy", "tighter", shipped, str(tight), "--db", url, "--examples", "40"]
    assert main([*argv, "--as", "carol"]) == 0
    assert "at least as strict" in capsys.readouterr().out


def test_cli_names_an_unknown_version_clearly(
    history: Ledger, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy", "diff", "nope@1", "also-nope", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "no such policy file or recorded policy version" in err
