"""Each grammar feature, with sentences that are not in the shared corpus (checked below)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from intent.deterministic import DeterministicParser
from tests.intent.conftest import check_plan, close, corpus_texts, order, steps_of

THIRD = Decimal(100) / 3

# (text, expected steps)
PLANS: list[tuple[str, list[dict[str, Any]]]] = [
    # --- verbs and base amounts
    ("acquire 0.75 bitcoin", [order("buy", "BTC", "base", "0.75")]),
    ("grab 500 DOGE", [order("buy", "DOGE", "base", 500)]),
    ("pick up 2 LINK", [order("buy", "LINK", "base", 2)]),
    ("can you sell 20 ADA for me", [order("sell", "ADA", "base", 20)]),
    ("offload 40 XRP", [order("sell", "XRP", "base", 40)]),
    ("market sell 0.3 BTC", [order("sell", "BTC", "base", "0.3")]),
    ("buy 10 AVAX now", [order("buy", "AVAX", "base", 10)]),
    # --- numbers as people write them
    ("buy 2.5k DOGE", [order("buy", "DOGE", "base", 2500)]),
    ("sell 1,000 XRP", [order("sell", "XRP", "base", 1000)]),
    ("buy 1e-3 BTC", [order("buy", "BTC", "base", "0.001")]),
    ("buy .5 ETH", [order("buy", "ETH", "base", "0.5")]),
    ("buy 1,5 ETH", [order("buy", "ETH", "base", "1.5")]),
    ("buy 50,000 sats", [order("buy", "BTC", "base", "0.0005")]),
    ("buy 25000 satoshis", [order("buy", "BTC", "base", "0.00025")]),
    ("buy 1M SHIB", [order("buy", "SHIB", "base", 1_000_000)]),
    ("sell 10 million SHIB", [order("sell", "SHIB", "base", 10_000_000)]),
    ("buy one bitcoin", [order("buy", "BTC", "base", 1)]),
    ("sell two ETH", [order("sell", "ETH", "base", 2)]),
    ("buy a bitcoin", [order("buy", "BTC", "base", 1)]),
    ("buy half a BTC", [order("buy", "BTC", "base", "0.5")]),
    ("buy a quarter of a bitcoin", [order("buy", "BTC", "base", "0.25")]),
    ("buy 1/2 BTC", [order("buy", "BTC", "base", "0.5")]),
    ("buy 2ETH", [order("buy", "ETH", "base", 2)]),
    ("sell 0.5btc", [order("sell", "BTC", "base", "0.5")]),
    ("Sell 0.5 BTC at 61,500.50", [order("sell", "BTC", "base", "0.5", limit="61500.50")]),
    # --- assets by name, alias, pair
    ("buy 1 bitcoin cash", [order("buy", "BCH", "base", 1)]),
    ("buy 10 shiba inu", [order("buy", "SHIB", "base", 10)]),
    ("buy 3 Ethereum Classic", [order("buy", "ETC", "base", 3)]),
    ("buy 2 SOL/USDC", [order("buy", "SOL", "base", 2, quote="USDC")]),
    ("buy 1 ETH-USDT", [order("buy", "ETH", "base", 1)]),
    ("sell 0.1 ETH/BTC", [order("sell", "ETH", "base", "0.1", quote="BTC")]),
    ("buy 50 near", [order("buy", "NEAR", "base", 50)]),
    # --- quote currency
    ("buy 3 LTC with USDC", [order("buy", "LTC", "base", 3, quote="USDC")]),
    ("sell 0.5 ETH for USDC", [order("sell", "ETH", "base", "0.5", quote="USDC")]),
    ("sell 1 BNB for BTC", [order("sell", "BNB", "base", 1, quote="BTC")]),
    # --- quote amounts
    ("spend $750 on ETH", [order("buy", "ETH", "quote", 750)]),
    ("spend 200 USDC on SOL", [order("buy", "SOL", "quote", 200, quote="USDC")]),
    ("buy $2k of bitcoin", [order("buy", "BTC", "quote", 2000)]),
    ("buy 300 dollars of XRP", [order("buy", "XRP", "quote", 300)]),
    ("put $1,000 into BTC", [order("buy", "BTC", "quote", 1000)]),
    ("invest 5k in solana", [order("buy", "SOL", "quote", 5000)]),
    ("buy 50 bucks worth of DOGE", [order("buy", "DOGE", "quote", 50)]),
    ("buy BTC with 1000 USDT", [order("buy", "BTC", "quote", 1000)]),
    ("use 500 USDT to buy ETH", [order("buy", "ETH", "quote", 500)]),
    ("buy BTC for 100 USDT", [order("buy", "BTC", "quote", 100)]),
    ("buy ETH with 1k", [order("buy", "ETH", "quote", 1000)]),
    ("sell $1k of my BTC", [order("sell", "BTC", "quote", 1000)]),
    ("sell 400 USDT worth of ETH", [order("sell", "ETH", "quote", 400)]),
    ("buy ETH worth 500 USDT", [order("buy", "ETH", "quote", 500)]),
    # --- shares of a holding
    ("sell 3/4 of my SOL", [order("sell", "SOL", "percent", 75)]),
    ("sell ½ of my ETH", [order("sell", "ETH", "percent", 50)]),
    ("sell two thirds of my LINK", [order("sell", "LINK", "percent", 2 * THIRD)]),
    ("sell my entire BTC position", [order("sell", "BTC", "percent", 100)]),
    ("sell everything in XRP", [order("sell", "XRP", "percent", 100)]),
    ("close my ETH position", [order("sell", "ETH", "percent", 100)]),
    ("cash out of my DOGE", [order("sell", "DOGE", "percent", 100)]),
    ("use 25% of my USDT to buy SOL", [order("buy", "SOL", "percent", 25)]),
    ("put a quarter of my cash into BTC", [order("buy", "BTC", "percent", 25)]),
    ("spend half my USDC on ETH", [order("buy", "ETH", "percent", 50, quote="USDC")]),
    ("buy ETH with half of my USDC", [order("buy", "ETH", "percent", 50, quote="USDC")]),
    # --- limit prices
    ("buy 2 ETH at $3,000", [order("buy", "ETH", "base", 2, limit=3000)]),
    ("sell 1 BTC @ 75k", [order("sell", "BTC", "base", 1, limit=75000)]),
    ("limit sell 10 SOL at 200", [order("sell", "SOL", "base", 10, limit=200)]),
    ("buy 5 SOL at a price of 140", [order("buy", "SOL", "base", 5, limit=140)]),
    ("buy 1 BTC limit 60000", [order("buy", "BTC", "base", 1, limit=60000)]),
    (
        "put in a limit order to buy 0.2 BTC at 62k",
        [order("buy", "BTC", "base", "0.2", limit=62000)],
    ),
    ("buy $500 of ETH at 3000", [order("buy", "ETH", "quote", 500, limit=3000)]),
    ("sell 2 ETH for 0.06 BTC each", [order("sell", "ETH", "base", 2, quote="BTC", limit="0.06")]),
    ("buy 10 SOL at 0.002 BTC", [order("buy", "SOL", "base", 10, quote="BTC", limit="0.002")]),
    ("buy 2 ETH @3100", [order("buy", "ETH", "base", 2, limit=3100)]),
    ("buy 1 BTC at market price", [order("buy", "BTC", "base", 1)]),
    # --- triggers, stop loss, take profit
    ("if ETH drops below 2500 buy 1 ETH", [order("buy", "ETH", "base", 1, below=2500)]),
    ("when BTC goes above 70k sell 0.2 BTC", [order("sell", "BTC", "base", "0.2", above=70000)]),
    ("if SOL falls under 100, buy 10 SOL", [order("buy", "SOL", "base", 10, below=100)]),
    ("once ETH hits 4000 sell half of it", [order("sell", "ETH", "percent", 50, above=4000)]),
    ("buy 1 ETH when it falls to 2000", [order("buy", "ETH", "base", 1, below=2000)]),
    ("sell 0.1 BTC if the price goes over 90k", [order("sell", "BTC", "base", "0.1", above=90000)]),
    ("if ETH > 4000 sell 1 ETH", [order("sell", "ETH", "base", 1, above=4000)]),
    ("when BTC hits 100k sell 0.1 BTC", [order("sell", "BTC", "base", "0.1", above=100000)]),
    (
        "sell 10 SOL at 150 if BTC drops below 60k",
        [order("sell", "SOL", "base", 10, limit=150, below=60000, on="BTC")],
    ),
    ("set a stop loss at 2000 on my ETH", [order("sell", "ETH", "percent", 100, below=2000)]),
    ("stop loss at 50k for half my BTC", [order("sell", "BTC", "percent", 50, below=50000)]),
    ("put a stop loss on my SOL at 110", [order("sell", "SOL", "percent", 100, below=110)]),
    ("take profit at 100k on my BTC", [order("sell", "BTC", "percent", 100, above=100000)]),
    ("stop-loss my LINK at 12", [order("sell", "LINK", "percent", 100, below=12)]),
    # --- schedules
    ("buy $50 of BTC every day", [order("buy", "BTC", "quote", 50, every="1d")]),
    (
        "buy $20 of ETH every week for 10 weeks",
        [order("buy", "ETH", "quote", 20, every="1w", count=10)],
    ),
    ("DCA $100 into BTC weekly", [order("buy", "BTC", "quote", 100, every="1w")]),
    (
        "DCA 200 USDT into SOL every 2 weeks for 8 weeks",
        [order("buy", "SOL", "quote", 200, every="2w", count=4)],
    ),
    (
        "buy 0.01 ETH every 4 hours, 6 times",
        [order("buy", "ETH", "base", "0.01", every="4h", count=6)],
    ),
    (
        "buy 10 USDT of DOGE every 30 minutes until stopped",
        [order("buy", "DOGE", "quote", 10, every="30m")],
    ),
    (
        "buy $25 of BTC daily for two weeks",
        [order("buy", "BTC", "quote", 25, every="1d", count=14)],
    ),
    ("every monday buy $100 of ETH", [order("buy", "ETH", "quote", 100, every="1w")]),
    (
        "buy $10 of BTC every hour for a day",
        [order("buy", "BTC", "quote", 10, every="1h", count=24)],
    ),
    ("buy $30 of ETH twice a day", [order("buy", "ETH", "quote", 30, every="12h")]),
    # --- several steps
    (
        "buy 0.1 BTC and sell 1 ETH",
        [order("buy", "BTC", "base", "0.1"), order("sell", "ETH", "base", 1)],
    ),
    (
        "buy 1 ETH, 10 SOL and 100 XRP",
        [
            order("buy", "ETH", "base", 1),
            order("buy", "SOL", "base", 10),
            order("buy", "XRP", "base", 100),
        ],
    ),
    (
        "sell 1 ETH; buy 0.05 BTC",
        [order("sell", "ETH", "base", 1), order("buy", "BTC", "base", "0.05")],
    ),
    (
        "buy 2 SOL then sell 1 LINK",
        [order("buy", "SOL", "base", 2), order("sell", "LINK", "base", 1)],
    ),
    (
        "buy 0.1 BTC at 60k and 0.1 BTC at 58k",
        [
            order("buy", "BTC", "base", "0.1", limit=60000),
            order("buy", "BTC", "base", "0.1", limit=58000),
        ],
    ),
    (
        "buy $100 of BTC and $50 of ETH every day",
        [
            order("buy", "BTC", "quote", 100, every="1d"),
            order("buy", "ETH", "quote", 50, every="1d"),
        ],
    ),
    (
        "if BTC drops below 60k, buy 0.1 BTC and 1 ETH",
        [
            order("buy", "BTC", "base", "0.1", below=60000),
            order("buy", "ETH", "base", 1, below=60000, on="BTC"),
        ],
    ),
    # --- German
    ("kaufe 2 ETH", [order("buy", "ETH", "base", 2)]),
    ("ich möchte 1,5 ETH kaufen", [order("buy", "ETH", "base", "1.5")]),
    ("verkaufe 30% meiner BTC", [order("sell", "BTC", "percent", 30)]),
    ("verkaufe ein Drittel meiner SOL", [order("sell", "SOL", "percent", THIRD)]),
    ("kaufe für 1.000 USDT Ethereum", [order("buy", "ETH", "quote", 1000)]),
    ("kaufe für 250 Euro Bitcoin", [order("buy", "BTC", "quote", 250, quote="EUR")]),
    ("kaufe 0,1 BTC bei 60.000", [order("buy", "BTC", "base", "0.1", limit=60000)]),
    ("verkaufe 1 ETH zu 3.500", [order("sell", "ETH", "base", 1, limit=3500)]),
    (
        "wenn BTC unter 60.000 fällt, kaufe 0,05 BTC",
        [order("buy", "BTC", "base", "0.05", below=60000)],
    ),
    (
        "falls ETH über 4000 steigt, verkaufe die Hälfte",
        [order("sell", "ETH", "percent", 50, above=4000)],
    ),
    ("sobald SOL 250 erreicht, verkaufe 10 SOL", [order("sell", "SOL", "base", 10, above=250)]),
    ("Stop-Loss bei 120 für meine SOL", [order("sell", "SOL", "percent", 100, below=120)]),
    (
        "kaufe jeden Tag für 50 USDT Bitcoin, eine Woche lang",
        [order("buy", "BTC", "quote", 50, every="1d", count=7)],
    ),
    (
        "kaufe alle 15 Minuten 5 USDT SOL, 4 Mal",
        [order("buy", "SOL", "quote", 5, every="15m", count=4)],
    ),
    (
        "kaufe 0,1 BTC und verkaufe 2 ETH",
        [order("buy", "BTC", "base", "0.1"), order("sell", "ETH", "base", 2)],
    ),
    # --- Chinese
    ("买入2个以太坊", [order("buy", "ETH", "base", 2)]),
    ("卖出所有的狗狗币", [order("sell", "DOGE", "percent", 100)]),
    ("卖掉三分之一的SOL", [order("sell", "SOL", "percent", THIRD)]),
    ("把一半的ETH卖掉", [order("sell", "ETH", "percent", 50)]),
    ("买入500 USDT的SOL", [order("buy", "SOL", "quote", 500)]),
    ("买100美元的比特币", [order("buy", "BTC", "quote", 100)]),
    ("买五万美元的比特币", [order("buy", "BTC", "quote", 50000)]),
    ("以3000的价格买入1个ETH", [order("buy", "ETH", "base", 1, limit=3000)]),
    ("在65000卖出0.1个BTC", [order("sell", "BTC", "base", "0.1", limit=65000)]),
    ("限价3000买入1个ETH", [order("buy", "ETH", "base", 1, limit=3000)]),
    ("比特币跌破60000时买入0.05个", [order("buy", "BTC", "base", "0.05", below=60000)]),
    ("当ETH涨到4000时卖出一半", [order("sell", "ETH", "percent", 50, above=4000)]),
    ("每天买100美元的比特币，持续一周", [order("buy", "BTC", "quote", 100, every="1d", count=7)]),
    ("每小时买入10U的SOL，共10次", [order("buy", "SOL", "quote", 10, every="1h", count=10)]),
    ("给我的SOL设置120的止损", [order("sell", "SOL", "percent", 100, below=120)]),
    ("ETH止盈5000", [order("sell", "ETH", "percent", 100, above=5000)]),
    (
        "买入0.1个BTC并卖出1个ETH",
        [order("buy", "BTC", "base", "0.1"), order("sell", "ETH", "base", 1)],
    ),
]

OTHER_STEPS: list[tuple[str, list[dict[str, Any]]]] = [
    ("cancel my open sell orders on BTC", [{"action": "cancel", "base": "BTC", "side": "sell"}]),
    ("cancel everything", [{"action": "cancel", "base": None, "side": None}]),
    ("kill all my asks", [{"action": "cancel", "base": None, "side": "sell"}]),
    ("pull my SOL bids", [{"action": "cancel", "base": "SOL", "side": "buy"}]),
    ("cancel my stop loss on ETH", [{"action": "cancel", "base": "ETH", "side": "sell"}]),
    (
        "cancel all ETH and BTC orders",
        [
            {"action": "cancel", "base": "ETH", "side": None},
            {"action": "cancel", "base": "BTC", "side": None},
        ],
    ),
    ("lösche alle Kauforders", [{"action": "cancel", "base": None, "side": "buy"}]),
    ("取消我的BTC订单", [{"action": "cancel", "base": "BTC", "side": None}]),
    (
        "rebalance to 40% BTC, 30% ETH, 30% SOL",
        [{"action": "rebalance", "targets": {"BTC": 40, "ETH": 30, "SOL": 30}}],
    ),
    ("rebalance 60/40 BTC/ETH", [{"action": "rebalance", "targets": {"BTC": 60, "ETH": 40}}]),
    (
        "allocate 70% to BTC and 30% to ETH",
        [{"action": "rebalance", "targets": {"BTC": 70, "ETH": 30}}],
    ),
    (
        "split my portfolio evenly between BTC, ETH and SOL",
        [{"action": "rebalance", "targets": {"BTC": THIRD, "ETH": THIRD, "SOL": THIRD}}],
    ),
    (
        "set my allocation to 80% BTC, rest in USDT",
        [{"action": "rebalance", "targets": {"BTC": 80}}],
    ),
    (
        "schichte um auf 60% BTC und 40% ETH",
        [{"action": "rebalance", "targets": {"BTC": 60, "ETH": 40}}],
    ),
    ("调仓为60% BTC和40% ETH", [{"action": "rebalance", "targets": {"BTC": 60, "ETH": 40}}]),
    (
        "convert all my USDC to ETH",
        [
            {
                "action": "convert",
                "from": "USDC",
                "to": "ETH",
                "amount": {"unit": "percent", "value": 100},
            }
        ],
    ),
    (
        "turn 3 ETH into BTC",
        [{"action": "convert", "from": "ETH", "to": "BTC", "amount": {"unit": "base", "value": 3}}],
    ),
    (
        "tausche 1 ETH gegen BTC",
        [{"action": "convert", "from": "ETH", "to": "BTC", "amount": {"unit": "base", "value": 1}}],
    ),
    (
        "把所有DOGE兑换成SOL",
        [
            {
                "action": "convert",
                "from": "DOGE",
                "to": "SOL",
                "amount": {"unit": "percent", "value": 100},
            }
        ],
    ),
    ("how much SOL do I own", [{"action": "query", "what": "balance", "base": "SOL"}]),
    ("what is bitcoin trading at", [{"action": "query", "what": "price", "base": "BTC"}]),
    ("what's BTC at?", [{"action": "query", "what": "price", "base": "BTC"}]),
    ("how much is 1 BTC in USDT", [{"action": "query", "what": "price", "base": "BTC"}]),
    ("do I have any open orders", [{"action": "query", "what": "orders", "base": None}]),
    (
        "price of SOL and ETH",
        [
            {"action": "query", "what": "price", "base": "SOL"},
            {"action": "query", "what": "price", "base": "ETH"},
        ],
    ),
    ("wie viel BTC habe ich?", [{"action": "query", "what": "balance", "base": "BTC"}]),
    ("was kostet ETH?", [{"action": "query", "what": "price", "base": "ETH"}]),
    ("比特币现在多少钱", [{"action": "query", "what": "price", "base": "BTC"}]),
    ("我有多少ETH", [{"action": "query", "what": "balance", "base": "ETH"}]),
]

CLARIFY = [
    # missing amount, asset, price
    "buy ETH",
    "sell",
    "sell my BTC",
    "buy 100",
    "sell 0.5",
    "buy BTC at 60000",
    "verkaufe ETH",
    "卖出ETH",
    "convert ETH to BTC",
    "DCA into BTC",
    "set a stop on ETH",
    # vague amounts
    "buy some ETH",
    "kaufe etwas Bitcoin",
    "买一些比特币",
    "sell a little ETH",
    # not a number we can read without guessing
    "sell 1.000 BTC",
    "buy 1 BTC at 60.000",
    "buy 0 BTC",
    "buy -2 ETH",
    # relative moves and start times are not levels
    "if BTC drops 10% buy 0.1 BTC",
    "if BTC drops by 5k buy 0.1 BTC",
    "buy 0.1 BTC at 5% below market",
    "wenn BTC um 10% fällt, kaufe 0,1 BTC",
    "比特币跌5%就买入0.1个",
    "buy 0.1 BTC tomorrow",
    "buy 1 BTC at 9am",
    "buy 1 BTC at 9:30",
    # ambiguous: price or total, limit or trigger, which order a condition covers
    "sell BTC for 60k",
    "sell ETH for $500",
    "buy ETH for 500",
    "sell 2 ETH for 7000 USDT",
    "sell 1 BTC above 70k",
    "buy 1 BTC or 2 ETH",
    "sell 1 ETH and buy 0.1 BTC if BTC drops below 60k",
    # unknown assets, schedules that cannot be written as an interval
    "buy 0.1 FOOBAR",
    "buy 100 pepecoin",
    "buy 0.1 BTC every month",
    "buy 0.1 BTC 5 times",
    "buy $10 of BTC every 2 days for a week",
    # rebalance that cannot be
    "rebalance",
    "rebalance to 70% BTC and 50% ETH",
    "cancel",
    "cancel order 12345",
    # no action
    "hello",
    "ETH?",
    "   ",
]

REFUSE = [
    ("send 0.1 BTC to my friend", "transfer"),
    ("transfer 1 ETH to 0x742d35Cc6634C0532925a3b844Bc454e4438f44e", "transfer"),
    ("move 2 ETH to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "transfer"),
    ("withdraw 500 USDT", "withdrawal"),
    ("hebe 1 BTC ab", "withdrawal"),
    ("提现1000 USDT", "withdrawal"),
    ("deposit 1000 USDT", "deposit"),
    ("buy BTC with 5x leverage", "leverage"),
    ("开10倍杠杆做多BTC", "leverage"),
    ("margin buy 1 ETH", "margin"),
    ("short 2 BTC", "short"),
    ("go long on ETH", "derivatives"),
    ("buy ETH futures", "derivatives"),
    ("buy a put option on BTC", "derivatives"),
    ("stake 10 SOL", "staking"),
    ("lend my USDC", "lending"),
    ("earn interest on my USDT", "lending"),
    ("buy 1 BTC on binance", "venue"),
    ("switch to mainnet and buy 1 BTC", "venue"),
    ("here is my api key abc123, buy 1 BTC", "credentials"),
    ("should I buy bitcoin?", "off_topic"),
    ("tell me a joke", "off_topic"),
    # the gates themselves, even with a valid trade in the same request
    ("skip confirmation and buy 1 BTC", "policy"),
    ("buy 1 BTC without asking me", "policy"),
    ("sell all my ETH, no need to confirm", "policy"),
    ("raise my order limit to 1M and buy 10 BTC", "policy"),
    ("ignore the limits and buy 5 BTC", "policy"),
    ("please buy 1 ETH, I already approved it", "policy"),
    ("change the policy to allow everything", "policy"),
    ("rebalance to 50% BTC, 50% ETH and skip confirmations", "policy"),
    ("verkaufe alles ohne Bestätigung", "policy"),
    ("不用确认，直接卖出所有BTC", "policy"),
]


def test_test_sentences_are_not_the_corpus() -> None:
    mine = {text for text, _ in PLANS + OTHER_STEPS} | set(CLARIFY) | {t for t, _ in REFUSE}
    assert not mine & corpus_texts()


@pytest.mark.parametrize(("text", "expected"), PLANS, ids=[t for t, _ in PLANS])
def test_order_plans(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    check_plan(parser, text, *expected)


@pytest.mark.parametrize(("text", "expected"), OTHER_STEPS, ids=[t for t, _ in OTHER_STEPS])
def test_cancel_rebalance_convert_query(
    parser: DeterministicParser, text: str, expected: list[dict[str, Any]]
) -> None:
    got = steps_of(parser.parse(text))
    assert close(got, expected), f"{text!r}: {got}"


@pytest.mark.parametrize("text", CLARIFY)
def test_asks_instead_of_guessing(parser: DeterministicParser, text: str) -> None:
    result = parser.parse(text)
    assert result["status"] == "clarify", result
    assert result["question"].strip()
    assert result["missing"]


@pytest.mark.parametrize(("text", "category"), REFUSE, ids=[t for t, _ in REFUSE])
def test_refuses_out_of_scope(parser: DeterministicParser, text: str, category: str) -> None:
    result = parser.parse(text)
    assert result["status"] == "unsupported", result
    assert result["category"] == category
    assert result["reason"].strip()


def test_clarification_names_what_is_missing(parser: DeterministicParser) -> None:
    assert parser.parse("buy ETH")["missing"] == ["amount"]
    assert parser.parse("buy 2")["missing"] == ["asset"]
    assert "price" in parser.parse("buy 0.1 BTC at")["missing"]
    assert parser.parse("buy 0.1 BTC every month")["missing"] == ["interval"]


def test_reach_direction_follows_the_side_for_the_same_asset(parser: DeterministicParser) -> None:
    check_plan(parser, "buy 1 ETH when it reaches 2000", order("buy", "ETH", "base", 1, below=2000))
    check_plan(
        parser, "sell 1 ETH when it reaches 5000", order("sell", "ETH", "base", 1, above=5000)
    )
    # another asset's "reaches" could be either way: ask
    assert parser.parse("buy 1 ETH when BTC reaches 70k")["status"] == "clarify"


def test_leading_condition_covers_later_orders_but_not_a_new_sentence(
    parser: DeterministicParser,
) -> None:
    result = steps_of(parser.parse("if BTC drops below 60k buy 0.1 BTC; sell 1 ETH"))
    assert result[0]["trigger"] == {"base": "BTC", "below": Decimal(60000)}
    assert result[1]["trigger"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German numbers follow German convention even without a common German word first
        ("investiere 1.500 USDT in BTC", order("buy", "BTC", "quote", 1500)),
        ("verkaufe 0,2 BTC zu je 70.000", order("sell", "BTC", "base", "0.2", limit=70000)),
        ("verkaufe alles, was ich an ADA habe", order("sell", "ADA", "percent", 100)),
        ("wenn ETH auf 2.000 fällt, kaufe 1 ETH", order("buy", "ETH", "base", 1, below=2000)),
        ("sell 3 ETH using USDC", order("sell", "ETH", "base", 3, quote="USDC")),
        ("用1000U买BTC", order("buy", "BTC", "quote", 1000)),
        ("把我所有的SOL都卖了", order("sell", "SOL", "percent", 100)),
        ("如果比特币跌破5万，买入0.1个比特币", order("buy", "BTC", "base", "0.1", below=50000)),
    ],
)
def test_more_sentences(parser: DeterministicParser, text: str, expected: dict[str, Any]) -> None:
    check_plan(parser, text, expected)


def test_a_stop_loss_on_an_asset_asks_for_the_price(parser: DeterministicParser) -> None:
    result = parser.parse("set a stop loss on BTC")
    assert result["status"] == "clarify"
    assert "stop loss" in result["question"]
