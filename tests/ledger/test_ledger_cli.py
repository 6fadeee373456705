"""``signoff audit ...`` end to end, in process and as a real process."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from foundation.clock import FakeClock
from intent.plan import Plan
from ledger.service import Ledger
from signoff.cli import main
from tests.ledger import tamper
from tests.ledger.ledger_story import ORDER_STEP, Story, record_story


@pytest.fixture
def recorded(sqlite_url: str, clock: FakeClock) -> Story:
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        return record_story(ledger, clock)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_verify_reports_ok_then_names_the_tampered_record(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "verify")
    assert code == 0
    assert out.startswith(f"ok: audit chain verified: {recorded.seqs['filled']} record(s)")

    seq = recorded.seqs["order_intent"]
    tamper.edit_one_byte(sqlite_url, "orders", "quantity", f"audit_seq = {seq}", "0.1", "0.9")
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "verify")
    assert code == 1
    assert out.startswith("TAMPERED")
    assert f"first bad record: record #{seq} (order_intent): CONTENT_ALTERED" in out


def test_checkpoint_then_verify_against_it(
    sqlite_url: str, recorded: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head_file = tmp_path / "elsewhere" / "head.json"
    head_file.parent.mkdir()
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "checkpoint", str(head_file))
    assert code == 0
    head = recorded.seqs["filled"]
    assert f"record #{head}" in out
    saved = json.loads(head_file.read_text())
    assert saved["sequence"] == head
    assert saved["format"] == "signoff-audit-checkpoint"

    code, out, _ = run(
        capsys, "audit", "--db", sqlite_url, "verify", "--checkpoint", str(head_file)
    )
    assert code == 0
    assert f"still extends the checkpoint at #{head}" in out

    tamper.truncate_after(sqlite_url, head - 2)
    code, out, _ = run(
        capsys, "audit", "--db", sqlite_url, "verify", "--checkpoint", str(head_file)
    )
    assert code == 1
    assert f"first bad record: record #{head}: TRUNCATED" in out


def test_no_checkpoint_of_a_tampered_chain(
    sqlite_url: str, recorded: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper.edit_record(sqlite_url, recorded.seqs["parse"], "actor", "mallory")
    head_file = tmp_path / "head.json"
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "checkpoint", str(head_file))
    assert code == 1
    assert "no checkpoint written" in out
    assert not head_file.exists()


def test_a_bad_checkpoint_file_is_a_usage_error(
    sqlite_url: str, recorded: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text('{"format": "something else"}')
    code, _, err = run(capsys, "audit", "--db", sqlite_url, "verify", "--checkpoint", str(bogus))
    assert code == 2
    assert "is not a signoff audit checkpoint" in err
    code, _, err = run(
        capsys, "audit", "--db", sqlite_url, "verify", "--checkpoint", str(tmp_path / "none")
    )
    assert code == 2
    assert "not found" in err
    assert "hint: write one with" in err


def test_show_tells_the_story_from_text_to_fills(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "show", recorded.plan_id)
    assert code == 0
    for expected in (
        f"Plan {recorded.plan_id}",
        "buy 0.1 BTC and show my balance",
        Plan(steps=(ORDER_STEP,)).describe().splitlines()[0],
        "MAX_ORDER_VALUE: limit=5000 USDT, notional=6750.001 USDT",
        "confirm",
        "desk-default v7",
        "approved",
        f"Order {recorded.client_order_id} — filled",
        "exchange id PX-1001",
        "0.04 @ 67500.01 (trade T-1, fee 0.00004 BTC)",
    ):
        assert expected in out, expected


def test_show_an_unknown_plan(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "audit", "--db", sqlite_url, "show", "p-nope")
    assert code == 2
    assert "error: no plan p-nope in the ledger" in err
    assert "hint: 'signoff audit log'" in err


def test_export_jsonl_and_csv(
    sqlite_url: str, recorded: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "export", "--since", "2026-01-05")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["seq"] for r in lines] == list(range(1, recorded.seqs["filled"] + 1))
    assert lines[0]["rows"][0]["table"] == "requests"

    target = tmp_path / "trail.csv"
    code, _, err = run(
        capsys,
        "audit", "--db", sqlite_url, "export", "--since", "2026-01-05T09:30:00.100Z",
        "--format", "csv", "--output", str(target),
    )  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert f"exported {len(rows)} record(s)" in err
    assert rows[0]["kind"] == "parse"  # the request came at 09:30:00.000, the parse at .200
    assert json.loads(rows[0]["rows"])[0]["table"] in ("plans", "plan_steps")

    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "export", "--since", "2030-01-01")
    assert (code, out) == (0, "")


def test_export_needs_a_date(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "audit", "--db", sqlite_url, "export", "--since", "last tuesday")
    assert code == 2
    assert "--since 'last tuesday' is not a date" in err
    with pytest.raises(SystemExit) as exited:
        main(["audit", "--db", sqlite_url, "export"])
    assert exited.value.code == 2


def test_log_lists_recent_records(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "log", "--limit", "2")
    assert code == 0
    body = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [line.split()[0] for line in body] == [
        str(recorded.seqs["fill2"]),
        str(recorded.seqs["filled"]),
    ]


def test_audit_alone_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "audit")
    assert code == 2
    assert "verify" in err


def test_reading_commands_do_not_create_a_ledger(
    _isolated_env: Path,  # noqa: PT019 - the path is used
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "audit", "verify")
    assert code == 2  # a ledger that cannot be opened: configuration
    assert "error: there is no ledger at" in err
    assert not (_isolated_env / "ledger.sqlite3").exists()


def test_the_default_ledger_lives_in_signoff_home(
    _isolated_env: Path,  # noqa: PT019 - the path is used
    clock: FakeClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Ledger.open(clock=clock) as ledger:
        ledger.record_request(text="buy 1 ETH", actor="eve", parser="deterministic")
    assert (_isolated_env / "ledger.sqlite3").exists()
    code, out, _ = run(capsys, "audit", "log")
    assert code == 0
    assert "request" in out


def test_the_db_url_comes_from_the_environment(
    sqlite_url: str,
    recorded: Story,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SIGNOFF_DB_URL", sqlite_url)
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0
    assert f"{recorded.seqs['filled']} record(s)" in out


@pytest.mark.slow
def test_verify_as_a_real_process(sqlite_url: str, recorded: Story) -> None:
    env = {**os.environ, "SIGNOFF_DB_URL": sqlite_url}
    command = [sys.executable, "-m", "signoff", "audit", "verify"]
    ok = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    tamper.delete_record(sqlite_url, recorded.seqs["approval"])
    bad = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert f"#{recorded.seqs['approval']} missing" in bad.stdout
    assert "Traceback" not in bad.stderr


# ------------------------------------------------ --db, filters, help, corrupt values


@pytest.mark.parametrize(
    "action",
    [
        ["verify"],
        ["checkpoint", "{tmp}/head.json"],
        ["show", "{plan}"],
        ["export", "--since", "2026-01-05"],
        ["log", "--limit", "3"],
    ],
    ids=lambda a: a[0],
)
def test_db_works_before_and_after_every_action(
    action: list[str],
    sqlite_url: str,
    recorded: Story,
    signoff_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # SIGNOFF_HOME holds no ledger: only --db can make these succeed
    args = [a.format(tmp=tmp_path, plan=recorded.plan_id) for a in action]
    before = run(capsys, "audit", "--db", sqlite_url, *args)
    after = run(capsys, "audit", *args, "--db", sqlite_url)
    assert before[0] == 0, before[2]
    assert after[0] == 0, after[2]
    assert before[1] == after[1]
    assert before[1].strip()
    code, _, err = run(capsys, "audit", *args)
    assert code == 2  # a ledger that cannot be opened is a configuration error
    assert "there is no ledger at" in err
    assert not (signoff_home / "ledger.sqlite3").exists()


def test_db_after_the_action_wins_over_the_one_before(
    sqlite_url: str, recorded: Story, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"sqlite:///{tmp_path / 'missing.sqlite3'}"
    code, out, _ = run(capsys, "audit", "--db", missing, "verify", "--db", sqlite_url)
    assert code == 0
    assert f"{recorded.seqs['filled']} record(s)" in out


def _log_rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]


@pytest.fixture
def two_plans(sqlite_url: str, clock: FakeClock) -> tuple[Story, Story]:
    with Ledger.open(sqlite_url, clock=clock) as ledger:
        first = record_story(ledger, clock, actor="alice", suffix="a")
        clock.advance(3600)
        second = record_story(ledger, clock, actor="bob", text="buy 0.1 BTC now", suffix="b")
    return first, second


def test_log_filters_by_plan_kind_actor_and_time(
    sqlite_url: str, two_plans: tuple[Story, Story], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = two_plans
    db = ["audit", "--db", sqlite_url, "log", "--limit", "100"]

    code, out, _ = run(capsys, *db, "--plan", second.plan_id)
    assert code == 0
    seqs = [int(row[0]) for row in _log_rows(out)]
    # the plan's records and its request's record, which carries no plan id
    expected = sorted(v for k, v in second.seqs.items() if k != "policy_version")
    assert seqs == expected
    assert first.plan_id not in out

    code, out, _ = run(capsys, *db, "--kind", "approval")
    assert [int(r[0]) for r in _log_rows(out)] == [first.seqs["approval"], second.seqs["approval"]]

    code, out, _ = run(capsys, *db, "--actor", "bob", "--kind", "request")
    assert [int(r[0]) for r in _log_rows(out)] == [second.seqs["request"]]

    code, out, _ = run(capsys, *db, "--since", "2026-01-05T10:00:00Z", "--kind", "fill")
    assert [int(r[0]) for r in _log_rows(out)] == [second.seqs["fill"], second.seqs["fill2"]]

    code, out, _ = run(capsys, *db, "--actor", "nobody")
    assert (code, out.strip()) == (0, "no audit records match")


def test_log_shows_each_decision_with_its_rules(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "audit", "--db", sqlite_url, "log", "--kind", "decision")
    assert code == 0
    rows = _log_rows(out)
    assert [int(r[0]) for r in rows] == [recorded.seqs["decision"]]
    assert "s1 confirm (MAX_ORDER_VALUE)" in out
    # one line per step: the second step's verdict on the next line of the same record
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "s1 confirm (MAX_ORDER_VALUE)" in line)
    assert "s2 allow" in lines[at + 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "nope"], "--kind 'nope' is not a kind of record"),
        (["--since", "yesterday"], "--since 'yesterday' is not a date"),
    ],
)
def test_log_refuses_a_bad_filter(
    sqlite_url: str,
    recorded: Story,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "audit", "--db", sqlite_url, "log", *args)
    assert code == 2
    assert message in err
    assert out == ""


@pytest.mark.parametrize("action", [None, "verify", "checkpoint", "show", "export", "log"])
def test_every_audit_help_has_a_description_and_exit_codes(
    action: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["audit"] + ([action] if action else []) + ["--help"]
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 0
    out = capsys.readouterr().out
    _usage, _, rest = out.partition("\n\n")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 8, description  # a sentence, not just the usage line
    assert "exit codes:" in out
    for code in ("0", "2", "70"):
        assert f"\n  {code}  " in out
    if action in (None, "verify"):
        assert "\n  1   " in out
    assert "--db URL" in out


def test_a_corrupt_stored_amount_is_named_not_a_crash(
    sqlite_url: str, recorded: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = recorded.seqs["fill"]
    with tamper.attacker(sqlite_url) as conn:
        conn.exec_driver_sql(f"UPDATE fills SET price = 'lots' WHERE audit_seq = {seq}")
    code, out, err = run(capsys, "audit", "--db", sqlite_url, "verify")
    assert code == 1
    assert "Traceback" not in err
    assert f"first bad record: record #{seq} (fill): CONTENT_ALTERED" in out
    assert f"record #{seq}: CORRUPT_VALUE: fills.price holds 'lots'" in out
    # reading commands name the problem too, and send the reader to verify
    code, _, err = run(capsys, "audit", "--db", sqlite_url, "show", recorded.plan_id)
    assert code == 1
    assert "cannot be read" in err
    assert "signoff audit verify" in err
