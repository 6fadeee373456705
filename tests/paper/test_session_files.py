"""Paper-session files: what they hold, and a clear error naming the key for anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from foundation.errors import ConfigError
from signoff.paper.config import load_session_file

GOOD = """
[session]
name = "DCA"
start = 2026-01-05T00:00:00Z
duration = "7d"
seed = 7
trader = "alice"

[balances]
USDT = "10000"
BTC = "0.5"

[prices]
source = "simulated"
interval = "5m"
volatility = "0.6"
[prices.start]
"BTC/USDT" = "60000"

[identities]
bob = ["approver"]

[[script]]
at = "0m"
request = "buy 20 USDT of BTC every day for a week"

[[script]]
at = "2d"
request = "buy 0.2 BTC"
answer = "approve-as:bob"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "session.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_file_reads_exactly(tmp_path: Path) -> None:
    parsed, directory = load_session_file(write(tmp_path, GOOD))
    assert directory == str(tmp_path)
    assert parsed.session.start == datetime(2026, 1, 5, tzinfo=UTC)
    assert parsed.end == datetime(2026, 1, 12, tzinfo=UTC)
    assert parsed.balances == {"USDT": Decimal("10000"), "BTC": Decimal("0.5")}
    assert parsed.prices.interval == timedelta(minutes=5)
    assert parsed.prices.start == {"BTC/USDT": Decimal("60000")}
    assert [entry.at for entry in parsed.script] == [timedelta(0), timedelta(days=2)]
    assert parsed.script[0].answer == "approve"
    assert parsed.script[1].second_approver == "bob"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (('USDT = "10000"', "USDT = 10000.5"), "balances.USDT: write amounts as strings"),
        (('USDT = "10000"', 'USDT = "lots"'), "balances.USDT: 'lots' is not a number"),
        (('USDT = "10000"', 'USDT = "-5"'), "balances.USDT"),
        (('USDT = "10000"', 'USDT = "1e999999"'), "balances.USDT"),
        (("seed = 7", 'seed = 7\ncolour = "red"'), "session.colour: unknown key"),
        (('duration = "7d"', 'duration = "a week"'), "session.duration"),
        (("start = 2026-01-05T00:00:00Z", "start = 2026-01-05T00:00:00"), "time zone"),
        (('source = "simulated"', 'source = "magic"'), "prices.source"),
        (('answer = "approve-as:bob"', 'answer = "maybe"'), "say approve, reject, expire"),
        (('answer = "approve-as:bob"', 'answer = "approve-as:carol"'), "'carol' approves"),
        (('at = "2d"', 'at = "8d"'), "after the session ends"),
        (('bob = ["approver"]', 'bob = ["boss"]'), "unknown role 'boss'"),
        (('trader = "alice"', 'trader = "a b"'), "not a valid identity name"),
        (("[session]\n", ""), "missing"),
    ],
)
def test_a_bad_file_names_the_key(tmp_path: Path, change: tuple[str, str], says: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError) as broken:
        load_session_file(write(tmp_path, GOOD.replace(old, new, 1)))
    assert says in str(broken.value)
    assert "session.toml" in str(broken.value)
    assert broken.value.exit_code == 2


def test_not_toml_and_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as broken:
        load_session_file(write(tmp_path, "[session\n"))
    assert "not valid TOML" in str(broken.value)
    with pytest.raises(ConfigError) as missing:
        load_session_file(str(tmp_path / "none.toml"))
    assert "not found" in str(missing.value)


def test_a_replay_needs_its_files(tmp_path: Path) -> None:
    text = GOOD.replace('source = "simulated"', 'source = "replay"')
    with pytest.raises(ConfigError) as broken:
        load_session_file(write(tmp_path, text))
    assert "prices.files" in str(broken.value)
