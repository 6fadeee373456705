# ruff: noqa: E501  (the texts of each language read best one per line)
"""Polarity: what a request takes back, denies or only asks about, before any step is read.

The safety property this module holds (tested with hypothesis in
``tests/intent/test_polarity.py``): **a negated or retracted action never becomes a step,
and a question or a hypothetical about a trade is never placed.**

How a request is read, on the tagged tokens:

1. **Retraction.** A retraction marker ("scratch that", "no wait", "actually", "never
   mind", "nein, warte", "vergiss das", "算了", "不对", or a bare "no"/"nein"/"不" standing
   between separators) takes back everything before it. What follows it, if it is a
   request of its own with a verb, is the request; when one marker follows several
   actions, or what follows is only a fragment ("no wait, 2 ETH"), signoff asks.
2. **Clauses.** The rest is cut into clauses at commas, sentence ends, "and", "then",
   "but"/"aber"/"sondern"/"而是", and before "instead of"/"statt"/"而不是".
3. **Negation scope.** A clause with a negation ("not", "never", "don't", "nicht",
   "kein", "不要", "别" ...) is negated as a whole, wherever the negation stands in it
   (German puts "nicht" after the object, Chinese before the verb). The negation runs on
   into the clauses after it that have no verb of their own ("don't buy BTC and ETH").
   A later clause with its own verb stands alone only after a contrast ("don't sell SOL,
   buy ETH instead", "nicht SOL, sondern ETH kaufen"); without one ("don't sell SOL, buy
   ETH") the scope is unclear and signoff asks. Clauses before the negation keep their
   meaning ("buy 1 ETH, not BTC").
4. **Questions and hypotheticals.** "what if", "if I", "suppose", "was wäre wenn",
   "如果我", "should I"-style questions ("can I", "soll ich", "要不要"), and a trading
   clause that ends in "?" (or "吗") without a request form ("can you", "please", "帮我")
   are questions: signoff asks what to do and places nothing.

The grammar then reads only the clauses that stand. Whatever it builds is checked once
more against what was denied: a plan step that a denied clause asks for, or (when the
denied clause is too vague to read as a step) a step on an asset it names, turns the whole
answer into a question. Standard library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from intent.tokens import Tok

if TYPE_CHECKING:
    from typing import Any

# tags of words that make a request (an action and what it acts on)
VERB_TAGS = frozenset(
    (
        "BUY",
        "SELL",
        "SPEND",
        "DCA",
        "USE",
        "CONVERT",
        "CANCEL",
        "REBAL",
        "ALLOC",
        "LIQ",
        "CLOSE",
        "PLACE",
        "SL",
        "TP",
    )
)
TRADE_VERB_TAGS = VERB_TAGS - {"PLACE"}
# what makes a request a rebalance without a verb ("70% BTC, rest in USDT")
_REBALANCE_CUES = frozenset(("REST", "PCT", "PCTNUM", "EQUAL", "WEIGHT"))
CONTENT_TAGS = VERB_TAGS | frozenset(
    (
        "ASSET",
        "WASSET",
        "PAIR",
        "NUM",
        "NUMW",
        "FRAC",
        "ALL",
        "PCTNUM",
        "PCTPRE",
        "CUR",
        "UNITASSET",
        "SHOW",
        "BAL",
        "ORDERS",
        "BIDS",
        "ASKS",
        "HOWMUCH",
        "PRICE",
        "IT",
        "UNKT",
    )
)
# where a clause ends
BOUNDARY_TAGS = frozenset(("COMMA", "SEMI", "END", "QMARK", "THEN", "AND", "BUT"))
# negations that do not deny the action of their clause ("without a limit", "ohne Limit")
WEAK_NEGATIONS = frozenset(("without", "ohne", "无需"))
# negations that deny what follows them and start a clause ("buy ETH instead of BTC")
FORWARD_NEGATIONS = frozenset(
    (
        "instead of",
        "rather than",
        "in place of",
        "statt",
        "anstatt",
        "anstelle von",
        "而不是",
        "而非",
    )
)
# a bare "no" between separators takes back what came before ("buy 1 ETH, no, 2 SOL")
BARE_NO = frozenset(("no", "nein", "nee", "不", "nope"))
# request forms that make a trailing "?" polite rather than a question
QUESTION_WORDS = frozenset(("吗", "呢"))

_TEXTS: dict[str, dict[str, str]] = {
    "negated": {
        "en": "The request says not to do that, so nothing is planned. What would you like to "
        'do instead? (for example "buy 0.1 BTC")',
        "de": "Die Anfrage sagt, das nicht zu tun; es wird nichts geplant. Was möchtest du "
        'stattdessen tun? (zum Beispiel "kaufe 0,1 BTC")',
        "zh": "这个请求说不要这样做，所以不会下单。您想改做什么？（例如“买入0.1个BTC”）",
    },
    "retracted": {
        "en": 'The request was taken back, so nothing is planned. What would you like to do? (for example "buy 0.1 BTC")',
        "de": 'Die Anfrage wurde zurückgenommen; es wird nichts geplant. Was möchtest du tun? (zum Beispiel "kaufe 0,1 BTC")',
        "zh": "这个请求已被撤回，所以不会下单。您想做什么？（例如“买入0.1个BTC”）",
    },
    "scope": {
        "en": "Part of the request says not to trade and part says to trade; which orders do you "
        "want? Please say only the orders to place.",
        "de": "Ein Teil der Anfrage verneint einen Auftrag, ein anderer erteilt einen; welche "
        "Aufträge möchtest du? Bitte nenne nur die Aufträge, die ausgeführt werden sollen.",
        "zh": "请求中一部分说不要交易，另一部分说要交易；您想下哪些订单？请只说要执行的订单。",
    },
    "correction": {
        "en": "What should the corrected order be? Please say the whole order again "
        '(for example "sell 2 ETH").',
        "de": 'Wie soll der korrigierte Auftrag lauten? Bitte nenne den ganzen Auftrag noch einmal (zum Beispiel "verkaufe 2 ETH").',
        "zh": "更正后的订单是什么？请把完整的订单再说一遍（例如“卖出2个ETH”）。",
    },
    "many": {
        "en": "Which of the orders before that do you take back? Please say the orders to place again.",
        "de": "Welchen der Aufträge davor nimmst du zurück? Bitte nenne die Aufträge noch einmal.",
        "zh": "您撤回的是前面哪一笔订单？请把要下的订单重新说一遍。",
    },
    "question": {
        "en": "That reads as a question, not an order, so nothing is placed. To trade, say the "
        'order itself (for example "sell 3 SOL"); to see a price or your balance, ask for it '
        '("price of SOL", "my balance").',
        "de": "Das ist eine Frage, kein Auftrag; es wird nichts platziert. Um zu handeln, nenne "
        'den Auftrag selbst (zum Beispiel "verkaufe 3 SOL"); für einen Kurs oder deinen '
        'Kontostand frag danach ("Kurs von SOL", "mein Kontostand").',
        "zh": "这是一个问题而不是订单，所以不会下单。要交易，请直接说出订单（例如“卖出3个SOL”）；"
        "要查看价格或余额，请直接询问（“SOL的价格”、“我的余额”）。",
    },
    "hypothetical": {
        "en": "That is a hypothetical, not an order, so nothing is placed. To trade, say the "
        'order itself (for example "sell 3 SOL").',
        "de": "Das ist eine hypothetische Frage, kein Auftrag; es wird nichts platziert. Um zu "
        'handeln, nenne den Auftrag selbst (zum Beispiel "verkaufe 3 SOL").',
        "zh": "这是一个假设，而不是订单，所以不会下单。要交易，请直接说出订单（例如“卖出3个SOL”）。",
    },
    "unclear": {
        "en": "I could not tell what the 'not' in the request refers to. Please say the order "
        "without it.",
        "de": "Ich kann nicht erkennen, worauf sich das 'nicht' bezieht. Bitte nenne den Auftrag ohne es.",
        "zh": "无法判断请求中的否定指的是什么。请不带否定地重新说出订单。",
    },
}


class Ask(Exception):
    """The request calls for a question instead of a plan."""

    def __init__(self, key: str, lang: str) -> None:
        texts = _TEXTS[key]
        super().__init__(texts.get(lang, texts["en"]))
        self.key = key
        self.question = texts.get(lang, texts["en"])


class Reading:
    """What polarity leaves of a request: the tokens that stand, and the denied parts."""

    __slots__ = ("denied", "kept", "marked")

    def __init__(self, kept: list[Tok], denied: list[list[Tok]], marked: bool) -> None:
        self.kept = kept
        self.denied = denied  # each a clause (or a retracted stretch) that must not be a step
        self.marked = marked  # the request negated, retracted or asked something


_MARKS = frozenset(("NEG", "RETRACT", "HYPO", "ASKQ", "QMARK"))


def _has(tokens: list[Tok], tags: frozenset[str]) -> bool:
    for t in tokens:  # noqa: SIM110 - a loop: any() over a generator costs twice this on the hot path
        if t.tag in tags:
            return True
    return False


def _is_negation(tok: Tok) -> bool:
    return tok.tag == "NEG" and tok.text not in WEAK_NEGATIONS


def _bare_no(tokens: list[Tok], i: int) -> bool:
    """A "no" that stands alone between separators (or at the end)."""
    tok = tokens[i]
    if tok.tag != "NEG" or tok.text not in BARE_NO:
        return False
    before = tokens[i - 1].tag if i > 0 else "START"
    after = tokens[i + 1].tag if i + 1 < len(tokens) else "END"
    return before in BOUNDARY_TAGS | {"START", "P"} and (
        after in BOUNDARY_TAGS | {"END", "RETRACT", "P", "BUT"}
    )


def _verbs(tokens: list[Tok]) -> int:
    return sum(1 for t in tokens if t.tag in VERB_TAGS)


def concerns(tokens: list[Tok]) -> bool:
    """Whether the request negates, retracts, supposes or asks: then only the deterministic
    reading of it may stand (see :func:`intent.screen.safety_screen`)."""
    for t in tokens:
        if t.tag in ("RETRACT", "HYPO", "ASKQ") or _is_negation(t):
            return True
    if any(t.tag == "QMARK" or t.text in QUESTION_WORDS for t in tokens):
        return _has(tokens, TRADE_VERB_TAGS) and not _has(tokens, frozenset(("POLITE",)))
    return False


def analyse(tokens: list[Tok], lang: str) -> Reading:
    """The tokens that stand, or :class:`Ask` when the request must be asked about.

    Cheap for the common request: one pass over the tags when nothing is negated.
    """
    tags = {t.tag for t in tokens}
    if tags.isdisjoint(_MARKS) and not (
        lang == "zh" and "Q" in tags and any(t.text in QUESTION_WORDS for t in tokens)
    ):
        return Reading(tokens, [], False)

    denied: list[list[Tok]] = []
    # 1. retraction: the last marker wins; everything before it is taken back
    cut = -1
    for i, t in enumerate(tokens):
        if t.tag == "RETRACT" or _bare_no(tokens, i):
            cut = i
    if cut >= 0:
        before = tokens[:cut]
        after = tokens[cut + 1 :]
        if _has(before, CONTENT_TAGS):
            if _verbs(before) > 1:
                raise Ask("many", lang)
            denied.append([t for t in before if not _is_negation(t)])
            if not _has(after, CONTENT_TAGS):
                raise Ask("retracted", lang)
            if not _has(after, VERB_TAGS) and _has(before, VERB_TAGS):
                raise Ask("correction", lang)
        tokens = after
        if not _has(before, CONTENT_TAGS):
            # "never mind ETH, buy 2 SOL": a marker with nothing before it takes back the
            # verbless stretch it governs
            end = 0
            while end < len(tokens) and tokens[end].tag not in BOUNDARY_TAGS:
                end += 1
            head = tokens[:end]
            if _has(head, CONTENT_TAGS) and not _has(head, VERB_TAGS):
                denied.append(head)
                tokens = tokens[end + 1 :]

    # 2. questions and hypotheticals
    if _has(tokens, frozenset(("HYPO",))) and _has(tokens, CONTENT_TAGS):
        raise Ask("hypothetical", lang)
    if _has(tokens, frozenset(("ASKQ",))) and (
        _has(tokens, TRADE_VERB_TAGS) or _has(tokens, _REBALANCE_CUES)
    ):
        # "should I sell ...?", "要不要 make my portfolio 70% BTC?": a rebalance needs no verb
        raise Ask("question", lang)

    if cut < 0 and not any(_is_negation(t) for t in tokens):
        _questions([("START", tokens)], tokens, lang)
        return Reading(tokens, denied, True)

    # 3. clauses and negation scope
    clauses: list[tuple[str, list[Tok]]] = []  # (separator before it, tokens)
    current: list[Tok] = []
    sep = "START"
    for t in tokens:
        if t.tag in BOUNDARY_TAGS:
            clauses.append((sep, current))
            current = []
            sep = t.tag if t.tag != "QMARK" else "QMARK"
            if t.tag == "QMARK":
                # the "?" belongs to the clause before it
                clauses[-1][1].append(t)
            continue
        if t.tag == "NEG" and t.text in FORWARD_NEGATIONS and current:
            clauses.append((sep, current))
            current = []
            sep = "BUT"
        current.append(t)
    clauses.append((sep, current))

    _questions(clauses, tokens, lang)

    kept: list[Tok] = []
    negating = False
    any_negation = False
    for index, (sep, clause) in enumerate(clauses):
        contrast = sep == "BUT" or any(t.tag == "INSTEAD" for t in clause)
        negated = any(_is_negation(t) for t in clause)
        content = _has(clause, CONTENT_TAGS)
        if negated:
            any_negation = True
            if not content:
                # "not now", "no limit": a negation of something signoff cannot place
                raise Ask("unclear", lang)
            denied.append([t for t in clause if not _is_negation(t)])
            negating = True
            continue
        if negating:
            if contrast:
                negating = False
            elif _has(clause, VERB_TAGS):
                raise Ask("scope", lang)
            elif content:
                # "don't buy BTC and ETH": the negation runs on
                denied.append(clause)
                continue
        if index and kept and content:
            kept.append(_separator(sep, clause))
        kept.extend(clause)
    if any_negation and not _has(kept, CONTENT_TAGS):
        raise Ask("negated", lang)
    return Reading(kept, denied, True)


def _questions(clauses: list[tuple[str, list[Tok]]], tokens: list[Tok], lang: str) -> None:
    """A trading clause that ends in "?" (or "吗") is a question unless asked as a request."""
    if _has(tokens, frozenset(("POLITE",))):
        return
    for _sep, clause in clauses:
        if _has(clause, TRADE_VERB_TAGS) and any(
            t.tag == "QMARK" or t.text in QUESTION_WORDS for t in clause
        ):
            raise Ask("question", lang)


def _separator(sep: str, clause: list[Tok]) -> Tok:
    first = clause[0] if clause else None
    start = first.start if first else 0
    tag = "COMMA" if sep in ("BUT", "START", "QMARK") else sep
    text = {"COMMA": ",", "SEMI": ";", "END": ".", "THEN": "then", "AND": "and"}.get(tag, ",")
    return Tok(tag, None, text, text, start, start)


def step_assets(step: dict[str, Any]) -> set[str]:
    """The assets a step trades or asks about."""
    action = step.get("action")
    if action == "order":
        return {step["base"]}
    if action == "convert":
        return {step["from"], step["to"]}
    if action == "rebalance":
        return set(step["targets"])
    base = step.get("base")
    return {base} if base else set()
