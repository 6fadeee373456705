"""Confirmation prompts: yes in the words people use, anything else no, and the prompt
worded in the request's language."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signoff.answers import YES, approve_prompt, confirm_prompt, is_yes, language_of
from tests.session.conftest import home, signoff  # noqa: F401 - the real command's fixture


@pytest.mark.parametrize(
    "answer",
    [
        "y",
        "Y",
        "yes",
        "YES ",
        "ok",
        "OK.",
        "ja",
        "J",
        "jawohl",
        "oui",
        "是",
        "好",
        "好的",
        "ｙｅｓ",
    ],
)
def test_yes_in_several_languages(answer: str) -> None:
    assert is_yes(answer)


@pytest.mark.parametrize(
    "answer", ["", "n", "no", "nein", "不", "否", "yess", "y y", "maybe", "yes please", "0"]
)
def test_anything_else_is_no(answer: str) -> None:
    assert not is_yes(answer)


@given(st.text(max_size=12))
def test_only_the_listed_words_mean_yes(answer: str) -> None:
    import unicodedata

    if is_yes(answer):
        word = unicodedata.normalize("NFKC", answer).strip().casefold().rstrip(".!。！")
        assert word in YES


def test_the_prompt_follows_the_request_language() -> None:
    assert language_of("buy 10 SOL at 150") == "en"
    assert language_of("kaufe 10 SOL bei 150") == "de"
    assert language_of("以150的价格买入10个SOL") == "zh"
    assert confirm_prompt("s1", "buy 10 SOL", "en") == "Confirm s1: buy 10 SOL? [y/N] "
    assert confirm_prompt("s1", "buy 10 SOL", "de").endswith("[j/N] ")
    assert "确认 s1" in confirm_prompt("s1", "buy 10 SOL", "zh")
    assert approve_prompt("risk-desk", "s2") == "risk-desk, approve s2? [y/N] "


@pytest.mark.slow
def test_a_confirmation_in_german_and_chinese_on_the_real_command(home: Path) -> None:  # noqa: F811
    done = signoff(home, "run", "kaufe 10 SOL bei 150", stdin="ja\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Bestätigen s1: " in done.stdout
    assert "[j/N]" in done.stdout
    assert "s1 approved by alice" in done.stdout
    refused = signoff(home, "run", "buy 10 SOL at 149", stdin="nein\n")
    assert refused.returncode == 1
    assert "Confirm s1: " in refused.stdout
    assert "? [y/N]" in refused.stdout  # the prompt is not read as rich markup
    assert "s1 rejected" in refused.stdout
    chinese = signoff(home, "run", "以148的价格买入10个SOL", stdin="好\n")
    assert chinese.returncode == 0, chinese.stdout + chinese.stderr
    assert "确认 s1" in chinese.stdout
    assert "s1 approved by alice" in chinese.stdout
