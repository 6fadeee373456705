"""Credentials typed into a request: found, refused, and masked before anything keeps them.

A request never carries a key. Text that looks like one is refused as ``credentials``,
and :func:`mask_credentials` replaces it with ``[REDACTED]`` before the request is
recorded (the session's ledger) or shown (``signoff parse``). What looks like a credential:

- a known key prefix: ``sk_live_…``, ``sk-…``, ``ghp_…``, ``xoxb-…``, ``AKIA…``, ``AIza…``,
  ``-----BEGIN … PRIVATE KEY-----`` …;
- ``name=value`` or ``name: value`` where the name says key, secret, token, password or
  passphrase (``api_secret=…``, ``password: …``), and "my key is …" / "passwort ist …" /
  "密码是…";
- a long high-entropy token: 20 or more letters, digits and ``_-+/=`` mixing at least
  two kinds of character and close to random (a blockchain address is a transfer, not a
  credential, and is left to the refusal of transfers).

The mask itself (``[REDACTED]``, what :mod:`foundation.secrets` writes for a registered
secret) reads as a credential too: a masked request stays refused. Standard library only.
"""

from __future__ import annotations

import math
import re

REDACTED = "[REDACTED]"

_PREFIXED = (
    r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{6,}"
    r"|whsec_[A-Za-z0-9]{6,}"
    r"|sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{12,}"
    r"|gh[pousr]_[A-Za-z0-9]{12,}|github_pat_[A-Za-z0-9_]{12,}"
    r"|glpat-[A-Za-z0-9_\-]{12,}|xox[abprs]-[A-Za-z0-9\-]{8,}"
    r"|AKIA[0-9A-Z]{12,}|ASIA[0-9A-Z]{12,}|AIza[0-9A-Za-z_\-]{20,}"
    r"|hf_[A-Za-z0-9]{12,}|npm_[A-Za-z0-9]{12,}"
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
    r"|-----BEGIN[A-Z ]*PRIVATE KEY-----(?:.|\n)*?(?:-----END[A-Z ]*PRIVATE KEY-----|$)"
)
_NAME = (
    r"(?:api[_\- ]?key|api[_\- ]?secret|secret[_\- ]?key|private[_\- ]?key|access[_\- ]?key"
    r"|access[_\- ]?token|auth[_\- ]?token|refresh[_\- ]?token|client[_\- ]?secret|secret|token"
    r"|password|passwort|passwd|pwd|passphrase|seed[_\- ]?phrase|mnemonic|key|schlüssel"
    r"|密码|密钥|私钥|助记词)"
)
_ASSIGNED = (
    r"(?<![A-Za-z0-9_])(?i:"
    + _NAME
    + r")\s*(?:[=:：]|\bis\b|\bist\b|是|为)\s*[\"']?(?P<value>[^\s\"',;]{4,})"
)
_RUN = r"[A-Za-z0-9_\-+/=]{20,}"

_SOURCE = f"(?P<prefixed>{_PREFIXED})|{_ASSIGNED}|(?P<run>{_RUN})"
_COMPILED: list[re.Pattern[str]] = []


def _pattern() -> re.Pattern[str]:
    """Compiled on first use (5 ms): most requests never need it (see :func:`_could_hold`)."""
    if not _COMPILED:
        _COMPILED.append(re.compile(_SOURCE))
    return _COMPILED[0]


_HEX = frozenset("0123456789abcdefABCDEF")
_BASE58 = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_BECH32 = frozenset("qpzry9x8gf2tvdw0s3jn54khce6mua7l")


def _address(run: str) -> bool:
    """A blockchain address: refused as a transfer, not masked as a key."""
    if run[:2] == "0x":
        return len(run) == 42 and all(c in _HEX for c in run[2:])
    if run[:3] in ("bc1", "tb1"):
        return all(c in _BECH32 for c in run[3:])
    if run[0] in "13T":
        return 26 <= len(run) <= 35 and all(c in _BASE58 for c in run)
    return False


def _random_looking(run: str) -> bool:
    kinds = (
        any(c.islower() for c in run)
        + any(c.isupper() for c in run)
        + any(c.isdigit() for c in run)
    )
    if kinds < 2 or _address(run):
        return False
    counts: dict[str, int] = {}
    for c in run:
        counts[c] = counts.get(c, 0) + 1
    size = len(run)
    entropy = -sum(n / size * math.log2(n / size) for n in counts.values())
    return entropy >= 3.5


# a credential needs a long run of characters or one of these words nearby; most requests
# have neither, and skip the regular expression
_HINTS = (
    "key",
    "secret",
    "token",
    "pass",
    "pwd",
    "mnemonic",
    "seed",
    "auth",
    "schlüssel",
    "密",
    "私钥",
    "助记词",
    "sk-",
    "sk_",
    "-----",
)


def _could_hold(text: str) -> bool:
    if len(text) >= 20 and max(map(len, text.split()), default=0) >= 20:
        return True
    lower = text.lower()
    for hint in _HINTS:  # noqa: SIM110 - a loop: any() over a generator costs twice this on the hot path
        if hint in lower:
            return True
    return False


def _spans(text: str) -> list[tuple[int, int]]:
    if not _could_hold(text):
        return []
    spans: list[tuple[int, int]] = []
    for match in _pattern().finditer(text):
        if match.group("prefixed"):
            spans.append(match.span("prefixed"))
        elif match.group("value"):
            spans.append(match.span("value"))
        elif match.group("run") and _random_looking(match.group("run")):
            spans.append(match.span("run"))
    return spans


def has_credential(text: str) -> bool:
    """Whether ``text`` holds something that looks like a key, a secret or a password."""
    if REDACTED in text:
        return True
    return bool(_spans(text))


def mask_credentials(text: str) -> str:
    """``text`` with every credential-looking part replaced by ``[REDACTED]``."""
    spans = _spans(text)
    if not spans:
        return text
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(text[position:start])
        out.append(REDACTED)
        position = end
    out.append(text[position:])
    return "".join(out)
