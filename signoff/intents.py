"""Parsing requests: the asset lists are read here, the parsing itself is in ``intent/``.

``parse_request(text)`` is what the rest of signoff calls; ``load_parser()`` builds the
deterministic parser from the shipped ``configs/assets.txt`` plus the user's own
``$SIGNOFF_HOME/assets.txt`` when it exists. Standard library only at import time.
"""

from __future__ import annotations

import os

from intent.assets import AssetRegistry
from intent.deterministic import DeterministicParser
from signoff.errors import ConfigError
from signoff.paths import home, shipped_config

# typing costs ~3 ms to import and this module is on the timed `parse --jsonl` path
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from intent.plan import Clarification, Plan, Refusal

USER_ASSETS = "assets.txt"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise ConfigError("file not found", source=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", source=path) from None


def asset_sources(extra: str | None = None) -> list[tuple[str, str]]:
    """(path, text) of the asset lists in the order they apply."""
    sources = [(shipped_config("assets.txt"), "")]
    sources[0] = (sources[0][0], _read(sources[0][0]))
    user = os.path.join(home(), USER_ASSETS)
    if os.path.isfile(user):
        sources.append((user, _read(user)))
    if extra:
        sources.append((extra, _read(extra)))
    return sources


_cached: DeterministicParser | None = None


def load_parser(extra_assets: str | None = None) -> DeterministicParser:
    """The deterministic parser for this user's asset lists (cached without extras)."""
    global _cached
    if extra_assets is None and _cached is not None:
        return _cached
    parser = DeterministicParser(AssetRegistry.from_texts(*asset_sources(extra_assets)))
    if extra_assets is None:
        _cached = parser
    return parser


def parse_raw(text: str) -> dict[str, Any]:
    return load_parser().parse(text)


def parse_request(text: str) -> Plan | Clarification | Refusal:
    """Parse one request into the typed plan models."""
    from intent.plan import parse_result_from_data

    return parse_result_from_data(parse_raw(text))
