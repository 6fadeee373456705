"""``signoff identity``: people are keys. Make a key pair; list who the executor knows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

HELP = "make your signing key (identity new) or list the identities file (identity list)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "identity",
        help=HELP,
        description=(
            "People are keys, not names. 'identity new NAME' makes an Ed25519 key pair: "
            "the private key stays in your key directory ($SIGNOFF_KEYS, else "
            "$SIGNOFF_HOME/keys), encrypted with a passphrase; the line it prints is what "
            "compliance adds to the identities file. 'identity list' shows that file."
        ),
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help="make a key pair and print the identities-file entry")
    new.add_argument("name", metavar="NAME")
    new.add_argument(
        "--role",
        action="append",
        choices=("trader", "approver", "compliance"),
        help="a role to ask compliance for (repeat; default: trader)",
    )
    new.add_argument(
        "--no-passphrase",
        action="store_true",
        help="store the key unencrypted (readable only by you; for demos and tests)",
    )
    actions.add_parser("list", help="who the identities file lists, with roles and key ids")
    parser.set_defaults(handler=run)


def _passphrase(no_passphrase: bool) -> bytes | None:
    import getpass
    import os
    import sys

    from foundation.errors import UsageError
    from foundation.identity import ENV_PASSPHRASE

    if no_passphrase:
        sys.stderr.write(
            "warning: the key is stored unencrypted; anyone who can read the file can sign as you\n"
        )
        return None
    env = os.environ.get(ENV_PASSPHRASE)
    if env:
        return env.encode("utf-8")
    if not sys.stdin.isatty():
        raise UsageError(
            "a passphrase is needed to encrypt the key",
            hint=f"run it on a terminal, set ${ENV_PASSPHRASE}, or give --no-passphrase",
        )
    first = getpass.getpass("Passphrase for the new key: ")
    second = getpass.getpass("Again: ")
    if first != second or not first:
        raise UsageError("the passphrases differ (or are empty)", hint="run it again")
    return first.encode("utf-8")


def run(args: argparse.Namespace) -> int:
    import os

    from foundation.identity import (
        IdentityRegistry,
        SigningKey,
        check_name,
        identities_path,
        key_path,
    )

    if args.action == "list":
        path = identities_path()
        if not os.path.exists(path):
            print(f"no identities file at {path}")
            return 1
        registry = IdentityRegistry.load(path)
        print(f"{path} (sha256 {registry.sha256[:12]})")
        for identity in registry.identities:
            roles = ", ".join(sorted(identity.roles)) or "no role"
            print(f"  {identity.name:<20} {roles:<28} key {identity.key_id}")
        return 0
    from foundation.errors import UsageError

    try:
        name = check_name(args.name)
    except ValueError as error:
        raise UsageError(str(error)) from None
    wanted: list[str] = args.role or ["trader"]
    passphrase = _passphrase(args.no_passphrase)
    key = SigningKey.generate(name)
    path = key_path(name)
    key.save(path, passphrase)
    print(f"# {name}'s private key: {path} (keep it; it never leaves you)")
    print("# compliance adds these lines to the identities file:")
    print(key.identity_line(wanted), end="")
    return 0
