"""The deterministic grammar: tagged tokens → a parse result (plain dicts, exact numbers).

Three passes:

1. **Refusal screen** over the tags: anything out of scope (withdrawals, transfers to
   addresses, leverage, margin, shorting, derivatives, staking, lending, venue or credential
   talk, advice) and any mention of the gates themselves (confirmations, approvals, policy)
   refuses the whole request, even when it also holds a valid trade.
2. **Chunking**: tokens become constituents — amounts (``0.1 BTC``, ``$500``, ``half``,
   ``25%``), asset mentions with their role (``my ETH``, ``into SOL``, ``for BTC``, ``with
   USDC``), limit prices (``at 58k``, ``@ 3,100``, ``bei 3500``, ``以60000的价格``),
   triggers (``if BTC drops below 60k``, ``stop loss at 120``), schedule parts (``every
   15 minutes``, ``for a week``, ``4 times``), query cues, separators.
3. **Frames**: constituents are grouped into actions (split at "then", ";" and at "and"
   or "," where a new verb or a new amount-and-asset begins; a verb carries over to the
   amounts after it) and each action is read into one step.

It never guesses: a constituent that no reading explains, a missing amount, asset or price,
a number whose separators are ambiguous — each gives a clarification naming what is missing.

Standard library only (``signoff parse --jsonl`` path).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from intent import messages
from intent.lexicon import CONTROL_WORDS, RAISE_WORDS
from intent.numbers import SUFFIX_MULTIPLIERS, canonical, is_whole, plain, times
from intent.polarity import Ask, analyse, step_assets
from intent.tokens import Tok

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    Result = dict[str, Any]

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
SHARE_ROUNDING = Decimal("1e-9")
"""Equal thirds are 33.33...% each (to ``decimal``'s 28 digits): shares that add up to
100% within this are taken as 100% (as :class:`intent.plan.RebalanceStep` allows)."""

ACTIONS = {
    "BUY": "buy",
    "SELL": "sell",
    "SPEND": "spend",
    "DCA": "dca",
    "USE": "use",
    "CONVERT": "convert",
    "CANCEL": "cancel",
    "REBAL": "rebal",
    "LIQ": "liq",
    "CLOSE": "close",
    "PLACE": "place",
    "ALLOC": "alloc",
}
BUYISH = {"buy", "spend", "dca"}
# motion words that carry their own level ("跌破" breaks below, "drop to"): a number may follow
ABSOLUTE_MOTION = frozenset(
    (
        "drop to",
        "goes down",
        "go down",
        "gets down",
        "comes down",
        "drops down",
        "falls back",
        "goes up",
        "go up",
        "gets up",
        "breaks out",
        "跌到",
        "跌至",
        "跌破",
        "跌穿",
        "下跌到",
        "下跌至",
        "降到",
        "降至",
        "跌回",
        "回落到",
        "跌下",
        "涨到",
        "涨至",
        "涨破",
        "上涨到",
        "上涨至",
        "升到",
        "升至",
        "突破",
        "站上",
        "冲到",
        "冲破",
    )
)
MONEY_ASSETS = ("USDT", "USDC", "FDUSD", "DAI", "TUSD", "USDP", "PYUSD", "BUSD", "EUR", "EURC")
SELLISH = {"sell", "liq"}

REFUSALS: dict[str, tuple[str, str]] = {
    "R_WITHDRAW": (
        "withdrawal",
        "signoff cannot withdraw funds; it only trades spot markets and reads the account.",
    ),
    "R_SEND": (
        "transfer",
        "signoff cannot send or transfer funds to anyone or any address; "
        "it only trades spot markets and reads the account.",
    ),
    "ADDR": ("transfer", "signoff never sends funds to an address; it only trades spot markets."),
    "R_DEPOSIT": ("deposit", "signoff does not handle deposits; fund the account at the venue."),
    "R_LEV": ("leverage", "leveraged trading is out of scope: signoff trades spot only."),
    "R_MARGIN": ("margin", "margin trading is out of scope: signoff trades spot only."),
    "R_SHORT": (
        "short",
        "short selling is out of scope: signoff can only sell what the account holds.",
    ),
    "R_DERIV": (
        "derivatives",
        "futures, perpetuals, options and other derivatives are out of "
        "scope: signoff trades spot only.",
    ),
    "R_STAKE": ("staking", "staking is out of scope: signoff trades spot only."),
    "R_LEND": (
        "lending",
        "lending, borrowing and yield products are out of scope: signoff trades spot only.",
    ),
    "R_VENUE": (
        "venue",
        "the venue and account come from signoff's configuration, never from "
        "a request; ask without naming an exchange or environment.",
    ),
    "R_CRED": (
        "credentials",
        "signoff never takes keys, passwords or secrets in a request; "
        "credentials belong in the executor's configuration.",
    ),
    "R_ADVICE": (
        "off_topic",
        "signoff does not give investment advice or forecasts; tell it what to trade.",
    ),
}
_POLICY_REASON = (
    "requests about confirmations, approvals, limits or the policy are refused: the policy "
    "belongs to compliance and every gated step is confirmed as the policy says. Ask for the "
    "trade alone."
)

_CONTROL = frozenset(
    " ".join(w.split()) for w in CONTROL_WORDS.lower().replace("\n", " ").split(",") if w.strip()
)
_CONTROL_FIRST = {c.split(" ")[0] for c in _CONTROL}
# Chinese control words are looked for in the text: the segmenter may split them
_CONTROL_CJK = tuple(c for c in _CONTROL if "\u3400" <= c[0] <= "\u9fff")
_RAISE = frozenset(
    " ".join(w.split()) for w in RAISE_WORDS.lower().replace("\n", " ").split(",") if w.strip()
)
_RAISE_CJK = tuple(c for c in _RAISE if "\u3400" <= c[0] <= "\u9fff")

TIME_SUFFIX = {
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "d": "d",
    "w": "w",
    "wk": "w",
    "min": "m",
    "mins": "m",
}
UNIT_WORDS = {"m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}
UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}


class Clarify(Exception):
    """Raised inside the grammar to ask instead of guessing."""

    def __init__(self, question: str, *missing: str) -> None:
        super().__init__(question)
        self.question = question
        self.missing = missing or ("action",)


class Refuse(Exception):
    def __init__(self, category: str, reason: str) -> None:
        super().__init__(reason)
        self.category = category
        self.reason = reason


def fmt(value: Decimal) -> str:
    return plain(value)


# ====================================================================== constituents
class Ch:
    """A constituent: one meaningful piece of the request."""

    __slots__ = ("asset", "cur", "items", "kind", "pos", "role", "src", "tok", "unit", "value")

    def __init__(
        self,
        kind: str,
        *,
        value: Any = None,
        asset: Any = None,
        role: str | None = None,
        cur: str | None = None,
        src: str | None = None,
        unit: str | None = None,
        tok: Tok | None = None,
        pos: int = 0,
        items: list[Any] | None = None,
    ) -> None:
        self.kind = kind
        self.value = value
        self.asset = asset
        self.role = role
        self.cur = cur
        self.src = src
        self.unit = unit
        self.tok = tok
        self.pos = pos
        self.items = items

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        fields = [
            f"{k}={getattr(self, k)!r}"
            for k in ("value", "asset", "role", "cur", "src", "unit", "items")
            if getattr(self, k) is not None
        ]
        return f"{self.kind}({', '.join(fields)})"


class Grammar:
    """Parses one request; holds nothing between requests but configuration."""

    def __init__(
        self, default_quote: str, suggest: Callable[[str], str | None] | None = None
    ) -> None:
        self.default_quote = default_quote
        self.suggest = suggest
        # currencies people pay with: "5 USDT SOL" is five USDT's worth of SOL
        self.money_assets = frozenset({default_quote, *MONEY_ASSETS})

    # ------------------------------------------------------------------ entry
    def parse(self, tokens: list[Tok], lang: str, text: str) -> Result:
        try:
            self._screen(tokens, text)
            if not tokens:
                raise Clarify('What would you like to do? For example: "buy 0.1 BTC".', "text")
            reading = analyse(tokens, lang)
            chunks = _Chunker(reading.kept, lang, self.default_quote).run()
            steps = self._steps(chunks)
            for denied in reading.denied:
                self._check_denied(steps, denied, lang)
        except Ask as ask:
            return {"status": "clarify", "question": ask.question, "missing": ["action"]}
        except Refuse as refusal:
            return {
                "status": "unsupported",
                "category": refusal.category,
                "reason": messages.reason(refusal.category, refusal.reason, lang),
            }
        except Clarify as ask:
            return {
                "status": "clarify",
                "question": messages.question(ask.question, ask.missing, lang),
                "missing": list(ask.missing),
            }
        return {"status": "plan", "steps": steps}

    def _check_denied(self, steps: list[Result], denied: list[Tok], lang: str) -> None:
        """No step may be one that a negated or retracted part of the request asks for; when
        that part is too vague to read as steps, no step may trade an asset it names."""
        try:
            forbidden: list[Result] | None = self._steps(
                _Chunker(denied, lang, self.default_quote).run()
            )
        except (Clarify, Refuse):
            forbidden = None
        if forbidden is not None:
            if any(step in forbidden for step in steps):
                raise Ask("negated", lang)
            return
        named = {
            t.val if t.tag != "PAIR" else t.val[0]
            for t in denied
            if t.tag in ("ASSET", "WASSET", "PAIR") and isinstance(t.val, (str, tuple))
        }
        named -= self.money_assets
        if any(step_assets(step) & named for step in steps):
            raise Ask("negated", lang)

    def _unknown_asset(self, name: str) -> Clarify:
        """The question for an asset no list knows: "did you mean ETH?" when one is near."""
        guess = self.suggest(name) if self.suggest is not None else None
        if guess is not None:
            return Clarify(f"I don't know the asset {name!r}. Did you mean {guess}?", "asset")
        return Clarify(
            f"I don't know the asset {name!r}. Use its ticker, or add it to assets.txt in "
            "SIGNOFF_HOME.",
            "asset",
        )

    # ------------------------------------------------------------------ refusals
    def _screen(self, tokens: list[Tok], text: str) -> None:
        gate_weak = False
        limit_word = False
        past = False
        address = False
        sold = False
        for tok in tokens:
            tag = tok.tag
            if tag == "GATE":
                raise Refuse("policy", _POLICY_REASON)
            if tag == "PAST":
                past = True
            if tag == "GATEW":
                gate_weak = True
            elif tag == "LIMIT":
                limit_word = True
            elif tag == "ADDR":
                address = True
            if tok.text == "verkauft":
                sold = True
        for tok in tokens:
            if tok.tag in REFUSALS and tok.tag != "ADDR":
                category, reason = REFUSALS[tok.tag]
                raise Refuse(category, reason)
            if tok.tag == "NUM" and tok.suffix == "x":
                raise Refuse(*REFUSALS["R_LEV"])
        if address:
            raise Refuse(*REFUSALS["ADDR"])
        if gate_weak and self._has_control(tokens, text):
            raise Refuse("policy", _POLICY_REASON)
        if not past and sold:
            # German perfect: "ich habe 1 BTC verkauft"
            past = any(t.text in ("habe", "hab", "hat", "haben", "habe ich") for t in tokens)
        if past:
            # "I sold 2 ETH": a trade told as done; what it asks for is not said
            raise Clarify(
                "That reads as a trade already made, not a request. To trade, say the order "
                '(for example "sell 2 ETH").',
                "action",
            )
        if limit_word and (
            any(w in _RAISE for tok in tokens for w in tok.text.split(" "))
            or any(w in text for w in _RAISE_CJK)
        ):
            # "erhöhe das Limit", "raise the limit": the policy's limit, not a limit price
            raise Refuse("policy", _POLICY_REASON)

    @staticmethod
    def _has_control(tokens: list[Tok], text: str) -> bool:
        if any(w in text for w in _CONTROL_CJK):
            return True
        words = [w for tok in tokens for w in tok.text.split(" ")]
        for i, word in enumerate(words):
            if word in _CONTROL:
                return True
            if word in _CONTROL_FIRST:
                for size in (2, 3, 4):
                    if " ".join(words[i : i + size]) in _CONTROL:
                        return True
        return any(tok.tag == "NEG" for tok in tokens)

    # ------------------------------------------------------------------ frames
    def _steps(self, chunks: list[Ch]) -> list[Result]:
        segments = _split(chunks, {"then", "end"})
        steps: list[Result] = []
        context: list[str] = []  # assets mentioned so far, for "it"
        kinds = {c.kind for c in chunks}
        any_action = "verb" in kinds or "sl" in kinds or "tp" in kinds
        for segment in segments:
            if all(c.kind == "sep" for c in segment):
                continue  # "buy 0.1 BTC;," — stray punctuation is not a request of its own
            if any_action or _looks_like_rebalance(segment, []):
                steps.extend(self._action_segment(segment, context))
            else:
                steps.extend(self._queries(segment))
            context.extend(_assets_in(segment))
        if not steps:
            raise Clarify('What would you like to do? For example: "buy 0.1 BTC".', "action")
        return steps

    def _action_segment(self, segment: list[Ch], context: list[str]) -> list[Result]:
        verbs = [c.value for c in segment if c.kind == "verb"]
        allocated = "alloc" in verbs
        if allocated:
            # "allocate 500 USDT to BTC" spends an amount; "allocate 70% to BTC and 30% to ETH"
            # sets the portfolio's shares
            spend = _has_kind(segment, "money", "qty", "num")
            for c in segment:
                if c.kind == "verb" and c.value == "alloc":
                    c.value = "spend" if spend else "rebal"
            verbs = [c.value for c in segment if c.kind == "verb"]
        if "rebal" in verbs or _looks_like_rebalance(segment, verbs):
            step = self._rebalance(segment)
            if allocated and len(step["targets"]) == 1 and not _has_kind(segment, "rest"):
                total = sum(step["targets"].values(), ZERO)
                if abs(total - HUNDRED) > SHARE_ROUNDING:
                    # "allocate 25% to ETH": of the portfolio (selling the rest) or of the cash?
                    raise Clarify(
                        f'Allocate {fmt(total)}% of what? Say "rebalance to {fmt(total)}% ...'
                        '" for the portfolio, or "use 25% of my USDT to buy ..." for the cash.',
                        "amount",
                    )
            return [step]
        if not verbs and not any(c.kind in ("sl", "tp") for c in segment):
            # a segment of its own with no verb: "...; 2 ETH" — only a query makes sense
            if _has_query_cue(segment):
                return self._query_segment(segment)
            raise Clarify(
                "Buy or sell? Say what to do with " + _describe(segment) + ".", "action", "side"
            )
        frames = _frames(segment)
        leading = _leading_modifiers(frames)
        if leading:
            frames = [frames[0]] + [
                frame if _has_kind(frame, *_LEADING_KINDS) else [*leading, *frame]
                for frame in frames[1:]
            ]
        frames = _trailing_modifiers(frames)
        steps: list[Result] = []
        for frame in frames:
            start = frame[0].pos if frame else 0
            earlier = [c for c in segment if c.pos < start]
            steps.extend(self._frame(frame, context + _assets_in(earlier)))
        return steps

    def _frame(self, frame: list[Ch], context: list[str]) -> list[Result]:
        verbs = {c.value for c in frame if c.kind == "verb"}
        if "cancel" in verbs or (
            "close" in verbs
            and _has_kind(frame, "cue")
            and any(c.role in ("ORDERS", "BIDS", "ASKS") for c in frame if c.kind == "cue")
        ):
            return self._cancel(frame)
        if "convert" in verbs:
            return [self._convert(frame, context)]
        if _has_kind(frame, "each"):
            # "sell 25% each of BTC and ETH", "buy $100 each of SOL and DOGE": one order per
            # asset, each with the whole amount
            held = [c for c in frame if c.kind == "asset" and c.role in (None, "plain", "of", "my")]
            names = list(dict.fromkeys(str(c.asset) for c in held))
            if len(names) > 1:
                return [
                    self._order(
                        [c for c in frame if not (c in held and c.asset != name)], verbs, context
                    )
                    for name in names
                ]
        return [self._order(frame, verbs, context)]

    # ------------------------------------------------------------------ orders
    def _order(self, frame: list[Ch], verbs: set[str], context: list[str]) -> Result:
        kinds = _by_kind(frame)
        for c in frame if not _ORDER_QUESTIONS.isdisjoint(kinds) else ():
            if c.kind == "bad":
                raise Clarify(str(c.role), "amount")
            if c.kind == "ambnum":
                raise Clarify(
                    f"Which number do you mean by {c.tok.text if c.tok else 'that'}? Write it "
                    "with a comma for thousands (60,000) or without a separator.",
                    "number",
                )
            if c.kind == "vague":
                raise Clarify(
                    "How much exactly? Give an amount (0.1 BTC, $500) or a share (25%, half).",
                    "amount",
                )
            if c.kind == "ofamb":
                figure = fmt(c.value)
                cur = self.default_quote
                raise Clarify(
                    f'"{figure} of" what: {figure} units of the asset, or {figure} {cur} worth '
                    f'of it? Say "{figure} BTC" or "{figure} {cur} of BTC" (or "{figure}%").',
                    "amount",
                )
            if c.kind == "trail":
                raise Clarify(
                    "Trailing stops are not supported; give a fixed stop price "
                    'instead ("stop loss at 55k").',
                    "trigger",
                )
            if c.kind == "dangling":
                raise Clarify("At what price? The request ends before the price.", "price")
            if c.kind == "relative":
                raise Clarify(
                    "signoff takes prices and conditions as fixed levels, not as moves "
                    '("10% lower", "by 5k"). Give the price itself, e.g. "if BTC drops below '
                    '60000".',
                    "price",
                )
            if c.kind == "when":
                raise Clarify(
                    "signoff starts orders now or on a price condition or a repeating "
                    "schedule; it cannot start them at a later time or date. Leave the time "
                    'out, or use a condition ("if BTC drops below 60k").',
                    "trigger",
                )
            if c.kind == "every" and c.unit == "mo":
                raise Clarify(
                    "Monthly schedules are not supported; give the interval in "
                    "minutes, hours, days or weeks (e.g. every 4 weeks).",
                    "interval",
                )
            if c.kind == "dur" and c.unit in ("mo", "y"):
                raise Clarify("For how many days or weeks should the schedule run?", "count")
            if c.kind == "bare_dir":
                raise Clarify(
                    'Is that a limit price or a condition? Say "at 60000" for a limit order '
                    'or "if BTC drops below 60000" for a trigger.',
                    "price",
                    "trigger",
                )

        sl = "sl" in kinds
        tp = "tp" in kinds
        side = self._side(verbs, sl or tp)
        spendish = bool(verbs & {"spend", "use"})

        # --- gather
        qtys = kinds.get("qty", [])
        moneys = kinds.get("money", [])
        shares = kinds.get("share", [])
        nums = kinds.get("num", [])
        assets = kinds.get("asset", [])
        pairs = kinds.get("pair", [])
        prices = list(kinds.get("price", []))
        triggers = kinds.get("trigger", [])
        its = kinds.get("it", [])
        for c in qtys + assets:
            if isinstance(c.asset, str) and c.asset.startswith("?"):
                raise self._unknown_asset(c.asset[1:])

        base: str | None = None
        quote: str | None = None
        amount: tuple[str, Decimal] | None = None
        used: set[int] = set()

        def use(c: Ch) -> None:
            used.add(id(c))

        if len(pairs) > 1:
            raise Clarify("Which market? The request names more than one pair.", "asset")
        if pairs:
            base, quote = pairs[0].asset, pairs[0].cur
            use(pairs[0])

        # roles of bare asset mentions
        quote_roles = {"with", "for", "from"} if side == "buy" else {"for", "into", "with"}
        if sl or tp:
            # "set a stop loss on ETH": the asset the stop protects, not a currency
            for a in assets:
                if a.role == "into":
                    a.role = "my"
        target_roles = {"into", "of", None, "plain"}

        def other_assets(exclude: str | None) -> list[Ch]:
            return [a for a in assets if id(a) not in used and a.asset != exclude]

        # --- quote currency named by role ("for BTC", "with USDC", "using USDC")
        explicit_quotes = [a for a in assets if a.role in quote_roles and id(a) not in used]

        # --- amounts
        if len(qtys) > 2 or len(moneys) > 1 or len(shares) > 1:
            raise Clarify(
                "The request has more amounts than orders; give one amount per "
                "order, separated by 'and'.",
                "amount",
            )
        if len(qtys) == 2:
            # two quantities of assets in one order ("buy 1 BTC 2 ETH") cannot both be its size
            raise Clarify(
                "Two amounts in one order: which one is it? Separate orders with 'and'.", "amount"
            )

        if qtys:
            q = qtys[0]
            targets = [
                a
                for a in other_assets(q.asset)
                if a.role in ("of", "into")
                or (
                    (spendish or (side == "buy" and q.asset in self.money_assets))
                    and a.role in ("plain", None)
                )
            ]
            if side == "buy" and (spendish or q.role in ("for", "with")) and not targets:
                targets = [a for a in other_assets(q.asset) if a.role in target_roles]
            if targets and (side == "buy" or targets[0].role == "of"):
                # "200 USDT worth of SOL", "spend 500 USDT on BTC", "für 500 USDT Bitcoin"
                tgt = targets[0]
                if (
                    tgt.role == "into"
                    and tgt.asset in self.money_assets
                    and q.asset not in self.money_assets
                ):
                    # "buy 1 ETH in USDT": 1 ETH paid in USDT, or USDT bought with 1 ETH?
                    raise Clarify(
                        f"Buy {fmt(q.value)} {q.asset} paying in {tgt.asset}, or buy "
                        f"{tgt.asset} with {fmt(q.value)} {q.asset}? Say "
                        f'"buy {fmt(q.value)} {q.asset} with {tgt.asset}" or "convert ...".',
                        "asset",
                    )
                amount = ("quote", q.value)
                base, quote = tgt.asset, q.asset
                use(q)
                use(tgt)
            elif spendish:
                raise Clarify(f"What should {fmt(q.value)} {q.asset} buy?", "asset")
            elif q.role in ("for", "with") and side == "sell":
                raise Clarify(
                    f"Is {fmt(q.value)} {q.asset} the total you want, or a price each? "
                    'Say "at <price>" for a limit price.',
                    "price",
                )
            else:
                if base is not None and q.asset != base:
                    raise Clarify(
                        f"The amount is in {q.asset} but the market is {base}/{quote}.", "asset"
                    )
                base = q.asset
                amount = ("base", q.value)
                use(q)
        if moneys and amount is None:
            m = moneys[0]
            if m.role == "for" and side == "sell":
                raise Clarify(
                    f"Sell {fmt(m.value)} worth, or sell at {fmt(m.value)} each? Say "
                    f'"sell ${fmt(m.value)} of ..." or "sell ... at {fmt(m.value)}".',
                    "price",
                )
            amount = ("quote", m.value)
            if m.cur and m.cur not in ("DEFAULT",):
                quote = quote or m.cur
            use(m)
        elif (
            len(moneys) == 1
            and moneys[0].role == "for"
            and amount is not None
            and amount[0] == "base"
            and moneys[0].cur in ("DEFAULT", quote, None)
            and not prices
        ):
            # "buy 1 BTC for $60k": a base amount for a price is a limit
            prices.append(Ch("price", value=moneys[0].value, cur=moneys[0].cur))
            use(moneys[0])
        elif moneys:
            raise Clarify("Two amounts in one order: which one is it?", "amount")
        if shares and amount is None:
            s = shares[0]
            amount = ("percent", s.value)
            use(s)
        elif shares and amount is not None:
            raise Clarify("Both an amount and a share of a holding: which one is it?", "amount")

        # bare numbers: an amount ("sell 0.5 of my BTC", "sell 0.1" after a trigger on
        # bitcoin; money after spend/use/DCA: "spend 1k on bitcoin"), or the level of a stop
        # loss or take profit ("SOL止损120")
        for n in nums:
            if (sl or tp) and not prices and not triggers:
                prices.append(Ch("price", value=n.value))
                use(n)
            elif n.role == "for" and amount is not None and amount[0] == "base" and not prices:
                # "buy 1 BTC for 60k", "sell 2 ETH for 3500": the price of a base amount
                prices.append(Ch("price", value=n.value))
                use(n)
            elif amount is None:
                if n.role == "for":
                    raise Clarify(
                        f"Is {fmt(n.value)} a price per unit or the total to spend? Say "
                        f'"at {fmt(n.value)}" for a limit price, or "${fmt(n.value)} of ..." '
                        "for an amount.",
                        "price",
                    )
                money_verb = spendish or "dca" in verbs or n.role == "with"
                amount = ("quote", n.value) if money_verb else ("base", n.value)
                use(n)

        # --- the base asset
        if base is None:
            if amount and amount[0] == "percent" and side == "buy":
                # the share is of the quote currency: "use 10% of my USDT to buy BTC"
                holdings = [
                    a
                    for a in assets
                    if id(a) not in used and a.role in ("my", "have", "with", "from")
                ]
                if len(holdings) == 1:
                    quote = holdings[0].asset
                    use(holdings[0])
                targets = [a for a in assets if id(a) not in used and a.asset != quote]
                if len(targets) == 1:
                    base = targets[0].asset
                    use(targets[0])
                if (
                    quote is None
                    and base is not None
                    and shares[0].src == "frac"
                    and (shares[0].role == "unit")
                ):
                    amount = ("base", shares[0].value / HUNDRED)
                elif quote is None and base is not None:
                    raise Clarify(
                        f"{fmt(amount[1])}% of what? Say which holding pays for the "
                        f'{base} (for example "of my USDT").',
                        "amount",
                    )
            else:
                candidates = [a for a in assets if id(a) not in used and a.role not in quote_roles]
                if amount and amount[0] == "quote" and side == "sell":
                    candidates = [a for a in assets if id(a) not in used]
                if len(candidates) > 1:
                    distinct = {a.asset for a in candidates}
                    if len(distinct) > 1:
                        raise Clarify(
                            "Which asset? The request names "
                            + " and ".join(sorted(distinct))
                            + ".",
                            "asset",
                        )
                if candidates:
                    base = candidates[0].asset
                    for a in candidates:
                        use(a)
        if base is None and (its or (amount and not assets)):
            # "sell half of it", "sell 0.1" after "if bitcoin goes over 80k"
            antecedent = _antecedent(frame, context)
            if antecedent is None:
                raise Clarify("Which asset do you mean?", "asset")
            base = antecedent
            for c in its:
                use(c)
        if base is None:
            if amount is None and (sl or tp):
                raise Clarify("On which asset, how much and at what price?", "asset")
            raise Clarify(_missing_question("asset", side, amount), "asset")
        for c in its:
            use(c)

        # --- amount defaults
        if amount is None:
            if verbs & {"liq", "close"} or ((sl or tp) and side == "sell"):
                amount = ("percent", HUNDRED)
            else:
                raise Clarify(_missing_question("amount", side, None, base), "amount")

        # --- quote currency
        for a in explicit_quotes:
            if id(a) in used:
                continue
            if quote is not None and a.asset != quote:
                raise Clarify(f"Trade against {quote} or {a.asset}?", "quote")
            quote = a.asset
            use(a)
        # holdings that just repeat the base ("sell half of my ETH position") are fine
        for a in assets:
            if id(a) not in used and a.asset in (base, quote):
                use(a)
        if quote is None:
            quote = self.default_quote
        if quote == "DEFAULT":
            quote = self.default_quote
        if base == quote:
            raise Clarify(
                f"Buy or sell {base} against what? The base and the quote are both " + base + ".",
                "quote",
            )

        # --- price, trigger
        limit_price: Decimal | None = None
        order_type = "limit" if _has_kind(frame, "limit") else "market"
        trigger: dict[str, Any] | None = None
        if len(prices) > 1:
            raise Clarify("Two prices in one order: which one?", "price")
        if prices:
            p = prices[0]
            if p.cur and p.cur not in ("DEFAULT", quote):
                if (
                    quote == self.default_quote
                    and p.cur != base
                    and not pairs
                    and not (explicit_quotes)
                ):
                    quote = p.cur
                else:
                    raise Clarify(
                        f"The price is in {p.cur} but the order trades against {quote}.", "quote"
                    )
            if sl or tp:
                trigger = {"base": base, ("below" if sl else "above"): canonical(p.value)}
                order_type = "market"
            else:
                if _has_kind(frame, "market"):
                    raise Clarify(f"A market order or a limit order at {fmt(p.value)}?", "price")
                limit_price = p.value
                order_type = "limit"
            use(p)
        elif order_type == "limit":
            raise Clarify("At what limit price?", "price")
        elif sl or tp:
            raise Clarify(
                f"At what price should the {'stop loss' if sl else 'take profit'} trigger?",
                "trigger",
            )
        if triggers:
            if trigger is not None or len(triggers) > 1:
                raise Clarify("Which condition? The request gives more than one.", "trigger")
            trigger = self._trigger(triggers[0], base, side, context)
        if quote == "DEFAULT":
            quote = self.default_quote

        # --- schedule
        schedule = self._schedule(frame, verbs)

        # --- anything left unexplained
        for c in qtys + moneys + shares + nums + assets + pairs + its:
            if id(c) not in used:
                raise Clarify(
                    "Part of the request does not fit the order: "
                    + _describe([c])
                    + ". Please rephrase.",
                    "amount",
                )

        unit, value = amount
        if unit == "percent" and not (0 < value <= HUNDRED):
            raise Clarify("A share of a holding must be between 0 and 100%.", "amount")
        return {
            "action": "order",
            "side": side,
            "base": base,
            "quote": quote,
            "amount": {"unit": unit, "value": canonical(value)},
            "order_type": order_type,
            "limit_price": None if limit_price is None else canonical(limit_price),
            "trigger": trigger,
            "schedule": schedule,
        }

    def _side(self, verbs: set[str], stop: bool) -> str:
        if stop:
            verbs = verbs - {"spend"}  # "put a stop loss on my SOL": put places, it does not buy
        buy = bool(verbs & BUYISH)
        sell = bool(verbs & SELLISH) or ("close" in verbs)
        if buy and sell:
            raise Clarify(
                "Buy or sell? The request says both; separate the orders with 'and'.", "side"
            )
        if buy:
            return "buy"
        if sell or stop:
            return "sell"
        if "use" in verbs:
            raise Clarify("Use it to buy what?", "action")
        raise Clarify("Buy or sell?", "side")

    def _trigger(self, t: Ch, base: str, side: str, context: list[str]) -> dict[str, Any]:
        subject = t.asset
        if subject in (None, "IT"):
            subject = base
        level = t.value
        if level is None:
            raise Clarify("At what price should the order trigger?", "trigger")
        direction = t.role
        if direction == "reach":
            if subject != base:
                raise Clarify(
                    f"Should the order trigger when {subject} rises to or falls to {fmt(level)}?",
                    "trigger",
                )
            direction = "above" if side == "sell" else "below"
        if direction == "cross":
            # "sell when it crosses 4000" takes profit upwards; a buy on a cross could be a
            # breakout or a dip: ask
            if side != "sell":
                raise Clarify(
                    f"Should the order trigger when {subject} rises above or falls below "
                    f"{fmt(level)}?",
                    "trigger",
                )
            direction = "above"
        if direction == "break":
            # "buy if it breaks 70k": a breakout, upwards; a sell on a break could be either
            if side != "buy":
                raise Clarify(
                    f"Should the order trigger when {subject} rises above or falls below "
                    f"{fmt(level)}?",
                    "trigger",
                )
            direction = "above"
        if direction not in ("below", "above"):
            raise Clarify("Should the order trigger above or below that price?", "trigger")
        return {"base": subject, direction: canonical(level)}

    def _schedule(self, frame: list[Ch], verbs: set[str]) -> dict[str, Any] | None:
        everies = [c for c in frame if c.kind == "every"]
        counts = [c for c in frame if c.kind == "count"]
        durations = [c for c in frame if c.kind == "dur"]
        until = _has_kind(frame, "until")
        if len(everies) > 1 or len(counts) > 1 or len(durations) > 1:
            raise Clarify(
                "The schedule is given twice; say it once (every <interval>, <n> times).",
                "interval",
            )
        if not everies:
            if counts or durations or "dca" in verbs:
                raise Clarify(
                    "How often? Give an interval (every day, every 15 minutes).", "interval"
                )
            return None
        every = str(everies[0].unit)
        count: int | None = None
        if counts:
            value = counts[0].value
            if not is_whole(value) or value < 1:
                raise Clarify("How many times? Give a whole number.", "count")
            count = int(value)
        if durations:
            if count is not None:
                raise Clarify("Both a number of times and a duration: which one?", "count")
            d = durations[0]
            minutes = d.value * UNIT_MINUTES[str(d.unit)]
            step = Decimal(int(every[:-1]) * UNIT_MINUTES[every[-1]])
            runs = minutes / step
            if not is_whole(runs) or runs < 1:
                raise Clarify(
                    f"Every {UNIT_WORDS[every[-1]]} for {fmt(d.value)} "
                    f"{UNIT_WORDS[str(d.unit)]}(s) does not divide evenly: how many times?",
                    "count",
                )
            count = int(runs)
        if until and count is not None:
            raise Clarify("Until stopped, or a number of times?", "count")
        if count is not None and count > 100_000:
            raise Clarify("That schedule is too long; give at most 100,000 runs.", "count")
        return {"every": every, "count": count}

    # ------------------------------------------------------------------ cancel
    def _cancel(self, frame: list[Ch]) -> list[Result]:
        side: str | None = None
        bases: list[str] = []
        saw_target = False
        for c in frame:
            if c.kind == "cue" and c.role in ("BIDS", "ASKS"):
                new = "buy" if c.role == "BIDS" else "sell"
                side = "both" if side and side != new else new
                saw_target = True
            elif c.kind == "cue" and c.role in ("ORDERS",):
                saw_target = True
            elif c.kind in ("asset", "qty", "pair"):
                ticker = c.asset
                if isinstance(ticker, str) and ticker.startswith("?"):
                    raise self._unknown_asset(ticker[1:])
                if c.kind == "qty":
                    raise Clarify(
                        "Cancel orders by asset and side; an amount is not needed.", "amount"
                    )
                if ticker not in bases:
                    bases.append(ticker)
                saw_target = True
            elif c.kind in ("share", "every_all") or (c.kind == "cue" and c.role == "OPEN"):
                saw_target = True
            elif c.kind in ("sl", "tp"):
                side = side or "sell"
                saw_target = True
            elif c.kind == "unk" and c.tok is not None and c.tok.tag == "UNKT":
                raise self._unknown_asset(c.tok.orig)
            elif c.kind in ("num", "money", "price", "id"):
                raise Clarify(
                    "Cancelling a single order by number or price is not supported; "
                    'cancel by asset and side ("cancel my BTC buy orders").',
                    "asset",
                )
            elif c.kind == "it":
                raise Clarify("Which orders should be cancelled?", "asset")
        if not saw_target:
            raise Clarify(
                "Which orders should be cancelled? (all, or on an asset, e.g. "
                '"cancel my BTC orders")',
                "asset",
            )
        if side == "both":
            side = None
        if not bases:
            return [{"action": "cancel", "base": None, "side": side}]
        return [{"action": "cancel", "base": base, "side": side} for base in bases]

    # ------------------------------------------------------------------ convert
    def _convert(self, frame: list[Ch], context: list[str]) -> Result:
        for c in frame:
            if c.kind in ("bad", "ambnum", "vague", "ofamb"):
                return self._order(frame, {"convert"}, context)  # raises the right question
            if c.kind in ("price", "trigger", "every", "sl", "tp", "limit"):
                raise Clarify(
                    "A conversion runs at market, now; for a price or a condition "
                    "use a buy or sell order instead.",
                    "action",
                )
        qtys = [c for c in frame if c.kind == "qty"]
        moneys = [c for c in frame if c.kind == "money"]
        shares = [c for c in frame if c.kind == "share"]
        nums = [c for c in frame if c.kind == "num"]
        assets = [c for c in frame if c.kind == "asset"]
        pairs = [c for c in frame if c.kind == "pair"]
        if pairs:
            raise Clarify('Convert from which asset into which? ("convert 1 ETH to BTC")', "asset")
        if len(qtys) + len(moneys) + len(shares) + len(nums) != 1:
            if not (qtys or moneys or shares or nums):
                raise Clarify("How much should be converted?", "amount")
            raise Clarify("Which amount should be converted?", "amount")
        source: str | None = None
        amount: tuple[str, Decimal]
        if qtys:
            source = qtys[0].asset
            amount = ("base", qtys[0].value)
        elif moneys:
            amount = ("quote", moneys[0].value)
        elif shares:
            amount = ("percent", shares[0].value)
        else:
            amount = ("base", nums[0].value)
        targets = [a for a in assets if a.role in ("into", "for")]
        sources = [a for a in assets if a.role in ("my", "of", "from", "have")]
        plain = [a for a in assets if a.role in (None, "plain", "with")]
        if source is None:
            if len(sources) == 1:
                source = sources[0].asset
            elif not sources and len(plain) >= 1 and (targets or len(plain) == 2):
                source = plain[0].asset
                plain = plain[1:]
        target: str | None = None
        if len(targets) == 1:
            target = targets[0].asset
        elif not targets and len(plain) == 1:
            target = plain[0].asset
        rest = {a.asset for a in assets} - {source, target}
        if source is None or target is None or rest:
            raise Clarify('Convert from which asset into which? ("convert 1 ETH to BTC")', "asset")
        if source == target:
            raise Clarify(f"Convert {source} into what?", "asset")
        return {
            "action": "convert",
            "from": source,
            "to": target,
            "amount": {"unit": amount[0], "value": canonical(amount[1])},
        }

    # ------------------------------------------------------------------ rebalance
    def _rebalance(self, segment: list[Ch]) -> Result:
        targets: dict[str, Decimal] = {}
        pending_share: Decimal | None = None
        pending_asset: str | None = None
        numlists = [c for c in segment if c.kind == "numlist"]
        assetlists = [c for c in segment if c.kind == "assetlist"]
        equal = _has_kind(segment, "equal")
        rest_assets = [c.asset for c in segment if c.kind == "rest" and c.asset]
        for c in segment:
            if c.kind in ("bad", "ambnum", "ofamb"):
                raise Clarify("Which percentages? A number could not be read.", "amount")
        if len(numlists) == 1 and not assetlists:
            # "50/50 BTC ETH", "60/40 in BTC and ETH": the assets named one by one, in order
            named = [c.asset for c in segment if c.kind == "asset"]
            if len(named) == len(numlists[0].items or []) and len(set(named)) == len(named):
                assetlists = [Ch("assetlist", items=named)]
        if numlists or assetlists:
            if len(numlists) != 1 or len(assetlists) != 1:
                raise Clarify('Give as many percentages as assets ("60/40 BTC/ETH").', "amount")
            values = numlists[0].items or []
            names = assetlists[0].items or []
            if len(values) != len(names):
                raise Clarify('Give as many percentages as assets ("60/40 BTC/ETH").', "amount")
            for name, value in zip(names, values, strict=True):
                targets[name] = targets.get(name, ZERO) + value
        else:
            plain_assets: list[str] = []
            for c in segment:
                if c.kind in ("share", "num") and c.src != "all":
                    if pending_asset is not None:
                        targets[pending_asset] = targets.get(pending_asset, ZERO) + c.value
                        pending_asset = None
                    else:
                        pending_share = c.value
                elif c.kind == "qty":
                    # "60 BTC" in a rebalance means 60 percent
                    if pending_share is not None:
                        raise Clarify("Which share goes to which asset?", "amount")
                    targets[c.asset] = targets.get(c.asset, ZERO) + c.value
                elif c.kind in ("asset", "pair"):
                    if c.kind == "pair":
                        raise Clarify(
                            'Give the targets as shares per asset ("60% BTC, 40% ETH").', "amount"
                        )
                    if c.asset in rest_assets and c.role == "rest":
                        continue
                    if pending_share is not None:
                        targets[c.asset] = targets.get(c.asset, ZERO) + pending_share
                        pending_share = None
                    elif equal:
                        plain_assets.append(c.asset)
                    else:
                        pending_asset = c.asset
                elif c.kind == "money":
                    raise Clarify(
                        "Rebalance targets are shares of the portfolio (60% BTC), not amounts.",
                        "amount",
                    )
            if equal and not targets:
                names = list(dict.fromkeys(plain_assets))
                if len(names) < 2:
                    raise Clarify("Split equally between which assets?", "asset")
                share = HUNDRED / len(names)
                targets = {name: share for name in names}
            if pending_share is not None or pending_asset is not None:
                raise Clarify(
                    "Which share goes to which asset? Pair each asset with a "
                    'percentage ("60% BTC, 40% ETH").',
                    "amount",
                )
        if not targets:
            raise Clarify('Rebalance to what? Give target shares ("60% BTC, 40% ETH").', "amount")
        for name, value in targets.items():
            if isinstance(name, str) and name.startswith("?"):
                raise self._unknown_asset(name[1:])
            if value <= 0:
                raise Clarify(f"The target for {name} must be above 0%.", "amount")
        total = sum(targets.values(), ZERO)
        if total > HUNDRED + SHARE_ROUNDING:
            raise Clarify(
                f"The targets add up to {fmt(total)}%, over 100%. Which shares do you mean?",
                "amount",
            )
        for name in rest_assets:
            if (
                name not in targets
                and name != self.default_quote
                and total < HUNDRED - SHARE_ROUNDING
            ):
                targets[name] = HUNDRED - total
        return {
            "action": "rebalance",
            "targets": {name: canonical(share) for name, share in targets.items()},
        }

    # ------------------------------------------------------------------ queries
    def _queries(self, segment: list[Ch]) -> list[Result]:
        """ "how much ETH do I have and what is BTC trading at": one query per question."""
        pieces = [p for p in _split(segment, {"and", "comma"}) if p]
        if len(pieces) > 1 and all(_has_query_cue(p) for p in pieces):
            return [step for piece in pieces for step in self._query_segment(piece)]
        return self._query_segment(segment)

    def _query_segment(self, segment: list[Ch]) -> list[Result]:
        cues = {c.role for c in segment if c.kind == "cue"}
        assets: list[str] = []
        for c in segment:
            if c.kind == "asset" and c.role == "into" and len(_assets_in(segment)) > 1:
                continue  # "how much is 1 BTC in USDT": USDT is the currency of the answer
            if c.kind in ("asset", "qty") and c.asset not in assets:
                assets.append(c.asset)
            if c.kind == "pair" and c.asset not in assets:
                assets.append(c.asset)
        if any(isinstance(a, str) and a.startswith("?") for a in assets):
            bad = next(a for a in assets if a.startswith("?"))
            raise self._unknown_asset(bad[1:])
        unknown = [c for c in segment if c.kind == "unk"]
        if not cues:
            if unknown or not (assets or _has_kind(segment, "qty", "money", "share", "num")):
                raise Refuse(
                    "off_topic",
                    "signoff handles spot trades and questions about the "
                    "account and prices; this request is about something else.",
                )
            raise Clarify(
                "What would you like to do with "
                + (", ".join(assets) or "that")
                + "? Buy, sell, convert, or ask its price?",
                "action",
            )
        mine = any(c.kind == "asset" and c.role in ("my", "have") for c in segment)
        if cues & {"ORDERS", "BIDS", "ASKS"}:
            what = "orders"
        elif "PRICE" in cues and not ("HAVE" in cues or (mine and "BAL" in cues)):
            what = "price"
        elif cues & {"BAL", "HAVE", "POS"} or mine or (cues & {"HOWMUCH"} and assets):
            what = "balance"
        elif cues & {"Q", "SHOW"} and assets and _has_kind(segment, "dangling"):
            what = "price"
        else:
            if unknown:
                raise Refuse(
                    "off_topic",
                    "signoff handles spot trades and questions about "
                    "the account and prices; this request is about something else.",
                )
            raise Clarify(
                "What would you like to know: your balances, a price, or your open orders?",
                "action",
            )
        if what == "price" and not assets:
            raise Clarify("The price of which asset?", "asset")
        if not assets:
            return [{"action": "query", "what": what, "base": None}]
        return [{"action": "query", "what": what, "base": a} for a in assets]


# ====================================================================== chunking
_LEADING_KINDS = ("trigger", "every", "count", "dur", "until")


# what may follow the number after "worth" and give it a unit of its own
_UNIT_AFTER_WORTH = frozenset(
    ("ASSET", "WASSET", "CUR", "UNITASSET", "PCT", "CLS", "UNKT", "UNK", "PAIR", "EACH")
)

_IGNORED = frozenset(
    ("FILLER", "COLON", "QMARK", "NEG", "P", "POLITE", "RETRACT", "HYPO", "ASKQ", "INSTEAD")
)


class _Chunker:
    """Tokens → constituents, left to right."""

    def __init__(self, tokens: list[Tok], lang: str, default_quote: str) -> None:
        self.toks = [t for t in tokens if t.tag not in _IGNORED]
        self.lang = lang
        self.default_quote = default_quote
        self.out: list[Ch] = []
        self.pending_role: str | None = None

    def tag(self, i: int) -> str:
        return self.toks[i].tag if 0 <= i < len(self.toks) else ""

    def emit(self, kind: str, i: int, **fields: Any) -> None:
        self.out.append(Ch(kind, pos=i, **fields))

    def run(self) -> list[Ch]:
        i = 0
        n = len(self.toks)
        while i < n:
            j = self.step(i)
            i = j if j > i else i + 1
        return self.out

    # -- numbers ---------------------------------------------------------------------
    def number(self, i: int) -> tuple[Decimal, int, str] | None:
        """A number phrase at ``i``: (value, next index, kind) where kind is '' (plain),
        'time:<u>' ("15m" after every), 'usdt' ("500u") or 'million?' (a bare "m")."""
        tok = self.toks[i] if i < len(self.toks) else None
        if tok is None:
            return None
        kind = ""
        if tok.tag == "NUM":
            value = tok.val
            suffix = tok.suffix
            j = i + 1
            if suffix:
                if suffix in TIME_SUFFIX:
                    kind = "time:" + TIME_SUFFIX[suffix]
                elif suffix == "m":
                    kind = "m"
                    value = times(value, SUFFIX_MULTIPLIERS["m"])
                elif suffix in SUFFIX_MULTIPLIERS:
                    value = times(value, SUFFIX_MULTIPLIERS[suffix])
                elif suffix == "u":
                    kind = "usdt"
                elif suffix in ("s", "sec", "secs"):
                    kind = "time:s"
        elif tok.tag == "NUMW":
            value = tok.val
            j = i + 1
            if self.tag(j) == "NUMW" and value >= 20 and self.toks[j].val < 10:
                value = value + self.toks[j].val
                j += 1
        elif tok.tag == "A" and self.tag(i + 1) == "MULT":
            value = ONE
            j = i + 1
        else:
            return None
        while self.tag(j) == "MULT" and not kind.startswith("time"):
            value = times(value, self.toks[j].val)
            j += 1
            if kind == "m":
                kind = ""
        return value, j, kind

    # -- one step ----------------------------------------------------------------------
    def step(self, i: int) -> int:
        tok = self.toks[i]
        tag = tok.tag
        lang = self.lang

        if tag in ACTIONS:  # first: a verb is in nearly every request
            self.emit("verb", i, value=ACTIONS[tag], tok=tok)
            self.pending_role = None
            return i + 1
        if tag in ("NUM", "NUMW") or (tag == "A" and self.tag(i + 1) == "MULT"):
            return self.after_number(i)
        if tag in ("BADNUM",):
            self.emit(
                "bad",
                i,
                role=f"I cannot read the number {tok.text!r}; write it like 2500, 2,500 or 0.5.",
                tok=tok,
            )
            return i + 1
        if tag == "AMBNUM":
            self.emit("ambnum", i, tok=tok)
            return i + 1
        if tag == "CUR":
            nxt = self.number(i + 1)
            if nxt is not None:
                value, j, _kind = nxt
                if self.toks[i + 1].neg:
                    self.emit("bad", i, role="Amounts must be positive.")
                    return j
                return self.after_money(i, value, j, str(tok.val))
            # "my cash", "dollars" alone: the currency as an asset
            self.asset(i, self.currency(str(tok.val)))
            return i + 1
        if tag in ("ASSET",):
            return self.after_asset(i, tok.val)
        if tag == "WASSET":
            if self.pending_role in ("my", "of") or self.tag(i - 1) in ("MY", "OF", "CLS"):
                return self.after_asset(i, tok.val)
            self.emit("unk", i, tok=tok)
            return i + 1
        if tag == "PAIR":
            base, quote = tok.val
            self.emit("pair", i, asset=base, cur=quote)
            self.pending_role = None
            return i + 1
        if tag == "FRAC":
            return self.fraction(i)
        if tag == "ALL":
            return self.all_words(i)
        if tag == "VAGUE":
            self.emit("vague", i)
            return i + 1
        if tag == "PCTNUM":  # 百分之二十
            self.emit("share", i, value=tok.val, src="pct")
            return i + 1
        if tag == "PCTPRE":  # 百分之 20
            nxt = self.number(i + 1)
            if nxt:
                self.emit("share", i, value=nxt[0], src="pct")
                return nxt[1]
            return i + 1
        if tag in ("SL", "TP"):
            self.emit(tag.lower(), i)
            return i + 1
        if tag == "TRAIL":
            self.emit("trail", i)
            return i + 1
        if tag == "MY":
            self.pending_role = "my"
            return i + 1
        if tag == "HAVE":
            # "everything I have in ADA", "all the BTC I have", "alles, was ich an ADA habe"
            if (
                self.out
                and self.out[-1].kind == "asset"
                and self.out[-1].role in (None, "plain", "into")
            ):
                self.out[-1].role = "my"
            self.emit("cue", i, role="HAVE")
            self.pending_role = "my"
            return i + 1
        if tag == "WORTH" and self.out and self.out[-1].kind == "asset":
            # "BTC worth 1k", "ETH worth 500": the number after "worth" is money, unless a
            # unit of its own follows ("worth 2 ETH")
            nxt = self.number(i + 1)
            if nxt is not None and not nxt[2] and self.tag(nxt[1]) not in _UNIT_AFTER_WORTH:
                value, j, _kind = nxt
                if self.toks[i + 1].neg:
                    self.emit("bad", i, role="Amounts must be positive.")
                    return j
                return self.after_money(i, value, j, "DEFAULT")
        if tag in ("OF", "WORTH"):
            if self.pending_role != "my":
                self.pending_role = "of"
            return i + 1
        if tag in ("TO", "INTO", "ON"):
            if tag == "TO" and self.tag(i + 1) in ACTIONS:
                return i + 1  # "to buy"
            if tag == "TO" and lang == "de" and self.tag(i + 1) in ("NUM", "EACH"):
                return self.limit_price(i + 1 + (self.tag(i + 1) == "EACH"))
            self.pending_role = "into"
            return i + 1
        if tag == "IN":
            if lang == "zh" and self.tag(i + 1) == "NUM":
                return self.limit_price(i + 1)
            if self.out and self.out[-1].kind == "share" and self.out[-1].src == "all":
                self.pending_role = "my"  # "everything in XRP"
                return i + 1
            if self.pending_role != "my":
                self.pending_role = "into"
            return i + 1
        if tag == "FOR":
            return self.after_for(i)
        if tag == "WITH":
            self.pending_role = "with"
            return i + 1
        if tag == "FROM":
            self.pending_role = "from"
            return i + 1
        if tag == "AT":
            return self.after_at(i)
        if tag == "PRICE":
            # "limit price 3000", "价格60000", "price: 3000" — in a trading request
            nxt = self.number(i + 1)
            if nxt is not None and not self.is_amount_next(nxt[1]):
                return self.limit_price(i + 1)
            self.emit("cue", i, role="PRICE")
            return i + 1
        if tag == "LIMIT":
            nxt_i = i + 1
            while self.tag(nxt_i) in ("AT", "OF", "PRICE"):
                nxt_i += 1
            if self.tag(nxt_i) in ("NUM", "CUR"):
                parsed = self.number(nxt_i + (1 if self.tag(nxt_i) == "CUR" else 0))
                # "limit 60000" is a price; "limit 2 ETH" an amount
                if parsed is not None and not self.is_amount_next(parsed[1]):
                    self.emit("limit", i)
                    return self.limit_price(nxt_i)
            self.emit("limit", i)
            return i + 1
        if tag == "MARKET":
            self.emit("market", i)
            return i + 1
        if tag == "EACH":
            if self.tag(i + 1) == "UNIT":
                return self.every(i)
            if self.tag(i + 1) in ("NUM", "CUR") and lang == "de":  # "zu je 70.000"
                return self.limit_price(i + 1)
            self.emit("each", i)  # "25% each of BTC and ETH": the amount goes to every asset
            return i + 1
        if tag == "COND":
            return self.condition(i)
        if tag in ("DOWN", "UP", "REACH", "BREAK", "CROSS"):
            return self.bare_motion(i)
        if tag in ("BELOW", "ABOVE"):
            nxt = self.number(i + 1)
            if nxt is not None and not self.unit_follows(nxt[1]):
                self.emit("bare_dir", i)
                return nxt[1]
            if tag == "ABOVE" and nxt is not None:  # "over 5 days"
                return self.duration(i + 1)
            return i + 1
        if tag in ("EVERY", "PERIODIC"):
            return self.every(i)
        if tag == "DURING":
            return self.duration(i + 1)
        if tag == "UNTIL":
            self.emit("until", i)
            return i + 1
        if tag == "COUNTW":
            self.emit("count", i, value=tok.val)
            return i + 1
        if tag == "UNIT":
            # "Woche lang": for a week
            if self.tag(i + 1) == "LANG":
                self.emit("dur", i, value=ONE, unit=str(tok.val))
                return i + 2
            return i + 1
        if tag == "A":
            if self.tag(i + 1) == "UNIT":
                unit = str(self.toks[i + 1].val)
                if self.tag(i + 2) == "LANG":  # "eine Woche lang"
                    self.emit("dur", i, value=ONE, unit=unit)
                    return i + 3
                if self.out and self.out[-1].kind in ("qty", "money"):  # "$50 a day"
                    self.emit("every", i, unit="mo" if unit == "mo" else "1" + unit)
                    return i + 2
            if self.tag(i + 1) == "ASSET" and self.tag(i - 1) != "NUM" and lang != "zh":
                # "buy a bitcoin", "kaufe einen Bitcoin": one unit
                return self.after_quantity(i, ONE, i + 1)
            return i + 1
        if tag == "IT":
            self.emit("it", i)
            self.pending_role = None
            return i + 1
        if tag in ("SHOW", "Q", "HOWMUCH", "BAL", "ORDERS", "BIDS", "ASKS", "OPEN", "POS"):
            if tag == "POS" and self.out and self.out[-1].kind == "asset":
                self.out[-1].role = (
                    self.out[-1].role if self.out[-1].role not in (None, "plain") else "my"
                )
                return i + 1
            if (
                tag == "BAL"
                and self.pending_role == "my"
                and self.tag(i + 1) not in ("HOWMUCH", "Q")
            ):
                self.pending_role = "my"
            self.emit("cue", i, role=tag)
            return i + 1
        if tag == "EQUAL":
            self.emit("equal", i)
            return i + 1
        if tag == "REST":
            j = i + 1
            while self.tag(j) in ("IN", "INTO", "TO", "OF", "ON"):
                j += 1
            if self.tag(j) in ("ASSET", "CUR"):
                asset = (
                    self.toks[j].val
                    if self.tag(j) == "ASSET"
                    else self.currency(str(self.toks[j].val))
                )
                self.emit("rest", i, asset=asset)
                return j + 1
            self.emit("rest", i, asset=None)
            return i + 1
        if tag in ("AND", "COMMA", "THEN", "SEMI", "END", "BUT"):
            role = {
                "AND": "and",
                "COMMA": "comma",
                "THEN": "then",
                "SEMI": "end",
                "END": "end",
                "BUT": "comma",
            }[tag]
            self.emit("sep", i, role=role)
            self.pending_role = None
            return i + 1
        if tag == "SLASH":
            return i + 1
        if tag in ("UNK", "UNKT"):
            self.emit("unk", i, tok=tok)
            return i + 1
        if tag == "ID":
            self.emit("id", i, tok=tok)
            return i + 1
        if tag in ("CLOCK", "WHEN"):
            self.emit("when", i, tok=tok)
            return i + 1
        if tag == "UNITASSET":
            # "sats" without a number: the asset
            self.asset(i, tok.val[0])
            return i + 1
        # MOVE, WEIGHT, CLS, LIMIT-less words: no part of their own
        return i + 1

    # -- pieces ---------------------------------------------------------------------
    def currency(self, cur: str) -> str:
        return self.default_quote if cur == "DEFAULT" else cur

    def asset(self, i: int, ticker: str) -> None:
        role = self.pending_role or "plain"
        self.emit("asset", i, asset=ticker, role=role)
        self.pending_role = None

    def unit_follows(self, j: int) -> bool:
        return self.tag(j) in ("UNIT",)

    def is_amount_next(self, j: int) -> bool:
        return self.tag(j) in ("ASSET", "PCT", "CUR", "UNITASSET", "CLS")

    def after_number(self, i: int) -> int:
        parsed = self.number(i)
        if parsed is None:  # pragma: no cover - guarded by the caller
            return i + 1
        value, j, kind = parsed
        tok = self.toks[i]
        if tok.neg:
            self.emit("bad", i, role="Amounts and prices must be positive.")
            return j
        # slash lists: 60/40, 50/30/20
        if self.tag(j) == "SLASH" and self.tag(j + 1) in ("NUM", "NUMW"):
            values = [value]
            k = j
            while self.tag(k) == "SLASH" and self.tag(k + 1) in ("NUM",):
                values.append(self.toks[k + 1].val)
                k += 2
            if self.tag(k) == "PCT":
                k += 1
            self.emit("numlist", i, items=values)
            return k
        if kind.startswith("time:"):
            unit = kind[5:]
            if self.out and self.out[-1].kind == "every_pending":
                self.out.pop()
                self.emit("every", i, unit=f"{fmt(value)}{unit}")
            else:
                self.emit("dur", i, value=value, unit=unit)
            return j
        if kind == "usdt":
            return self.after_money(i, value, j, "DEFAULT")
        if kind == "m" and self.out and self.out[-1].kind == "every_pending":
            self.out.pop()
            minutes = value / SUFFIX_MULTIPLIERS["m"]
            self.emit("every", i, unit=f"{fmt(minutes)}m")
            return j
        if value == 0:
            self.emit("bad", i, role="Amounts and prices must be above zero.")
            return j
        nxt = self.tag(j)
        if nxt == "PCT":
            self.emit("share", i, value=value, src="pct", role=self.take_role())
            return j + 1
        if nxt == "CUR":
            return self.after_money(i, value, j + 1, str(self.toks[j].val))
        if nxt == "CLS":
            j += 1
            nxt = self.tag(j)
        if nxt == "UNIT":
            unit = str(self.toks[j].val)
            if self.tag(j + 1) == "LANG":  # "5 Tage lang"
                self.emit("dur", i, value=value, unit=unit)
                return j + 2
            if self.out and self.out[-1].kind == "every_pending":
                self.out.pop()
                if unit == "mo":
                    self.emit("every", i, unit="mo")
                else:
                    self.emit("every", i, unit=f"{fmt(value)}{unit}")
                return j + 1
            self.emit("dur", i, value=value, unit=unit)
            return j + 1
        if nxt == "TIMES":
            self.emit("count", i, value=value)
            return j + 1
        if nxt in ("ASSET", "WASSET", "UNITASSET", "PAIR", "UNKT", "UNK"):
            return self.after_quantity(i, value, j)
        if nxt == "EACH":
            self.emit("price", i, value=value)
            return j + 1
        if nxt == "WORTH" and not (self.out and self.out[-1].kind == "every_pending"):
            # "500 worth of BTC", "5k worth of SOL": a value, in the quote currency
            return self.after_money(i, value, j, "DEFAULT")
        if nxt == "OF" and not (self.out and self.out[-1].kind == "every_pending"):
            k = j + 1
            while self.tag(k) == "MY":
                k += 1
            after = self.toks[k] if k < len(self.toks) else None
            if after is not None and (
                after.tag == "CUR"
                or (after.tag == "ASSET" and after.val in (*MONEY_ASSETS, self.default_quote))
            ):
                # "500 of my USDT": units of a currency are money either way
                if after.tag == "CUR":
                    return self.after_money(i, value, k + 1, str(after.val))
                return self.after_quantity(i, value, k)
            if after is not None and after.tag in ("ASSET", "WASSET", "UNKT", "IT"):
                # "10 of BTC", "5k of my ETH": ten BTC, or ten dollars' worth? ask
                self.emit("ofamb", i, value=value, tok=tok)
                return j
        if self.out and self.out[-1].kind == "every_pending":
            self.out.pop()
        self.emit("num", i, value=value, role=self.take_role())
        return j

    def take_role(self) -> str | None:
        role = self.pending_role
        if role in ("with", "for"):
            self.pending_role = None
            return role
        return None

    def after_quantity(self, i: int, value: Decimal, j: int) -> int:
        tok = self.toks[j]
        role = self.take_role()
        if tok.tag in ("ASSET", "WASSET"):
            ticker = tok.val
        elif tok.tag == "UNITASSET":
            ticker, factor = tok.val
            value = times(value, factor)
        elif tok.tag == "PAIR":
            ticker = tok.val[0]
            self.emit("pair", j, asset=tok.val[0], cur=tok.val[1])
        else:  # an unknown word where an asset should be
            if tok.tag == "UNK" and not tok.text.isalpha():
                self.emit("num", i, value=value, role=role)
                return j
            ticker = "?" + tok.orig
        k = j + 1
        # "0.16 BTC each": a price in BTC; "100 USDT each of SOL and DOGE": money for each
        if self.tag(k) == "EACH" and not (
            ticker in (*MONEY_ASSETS, self.default_quote)
            and self.tag(k + 1) in ("OF", "ASSET", "WASSET")
        ):
            self.emit("price", i, value=value, cur=ticker)
            return k + 1
        self.emit("qty", i, value=value, asset=ticker, role=role)
        if self.pending_role in ("my", "of"):
            self.pending_role = None
        # "BTC/USDT" written with a space-free slash after an amount
        if self.tag(k) == "SLASH" and self.tag(k + 1) == "ASSET":
            self.out.append(Ch("pair", asset=ticker, cur=self.toks[k + 1].val, pos=k))
            return k + 2
        return k

    def after_money(self, i: int, value: Decimal, j: int, cur: str) -> int:
        if value == 0:
            self.emit("bad", i, role="Amounts must be above zero.")
            return j
        if self.tag(j) == "EACH" and self.tag(j + 1) not in ("OF", "ASSET", "WASSET"):
            # "2 ETH at $100 each": a price per unit; "$100 each of SOL and DOGE" is an
            # amount that goes to every asset named after it
            self.emit("price", i, value=value, cur=cur)
            return j + 1
        self.emit(
            "money",
            i,
            value=value,
            cur=cur if cur != "DEFAULT" else "DEFAULT",
            role=self.take_role(),
        )
        return j

    def after_asset(self, i: int, ticker: str) -> int:
        # asset slash lists: BTC/ETH/SOL
        if self.tag(i + 1) == "SLASH" and self.tag(i + 2) == "ASSET":
            names = [ticker]
            k = i + 1
            while self.tag(k) == "SLASH" and self.tag(k + 1) == "ASSET":
                names.append(self.toks[k + 1].val)
                k += 2
            if len(names) == 2 and not (self.out and self.out[-1].kind == "numlist"):
                if names[0] == names[1]:
                    self.emit("bad", i, role="A market needs two different assets.")
                    return k
                self.emit("pair", i, asset=names[0], cur=names[1])
                self.pending_role = None
                return k
            self.emit("assetlist", i, items=names)
            return k
        # "BTC 60%" in a rebalance, "ETH 0.5"
        self.asset(i, ticker)
        return i + 1

    def fraction(self, i: int) -> int:
        tok = self.toks[i]
        frac: Decimal = tok.val
        j = i + 1
        # "half a bitcoin", "a quarter of an ETH", "半个比特币", "einen halben Bitcoin"
        unit_fraction = False
        if self.tag(j) == "CLS" or (self.tag(j) == "A" and self.tag(j + 1) in ("ASSET", "WASSET")):
            unit_fraction = True
            j += 1
        elif (
            self.tag(j) == "OF"
            and self.tag(j + 1) == "A"
            and self.tag(j + 2) in ("ASSET", "WASSET")
        ):
            unit_fraction = True
            j += 2
        elif self.tag(i - 1) == "A" and self.tag(j) == "ASSET":
            unit_fraction = True
        if unit_fraction and self.tag(j) in ("ASSET", "WASSET"):
            return self.after_quantity(i, frac, j)
        src_role = "unit" if self.tag(j) == "ASSET" and self.tag(i - 1) != "MY" else None
        self.emit("share", i, value=frac * HUNDRED, src="frac", role=src_role)
        return i + 1

    def all_words(self, i: int) -> int:
        # German "alle 15 Minuten": every
        if self.tag(i + 1) in ("NUM", "NUMW") and self.tag(i + 2) == "UNIT":
            return self.every(i)
        if self.tag(i + 1) in ("ORDERS", "OPEN", "BIDS", "ASKS"):
            self.emit("every_all", i)
            return i + 1
        self.emit("share", i, value=HUNDRED, src="all")
        return i + 1

    def after_for(self, i: int) -> int:
        j = i + 1
        # "for a week", "for 5 days", "für eine Woche"
        if self.tag(j) == "A" and self.tag(j + 1) == "UNIT":
            unit = str(self.toks[j + 1].val)
            self.emit("dur", i, value=ONE, unit=unit)
            return j + 2
        if self.tag(j) == "UNIT":
            self.emit("dur", i, value=ONE, unit=str(self.toks[j].val))
            return j + 1
        nxt = self.number(j)
        if nxt is not None:
            _value, k, kind = nxt
            if (
                kind.startswith("time:")
                or self.tag(k) in ("UNIT",)
                or (self.tag(k) == "CLS" and self.tag(k + 1) == "UNIT")
            ):
                return self.duration(j)
            # "for 0.16 BTC each" (price) / "for 500 USDT" (money) / "für 500 USDT Bitcoin"
            self.pending_role = "for"
            return j
        if self.tag(j) == "CUR" and self.number(j + 1) is not None:
            self.pending_role = "for"
            return j
        if self.tag(j) == "MY":
            self.pending_role = "my"
            return j + 1
        self.pending_role = "for"
        return j

    def after_at(self, i: int) -> int:
        j = i + 1
        while self.tag(j) in ("A", "PRICE", "OF", "LIMIT"):
            if self.tag(j) == "LIMIT":
                self.emit("limit", j)
            j += 1
        if self.tag(j) in ("NUM", "CUR", "NUMW"):
            return self.limit_price(j)
        if self.tag(j) in ("ASSET",):
            # "throw $100 at ETH"
            self.pending_role = "into"
            return j
        if self.tag(j) in ("MARKET", "CLOCK", "WHEN"):
            return j
        self.emit("dangling", i)
        return j

    def limit_price(self, j: int) -> int:
        cur: str | None = None
        if self.tag(j) == "CUR":
            cur = str(self.toks[j].val)
            j += 1
        if self.tag(j) == "AMBNUM":
            self.emit("ambnum", j, tok=self.toks[j])
            return j + 1
        parsed = self.number(j)
        if parsed is None:
            self.emit("dangling", j)
            return j
        value, k, _kind = parsed
        if self.toks[j].neg or value <= 0:
            self.emit("bad", j, role="Prices must be above zero.")
            return k
        if self.tag(k) == "PCT":  # "at 5% below market"
            self.emit("relative", j)
            return k + 1
        if self.tag(k) == "CUR":
            cur = str(self.toks[k].val)
            k += 1
        elif self.tag(k) == "ASSET" and self.tag(k + 1) in ("EACH",):
            cur = str(self.toks[k].val)
            k += 2
        elif self.tag(k) == "ASSET" and self.tag(k + 1) not in ("ASSET", "NUM", "PCT"):
            # "at 60000 USDT": an asset right after a price names the price's currency
            cur = str(self.toks[k].val)
            k += 1
        if self.tag(k) == "EACH":
            k += 1
        if self.tag(k) == "OF" and self.tag(k + 1) == "PRICE":  # 以60000的价格
            k += 2
        elif self.tag(k) == "PRICE":
            k += 1
        self.emit("price", j, value=value, cur=cur)
        return k

    def condition(self, i: int) -> int:
        """ "if BTC drops below 60k", "wenn BTC unter 60.000 fällt", "当ETH涨到4000时"."""
        j = i + 1
        subject: str | None = None
        direction: str | None = None
        level: Decimal | None = None
        relative = False  # "by 5k", "um 10%"
        bare_motion = False  # "drops", "rises", "涨": no "below", "to", "跌破" with it
        marker = False  # a word that makes the number a level: below, above, to, hits
        n = len(self.toks)
        limit = min(n, i + 12)
        while j < limit:
            tag = self.tag(j)
            tok = self.toks[j]
            if tag in ("ASSET", "WASSET"):
                if subject is not None or level is not None:
                    break
                subject = tok.val
            elif tag == "PAIR":
                if subject is not None:
                    break
                subject = tok.val[0]
            elif tag == "IT":
                if subject is not None:
                    break
                subject = "IT"
            elif tag == "BY":
                relative = True
            elif tag in ("PRICE", "OF", "MOVE", "A", "CLS", "IN"):
                pass
            elif tag == "CUR":
                if self.number(j + 1) is None:
                    break
            elif tag in ("TO", "ON", "AT"):
                marker = True
            elif tag == "DOWN":
                direction = _merge_direction(direction, "below")
                bare_motion = tok.text not in ABSOLUTE_MOTION
            elif tag == "UP":
                direction = _merge_direction(direction, "above")
                bare_motion = tok.text not in ABSOLUTE_MOTION
            elif tag == "REACH":
                direction = direction or "reach"
                marker = True
            elif tag in ("BREAK", "CROSS"):
                direction = direction or tag.lower()
                marker = True
            elif tag == "BELOW":
                direction = (
                    "below"
                    if direction in (None, "reach", "break", "cross", "below")
                    else "conflict"
                )
                marker = True
            elif tag == "ABOVE":
                direction = (
                    "above"
                    if direction in (None, "reach", "break", "cross", "above")
                    else "conflict"
                )
                marker = True
            elif tag in ("NUM", "NUMW"):
                parsed = self.number(j)
                if parsed is None:  # pragma: no cover - NUM always reads
                    break
                level, k, _ = parsed
                if tok.neg or level <= 0:
                    self.emit("bad", j, role="Prices must be above zero.")
                    return k
                after = self.tag(k)
                # "drops 10%", "drops by 5k", "falls 5000": a move, not a level
                if (
                    after == "PCT"
                    or relative
                    or (bare_motion and not marker and after not in ("BELOW", "ABOVE"))
                ):
                    self.emit("relative", j)
                    return k + (1 if after == "PCT" else 0)
                j = k
                while self.tag(j) == "CUR":
                    j += 1
                # words after the level: "60k or lower", "unter 60000 fällt", "250 erreicht"
                while j < n and self.tag(j) in ("BELOW", "ABOVE", "DOWN", "UP", "REACH", "MOVE"):
                    t = self.tag(j)
                    if t in ("BELOW", "DOWN"):
                        direction = _merge_direction(direction, "below")
                    elif t in ("ABOVE", "UP"):
                        direction = _merge_direction(direction, "above")
                    elif t == "REACH":
                        direction = direction or "reach"
                    j += 1
                break
            elif tag == "AMBNUM":
                self.emit("ambnum", j, tok=tok)
                return j + 1
            elif tag == "BADNUM":
                self.emit("bad", j, role=f"I cannot read the number {tok.text!r}.")
                return j + 1
            else:
                break
            j += 1
        self.emit(
            "trigger",
            i,
            asset=subject,
            role=None if direction == "conflict" else direction,
            value=level,
        )
        return j

    def bare_motion(self, i: int) -> int:
        """A motion verb without "if": Chinese "比特币跌破60000时…", German verb-first."""
        subject: str | None = None
        if self.out and self.out[-1].kind in ("asset",) and self.out[-1].role in ("plain", None):
            subject = self.out.pop().asset
        elif self.out and self.out[-1].kind == "it":
            self.out.pop()
            subject = "IT"
        tag = self.tag(i)
        direction = {
            "DOWN": "below",
            "UP": "above",
            "REACH": "reach",
            "BREAK": "break",
            "CROSS": "cross",
        }[tag]
        j = i + 1
        while self.tag(j) in ("BELOW", "ABOVE", "TO", "MOVE"):
            t = self.tag(j)
            if t == "BELOW":
                direction = _merge_direction(
                    direction if direction not in ("reach", "break", "cross") else None, "below"
                )
            elif t == "ABOVE":
                direction = _merge_direction(
                    direction if direction not in ("reach", "break", "cross") else None, "above"
                )
            j += 1
        relative = self.tag(j) == "BY"
        if relative:
            j += 1
        parsed = self.number(j)
        if parsed is not None and (
            relative
            or self.tag(parsed[1]) == "PCT"
            or (
                self.toks[i].text not in ABSOLUTE_MOTION
                and j == i + 1
                and tag in ("DOWN", "UP")
                and self.tag(parsed[1]) not in ("BELOW", "ABOVE")
            )
        ):
            self.emit("relative", i)
            return parsed[1] + (1 if self.tag(parsed[1]) == "PCT" else 0)
        if parsed is None:
            if subject is not None:
                self.asset(i, subject) if subject != "IT" else self.emit("it", i)
            if tag == "DOWN" and self.tag(j) not in ("NUM",):
                self.emit("vague", i)  # "buy the dip": no level
            return j
        level, k, _ = parsed
        while self.tag(k) in ("CUR", "BELOW", "ABOVE"):
            if self.tag(k) == "BELOW":
                direction = "below"
            elif self.tag(k) == "ABOVE":
                direction = "above"
            k += 1
        self.emit(
            "trigger",
            i,
            asset=subject,
            role=direction if direction != "conflict" else None,
            value=level,
        )
        return k

    def every(self, i: int) -> int:
        tok = self.toks[i]
        if tok.tag == "PERIODIC":
            self.emit("every", i, unit=str(tok.val))
            return i + 1
        j = i + 1
        if self.tag(j) == "UNIT":
            unit = str(self.toks[j].val)
            self.emit("every", i, unit="mo" if unit == "mo" else "1" + unit)
            return j + 1
        if self.tag(j) in ("NUM", "NUMW"):
            # the number phrase reads the unit (and "15m" as minutes)
            self.emit("every_pending", i)
            k = self.after_number(j)
            if self.out and self.out[-1].kind == "every_pending":
                self.out.pop()
                self.emit(
                    "bad", i, role="Every how often? Give a unit (minutes, hours, days, weeks)."
                )
            return k
        if self.tag(j) in ("ORDERS", "OPEN", "BIDS", "ASKS"):
            self.emit("every_all", i)
            return j
        return j

    def duration(self, j: int) -> int:
        if self.tag(j) == "A" and self.tag(j + 1) == "UNIT":
            self.emit("dur", j, value=ONE, unit=str(self.toks[j + 1].val))
            return j + 2
        if self.tag(j) == "UNIT":
            self.emit("dur", j, value=ONE, unit=str(self.toks[j].val))
            return j + 1
        parsed = self.number(j)
        if parsed is None:
            return j
        value, k, kind = parsed
        if kind.startswith("time:"):
            self.emit("dur", j, value=value, unit=kind[5:])
            return k
        if self.tag(k) == "CLS":
            k += 1
        if self.tag(k) == "UNIT":
            self.emit("dur", j, value=value, unit=str(self.toks[k].val))
            return k + 1
        if self.tag(k) == "TIMES":
            self.emit("count", j, value=value)
            return k + 1
        self.emit("num", j, value=value)
        return k


def _merge_direction(current: str | None, new: str) -> str:
    if current in (None, "reach", "break", "cross", new):
        return new
    return "conflict"


# ====================================================================== frames
def _split(chunks: list[Ch], at: set[str]) -> list[list[Ch]]:
    segments: list[list[Ch]] = [[]]
    for c in chunks:
        if c.kind == "sep" and c.role in at:
            segments.append([])
        else:
            segments[-1].append(c)
    return segments


_OBJECT_KINDS = ("qty", "money", "share")

# constituents that can make an order ask instead (most orders have none)
_ORDER_QUESTIONS = frozenset(
    (
        "bad",
        "ambnum",
        "vague",
        "ofamb",
        "trail",
        "dangling",
        "relative",
        "when",
        "every",
        "dur",
        "bare_dir",
    )
)


def _has_kind(chunks: list[Ch], *kinds: str) -> bool:
    for c in chunks:  # noqa: SIM110 - a loop: any() over a generator costs twice this on the hot path
        if c.kind in kinds:
            return True
    return False


def _by_kind(chunks: list[Ch]) -> dict[str, list[Ch]]:
    out: dict[str, list[Ch]] = {}
    for c in chunks:
        bucket = out.get(c.kind)
        if bucket is None:
            out[c.kind] = [c]
        else:
            bucket.append(c)
    return out


def _has_object(piece: list[Ch]) -> bool:
    """An amount with its asset (or an amount-only ellipsis like "$100 of ETH")."""
    has_amount = _has_kind(piece, *_OBJECT_KINDS)
    has_asset = _has_kind(piece, "qty", "asset", "pair")
    return has_amount and has_asset


def _frames(segment: list[Ch]) -> list[list[Ch]]:
    pieces = [p for p in _split(segment, {"and", "comma"}) if p]
    frames: list[list[Ch]] = []
    current: list[Ch] | None = None
    inherited: list[Ch] = []
    for piece in pieces:
        verbs = [c for c in piece if c.kind == "verb" or c.kind in ("sl", "tp")]
        if current is None:
            current = list(piece)
            continue
        current_verbs = [c for c in current if c.kind == "verb" or c.kind in ("sl", "tp")]
        if (
            verbs
            and current_verbs
            and (
                _has_object(current)
                or _has_kind(current, "asset", "it", "cue", "qty", "num", "share")
            )
        ):
            frames.append(current)
            current = list(piece)
        elif not verbs and current_verbs and _has_object(piece) and _has_object(current):
            # ellipsis: "buy 0.1 BTC and 2 ETH", "$100 of BTC, $100 of ETH"
            frames.append(current)
            inherited = [c for c in current_verbs if c.kind == "verb"]
            current = [
                *(Ch("verb", value=c.value, pos=c.pos, src="ellipsis") for c in inherited),
                *piece,
            ]
        else:
            current.extend(piece)
    if current is not None:
        frames.append(current)
    return frames


def _leading_modifiers(frames: list[list[Ch]]) -> list[Ch]:
    """Conditions and schedules written before the first verb apply to every order after."""
    if not frames:
        return []
    first = frames[0]
    out: list[Ch] = []
    for c in first:
        if c.kind in ("verb", "sl", "tp"):
            break
        if c.kind in _LEADING_KINDS:
            out.append(c)
    return out


_TRAILING_KINDS = ("trigger", "every", "count", "dur", "until")


def _trailing_modifiers(frames: list[list[Ch]]) -> list[list[Ch]]:
    """A condition or schedule at the end of "buy $100 of BTC and $50 of ETH every day" covers
    every order of that verb; after orders with other verbs its scope is unclear: ask."""
    if len(frames) < 2:
        return frames
    last = frames[-1]
    mods = [c for c in last if c.kind in _TRAILING_KINDS]
    if not mods:
        return frames
    kinds = {c.kind for c in mods}
    out = list(frames)
    index = len(frames) - 1
    # the run of frames that share the last frame's verb by ellipsis
    while index > 0 and any(c.kind == "verb" and c.src == "ellipsis" for c in frames[index]):
        index -= 1
        if not any(c.kind in kinds for c in out[index]):
            out[index] = [*out[index], *mods]
    for frame in frames[:index]:
        verbs = {c.value for c in frame if c.kind == "verb"}
        if verbs & {"cancel"} or not verbs:
            continue
        if not any(c.kind in kinds for c in frame):
            raise Clarify(
                "Does the condition or schedule apply to every order, or only to the last "
                "one? Please say it for each order.",
                "trigger",
            )
    return out


def _assets_in(chunks: list[Ch]) -> list[str]:
    out: list[str] = []
    for c in chunks:
        if (
            c.kind in ("asset", "qty", "pair")
            and isinstance(c.asset, str)
            and not (c.asset.startswith("?"))
        ) or (c.kind == "trigger" and isinstance(c.asset, str) and c.asset != "IT"):
            out.append(c.asset)
    return out


def _antecedent(frame: list[Ch], context: list[str]) -> str | None:
    """What "it" (or a bare amount) refers to: the trigger's asset, else the last asset named."""
    for c in frame:
        if c.kind == "trigger" and isinstance(c.asset, str) and c.asset != "IT":
            return c.asset
    return context[-1] if context else None


def _looks_like_rebalance(segment: list[Ch], verbs: list[str]) -> bool:
    """ "make my portfolio 70% BTC", "set my allocation to 50/50 BTC/ETH"."""
    cues = {c.role for c in segment if c.kind == "cue"}
    if "BAL" not in cues:
        return False
    if verbs and set(verbs) - {"place"}:
        return False
    shares = [c for c in segment if c.kind in ("share", "numlist")]
    return bool(shares) or _has_kind(segment, "equal")


def _has_query_cue(segment: list[Ch]) -> bool:
    return any(c.kind == "cue" for c in segment)


def _describe(chunks: list[Ch]) -> str:
    parts: list[str] = []
    for c in chunks:
        if c.kind == "qty":
            parts.append(f"{fmt(c.value)} {c.asset}")
        elif c.kind == "money":
            parts.append(f"{fmt(c.value)} {c.cur if c.cur != 'DEFAULT' else 'USD'}")
        elif c.kind == "share":
            parts.append(f"{fmt(c.value)}%")
        elif c.kind == "num":
            parts.append(fmt(c.value))
        elif c.kind in ("asset", "pair"):
            parts.append(str(c.asset))
        elif c.kind == "it":
            parts.append("'it'")
    return ", ".join(parts) or "that"


def _missing_question(what: str, side: str, amount: Any, base: str | None = None) -> str:
    if what == "asset":
        if amount is not None and amount[0] == "base":
            return f'{fmt(amount[1])} of which asset? (for example "{side} {fmt(amount[1])} BTC")'
        return f"Which asset do you want to {side}?"
    verb = "buy" if side == "buy" else "sell"
    asset = base or "it"
    return (
        f"How much {asset} do you want to {verb}? Give an amount (0.1 {asset}, $500) or "
        f"a share of your holding (25%, half)."
    )
