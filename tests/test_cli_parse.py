"""`signoff parse` through the real entry point, in-process and as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signoff.cli import main
from tests.conftest import REPO


def run(
    *args: str, stdin: str | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if home is not None:
        env["SIGNOFF_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "signoff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_parse_prints_the_plan_readably(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "sell", "half", "my", "ETH", "if", "it", "drops", "below", "2,000"]) == 0
    out = capsys.readouterr().out
    assert "sell 50% of your ETH" in out
    assert "below 2,000" in out


def test_parse_question_and_refusal_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "buy some bitcoin"]) == 1
    assert "How much" in capsys.readouterr().out
    assert main(["parse", "withdraw everything to my bank"]) == 1
    assert "not supported" in capsys.readouterr().out


def test_parse_json_has_exact_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--json", "buy 0.1 BTC at 58k"]) == 0
    data = json.loads(capsys.readouterr().out, parse_float=Decimal)
    step = data["steps"][0]
    assert step["amount"] == {"unit": "base", "value": Decimal("0.1")}
    assert step["limit_price"] == 58000
    assert step["order_type"] == "limit"
    assert "summary" in step


def test_jsonl_answers_every_line_in_order() -> None:
    lines = [
        "buy 0.1 BTC",
        "",
        "sell it",
        "withdraw 1 BTC",
        "买入0.1个比特币",
        "\x00\x01??",
        "kaufe 2 ETH",
    ]
    done = run("parse", "--jsonl", stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["status"] for a in answers] == [
        "plan",
        "clarify",
        "clarify",
        "unsupported",
        "plan",
        "clarify",
        "plan",
    ]
    assert answers[4]["steps"][0]["base"] == "BTC"
    assert done.stderr == ""


def test_jsonl_imports_neither_pydantic_nor_rich() -> None:
    code = (
        "import io, sys\n"
        "sys.stdin = io.StringIO('buy 1 BTC\\n'); sys.stdout = io.StringIO()\n"
        "from signoff.cli import main\n"
        "main(['parse', '--jsonl'])\n"
        "heavy = {'pydantic', 'rich', 'textual', 'sqlalchemy'} & set(sys.modules)\n"
        "sys.__stdout__.write(','.join(sorted(heavy)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("args", [["parse", "buy 1 BTC"], ["parse", "--json", "buy 1 BTC"]])
def test_parse_text_shows_the_plan_without_pydantic(args: list[str]) -> None:
    # pydantic's import was most of the command's start-up; the plan is shown from the
    # parser's dict (the property tests hold that dict to the typed models)
    code = (
        "import io, sys\n"
        "sys.stdout = io.StringIO()\n"
        "from signoff.cli import main\n"
        f"code = main({args!r})\n"
        "shown = sys.stdout.getvalue()\n"
        "heavy = {'pydantic', 'textual', 'sqlalchemy'} & set(sys.modules)\n"
        "sys.__stdout__.write(f\"{code} {','.join(sorted(heavy))} {'BTC' in shown}\")\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "0  True"


def test_a_typed_credential_is_refused_and_never_shown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["parse", "buy 0.01 ETH my key is sk_live_51HqLyjWDarjtT1zdp7dc"]) == 1
    out = capsys.readouterr().out
    assert "51HqLyjWDarjtT1zdp7dc" not in out
    assert "[REDACTED]" in out
    assert "keys, passwords or secrets" in out


def test_a_registered_secret_does_not_leak_through_the_question(tmp_path: Path) -> None:
    secret = "2222222222111111"
    env = {**os.environ, "PYTHONPATH": str(REPO), "SIGNOFF_HOME": str(tmp_path)}
    env["BINANCE_TESTNET_API_SECRET"] = secret
    for args, stdin in (
        (["parse", f"buy 0.01 ETH {secret}"], None),
        (["parse", "--json", f"buy 0.01 ETH {secret}"], None),
        (["parse", "--jsonl"], f"buy 0.01 ETH {secret}\nsell 1 BTC x-{secret}\n"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "signoff", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        # not the secret, nor its head or tail as a number a question could echo
        assert secret[:10] not in done.stdout, done.stdout
        assert secret[-10:] not in done.stdout, done.stdout


def test_help_is_fast_to_import() -> None:
    code = (
        "import sys\n"
        "from signoff.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "for args in (['parse', '--help'],):\n"
        "    try:\n        main(args)\n    except SystemExit:\n        pass\n"
        "heavy = {'textual', 'ccxt', 'sqlmodel', 'sqlalchemy', 'pydantic_ai', 'aiohttp', 'httpx'}\n"
        "sys.stderr.write(','.join(sorted(heavy & set(sys.modules))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert "usage: signoff" in done.stdout
    assert "parse" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["parse"], "give the request to parse"),
        (["parse", "--jsonl", "buy 1 BTC"], "--jsonl reads requests from stdin"),
        (["parse", "--assets", "/nonexistent/assets.txt", "buy 1 BTC"], "file not found"),
        (["parse", "--json", "--jsonl"], "not allowed with argument"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_are_messages_not_tracebacks(args: list[str], needle: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_user_asset_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "assets.txt").write_text("WOOF woofcoin\n", encoding="utf-8")
    done = run("parse", "buy 1 BTC", home=tmp_path)
    assert done.returncode == 2
    assert str(tmp_path / "assets.txt") in done.stderr
    assert "line 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bug_is_a_short_message_and_a_redacted_crash_log(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], signoff_home: Path
) -> None:
    from foundation import secrets
    from signoff.commands import parse as parse_command

    secret = "sk-test-0123456789abcdef"
    secrets.register_secret(secret)

    def broken(args: object) -> int:
        raise RuntimeError(f"exchange said: bad key {secret}")

    monkeypatch.setattr(parse_command, "run", broken)
    try:
        assert main(["parse", "buy 1 BTC"]) == 70
    finally:
        secrets.reset()
    err = capsys.readouterr().err
    assert "internal error: RuntimeError" in err
    assert "Traceback" not in err
    assert secret not in err
    logs = list((signoff_home / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text("utf-8")
    assert "Traceback" in text
    assert secret not in text


def test_text_that_looks_like_markup_is_printed_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "buy [/] 1 BTC [bold]"]) in (0, 1)
    assert "[/]" in capsys.readouterr().out


@given(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                json.loads(line)["text"]
                for line in (REPO / "tests" / "data" / "intent-dev.jsonl")
                .read_text("utf-8")
                .splitlines()
                if line
            ]
        ),
    )
)
def test_the_jsonl_writer_writes_what_the_generic_writer_writes(text: str) -> None:
    from signoff.commands.parse import _annotated, result_line
    from signoff.intents import load_parser
    from signoff.jsonout import dumps

    result = load_parser().parse(text)
    assert result_line(result) == dumps(_annotated(result))
