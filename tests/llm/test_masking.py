"""Secrets and credential-looking text are masked before a request leaves the machine."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundation import secrets
from signoff.llm import mask


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    secrets.reset()
    yield
    secrets.reset()


@pytest.mark.parametrize(
    ("text", "sent", "kind"),
    [
        ("api_key=abcd1234efgh5678 buy 1 BTC", "api_key=[MASKED] buy 1 BTC", "key=value secret"),
        ("secret: hunter22 buy 1 BTC", "secret: [MASKED] buy 1 BTC", "key=value secret"),
        (
            "my password is hunter2 buy 1 BTC",
            "my password is [MASKED] buy 1 BTC",
            "key=value secret",
        ),
        ('token = "two words"', "token = [MASKED]", "key=value secret"),
        ("Passwort: geheim123 kaufe 1 BTC", "Passwort: [MASKED] kaufe 1 BTC", "key=value secret"),
        ("密钥：abcdef123456 买入", "密钥：[MASKED] 买入", "key=value secret"),
        ("use sk-proj-abcdefghijklmnop1234", "use [MASKED]", "key prefix"),
        ("use sk_live_51HxYzAbCdEf", "use [MASKED]", "key prefix"),
        ("ghp_abcdefghijklmnopqrstuvwx12", "[MASKED]", "key prefix"),
        ("AKIAIOSFODNN7EXAMPLE", "[MASKED]", "key prefix"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", "Bearer [MASKED]", "key prefix"),
        ("ref 9fQ2xLr7Vb3KmT8wZp4YhN6c", "ref [MASKED]", "high-entropy token"),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY----- buy",
            "[MASKED] buy",
            "private key",
        ),
    ],
)
def test_credential_looking_text_is_masked(text: str, sent: str, kind: str) -> None:
    masked = mask(text)
    assert masked.text == sent
    assert kind in masked.kinds
    assert masked.changed


@pytest.mark.parametrize(
    "text",
    [
        "buy 0.1 BTC",
        "sell half my ETH if it drops below 2,000",
        "buy 1000 sats every day for a week",
        "BTCUSDT ETHUSDT buy 1,000,000.00 DOGE",
        "rebalance to 33.333333333333333333% BTC and 66.666666666666666667% ETH",
        "kaufe für 500 USDT Bitcoin",
        "买入0.1个比特币",
        "convert 0.00012345 BTC to ETH",
        "what is my balance of USDC",
    ],
)
def test_ordinary_requests_are_sent_as_typed(text: str) -> None:
    assert mask(text).text == text
    assert mask(text).kinds == ()


def test_registered_and_environment_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_EXCHANGE_SECRET", "plainwords")
    secrets.register_secret("correct horse battery", "keyfile")
    masked = mask("buy 1 BTC plainwords and correct horse battery")
    assert masked.text == "buy 1 BTC [MASKED] and [MASKED]"
    assert masked.kinds == ("known secret",)


_SECRET = st.text(alphabet=string.ascii_letters + string.digits + "+/_-", min_size=24, max_size=48)


@settings(max_examples=200)
@given(
    prefix=st.text(max_size=30),
    secret=_SECRET.filter(
        lambda s: len(set(s)) >= 12 and any(c.isdigit() for c in s) and any(c.isalpha() for c in s)
    ),
    suffix=st.text(max_size=30),
)
def test_a_long_random_token_never_leaves_unmasked(prefix: str, secret: str, suffix: str) -> None:
    text = f"{prefix} {secret} {suffix}"
    assert secret not in mask(text).text


@settings(max_examples=100)
@given(
    secret=st.text(min_size=6, max_size=40).filter(
        lambda s: s.strip() == s and s.strip() != "" and s not in "[MASKED]"
    ),
    text=st.text(max_size=40),
)
def test_a_registered_secret_never_leaves(secret: str, text: str) -> None:
    secrets.reset()
    secrets.register_secret(secret, "test")
    assert secret not in mask(f"{text}{secret}{text}").text
