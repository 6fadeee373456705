"""Mask secrets and anything that looks like a credential before text leaves the machine.

Two layers, both applied to every text an LLM provider is sent:

- the values signoff knows are secret (:func:`foundation.secrets.redact`: the
  environment's keys and tokens, anything registered when credentials were loaded);
- patterns: ``key=value`` / ``key: value`` pairs whose key names a secret, well-known key
  prefixes (``sk-``, ``sk_live_``, ``ghp_``, ``xox?-``, ``AKIA``), PEM private keys, and
  long high-entropy tokens (24+ characters mixing letters and digits).

The safety screen already refuses a request that carries credentials; this is the second
line, for whatever the screen lets through. Standard library only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from foundation.secrets import REDACTED, redact

MASK = "[MASKED]"

# the names of secrets, not one
_CREDENTIAL_NAMES = (
    r"(?:api[_\s-]?key|apikey|api[_\s-]?secret|secret(?:[_\s-]?key)?|access[_\s-]?key|"
    r"private[_\s-]?key|token|access[_\s-]?token|auth(?:orization)?|bearer|password|passwd|"
    r"pwd|passphrase|pass|seed(?:[_\s-]?phrase)?|mnemonic|schlüssel|passwort|kennwort|"
    r"密钥|私钥|密码|口令|助记词)"
)
_KEY_VALUE = re.compile(
    rf"(?i)(?P<key>\b{_CREDENTIAL_NAMES}\b|{_CREDENTIAL_NAMES})(?P<sep>\s*(?:[:=：]|\bis\b|\bist\b|是)\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|\S+)"
)
_PREFIXED = re.compile(
    r"\b(?:sk|pk|rk)[-_](?:live_|test_|proj-)?[A-Za-z0-9_\-]{8,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{16,}"
    r"|\bxox[abprs]-[A-Za-z0-9-]{8,}"
    r"|\bAKIA[0-9A-Z]{12,}"
    r"|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"  # a JWT
)
_PEM = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S
)
_TOKEN = re.compile(r"[A-Za-z0-9+/_\-=.]{24,}")

ENTROPY_BITS = 3.5
"""Bits per character above which a long mixed token is taken for a secret."""


def _entropy(token: str) -> float:
    counts = Counter(token)
    total = len(token)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _looks_random(token: str) -> bool:
    has_letter = any(c.isalpha() for c in token)
    has_digit = any(c.isdigit() for c in token)
    return has_letter and has_digit and _entropy(token) >= ENTROPY_BITS


@dataclass(frozen=True)
class Masked:
    """The text to send, and what was masked in it (kinds, never the values)."""

    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def mask(text: str) -> Masked:
    """``text`` with known secrets and credential-looking parts replaced by ``[MASKED]``."""
    kinds: list[str] = []
    out = redact(text)
    if out != text:
        kinds.append("known secret")
        out = out.replace(REDACTED, MASK)

    def _sub(pattern: re.Pattern[str], kind: str, replace: str, value: str) -> str:
        new = pattern.sub(replace, value)
        if new != value:
            kinds.append(kind)
        return new

    out = _sub(_PEM, "private key", MASK, out)
    new = _KEY_VALUE.sub(
        lambda m: (
            m.group(0) if m.group("value") == MASK else f"{m.group('key')}{m.group('sep')}{MASK}"
        ),
        out,
    )
    if new != out:
        kinds.append("key=value secret")
        out = new
    out = _sub(_PREFIXED, "key prefix", MASK, out)
    new = _TOKEN.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), out)
    if new != out:
        kinds.append("high-entropy token")
        out = new
    return Masked(out, tuple(dict.fromkeys(kinds)))
