"""Finding and reading policy files (wiring: the domain gets their bytes).

Which policy applies: ``--policy FILE``, else ``$SIGNOFF_POLICY``, else the shipped
``configs/policy.toml``. A trader's personal file: ``--personal FILE``, else
``$SIGNOFF_PERSONAL``, else none.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from foundation.paths import shipped_config

if TYPE_CHECKING:
    from policy.model import Policy

ENV_POLICY = "SIGNOFF_POLICY"
ENV_PERSONAL = "SIGNOFF_PERSONAL"


def default_policy_path() -> str:
    """The shipped default policy, ``configs/policy.toml``."""
    return shipped_config("policy.toml")


def policy_path(explicit: str | None = None) -> str:
    """The policy file to use: the one given, the configured one, or the shipped one."""
    configured = os.environ.get(ENV_POLICY, "").strip()
    return explicit or (os.path.expanduser(configured) if configured else default_policy_path())


def personal_path(explicit: str | None = None) -> str | None:
    """The personal file to apply, if any: the one given, or the configured one."""
    configured = os.environ.get(ENV_PERSONAL, "").strip()
    return explicit or (os.path.expanduser(configured) if configured else None)


def load_policy_file(path: str | None = None, personal: str | None = None) -> Policy:
    """The policy at ``path`` (default: :func:`policy_path`), with a personal file on top
    (default: :func:`personal_path`)."""
    from foundation.files import read_bytes
    from policy.loader import load_policy_bytes
    from policy.personal import apply_personal_bytes

    source = policy_path(path)
    policy = load_policy_bytes(read_bytes(source), source)
    extra = personal_path(personal)
    if extra is not None:
        policy = apply_personal_bytes(read_bytes(extra), extra, policy)
    return policy
