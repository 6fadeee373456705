"""Parsing requests: the asset lists are read here, the parsing itself is in ``intent/``.

``parse_request(text)`` is what the rest of signoff calls; ``load_parser()`` builds the
deterministic parser from the shipped ``configs/assets.txt`` plus the user's own
``$SIGNOFF_HOME/assets.txt`` when it exists. Standard library only at import time.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from foundation.files import read_text as _read
from foundation.paths import home, shipped_config
from intent.assets import AssetRegistry
from intent.deterministic import DeterministicParser

if TYPE_CHECKING:
    from typing import Any

    from intent.plan import Clarification, Plan, Refusal

USER_ASSETS = "assets.txt"


def asset_sources(extra: str | None = None) -> list[tuple[str, str]]:
    """(path, text) of the asset lists in the order they apply."""
    shipped = shipped_config("assets.txt")
    sources = [(shipped, _read(shipped))]
    user = os.path.join(home(), USER_ASSETS)
    if os.path.isfile(user):
        sources.append((user, _read(user)))
    if extra:
        sources.append((extra, _read(extra)))
    return sources


_cache: dict[tuple[str, float], DeterministicParser] = {}


def _user_assets() -> tuple[str, float]:
    path = os.path.join(home(), USER_ASSETS)
    try:
        return path, os.stat(path).st_mtime
    except OSError:
        return path, -1.0


def load_parser(extra_assets: str | None = None) -> DeterministicParser:
    """The deterministic parser for this user's asset lists.

    Cached per user asset file (and its modification time), so an edit to
    ``$SIGNOFF_HOME/assets.txt`` is seen by a running session.
    """
    if extra_assets is not None:
        return DeterministicParser(AssetRegistry.from_texts(*asset_sources(extra_assets)))
    key = _user_assets()
    parser = _cache.get(key)
    if parser is None:
        parser = DeterministicParser(AssetRegistry.from_texts(*asset_sources()))
        _cache.clear()
        _cache[key] = parser
    return parser


def mask_request(text: str) -> str:
    """``text`` with the secrets signoff knows (the environment's, the executor's keys) and
    anything that looks like a credential replaced by ``[REDACTED]``: what is recorded or
    shown of a request. The masked text still parses as a refusal (``credentials``)."""
    from foundation.secrets import redact
    from intent.credentials import mask_credentials

    return mask_credentials(redact(text))


def parse_raw(text: str) -> dict[str, Any]:
    return load_parser().parse(text)


def parse_request(text: str) -> Plan | Clarification | Refusal:
    """Parse one request into the typed plan models."""
    from intent.plan import parse_result_from_data

    return parse_result_from_data(parse_raw(text))
