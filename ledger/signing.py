"""The audit chain's head, signed by the executor's Ed25519 key as it appends.

Each record's hash vouches for every record before it (see ``ledger.chain``),
so a signature over one record's ``(seq, hash)`` vouches for the whole chain up
to that record. A :class:`~ledger.service.Ledger` given a :class:`HeadSigner`
signs the new head inside every append's transaction and stores the signature
in ``audit_signatures`` (append-only, like every other table); after the
commit the signer writes the latest signed head of that ledger to a file in
its own directory. ``signoff audit verify`` then catches, without any
checkpoint file:

- records appended by anyone without the key: they come after the last signed
  head (``UNSIGNED``), or break a later signed head (``SIGNED_HASH_MISMATCH``);
- a forged or foreign signature (``BAD_SIGNATURE``);
- a cut: the chain ends before the head in the signed-head file (``CUT``),
  even when the attacker also deleted the signature rows;
- a rewritten chain: a signed hash no longer matches its record.

The executor's side (the gate)::

    from ledger.service import Ledger
    from ledger.signing import load_or_create_audit_key

    signer = load_or_create_audit_key(os.path.join(paths.home(create=True), "executor"))
    ledger = Ledger.open(url, clock=clock, head_signer=signer)
    # every record_* call now signs the head it appends, in the same transaction

``load_or_create_audit_key(directory)`` keeps three files there:

- ``audit.key``: the Ed25519 private key (PKCS#8 PEM), created 0600 and
  refused when group or others may read it; it never leaves the directory;
- ``audit.pub``: the public key (SubjectPublicKeyInfo PEM), for verifiers;
- ``audit-heads/``: the latest signed head of each ledger the signer has
  appended to, one file per ledger (named by a hash of the ledger's location),
  rewritten atomically after every commit. It may lag a commit (a crash
  between commit and write) but is never ahead of one.

The verifier's side: :func:`load_audit_public_key` and :func:`verify_signatures`
(``Ledger.verify(audit_key=...)`` runs both checks).

What the key cannot stop: whoever can read ``audit.key`` (the executor's OS
user) can sign anything; whoever can write ``audit-head.json`` can replace it
with an older signed head of the same key and so hide a cut back to it.
Keep the executor's directory readable only by the executor's user.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import tempfile
import threading
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, inspect, text

from foundation.errors import ConfigError
from ledger.chain import Problem, VerifyReport

KEY_FILE = "audit.key"
PUBLIC_KEY_FILE = "audit.pub"
HEADS_DIR = "audit-heads"
HEAD_FORMAT = "signoff-audit-signed-head"
SIGNATURES_TABLE = "audit_signatures"
_MAX_KEY_FILE = 64 * 1024
_MAX_HEAD_FILE = 64 * 1024
_SHOWN = 10


def head_message(seq: int, digest: str) -> bytes:
    """The exact bytes signed for the head ``(seq, digest)``; the prefix fixes their meaning."""
    return f"signoff-audit-head/v1\n{seq}\n{digest}".encode("ascii")


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SignedHead:
    """A head of the chain and the executor's signature over it."""

    sequence: int
    hash: str
    signature: str  # hex of the 64-byte Ed25519 signature
    key_id: str

    def as_row(self) -> dict[str, object]:
        return {
            "seq": self.sequence,
            "hash": self.hash,
            "key_id": self.key_id,
            "signature": self.signature,
        }


class HeadVerifier:
    """Checks signed heads against one public key."""

    def __init__(self, public_key: Ed25519PublicKey, *, path: str | None = None) -> None:
        self.public_key = public_key
        self.key_id = key_id(public_key)
        self.path = path

    def valid(self, sequence: int, digest: str, signature: str) -> bool:
        try:
            raw = bytes.fromhex(signature)
        except ValueError:
            return False
        try:
            self.public_key.verify(raw, head_message(sequence, digest))
        except InvalidSignature:
            return False
        return True

    def valid_head(self, head: SignedHead) -> bool:
        return self.valid(head.sequence, head.hash, head.signature)


class HeadSigner:
    """Signs the chain's head; the ledger calls :meth:`sign` inside each append.

    ``heads_dir``: where :meth:`publish` keeps the latest signed head of each
    ledger, one small file per ledger (None: nowhere; then only the signatures
    in the database are checked and a cut cannot be told).
    """

    def __init__(self, private_key: Ed25519PrivateKey, *, heads_dir: str | None = None) -> None:
        self._private = private_key
        self.verifier = HeadVerifier(private_key.public_key())
        self.key_id = self.verifier.key_id
        self.heads_dir = heads_dir
        self._lock = threading.Lock()
        self._published: dict[str, int] = {}
        self._files: dict[str, int] = {}

    def sign(self, sequence: int, digest: str) -> SignedHead:
        signature = self._private.sign(head_message(sequence, digest)).hex()
        return SignedHead(sequence, digest, signature, self.key_id)

    def publish(self, ledger: str, head: SignedHead) -> None:
        """Record ``head`` as the latest signed head of ``ledger`` (after its commit).

        Moves forward only: a head at or below one already kept is not written
        (so after a cut the file keeps naming the lost head). Two processes
        signing for one ledger may leave it one of their heads behind, never
        ahead. One ``pwrite`` into one of the file's two slots (see
        :func:`head_path`): a crash mid-write spoils at most that slot.
        """
        if self.heads_dir is None:
            return
        with self._lock:
            fd = self._files.get(ledger)
            if fd is None:
                os.makedirs(self.heads_dir, mode=0o700, exist_ok=True)
                path = head_path(self.heads_dir, ledger)
                try:
                    slots = _read_slots(path, ledger)
                except ConfigError:
                    slots = []
                valid = [h.sequence for h in slots if self.verifier.valid_head(h)]
                self._published[ledger] = max(valid, default=0)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                self._files[ledger] = fd
            if self._published[ledger] >= head.sequence:
                return
            os.pwrite(fd, _slot_bytes(ledger, head), (head.sequence % 2) * _SLOT)
            self._published[ledger] = head.sequence

    def close(self) -> None:
        """Close the signed-head files this signer keeps open."""
        with self._lock:
            for fd in self._files.values():
                os.close(fd)
            self._files.clear()


# ---------------------------------------------------------------- key files


def load_or_create_audit_key(directory: str) -> HeadSigner:
    """The executor's audit signer: its key in ``directory``, made on first use.

    Creates ``directory`` (0700) if needed, then ``audit.key`` (0600) and
    ``audit.pub`` unless they exist; concurrent first calls share one key.
    A key file group or others may read is refused (:class:`ConfigError`).
    """
    os.makedirs(directory, mode=0o700, exist_ok=True)
    key_path = os.path.join(directory, KEY_FILE)
    pub_path = os.path.join(directory, PUBLIC_KEY_FILE)
    if not os.path.exists(key_path):
        _create_key(directory, key_path)
    private = _load_private(key_path)
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        with open(pub_path, "rb") as handle:
            current = handle.read(_MAX_KEY_FILE)
    except FileNotFoundError:
        current = b""
    if current != pem:
        _atomic_write(pub_path, pem, mode=0o644)
    return HeadSigner(private, heads_dir=os.path.join(directory, HEADS_DIR))


def _create_key(directory: str, key_path: str) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".audit-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the key exists: a concurrent first call keeps the winner's key
        with contextlib.suppress(FileExistsError):
            os.link(tmp, key_path)
    finally:
        os.unlink(tmp)


def _load_private(path: str) -> Ed25519PrivateKey:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ConfigError(f"cannot read the audit key: {exc.strerror}", source=path) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError("the audit key is not a regular file", source=path)
    if info.st_mode & 0o077:
        raise ConfigError(
            f"the audit key may be read by others (mode {stat.S_IMODE(info.st_mode):04o})",
            source=path,
            hint=f"chmod 600 {path}; if others may have read it, move it away and restart "
            "the executor to make a new key",
        )
    data = _read_limited(path, _MAX_KEY_FILE)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"not an audit key: {exc}", source=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the audit key is not an Ed25519 key", source=path)
    return key


def load_audit_public_key(path: str) -> HeadVerifier:
    """The verifier for the public key in ``path`` (an ``audit.pub``)."""
    data = _read_limited(path, _MAX_KEY_FILE)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise ConfigError(
            "not a PEM public key",
            source=path,
            hint="give the executor's audit.pub with --audit-key",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("the audit key is not an Ed25519 public key", source=path)
    return HeadVerifier(key, path=path)


def _read_limited(path: str, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ConfigError("not a regular file", source=path)
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise ConfigError("file not found", source=path) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a file", source=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if len(data) > limit:
        raise ConfigError(f"larger than {limit:,} bytes", source=path)
    return data


def _atomic_write(path: str, data: bytes, *, mode: int) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------- the signed-head files


_SLOT = 1024


def head_path(heads_dir: str, ledger: str) -> str:
    """The file that keeps the latest signed head of ``ledger`` (a location) in ``heads_dir``.

    Two fixed slots of 1,024 bytes, each one line of JSON padded with spaces:
    head ``n`` goes to slot ``n % 2``, so the slot not being written always
    holds the head before. A reader takes the highest head whose signature
    verifies.
    """
    return os.path.join(heads_dir, f"{_ledger_digest(ledger)[:32]}.json")


def _ledger_digest(ledger: str) -> str:
    return hashlib.sha256(ledger.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=64)
def _slot_prefix(ledger: str) -> str:
    """The part of a slot that depends only on the ledger (JSON, ending before the head)."""
    named = json.dumps(
        # for people only (ledger_sha256 is what is checked); short enough that even
        # escaped as \uXXXX it leaves the slot room for the head
        {"format": HEAD_FORMAT, "version": 1, "ledger": ledger[:100]},
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return named[:-1] + f',"ledger_sha256":"{_ledger_digest(ledger)}"'


def _slot_bytes(ledger: str, head: SignedHead) -> bytes:
    # hash, signature and key id are hex digits and the sequence a number: nothing to escape
    body = (
        f'{_slot_prefix(ledger)},"sequence":{int(head.sequence)},"hash":"{head.hash}",'
        f'"signature":"{head.signature}","key_id":"{head.key_id}"}}'
    ).encode("ascii")
    if len(body) >= _SLOT:  # cannot happen with the bounds above; never spill into the other slot
        raise ValueError(f"a signed head of {len(body)} bytes does not fit a slot")
    return body.ljust(_SLOT - 1) + b"\n"


def _read_slots(path: str, ledger: str) -> list[SignedHead]:
    """The heads in the file's slots (a torn or empty slot is skipped); [] when no file.

    A slot naming another ledger, or a file that is no signed-head file, is a
    :class:`ConfigError`.
    """
    try:
        data = _read_limited(path, 2 * _SLOT)
    except ConfigError:
        if not os.path.exists(path):
            return []
        raise
    heads = []
    for start in (0, _SLOT):
        chunk = data[start : start + _SLOT].strip(b" \n\x00")
        if not chunk:
            continue
        try:
            body = json.loads(chunk.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            continue  # torn by a crash mid-write: the other slot holds the head before
        try:
            if not isinstance(body, dict) or body.get("format") != HEAD_FORMAT:
                raise ValueError("not a signed-head file")
            if body.get("ledger_sha256") != _ledger_digest(ledger):
                raise ValueError(f"it names another ledger, {body.get('ledger')!r}")
            sequence = body["sequence"]
            if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
                raise ValueError("bad sequence")
            heads.append(
                SignedHead(sequence, str(body["hash"]), str(body["signature"]), str(body["key_id"]))
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"not a signed-head file ({exc})", source=path) from None
    if data and not heads:
        raise ConfigError("not a signed-head file (no readable slot)", source=path)
    return heads


def read_signed_head(
    heads_dir: str, ledger: str, verifier: HeadVerifier | None = None
) -> SignedHead | None:
    """The latest signed head of ``ledger`` kept in ``heads_dir`` (None: none kept).

    With ``verifier``, the latest whose signature verifies.
    """
    slots = _read_slots(head_path(heads_dir, ledger), ledger)
    if verifier is not None:
        slots = [h for h in slots if verifier.valid_head(h)]
    return max(slots, key=lambda h: h.sequence, default=None)


# ---------------------------------------------------------------- verifying


@dataclass
class SigningReport:
    """What the signature check saw (``key_path`` None: no audit key, heads not checked)."""

    key_path: str | None = None
    key_id: str | None = None
    signatures: int = 0
    last_signed: int = 0
    head_file: str | None = None
    head_file_seq: int | None = None
    notes: list[str] = field(default_factory=list)


def has_signature_table(conn: Connection) -> bool:
    return bool(inspect(conn).has_table(SIGNATURES_TABLE))


def verify_signatures(
    conn: Connection,
    report: VerifyReport,
    verifier: HeadVerifier,
    *,
    ledger: str,
    heads_dir: str | None,
    max_problems: int = 50,
) -> SigningReport:
    """Check every signed head against ``verifier``; add problems to ``report``.

    Runs after :func:`ledger.chain.verify` filled ``report`` in the same
    transaction: the chain's own consistency is checked there, the signatures
    here (each signed hash against its stored record, each signature against
    the key, records after the last good signature, and the signed-head file).
    """
    head_file = head_path(heads_dir, ledger) if heads_dir is not None else None
    result = SigningReport(key_path=verifier.path, key_id=verifier.key_id, head_file=head_file)
    problems: list[Problem] = []
    room = max(max_problems - len(report.problems), 0)

    def add(problem: Problem, *, always: bool = False) -> None:
        # one problem per kind of finding below is always kept (unsigned, cut, head file)
        if always or len(problems) < room:
            problems.append(problem)
        else:
            report.truncated = True

    last_good = 0
    if has_signature_table(conn):
        rows = conn.execute(
            text(
                "SELECT s.seq, s.hash, s.signature, s.key_id, a.hash, a.kind "
                "FROM audit_signatures s LEFT JOIN audit_records a ON a.seq = s.seq "
                "ORDER BY s.seq"
            )
        )
        for seq, signed_hash, signature, signer_id, record_hash, kind in rows:
            result.signatures += 1
            if not verifier.valid(seq, signed_hash, signature):
                foreign = (
                    f"it names key {signer_id}, the audit key is {verifier.key_id}"
                    if signer_id != verifier.key_id
                    else "it was not made by the audit key"
                )
                add(
                    Problem(
                        seq,
                        "BAD_SIGNATURE",
                        f"the signature of head #{seq} does not verify ({foreign}): forged",
                        kind,
                    )
                )
                continue
            if record_hash is None:
                add(
                    Problem(
                        seq,
                        "SIGNED_RECORD_MISSING",
                        f"head #{seq} was signed but the record is gone: records were cut",
                    )
                )
                continue
            if record_hash != signed_hash:
                add(
                    Problem(
                        seq,
                        "SIGNED_HASH_MISMATCH",
                        f"the hash signed for #{seq} is not the record's hash: the chain up to "
                        f"#{seq} was rewritten or records were slipped in",
                        kind,
                    )
                )
                continue
            last_good = max(last_good, seq)
    else:
        result.notes.append("this ledger has no table of signed heads (written before signing)")
    result.last_signed = last_good

    if report.head_seq > last_good:
        count = conn.execute(
            text("SELECT count(*) FROM audit_records WHERE seq > :s"), {"s": last_good}
        ).scalar_one()
        unsigned = conn.execute(
            text("SELECT seq, kind FROM audit_records WHERE seq > :s ORDER BY seq LIMIT :n"),
            {"s": last_good, "n": _SHOWN},
        ).all()
        if unsigned:
            shown = ", ".join(f"#{s} ({k})" for s, k in unsigned)
            more = f" and {count - len(unsigned)} more" if count > len(unsigned) else ""
            after = f"the last signed head #{last_good}" if last_good else "any signed head"
            problem = Problem(
                int(unsigned[0][0]),
                "UNSIGNED",
                f"{count} record(s) after {after}, not signed by the audit key: {shown}{more}",
                str(unsigned[0][1]),
            )
            add(problem, always=True)

    if head_file is not None:
        try:
            slots = _read_slots(head_file, ledger)
        except ConfigError as exc:
            add(Problem(None, "HEAD_FILE_UNREADABLE", exc.message), always=True)
            slots = []
        else:
            if not slots:
                result.notes.append(
                    f"no signed head of this ledger in {heads_dir}: a cut after the last "
                    "signature cannot be told from the database alone"
                )
        for forged in (h for h in slots if not verifier.valid_head(h)):
            add(
                Problem(
                    None,
                    "BAD_SIGNATURE",
                    f"the signed head #{forged.sequence} in {head_file} does not verify with "
                    "the audit key: the file was edited, or the key is not the one that signed it",
                )
            )
        head = max(
            (h for h in slots if verifier.valid_head(h)), key=lambda h: h.sequence, default=None
        )
        if head is not None:
            result.head_file_seq = head.sequence
            for found in _check_head_file(conn, report, head, head_file):
                add(found, always=True)
    else:
        result.notes.append("no signed-head files: a cut cannot be told from the database alone")

    report.problems.extend(problems)
    report.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return result


def _check_head_file(
    conn: Connection,
    report: VerifyReport,
    head: SignedHead,
    head_file: str,
) -> list[Problem]:
    if head.sequence > report.head_seq:
        return [
            Problem(
                head.sequence,
                "CUT",
                f"the executor signed head #{head.sequence} ({head_file}) but the log ends at "
                f"#{report.head_seq}: records #{report.head_seq + 1}..#{head.sequence} were cut",
            )
        ]
    stored = conn.execute(
        text("SELECT hash FROM audit_records WHERE seq = :s"), {"s": head.sequence}
    ).scalar()
    if stored is None:
        return [
            Problem(
                head.sequence,
                "CUT",
                f"record #{head.sequence}, the signed head in {head_file}, is missing",
            )
        ]
    if stored != head.hash:
        return [
            Problem(
                head.sequence,
                "SIGNED_HASH_MISMATCH",
                f"record #{head.sequence} is not the one whose hash the executor signed "
                f"({head_file}): the chain was rewritten",
            )
        ]
    return []
