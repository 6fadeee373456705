"""Generate the parser's own evaluation corpus: templates × paraphrases × assets × numbers ×
languages, plus hand-written trader jargon, in the evaluation contract's format.

    python tests/data/generate_corpus.py     # writes intent-gen-dev.jsonl, intent-gen-heldout.jsonl

The expected answers come from the slots the generator fills in, never from the parser.
The held-out split is made of *whole paraphrases* (every fourth paraphrase of each
family, and every fourth hand-written jargon line) and of assets and numbers the
development split does not use, so it measures phrasings the parser was not tuned on.
Deterministic: a fixed seed, no clock.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261201

Step = dict[str, Any]
Expect = dict[str, Any]

# assets: (ticker, English name, German name, Chinese name); the last two are held out
ASSETS = [
    ("BTC", "bitcoin", "Bitcoin", "比特币"),
    ("ETH", "ETH", "ETH", "以太坊"),
    ("SOL", "SOL", "Solana", "SOL"),
    ("DOGE", "dogecoin", "DOGE", "狗狗币"),
    ("XRP", "XRP", "XRP", "瑞波币"),
    ("ADA", "cardano", "ADA", "ADA"),
    ("LTC", "litecoin", "LTC", "莱特币"),
    ("DOT", "DOT", "Polkadot", "波卡"),
]
DEV_ASSETS = ASSETS[:6]
HELD_ASSETS = ASSETS[6:] + ASSETS[:2]

QTYS = ["0.1", "0.25", "0.5", "1", "2", "3", "1.5", "10", "0.05", "4"]
MONEY = ["50", "100", "250", "500", "1000", "1500", "2000", "300"]
PRICES = ["2500", "3000", "60000", "0.5", "120", "45000", "3100", "80"]
PCTS = ["10", "20", "25", "30", "40", "50", "75", "15"]


def num(value: str, lang: str) -> str:
    """A number as a person of that language writes it."""
    if lang == "de":
        d = Decimal(value)
        whole, _, frac = value.partition(".")
        text = f"{int(d):,}".replace(",", ".") if d == int(d) else whole
        return text + ("," + frac if frac else "")
    if lang == "en" and Decimal(value) >= 10000 and Decimal(value) % 1000 == 0:
        return f"{int(Decimal(value)) // 1000}k"
    return value


def jnum(value: str) -> float | int:
    d = Decimal(value)
    return int(d) if d == int(d) else float(d)


def order(
    side: str,
    base: str,
    unit: str,
    value: str | float,
    *,
    quote: str = "USDT",
    limit: str | None = None,
    trigger: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
) -> Step:
    return {
        "action": "order",
        "side": side,
        "base": base,
        "quote": quote,
        "amount": {"unit": unit, "value": jnum(str(value))},
        "order_type": "limit" if limit else "market",
        "limit_price": jnum(limit) if limit else None,
        "trigger": trigger,
        "schedule": schedule,
    }


def plan(*steps: Step) -> Expect:
    return {"status": "plan", "steps": list(steps)}


CLARIFY: Expect = {"status": "clarify"}
UNSUPPORTED: Expect = {"status": "unsupported"}


class Slots:
    """One draw of the variables a template uses."""

    def __init__(self, rng: random.Random, assets: list[tuple[str, str, str, str]]) -> None:
        a, b = rng.sample(assets, 2)
        self.a, self.b = a, b
        self.q = rng.choice(QTYS)
        self.q2 = rng.choice(QTYS)
        self.m = rng.choice(MONEY)
        self.p = rng.choice(PRICES)
        self.pct = rng.choice(PCTS)
        self.pct2 = str(100 - int(self.pct) - rng.choice([0, 10, 20]))
        self.mk = "1"  # thousands, for "5k worth"
        self.template_index = 0


def name(asset: tuple[str, str, str, str], lang: str) -> str:
    return {"en": asset[1], "de": asset[2], "zh": asset[3]}[lang]


Family = tuple[str, str, list[str], Callable[[Slots], Expect]]
"""(tag, language, paraphrases, expected answer from the slots)."""


def families() -> list[Family]:
    def fam(tag: str, lang: str, texts: list[str], expect: Callable[[Slots], Expect]) -> Family:
        return (tag, lang, texts, expect)

    out: list[Family] = [
        # ------------------------------------------------------------ market orders
        fam(
            "market",
            "en",
            [
                "buy {q} {A}",
                "purchase {q} {A}",
                "please buy {q} {A}",
                "get me {q} {A}",
                "pick up {q} {A}",
                "can you buy {q} {A}?",
                "I'd like to buy {q} {A}",
                "bid {q} {A} at market",
            ],
            lambda s: plan(order("buy", s.a[0], "base", s.q)),
        ),
        fam(
            "market",
            "en",
            [
                "sell {q} {A}",
                "dump {q} {A}",
                "offload {q} {A}",
                "take {q} {A} off the table",
                "please sell {q} {A} now",
                "I want to sell {q} {A}",
                "could you sell {q} {A}",
                "unload {q} {A}",
            ],
            lambda s: plan(order("sell", s.a[0], "base", s.q)),
        ),
        fam(
            "market",
            "de",
            [
                "kaufe {q} {A}",
                "ich möchte {q} {A} kaufen",
                "bitte kaufe {q} {A}",
                "kauf mir {q} {A}",
            ],
            lambda s: plan(order("buy", s.a[0], "base", s.q)),
        ),
        fam(
            "market",
            "de",
            [
                "verkaufe {q} {A}",
                "ich will {q} {A} verkaufen",
                "bitte verkaufe {q} {A} sofort",
                "verkauf {q} {A}",
            ],
            lambda s: plan(order("sell", s.a[0], "base", s.q)),
        ),
        fam(
            "market",
            "zh",
            ["买入{q}个{A}", "帮我买{q}个{A}", "请买入{q}个{A}", "购买{q}个{A}"],
            lambda s: plan(order("buy", s.a[0], "base", s.q)),
        ),
        fam(
            "market",
            "zh",
            ["卖出{q}个{A}", "帮我卖掉{q}个{A}", "请卖出{q}个{A}", "出售{q}个{A}"],
            lambda s: plan(order("sell", s.a[0], "base", s.q)),
        ),
        # ------------------------------------------------------------ limit orders
        fam(
            "limit",
            "en",
            [
                "buy {q} {A} at {p}",
                "bid {q} {A} at {p}",
                "buy {q} {A} @ {p}",
                "buy {q} {A} limit {p}",
                "place a limit buy for {q} {A} at {p}",
                "buy {q} {A} at a limit of {p}",
            ],
            lambda s: plan(order("buy", s.a[0], "base", s.q, limit=s.p)),
        ),
        fam(
            "limit",
            "en",
            [
                "sell {q} {A} at {p}",
                "ask {q} {A} at {p}",
                "sell {q} {A} @ {p}",
                "offer {q} {A} at {p}",
                "sell {q} {A} limit {p}",
                "limit sell {q} {A} at {p}",
            ],
            lambda s: plan(order("sell", s.a[0], "base", s.q, limit=s.p)),
        ),
        fam(
            "limit",
            "de",
            [
                "kaufe {q} {A} zu {p}",
                "kaufe {q} {A} bei {p}",
                "kaufe {q} {A} zum Preis von {p}",
                "kaufe {q} {A} mit Limit {p}",
            ],
            lambda s: plan(order("buy", s.a[0], "base", s.q, limit=s.p)),
        ),
        fam(
            "limit",
            "zh",
            [
                "以{p}的价格买入{q}个{A}",
                "以{p}买入{q}个{A}",
                "限价{p}买入{q}个{A}",
                "在{p}买入{q}个{A}",
            ],
            lambda s: plan(order("buy", s.a[0], "base", s.q, limit=s.p)),
        ),
        # ------------------------------------------------------------ quote amounts
        fam(
            "quote-amount",
            "en",
            [
                "buy ${m} of {A}",
                "buy {m} USDT worth of {A}",
                "spend {m} USDT on {A}",
                "put ${m} into {A}",
                "allocate {m} USDT to {A}",
                "buy {m} dollars of {A}",
                "invest {m} USDT in {A}",
                "get me ${m} worth of {A}",
            ],
            lambda s: plan(order("buy", s.a[0], "quote", s.m)),
        ),
        fam(
            "quote-amount",
            "en",
            [
                "buy {mk}k worth of {A}",
                "spend {mk}k USDT on {A}",
                "buy ${mk}k of {A}",
                "put {mk}k dollars into {A}",
            ],
            lambda s: plan(order("buy", s.a[0], "quote", str(int(s.mk) * 1000))),
        ),
        fam(
            "quote-amount",
            "de",
            [
                "kaufe für {m} USDT {A}",
                "investiere {m} USDT in {A}",
                "kaufe {A} für {m} Dollar",
                "stecke {m} USDT in {A}",
            ],
            lambda s: plan(order("buy", s.a[0], "quote", s.m)),
        ),
        fam(
            "quote-amount",
            "zh",
            ["用{m}USDT买{A}", "花{m}美元买入{A}", "买入{m}USDT的{A}", "投入{m}USDT买{A}"],
            lambda s: plan(order("buy", s.a[0], "quote", s.m)),
        ),
        # ------------------------------------------------------------ percent
        fam(
            "percent",
            "en",
            [
                "sell {pct}% of my {A}",
                "sell {pct} percent of my {A}",
                "dump {pct}% of my {A}",
                "take {pct}% of my {A} off the table",
            ],
            lambda s: plan(order("sell", s.a[0], "percent", s.pct)),
        ),
        fam(
            "percent",
            "en",
            [
                "sell half my {A}",
                "sell half of my {A}",
                "dump half of my {A}",
                "take half my {A} off the table",
            ],
            lambda s: plan(order("sell", s.a[0], "percent", "50")),
        ),
        fam(
            "percent",
            "en",
            [
                "sell {pct}% each of {A} and {B}",
                "sell {pct}% of my {A} and {B} each",
                "sell {pct}% of each of {A} and {B}",
                "trim {pct}% each of {A} and {B}",
            ],
            lambda s: plan(
                order("sell", s.a[0], "percent", s.pct), order("sell", s.b[0], "percent", s.pct)
            ),
        ),
        fam(
            "percent",
            "de",
            [
                "verkaufe die Hälfte meiner {A}",
                "verkaufe die Hälfte meines {A}",
                "verkaufe {pct}% meiner {A}",
                "verkaufe {pct} Prozent meiner {A}",
            ],
            lambda s: (
                plan(order("sell", s.a[0], "percent", "50"))
                if s.template_index < 2
                else plan(order("sell", s.a[0], "percent", s.pct))
            ),
        ),
        fam(
            "percent",
            "zh",
            ["卖出一半的{A}", "卖掉我一半的{A}", "卖出{pct}%的{A}", "卖出我{pct}%的{A}"],
            lambda s: (
                plan(order("sell", s.a[0], "percent", "50"))
                if s.template_index < 2
                else plan(order("sell", s.a[0], "percent", s.pct))
            ),
        ),
        # ------------------------------------------------------------ triggers
        fam(
            "trigger",
            "en",
            [
                "buy {q} {A} if it drops below {p}",
                "buy {q} {A} if {A} falls under {p}",
                "if {A} dips below {p} buy {q} {A}",
                "buy {q} {A} when it goes below {p}",
            ],
            lambda s: plan(
                order("buy", s.a[0], "base", s.q, trigger={"base": s.a[0], "below": jnum(s.p)})
            ),
        ),
        fam(
            "trigger",
            "en",
            [
                "buy {q} {A} if it breaks {p}",
                "buy {q} {A} if {A} breaks above {p}",
                "buy {q} {A} when it crosses above {p}",
                "buy {q} {A} once {A} breaks through {p}",
            ],
            lambda s: plan(
                order("buy", s.a[0], "base", s.q, trigger={"base": s.a[0], "above": jnum(s.p)})
            ),
        ),
        fam(
            "trigger",
            "en",
            [
                "sell all my {A} if it falls below {p}",
                "set a stop loss on my {A} at {p}",
                "stop loss {A} at {p}",
                "sell everything in {A} if it crosses below {p}",
            ],
            lambda s: plan(
                order(
                    "sell", s.a[0], "percent", "100", trigger={"base": s.a[0], "below": jnum(s.p)}
                )
            ),
        ),
        fam(
            "trigger",
            "de",
            [
                "kaufe {q} {A}, wenn {A} unter {p} fällt",
                "wenn {A} unter {p} fällt, kaufe {q} {A}",
                "kaufe {q} {A}, sobald {A} unter {p} fällt",
                "falls {A} unter {p} fällt, kaufe {q} {A}",
            ],
            lambda s: plan(
                order("buy", s.a[0], "base", s.q, trigger={"base": s.a[0], "below": jnum(s.p)})
            ),
        ),
        fam(
            "trigger",
            "zh",
            [
                "如果{A}跌破{p}，买入{q}个{A}",
                "当{A}跌到{p}时买入{q}个{A}",
                "{A}跌破{p}时买入{q}个{A}",
                "一旦{A}跌破{p}就买入{q}个{A}",
            ],
            lambda s: plan(
                order("buy", s.a[0], "base", s.q, trigger={"base": s.a[0], "below": jnum(s.p)})
            ),
        ),
        # ------------------------------------------------------------ schedules
        fam(
            "schedule",
            "en",
            [
                "buy ${m} of {A} every day for a week",
                "buy {m} USDT of {A} daily for 7 days",
                "every day buy ${m} of {A} for a week",
                "DCA ${m} into {A} every day for 7 days",
            ],
            lambda s: plan(
                order("buy", s.a[0], "quote", s.m, schedule={"every": "1d", "count": 7})
            ),
        ),
        fam(
            "schedule",
            "de",
            [
                "kaufe jeden Tag für {m} USDT {A}, 7 Tage lang",
                "kaufe täglich für {m} USDT {A}, eine Woche lang",
            ],
            lambda s: plan(
                order("buy", s.a[0], "quote", s.m, schedule={"every": "1d", "count": 7})
            ),
        ),
        fam(
            "schedule",
            "zh",
            ["每天买入{m}USDT的{A}，持续7天", "每天用{m}USDT买{A}，连续7天"],
            lambda s: plan(
                order("buy", s.a[0], "quote", s.m, schedule={"every": "1d", "count": 7})
            ),
        ),
        # ------------------------------------------------------------ queries
        fam(
            "query",
            "en",
            ["what's {A} at", "price of {A}", "what is {A} trading at", "how much is {A}"],
            lambda s: plan({"action": "query", "what": "price", "base": s.a[0]}),
        ),
        fam(
            "query",
            "en",
            [
                "how much {A} do I have",
                "show my {A} balance",
                "what's my {A} balance",
                "how much {A} do I hold",
            ],
            lambda s: plan({"action": "query", "what": "balance", "base": s.a[0]}),
        ),
        fam(
            "query",
            "de",
            [
                "was kostet {A}",
                "wie viel kostet {A}",
                "wie viel {A} habe ich",
                "zeig mir meinen {A} Bestand",
            ],
            lambda s: (
                plan({"action": "query", "what": "price", "base": s.a[0]})
                if s.template_index < 2
                else plan({"action": "query", "what": "balance", "base": s.a[0]})
            ),
        ),
        fam(
            "query",
            "zh",
            ["{A}的价格是多少", "{A}现在多少钱", "我有多少{A}", "查看我的{A}余额"],
            lambda s: (
                plan({"action": "query", "what": "price", "base": s.a[0]})
                if s.template_index < 2
                else plan({"action": "query", "what": "balance", "base": s.a[0]})
            ),
        ),
        # ------------------------------------------------------------ cancel, convert, rebalance
        fam(
            "cancel",
            "en",
            [
                "cancel all my {A} orders",
                "cancel my {A} orders",
                "kill my open {A} orders",
                "pull all {A} orders",
            ],
            lambda s: plan({"action": "cancel", "base": s.a[0], "side": None}),
        ),
        fam(
            "convert",
            "en",
            [
                "convert {q} {A} to {B}",
                "swap {q} {A} for {B}",
                "convert {q} {A} into {B}",
                "swap {q} {A} into {B}",
            ],
            lambda s: plan(
                {
                    "action": "convert",
                    "from": s.a[0],
                    "to": s.b[0],
                    "amount": {"unit": "base", "value": jnum(s.q)},
                }
            ),
        ),
        fam(
            "convert",
            "zh",
            ["把{q}个{A}换成{B}", "将{q}个{A}兑换成{B}"],
            lambda s: plan(
                {
                    "action": "convert",
                    "from": s.a[0],
                    "to": s.b[0],
                    "amount": {"unit": "base", "value": jnum(s.q)},
                }
            ),
        ),
        fam(
            "rebalance",
            "en",
            [
                "rebalance to {pct}% {A}, {pct2}% {B}",
                "rebalance to {pct}% {A} and {pct2}% {B}, rest in stablecoins",
                "allocate {pct}% to {A} and {pct2}% to {B}",
                "rebalance my portfolio to {pct}% {A} and {pct2}% {B}, the rest in stables",
            ],
            lambda s: plan(
                {"action": "rebalance", "targets": {s.a[0]: jnum(s.pct), s.b[0]: jnum(s.pct2)}}
            ),
        ),
        # ------------------------------------------------------------ negation: never a step
        fam(
            "negation",
            "en",
            [
                "never sell {q} {A}",
                "don't buy {q} {A}",
                "I don't want to sell {q} {A}",
                "do not buy {q} {A}",
                "please don't sell my {A}",
                "I do not want to buy {q} {A} today",
                "never buy {A} at {p}",
                "don't sell {q} {A} if it drops below {p}",
            ],
            lambda s: CLARIFY,
        ),
        fam(
            "negation",
            "de",
            [
                "verkaufe nicht {q} {A}",
                "kaufe kein {A}",
                "ich will keine {q} {A} kaufen",
                "bitte verkaufe meine {A} nicht",
                "ich möchte {q} {A} nicht verkaufen",
                "kaufe niemals {A}",
            ],
            lambda s: CLARIFY,
        ),
        fam(
            "negation",
            "zh",
            [
                "不要卖出{q}个{A}",
                "别买{A}",
                "我不想买{q}个{A}",
                "千万别卖{A}",
                "不要买入{q}个{A}",
                "别卖掉我的{A}",
            ],
            lambda s: CLARIFY,
        ),
        # ------------------------------------------------------------ retraction
        fam(
            "retraction",
            "en",
            [
                "buy {q} {A}, no, scratch that",
                "sell {q} {A}. actually never mind",
                "buy {q} {A}... forget it",
                "sell {q} {A}, no wait, forget that",
            ],
            lambda s: CLARIFY,
        ),
        fam(
            "retraction",
            "en",
            [
                "buy {q} {A}? no wait, sell {q2} {B}",
                "sell {q} {A}, scratch that, sell {q2} {B}",
                "buy {q} {A}, actually sell {q2} {B}",
                "buy {q} {A}, no, sell {q2} {B}",
            ],
            lambda s: plan(order("sell", s.b[0], "base", s.q2)),
        ),
        fam(
            "retraction",
            "de",
            [
                "kaufe {q} {A}, nein warte, verkaufe {q2} {B}",
                "kaufe {q} {A}, vergiss das, verkaufe {q2} {B}",
                "kaufe {q} {A}, ich meine, verkaufe {q2} {B}",
            ],
            lambda s: plan(order("sell", s.b[0], "base", s.q2)),
        ),
        fam(
            "retraction",
            "zh",
            [
                "买入{q}个{A}，不对，卖出{q2}个{B}",
                "买入{q}个{A}，算了，卖出{q2}个{B}",
                "买入{q}个{A}，等等，卖出{q2}个{B}",
            ],
            lambda s: plan(order("sell", s.b[0], "base", s.q2)),
        ),
        fam(
            "retraction",
            "zh",
            ["买入{q}个{A}，算了", "卖出{q}个{A}，不对，算了", "买{q}个{A}。算了吧"],
            lambda s: CLARIFY,
        ),
        # ------------------------------------------------------------ contrast: only the instead
        fam(
            "negation",
            "en",
            [
                "don't sell {A}, buy {q2} {B} instead",
                "don't buy {A} but buy {q2} {B}",
                "buy {q2} {B} instead of {A}",
                "buy {q2} {B} rather than {A}",
                "buy {q2} {B}, not {A}",
                "never mind {A}, buy {q2} {B}",
            ],
            lambda s: plan(order("buy", s.b[0], "base", s.q2)),
        ),
        fam(
            "negation",
            "de",
            [
                "verkaufe nicht {A}, sondern kaufe {q2} {B}",
                "kaufe {q2} {B} statt {A}",
                "kaufe kein {A}, sondern {q2} {B}",
            ],
            lambda s: plan(order("buy", s.b[0], "base", s.q2)) if s.template_index < 2 else CLARIFY,
        ),
        fam(
            "negation",
            "zh",
            ["不要卖{A}，而是买入{q2}个{B}", "买入{q2}个{B}而不是{A}"],
            lambda s: plan(order("buy", s.b[0], "base", s.q2)),
        ),
        # ------------------------------------------------------------ questions, hypotheticals
        fam(
            "question",
            "en",
            [
                "what if I sold {q} {A}",
                "what if I bought {q} {A}?",
                "can I buy {q} {A}?",
                "sell {q} {A}?",
                "suppose I sell {q} {A}",
                "what would happen if I sold {q} {A}",
                "buy {q} {A}?",
                "if I sell {q} {A}, how much do I get?",
            ],
            lambda s: CLARIFY,
        ),
        fam(
            "question",
            "de",
            [
                "was wäre, wenn ich {q} {A} verkaufe",
                "soll ich {q} {A} kaufen?",
                "kann ich {q} {A} kaufen?",
                "verkaufe ich {q} {A}?",
            ],
            lambda s: {"any": [CLARIFY, UNSUPPORTED]},
        ),
        fam(
            "question",
            "zh",
            [
                "如果我卖出{q}个{A}会怎样",
                "我应该卖出{q}个{A}吗？",
                "要不要买{q}个{A}？",
                "卖出{q}个{A}吗？",
            ],
            lambda s: {"any": [CLARIFY, UNSUPPORTED]},
        ),
        fam(
            "question",
            "en",
            [
                "should I sell {q} {A}?",
                "should I buy {A} now?",
                "is it a good time to buy {A}?",
                "shall I sell {q} {A}?",
            ],
            lambda s: {"any": [CLARIFY, UNSUPPORTED]},
        ),
        # ------------------------------------------------------------ amounts that must ask
        fam(
            "clarify",
            "en",
            ["buy {n} of {A}", "sell {n} of my {A}", "get {n} of {A}", "buy {n} of {A} please"],
            lambda s: CLARIFY,
        ),
        fam(
            "clarify",
            "en",
            ["sell {q} {typo}", "buy {q} {typo}", "sell {q} {typo} at {p}", "buy {q} of {typo}"],
            lambda s: CLARIFY,
        ),
        # ------------------------------------------------------------ refusals and credentials
        fam(
            "unsupported",
            "en",
            [
                "withdraw {q} {A} to my wallet",
                "short {q} {A}",
                "buy {q} {A} with 10x leverage",
                "stake {q} {A}",
                "buy {q} {A} my api key is sk_live_{secret}",
                "sell {q} {A} api_secret={secret}",
                "buy {q} {A}, password: {secret}",
                "sell {q} {A} {secret}",
            ],
            lambda s: UNSUPPORTED,
        ),
        fam(
            "unsupported",
            "de",
            [
                "hebe {q} {A} ab",
                "verkaufe {q} {A} leer mit Hebel",
                "kaufe {q} {A}, mein Passwort ist {secret}",
                "kaufe {q} {A} ohne Bestätigung",
            ],
            lambda s: UNSUPPORTED,
        ),
        fam(
            "unsupported",
            "zh",
            [
                "提现{q}个{A}",
                "做空{A}",
                "买入{q}个{A}，我的密钥是{secret}",
                "用10倍杠杆买入{q}个{A}",
            ],
            lambda s: UNSUPPORTED,
        ),
        # ------------------------------------------------------------ misspelt verbs
        fam(
            "messy",
            "en",
            [
                "selll {q} {A}",
                "buyy {q} {A}",
                "purchse {q} {A}",
                "sel {q} {A}",
                "bUy {q} {A}",
                "slel {q} {A}",
            ],
            lambda s: plan(
                order("buy" if s.template_index in (1, 2, 4) else "sell", s.a[0], "base", s.q)
            ),
        ),
    ]
    return out


TYPOS = {
    "ETH": "eht",
    "BTC": "btcc",
    "SOL": "slo",
    "DOGE": "dgoe",
    "XRP": "xpr",
    "ADA": "aad",
    "LTC": "ltcc",
    "DOT": "dott",
}

# hand-written trader jargon: (text, expected)
JARGON: list[tuple[str, Expect]] = [
    ("bid 0.5 BTC at 58k", plan(order("buy", "BTC", "base", "0.5", limit="58000"))),
    ("ask 3 ETH at 3,400", plan(order("sell", "ETH", "base", "3", limit="3400"))),
    ("take 2 ETH off the table", plan(order("sell", "ETH", "base", "2"))),
    ("take some SOL off the table", CLARIFY),
    ("allocate 2,000 USDT to SOL", plan(order("buy", "SOL", "quote", "2000"))),
    (
        "allocate 60% to BTC and 40% to ETH",
        plan({"action": "rebalance", "targets": {"BTC": 60, "ETH": 40}}),
    ),
    (
        "buy 0.2 BTC if it breaks 70k",
        plan(order("buy", "BTC", "base", "0.2", trigger={"base": "BTC", "above": 70000})),
    ),
    (
        "sell 1 ETH when it crosses 4000",
        plan(order("sell", "ETH", "base", "1", trigger={"base": "ETH", "above": 4000})),
    ),
    ("buy 1 BTC for 60k", plan(order("buy", "BTC", "base", "1", limit="60000"))),
    ("sell 2 ETH for 3500", plan(order("sell", "ETH", "base", "2", limit="3500"))),
    (
        "sell 25% each of BTC and ETH",
        plan(order("sell", "BTC", "percent", "25"), order("sell", "ETH", "percent", "25")),
    ),
    (
        "buy $100 each of SOL and DOGE",
        plan(order("buy", "SOL", "quote", "100"), order("buy", "DOGE", "quote", "100")),
    ),
    (
        "rebalance to 50% BTC, 30% ETH, rest in stablecoins",
        plan({"action": "rebalance", "targets": {"BTC": 50, "ETH": 30}}),
    ),
    ("what's ETH at", plan({"action": "query", "what": "price", "base": "ETH"})),
    ("where's SOL trading", plan({"action": "query", "what": "price", "base": "SOL"})),
    ("selll 2 ETH", plan(order("sell", "ETH", "base", "2"))),
    ("buy 5k worth of BTC", plan(order("buy", "BTC", "quote", "5000"))),
    ("buy 5k of BTC", CLARIFY),
    ("buy 10 of BTC", CLARIFY),
    ("sell 1 eht", CLARIFY),
    ("load up on 3 SOL", plan(order("buy", "SOL", "base", "3"))),
    ("trim 10% of my ETH", plan(order("sell", "ETH", "percent", "10"))),
    ("scoop up 100 bucks of DOGE", plan(order("buy", "DOGE", "quote", "100"))),
    ("get out of my XRP", plan(order("sell", "XRP", "percent", "100"))),
    ("hit the bid on 2 ETH", plan(order("sell", "ETH", "base", "2"))),
    ("dump all my doge", plan(order("sell", "DOGE", "percent", "100"))),
    ("ape into 500 USDT of SOL", plan(order("buy", "SOL", "quote", "500"))),
    ("cash out of my ADA", plan(order("sell", "ADA", "percent", "100"))),
    ("bid 1 ETH @ 2,950", plan(order("buy", "ETH", "base", "1", limit="2950"))),
    ("offer 0.3 BTC at 72k", plan(order("sell", "BTC", "base", "0.3", limit="72000"))),
    ("sell 1 BTC, no wait, sell 0.5 BTC", plan(order("sell", "BTC", "base", "0.5"))),
    ("buy 2 SOL. scratch that", CLARIFY),
    ("never mind, buy 1 ETH", plan(order("buy", "ETH", "base", "1"))),
    ("don't sell anything", CLARIFY),
    ("nicht verkaufen", CLARIFY),
    ("不要卖", CLARIFY),
    ("buy 1 ETH and don't sell any BTC", plan(order("buy", "ETH", "base", "1"))),
    ("what if ETH drops below 2000", CLARIFY),
    ("how much BTC could I buy with 1000 USDT?", CLARIFY),
    (
        "what's BTC at? buy 0.1 if it's below 60k",
        {
            "any": [
                CLARIFY,
                plan(
                    {"action": "query", "what": "price", "base": "BTC"},
                    order("buy", "BTC", "base", "0.1", trigger={"base": "BTC", "below": 60000}),
                ),
            ]
        },
    ),
]


def render(template: str, s: Slots, lang: str, rng: random.Random) -> str:
    return template.format(
        A=name(s.a, lang),
        B=name(s.b, lang),
        q=num(s.q, lang),
        q2=num(s.q2, lang),
        m=num(s.m, lang),
        mk=s.mk,
        p=num(s.p, lang),
        pct=s.pct,
        pct2=s.pct2,
        n=rng.choice(["5", "10", "20", "100"]),
        typo=TYPOS[s.a[0]],
        secret="".join(
            rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(28)
        ),
    )


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(split, case) for every generated and hand-written request."""
    rng = random.Random(SEED)
    seen: set[str] = set()
    counter = 0
    for tag, lang, texts, expect in families():
        for index, template in enumerate(texts):
            held = index % 4 == 3
            assets = HELD_ASSETS if held else DEV_ASSETS
            for _ in range(6):
                s = Slots(rng, assets)
                s.mk = (
                    rng.choice(["2", "3", "5", "10"]) if held else rng.choice(["1", "4", "5", "20"])
                )
                s.template_index = index
                text = render(template, s, lang, rng)
                if text in seen:
                    continue
                seen.add(text)
                answer = expect(s)
                counter += 1
                case: dict[str, Any] = {
                    "id": f"gen-{counter:04d}",
                    "text": text,
                    "tags": [tag, f"lang:{lang}"],
                }
                if "any" in answer:
                    case["expect_any"] = answer["any"]
                else:
                    case["expect"] = answer
                yield ("heldout" if held else "dev"), case
    for index, (text, answer) in enumerate(JARGON):
        counter += 1
        case = {
            "id": f"jargon-{index + 1:03d}",
            "text": text,
            "tags": ["jargon", "lang:" + _lang_of(text)],
        }
        if "any" in answer:
            case["expect_any"] = answer["any"]
        else:
            case["expect"] = answer
        yield ("heldout" if index % 4 == 3 else "dev"), case


def _lang_of(text: str) -> str:
    if any("\u3400" <= c <= "\u9fff" for c in text):
        return "zh"
    return "de" if "nicht" in text else "en"


def main() -> None:
    splits: dict[str, list[str]] = {"dev": [], "heldout": []}
    for split, case in cases():
        splits[split].append(json.dumps(case, ensure_ascii=False))
    for split, lines in splits.items():
        (HERE / f"intent-gen-{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{split}: {len(lines)} requests")


if __name__ == "__main__":
    main()
