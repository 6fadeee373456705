"""Finding and reading policy files (wiring: the domain gets their bytes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from signoff.paths import shipped_config

if TYPE_CHECKING:
    from policy.model import Policy


def default_policy_path() -> str:
    """The shipped default policy, ``configs/policy.toml``."""
    return shipped_config("policy.toml")


def load_policy_file(path: str | None = None, personal: str | None = None) -> Policy:
    """The policy at ``path`` (default: the shipped one), with a personal file on top."""
    from policy.loader import load_policy_bytes
    from policy.personal import apply_personal_bytes
    from signoff.situation import read_bytes

    source = path or default_policy_path()
    policy = load_policy_bytes(read_bytes(source), source)
    if personal is not None:
        policy = apply_personal_bytes(read_bytes(personal), personal, policy)
    return policy
