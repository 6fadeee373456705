"""Near misses: a misspelt verb read as the verb, an unknown asset answered with "did you mean".

Edit distance with adjacent transpositions (Damerau), bounded at 1 for verbs: "selll",
"slel", "buyy", "purchse", "cancle". A verb is only guessed for a word of four letters
or more that starts with the verb's own first letter and is not an ordinary word close
to it ("self", "well"); anything less certain stays unknown and the request asks.
Standard library only.
"""

from __future__ import annotations

VERBS = {
    "buy": "BUY",
    "sell": "SELL",
    "purchase": "BUY",
    "cancel": "CANCEL",
    "convert": "CONVERT",
    "rebalance": "REBAL",
    "liquidate": "LIQ",
    "kaufe": "BUY",
    "kaufen": "BUY",
    "verkaufe": "SELL",
    "verkaufen": "SELL",
    "stornieren": "CANCEL",
}
# ordinary words one edit away from a verb
NOT_VERBS = frozenset(
    [
        "self",
        "seal",
        "sells",
        "spell",
        "shell",
        "swell",
        "smell",
        "sent",
        "send",
        "bull",
        "busy",
        "buys",
        "kaufen",
        "laufen",
        "kaufe",
        "cancer",
        "concert",
        "convent",
        "canceled",
    ]
)


def distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), capped at ``limit + 1``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _verb, _tag in VERBS.items():
    _BY_FIRST.setdefault(_verb[0], []).append((_verb, _tag))


_SEEN: dict[str, str | None] = {}


def verb_tag(word: str) -> str | None:
    """The tag of the verb ``word`` misspells, or ``None``."""
    candidates = _BY_FIRST.get(word[:1])
    if candidates is None or len(word) < 4 or word in NOT_VERBS or not word.isalpha():
        return None
    if word in _SEEN:
        return _SEEN[word]
    found = {
        tag
        for verb, tag in candidates
        if abs(len(verb) - len(word)) <= 1 and distance(word, verb, 1) <= 1
    }
    answer = found.pop() if len(found) == 1 else None
    if len(_SEEN) < 10_000:  # words repeat in a batch; the memo stays bounded
        _SEEN[word] = answer
    return answer


def suggest(word: str, candidates: dict[str, str]) -> str | None:
    """The one ticker whose ticker or name is nearest to ``word`` (at most two edits for
    longer words, one for short ones), or ``None`` when none or several are that near."""
    word = word.lower()
    limit = 1 if len(word) <= 4 else 2
    best: dict[str, int] = {}
    for name, ticker in candidates.items():
        if abs(len(name) - len(word)) > limit:
            continue
        d = distance(word, name, limit)
        if d <= limit and d < best.get(ticker, limit + 1):
            best[ticker] = d
    if not best:
        return None
    top = min(best.values())
    winners = [t for t, d in best.items() if d == top]
    return winners[0] if len(winners) == 1 else None
