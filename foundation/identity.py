"""People are keys, not names: Ed25519 identities and the signatures they make.

Compliance owns one identities file. It lists each person who may ask for or
approve a trade, their roles and their Ed25519 public key::

    [[identity]]
    name = "alice"
    roles = ["trader"]
    public_key = "ed25519:<base64 of the 32 raw bytes>"

The executor loads that file when it starts (and pins its SHA-256, like the
policy) and checks every request and approval against it: a signature made
with a key the file does not list for that name is refused, whatever name the
caller typed. Roles are ``trader`` (may ask), ``approver`` (may give the second
signature an escalated step needs; never for their own request) and
``compliance`` (may halt and resume trading, and change the policy).

A person's private key stays with that person: in their own key directory
(``$SIGNOFF_KEYS``, else ``$SIGNOFF_HOME/keys``), encrypted with a passphrase
(PKCS#8, the ``cryptography`` package's best available encryption) or, for the
offline demo, unencrypted and readable only by its owner. It is never in the
executor's directory and never sent anywhere: only signatures are.

What is signed is the caller's business; callers build canonical bytes with a
``kind`` field for domain separation (``signoff/approval/v1`` ...), so a
signature made for one purpose can never be replayed as another.

Only the standard library and ``cryptography`` are imported here.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from foundation import paths
from foundation.errors import ConfigError, IdentityError
from foundation.files import read_bytes

ROLES = ("trader", "approver", "compliance")
ENV_IDENTITIES = "SIGNOFF_IDENTITIES"
ENV_KEYS = "SIGNOFF_KEYS"
ENV_PASSPHRASE = "SIGNOFF_KEY_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)
KEY_PREFIX = "ed25519:"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def key_id_of(raw_public: bytes) -> str:
    """A short, stable name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(raw_public).hexdigest()[:16]


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + _b64(raw)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """``ed25519:<base64>`` to a key; ValueError naming what is wrong otherwise."""
    if not isinstance(text, str) or not text.startswith(KEY_PREFIX):
        raise ValueError(f"must start with {KEY_PREFIX!r}")
    try:
        raw = base64.b64decode(text[len(KEY_PREFIX) :], validate=True)
    except (ValueError, TypeError):
        raise ValueError("is not valid base64") from None
    if len(raw) != 32:
        raise ValueError(f"must be 32 bytes, is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def check_name(name: str) -> str:
    """A person's name as identities and key files use it; ValueError otherwise."""
    if not name or len(name) > 64 or not set(name) <= _NAME_CHARS or name[0] in ".-":
        raise ValueError(
            f"{name!r} is not a valid identity name (1-64 letters, digits, '.', '_', '-', '@')"
        )
    return name


@dataclass(frozen=True)
class Identity:
    """One person in the identities file."""

    name: str
    roles: frozenset[str]
    public_key: str
    key_id: str

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def verify(self, payload: bytes, signature: str) -> bool:
        """Whether ``signature`` (base64) is this person's signature over ``payload``."""
        try:
            raw = base64.b64decode(signature, validate=True)
            parse_public_key(self.public_key).verify(raw, payload)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


class IdentityRegistry:
    """The identities file: who exists, their roles and their public keys."""

    def __init__(self, identities: Iterable[Identity], *, source: str, sha256: str) -> None:
        self.identities = tuple(identities)
        self.source = source
        self.sha256 = sha256
        self._by_name = {identity.name: identity for identity in self.identities}

    @classmethod
    def load(cls, path: str) -> IdentityRegistry:
        return cls.from_bytes(read_bytes(path), source=path)

    @classmethod
    def from_bytes(cls, data: bytes, *, source: str) -> IdentityRegistry:
        digest = hashlib.sha256(data).hexdigest()
        try:
            document = tomllib.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ConfigError(f"not UTF-8 text (byte {exc.start})", source=source) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", source=source) from None
        except RecursionError:
            raise ConfigError("nested too deeply to be an identities file", source=source) from None
        unknown = sorted(set(document) - {"identity"})
        if unknown:
            raise ConfigError(
                f"unknown key {unknown[0]!r}",
                source=source,
                hint="an identities file holds only [[identity]] entries",
            )
        entries = document.get("identity", [])
        if not isinstance(entries, list):
            raise ConfigError("'identity' must be a list of [[identity]] tables", source=source)
        identities: list[Identity] = []
        seen_names: set[str] = set()
        seen_keys: dict[str, str] = {}
        for index, entry in enumerate(entries, start=1):
            identity = _identity_from(entry, source=source, location=f"identity #{index}")
            if identity.name in seen_names:
                raise ConfigError(
                    f"{identity.name!r} is listed twice",
                    source=source,
                    location=f"identity #{index}",
                )
            if identity.key_id in seen_keys:
                raise ConfigError(
                    f"{identity.name!r} has the same public key as {seen_keys[identity.key_id]!r}",
                    source=source,
                    location=f"identity #{index}",
                    hint="every person needs a key of their own",
                )
            seen_names.add(identity.name)
            seen_keys[identity.key_id] = identity.name
            identities.append(identity)
        return cls(identities, source=source, sha256=digest)

    def get(self, name: str) -> Identity:
        identity = self._by_name.get(name)
        if identity is None:
            raise IdentityError(
                "UNKNOWN_IDENTITY",
                f"{name!r} is not in the identities file {self.source}",
                hint="compliance adds people to the identities file "
                "(`signoff identity new NAME` prints the line to add)",
            )
        return identity

    def verify(self, name: str, payload: bytes, signature: str) -> Identity:
        """The identity whose key made ``signature`` over ``payload``; IdentityError if none."""
        identity = self.get(name)
        if not identity.verify(payload, signature):
            raise IdentityError(
                "BAD_SIGNATURE",
                f"the signature is not {name}'s: "
                "it was made with another key or over other content",
            )
        return identity

    def require_role(self, name: str, role: str) -> Identity:
        identity = self.get(name)
        if not identity.has_role(role):
            raise IdentityError(
                "NO_ROLE",
                f"{name} does not have the {role} role "
                f"(has: {', '.join(sorted(identity.roles)) or 'none'})",
                hint="roles are set by compliance in the identities file",
            )
        return identity

    def with_role(self, role: str) -> list[Identity]:
        return [identity for identity in self.identities if identity.has_role(role)]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __len__(self) -> int:
        return len(self.identities)


def _identity_from(entry: object, *, source: str, location: str) -> Identity:
    if not isinstance(entry, dict):
        raise ConfigError("must be a table", source=source, location=location)
    unknown = sorted(set(entry) - {"name", "roles", "public_key"})
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r}",
            source=source,
            location=location,
            hint="an identity has name, roles and public_key",
        )
    for key in ("name", "roles", "public_key"):
        if key not in entry:
            raise ConfigError(f"missing key {key!r}", source=source, location=location)
    name = entry["name"]
    if not isinstance(name, str):
        raise ConfigError("'name' must be text", source=source, location=location)
    try:
        check_name(name)
    except ValueError as exc:
        raise ConfigError(str(exc), source=source, location=location) from None
    where = f"identity {name!r}"
    roles = entry["roles"]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise ConfigError("'roles' must be a list of names", source=source, location=where)
    bad = sorted(set(roles) - set(ROLES))
    if bad:
        raise ConfigError(
            f"unknown role {bad[0]!r}",
            source=source,
            location=where,
            hint=f"roles are {', '.join(ROLES)}",
        )
    public_key = entry["public_key"]
    try:
        parsed = parse_public_key(public_key)
    except ValueError as exc:
        raise ConfigError(f"'public_key' {exc}", source=source, location=where) from None
    raw = parsed.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Identity(name=name, roles=frozenset(roles), public_key=public_key, key_id=key_id_of(raw))


class SigningKey:
    """A person's private key, in memory only while it signs."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        self.name = check_name(name)
        self._key = key
        public = key.public_key()
        self.public_key = public_key_text(public)
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id_of(raw)

    def __repr__(self) -> str:
        return f"SigningKey(name={self.name!r}, key_id={self.key_id!r})"

    @classmethod
    def generate(cls, name: str) -> SigningKey:
        return cls(name, Ed25519PrivateKey.generate())

    def sign(self, payload: bytes) -> str:
        """The base64 Ed25519 signature over ``payload``."""
        return _b64(self._key.sign(payload))

    def identity_line(self, roles: Iterable[str]) -> str:
        """The entry compliance adds to the identities file for this key."""
        role_list = ", ".join(f'"{role}"' for role in roles)
        return (
            f'[[identity]]\nname = "{self.name}"\nroles = [{role_list}]\n'
            f'public_key = "{self.public_key}"\n'
        )

    def save(self, path: str, passphrase: bytes | None) -> None:
        """Write the key as PKCS#8 PEM, encrypted when ``passphrase`` is given; mode 0600.

        An existing file is never overwritten: a person's key is theirs to delete.
        """
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase)
            if passphrase
            else serialization.NoEncryption()
        )
        pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        directory = os.path.dirname(path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(
                "a key already exists here",
                source=path,
                hint="move it away first if you really mean to replace it",
            ) from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())

    @classmethod
    def load(cls, path: str, name: str, passphrase: bytes | None = None) -> SigningKey:
        if not os.path.exists(path):
            raise IdentityError(
                "NO_KEY",
                f"no key for {name} at {path}",
                hint=f"create one with `signoff identity new {name}`",
            )
        data = read_bytes(path)
        try:
            key = serialization.load_pem_private_key(data, password=passphrase or None)
        except TypeError:
            # encrypted and no passphrase given, or a passphrase for a plain key
            if passphrase:
                raise IdentityError(
                    "KEY_LOCKED", f"{path} is not encrypted; give no passphrase"
                ) from None
            raise IdentityError(
                "KEY_LOCKED",
                f"{name}'s key is encrypted",
                hint=f"give its passphrase (prompt, or ${ENV_PASSPHRASE})",
            ) from None
        except ValueError:
            if passphrase:
                raise IdentityError("KEY_LOCKED", f"wrong passphrase for {name}'s key") from None
            raise ConfigError("not a PEM private key", source=path) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError("not an Ed25519 private key", source=path)
        return cls(name, key)


def identities_path() -> str:
    """The identities file: ``$SIGNOFF_IDENTITIES``, else ``$SIGNOFF_HOME/identities.toml``."""
    configured = os.environ.get(ENV_IDENTITIES, "").strip()
    if configured:
        return os.path.expanduser(configured)
    return os.path.join(paths.home(), "identities.toml")


def keys_dir() -> str:
    """This person's key directory: ``$SIGNOFF_KEYS``, else ``$SIGNOFF_HOME/keys``."""
    configured = os.environ.get(ENV_KEYS, "").strip()
    if configured:
        return os.path.expanduser(configured)
    return os.path.join(paths.home(), "keys")


def key_path(name: str) -> str:
    return os.path.join(keys_dir(), check_name(name) + ".key")


def load_signing_key(name: str, passphrase: bytes | None = None) -> SigningKey:
    """``name``'s key from the key directory; the passphrase from the argument or the env."""
    if passphrase is None:
        env = os.environ.get(ENV_PASSPHRASE)
        passphrase = env.encode("utf-8") if env else None
    path = key_path(name)
    _warn_if_readable_by_others(path)
    return SigningKey.load(path, name, passphrase)


def _warn_if_readable_by_others(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        import warnings

        warnings.warn(
            f"{path} is readable by other users; run `chmod 600 {path}`",
            stacklevel=3,
        )


def ensure_local_identity(name: str) -> SigningKey:
    """The offline default: a first run gets an identities file with ``name`` as trader.

    When no identities file exists yet, one is created naming ``name`` as the only
    trader, with an unencrypted key for them in :func:`keys_dir`. When the file
    exists, this only loads the person's key: nobody is ever added to an existing
    identities file here (that is compliance's job).
    """
    paths.home(create=True)  # a SIGNOFF_HOME that is not a directory is named, not a crash
    registry_path = identities_path()
    if os.path.exists(registry_path):
        return load_signing_key(name)
    path = key_path(name)
    if os.path.exists(path):
        key = load_signing_key(name)
    else:
        key = SigningKey.generate(name)
        try:
            key.save(path, None)
        except ConfigError:
            # another first run saved a key for the same person a moment ago
            key = load_signing_key(name)
    directory = os.path.dirname(registry_path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    text = (
        "# Who may ask for and approve trades. Compliance owns this file.\n"
        "# Created for the offline demo by signoff's first run; add people with the\n"
        "# lines `signoff identity new NAME --role ROLE` prints.\n\n"
        + key.identity_line(["trader"])
    )
    try:
        fd = os.open(registry_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # another process created it first: use theirs
        return load_signing_key(name)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return key
