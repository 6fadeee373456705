"""Where signoff keeps its state and finds its shipped configuration.

``SIGNOFF_HOME`` names the directory for all of signoff's state (ledger, keys,
logs); without it, the user's data directory. Paths are plain strings and only
``os.path`` is used: this module sits on the ``signoff parse --jsonl`` path,
which is timed from process start (pathlib and platformdirs together cost
about 20 ms there).
"""

from __future__ import annotations

import os
import sys

ENV_HOME = "SIGNOFF_HOME"

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def default_home() -> str:
    """The user's data directory for signoff, as platformdirs defines it."""
    if sys.platform.startswith("linux"):
        # platformdirs' XDG rule, inlined to keep its import off the fast path;
        # tests/test_paths.py checks that both agree
        base = os.environ.get("XDG_DATA_HOME", "").strip() or os.path.expanduser("~/.local/share")
        return os.path.join(base, "signoff")
    import platformdirs

    return str(platformdirs.user_data_path("signoff", appauthor=False))


def home(*, create: bool = False) -> str:
    """The state directory; created, private to the user, when ``create`` is true."""
    configured = os.environ.get(ENV_HOME, "").strip()
    path = os.path.expanduser(configured) if configured else default_home()
    if create:
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def configs_dir() -> str:
    """The shipped ``configs/`` directory: inside the wheel, or the repository's own."""
    bundled = os.path.join(_PACKAGE_DIR, "_configs")
    if os.path.isdir(bundled):
        return bundled
    return os.path.join(os.path.dirname(_PACKAGE_DIR), "configs")


def shipped_config(name: str) -> str:
    """A file from the shipped ``configs/`` directory."""
    return os.path.join(configs_dir(), name)
