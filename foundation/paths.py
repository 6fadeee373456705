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
    """The state directory; created private to the user (0700) when ``create`` is true.

    A ``SIGNOFF_HOME`` that names a file, or cannot be created, is a
    :class:`~foundation.errors.ConfigError`; an existing directory others may read
    gets a warning on stderr (request history is private).
    """
    configured = os.environ.get(ENV_HOME, "").strip()
    path = os.path.expanduser(configured) if configured else default_home()
    if create:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise _home_error(path, "is not a directory") from None
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise _home_error(path, f"cannot be created: {reason}") from None
        if not os.path.isdir(path):
            raise _home_error(path, "is not a directory")
        warn_if_shared(path, "the state directory", 0o700)
    return path


def _home_error(path: str, problem: str) -> Exception:
    from foundation.errors import ConfigError

    name = f"SIGNOFF_HOME ({path})" if os.environ.get(ENV_HOME, "").strip() else path
    return ConfigError(
        f"{name} {problem}",
        hint="point SIGNOFF_HOME at a directory of yours (it is created if missing)",
    )


_warned: set[str] = set()


def warn_if_shared(path: str, what: str, private: int) -> None:
    """A warning on stderr, once per path, when others may read or write ``path``."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return
    if not mode & 0o077 or path in _warned:
        return
    _warned.add(path)
    sys.stderr.write(
        f"warning: {what} {path} can be read by other users (mode {mode:04o}); "
        f"make it private: chmod {private:o} {path}\n"
    )


def private_file(path: str) -> None:
    """Create ``path`` empty and private (0600) if it is missing; warn if it is shared."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        warn_if_shared(path, "the file", 0o600)
    except OSError:
        return  # the caller's own open reports what is wrong
    else:
        os.close(fd)


def configs_dir() -> str:
    """The shipped ``configs/`` directory: inside the wheel, or the repository's own."""
    bundled = os.path.join(_PACKAGE_DIR, "_configs")
    if os.path.isdir(bundled):
        return bundled
    return os.path.join(os.path.dirname(_PACKAGE_DIR), "configs")


def shipped_config(name: str) -> str:
    """A file from the shipped ``configs/`` directory."""
    return os.path.join(configs_dir(), name)
