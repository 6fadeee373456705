"""The TUI's own behaviour: history, answers, languages, NO_COLOR, a missing executor,
and that the command line stays fast (textual only for `signoff` alone)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from rich.text import Text

from foundation.errors import ExecutionError
from tests.conftest import REPO
from tui import history, i18n
from tui.app import SignoffApp
from tui.service import Options, Service, sparkline

from .conftest import propose, ready, wait_for
from .seeded import counter_ids, seeded_session

SIZE = (80, 24)


def test_history_is_kept_across_runs_and_redacted(
    signoff_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foundation import secrets

    monkeypatch.setenv("BINANCE_TESTNET_API_SECRET", "sk-live-abcdefabcdefabcdef0123")
    secrets.reset()
    history.append("buy 0.01 BTC")
    history.append("  sell   half my ETH ")
    history.append("buy 1 BTC with api_key=sk-live-abcdefabcdefabcdef0123")
    kept = history.load()
    assert kept[:2] == ["buy 0.01 BTC", "sell half my ETH"]
    assert "sk-live-abcdefabcdefabcdef0123" not in kept[2]
    assert (signoff_home / "tui-history.txt").stat().st_mode & 0o077 == 0
    secrets.reset()


@pytest.mark.parametrize(
    ("text", "language"),
    [("buy 0.01 BTC", "en"), ("kaufe 0,1 BTC", "de"), ("卖出一半的ETH", "zh")],
)
def test_the_request_language(text: str, language: str) -> None:
    assert i18n.language_of(text) == language


def test_an_answer_is_worked_into_the_request() -> None:
    assert i18n.answered("buy some bitcoin", "0.01") == "buy bitcoin 0.01"
    assert i18n.answered("kaufe etwas Bitcoin", "0,01") == "kaufe Bitcoin 0,01"
    assert i18n.answered("买一些比特币", "0.01") == "买 比特币 0.01"
    assert i18n.question("How much?", ("amount",), "de").startswith("Wie viel")
    assert i18n.question("How much?", ("amount",), "en") == "How much?"


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([Decimal(1)] * 3) == "▄▄▄"
    assert sparkline([Decimal(1), Decimal(2), Decimal(3)]) == "▁▄█"
    assert len(sparkline([Decimal(i) for i in range(50)], width=6)) == 6


@pytest.mark.asyncio
async def test_history_walks_with_up_and_down(
    signoff_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter_ids(monkeypatch)
    history.append("buy 0.01 BTC")
    service = Service(Options(local_identity=False), session=seeded_session())
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await propose(pilot, "sell 0.1 ETH")
        screen.request_box.focus()
        await pilot.press("up")
        assert screen.request_box.value == "sell 0.1 ETH"
        await pilot.press("up")
        assert screen.request_box.value == "buy 0.01 BTC"
        await pilot.press("down", "down")
        assert screen.request_box.value == ""
    assert history.load() == ["buy 0.01 BTC", "sell 0.1 ETH"]


@pytest.mark.asyncio
async def test_no_color_keeps_the_decision_symbols(
    signoff_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter_ids(monkeypatch)
    monkeypatch.setenv("NO_COLOR", "1")
    service = Service(Options(local_identity=False), session=seeded_session())
    app = SignoffApp(service, poll=False)
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await propose(pilot, "buy 0.01 BTC and buy 10 SOL at 150 and buy 0.001 BTC at 50000")
        table = screen.plan_panel.table
        decisions = [
            cell.plain
            for key in ("s1", "s2", "s3")
            for cell in table.get_row(key)
            if isinstance(cell, Text) and cell.plain[:1] in "✓?⇧✗"
        ]
        assert decisions == ["✓ allow", "? confirm", "✗ deny"]


@pytest.mark.asyncio
async def test_a_missing_executor_is_said_and_retried(
    signoff_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.screens.main as main

    monkeypatch.setattr(main, "RETRY_SECONDS", 0.2)
    counter_ids(monkeypatch)
    attempts: list[int] = []

    def opener(options: Options) -> object:
        attempts.append(1)
        if len(attempts) < 3:
            raise ExecutionError("cannot reach the executor", hint="start it")
        return seeded_session()

    service = Service(Options(local_identity=False), opener=opener)  # type: ignore[arg-type]
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen_stack[0]
        await wait_for(pilot, lambda: "not available" in screen.plan_panel.note_text, "the news")  # type: ignore[attr-defined]
        screen.request_box.value = "buy 0.01 BTC"  # type: ignore[attr-defined]
        await ready(pilot)
        assert len(attempts) == 3
        assert screen.request_box.value == "buy 0.01 BTC"  # type: ignore[attr-defined]
        await propose(pilot, "buy 0.01 BTC")
    service.close()


def test_the_command_line_does_not_import_textual() -> None:
    code = (
        "import sys\n"
        "from signoff.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "usage: signoff" in done.stdout


@pytest.mark.asyncio
async def test_a_locked_key_asks_for_its_passphrase(
    signoff_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from foundation.identity import SigningKey, identities_path, key_path
    from tui.screens.passphrase import PassphraseScreen

    counter_ids(monkeypatch)
    key = SigningKey.generate("alice")
    os.makedirs(os.path.dirname(key_path("alice")), mode=0o700, exist_ok=True)
    key.save(key_path("alice"), b"correct horse")
    Path(identities_path()).write_text(key.identity_line(["trader"]) + "\n", encoding="utf-8")

    service = Service(Options(actor="alice"), opener=lambda options: seeded_session())
    app = SignoffApp(service, poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen), "the prompt")
        await pilot.press(*"wrong", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PassphraseScreen), "asked again")
        await pilot.press(*"correct", "space", *"horse", "enter")
        screen = await ready(pilot)
        assert service.key is not None
        assert service.key.key_id == key.key_id
        assert screen.status is not None
        assert screen.status.role == "trader"
    service.close()
