"""Properties of the parser over text it has never seen (hypothesis)."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from intent.deterministic import DeterministicParser
from intent.plan import Clarification, Plan, Refusal, parse_result_from_data
from signoff.jsonout import dumps
from tests.intent.conftest import corpus_texts

# words the grammar reacts to, so random sentences reach deep into it
VOCAB = [
    "buy",
    "sell",
    "swap",
    "convert",
    "cancel",
    "rebalance",
    "if",
    "when",
    "below",
    "above",
    "at",
    "@",
    "for",
    "with",
    "of",
    "my",
    "all",
    "half",
    "a third",
    "every",
    "day",
    "week",
    "times",
    "and",
    "then",
    ",",
    ";",
    "%",
    "$",
    "k",
    "BTC",
    "ETH",
    "SOL",
    "USDT",
    "USDC",
    "bitcoin",
    "0.1",
    "2,500",
    "60.000",
    "0,5",
    "1e-3",
    ".25",
    "58k",
    "3/4",
    "stop loss",
    "take profit",
    "orders",
    "price",
    "balance",
    "kaufe",
    "verkaufe",
    "die Hälfte",
    "meiner",
    "bei",
    "wenn",
    "unter",
    "fällt",
    "买入",
    "卖出",
    "一半",
    "比特币",
    "个",
    "以",
    "的价格",
    "跌破",
    "每天",
    "撤销",
    "订单",
    "-",
    "/",
    "it",
    "drops",
    "hits",
    "into",
    "worth",
    "sats",
    "DCA",
    "until stopped",
    "for a week",
    "once",
    "limit",
    "market",
    "0",
    "-1",
]

SKIP_PHRASES = [
    "skip the confirmation",
    "without confirmation",
    "no need to confirm",
    "don't ask me",
    "do not ask for approval",
    "auto-approve it",
    "turn off confirmations",
    "bypass the policy",
    "ignore the limits",
    "disable the checks",
    "I already approved it",
    "it is pre-approved",
    "raise my limits",
    "change the policy",
    "no confirmation needed",
    "approve it yourself",
    "ohne Bestätigung",
    "Bestätigung überspringen",
    "不用确认",
    "跳过确认",
    "无需审批",
]

TRADES = [
    "buy 0.1 BTC",
    "sell half my ETH",
    "buy $500 of SOL at 150",
    "sell all my DOGE",
    "if BTC drops below 60k buy 0.1 BTC",
    "rebalance to 60% BTC and 40% ETH",
    "convert 1 ETH to BTC",
    "kaufe 0,1 BTC",
    "卖出一半的ETH",
    "cancel all my orders",
]

sentences = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=12).map(" ".join)
any_text = st.one_of(st.text(max_size=200), sentences)


@settings(max_examples=400)
@given(any_text)
@example("\x00\ud7ff\U0010ffff")
@example("buy " + "9" * 500 + " BTC")
@example("buy 1e999999 BTC")
@example("buy 0.1 BTC " * 400)
def test_any_text_gives_exactly_one_kind_and_never_raises(
    parser: DeterministicParser, text: str
) -> None:
    raw = parser.parse(text)
    assert raw["status"] in ("plan", "clarify", "unsupported")
    typed = parse_result_from_data(raw)  # the typed models accept whatever the grammar builds
    assert isinstance(typed, Plan | Clarification | Refusal)
    assert typed.status == raw["status"]


@settings(max_examples=300)
@given(sentences)
def test_every_plan_round_trips_through_json(parser: DeterministicParser, text: str) -> None:
    raw = parser.parse(text)
    typed = parse_result_from_data(raw)
    # the models' own JSON, and back
    assert parse_result_from_data(json.loads(typed.model_dump_json())) == typed
    # the CLI's JSON (exact decimal numbers), and back
    again = parse_result_from_data(json.loads(dumps(raw), parse_float=Decimal))
    assert again == typed
    # the grammar's dicts say what the models say: one shape, two paths
    assert _within(raw, typed.model_dump(by_alias=True))


def _within(raw: object, dumped: object) -> bool:
    """Every key and value of ``raw`` is in ``dumped`` (numbers equal by value)."""
    if isinstance(raw, dict):
        return isinstance(dumped, dict) and all(
            k in dumped and _within(v, dumped[k]) for k, v in raw.items()
        )
    if isinstance(raw, list | tuple):
        return (
            isinstance(dumped, list | tuple)
            and len(raw) == len(dumped)
            and all(_within(x, y) for x, y in zip(raw, dumped, strict=True))
        )
    if isinstance(raw, Decimal) or isinstance(dumped, Decimal):
        return Decimal(str(raw)) == Decimal(str(dumped))
    return raw == dumped


@settings(max_examples=300)
@given(
    st.sampled_from(TRADES),
    st.sampled_from(SKIP_PHRASES),
    st.sampled_from(["{t} and {s}", "{s}, {t}", "{t}; {s}", "{s} {t}", "{t}, {s} please"]),
)
def test_asking_to_skip_confirmation_never_yields_a_plan(
    parser: DeterministicParser, trade: str, skip: str, shape: str
) -> None:
    text = shape.format(t=trade, s=skip)
    assume(text not in corpus_texts())
    result = parser.parse(text)
    assert result["status"] == "unsupported", (text, result)
    assert result["category"] == "policy"


@settings(max_examples=200)
@given(st.sampled_from(TRADES), st.text(alphabet=" ,.!?;:-'\"()", max_size=6))
def test_punctuation_around_a_request_does_not_change_its_kind(
    parser: DeterministicParser, trade: str, noise: str
) -> None:
    plain = parser.parse(trade)
    noisy = parser.parse(trade + noise)
    if "?" in noise:
        # "buy 0.1 BTC?" asks about the trade: a question is never placed
        assert noisy["status"] == "clarify", (trade + noise, noisy)
    else:
        assert noisy["status"] == plain["status"]
