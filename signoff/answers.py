"""Reading a person's answer to a confirmation prompt.

Yes is ``y``/``yes``/``ok`` and their German, French and Chinese forms (``j``, ``ja``,
``oui``, ``是``, ``好``, ...), whatever language the request was in; anything else —
an empty line, the end of the input, ``n``, a typo — is no. The prompt's own wording
follows the request's language.
"""

from __future__ import annotations

import unicodedata

YES = frozenset(
    {
        "y", "yes", "yeah", "yep", "ok", "okay", "sure",
        "j", "ja", "jawohl", "jo",
        "oui", "si", "sí",
        "是", "是的", "好", "好的", "对", "對", "确认", "確認", "行", "可以",
    }
)  # fmt: skip
"""Every answer that means yes; the comparison ignores case, width and a final ``.``/``!``."""

_GERMAN_HINTS = frozenset(
    "kaufe kaufen verkaufe verkaufen für bei meine meiner alle hälfte wenn falls fällt "
    "steigt unter über jeden jede täglich wöchentlich und von".split()
)


def is_yes(answer: str) -> bool:
    """True only for an answer that clearly means yes."""
    text = unicodedata.normalize("NFKC", answer).strip().casefold().rstrip(".!。！")
    return text in YES


def language_of(request: str) -> str:
    """``zh``, ``de`` or ``en``: the language the prompt is worded in."""
    if any("\u3400" <= ch <= "\u9fff" for ch in request):
        return "zh"
    words = {w.strip(".,!?;:") for w in request.casefold().split()}
    if words & _GERMAN_HINTS or any(ch in request for ch in "äöüß"):
        return "de"
    return "en"


def confirm_prompt(step_id: str, what: str, language: str = "en") -> str:
    """``Confirm s1: buy 10 SOL …? [y/N] `` in the request's language."""
    if language == "de":
        return f"Bestätigen {step_id}: {what}? [j/N] "
    if language == "zh":
        return f"确认 {step_id}：{what}？[是/否] "
    return f"Confirm {step_id}: {what}? [y/N] "


def approve_prompt(approver: str, step_id: str, language: str = "en") -> str:
    """The second approver's question, in the request's language."""
    if language == "de":
        return f"{approver}, {step_id} freigeben? [j/N] "
    if language == "zh":
        return f"{approver}，批准 {step_id}？[是/否] "
    return f"{approver}, approve {step_id}? [y/N] "
