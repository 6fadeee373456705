"""People are keys: identities file, signing keys, signatures that bind name and content."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundation.errors import ConfigError, IdentityError
from foundation.identity import (
    IdentityRegistry,
    SigningKey,
    ensure_local_identity,
    identities_path,
    key_path,
    load_signing_key,
)

ALICE = SigningKey.generate("alice")
BOB = SigningKey.generate("bob")
MALLORY = SigningKey.generate("mallory")


def registry(*entries: tuple[SigningKey, list[str]]) -> IdentityRegistry:
    text = "\n".join(key.identity_line(roles) for key, roles in entries)
    return IdentityRegistry.from_bytes(text.encode(), source="identities.toml")


def test_a_signature_verifies_for_its_own_name_and_content_only() -> None:
    people = registry((ALICE, ["trader"]), (BOB, ["approver"]))
    signature = ALICE.sign(b"buy 0.2 BTC")
    assert people.verify("alice", b"buy 0.2 BTC", signature).name == "alice"
    with pytest.raises(IdentityError) as other_content:
        people.verify("alice", b"buy 2 BTC", signature)
    assert other_content.value.code == "BAD_SIGNATURE"
    with pytest.raises(IdentityError) as other_name:
        people.verify("bob", b"buy 0.2 BTC", signature)
    assert other_name.value.code == "BAD_SIGNATURE"


def test_typing_a_name_is_not_enough() -> None:
    """A key the file does not list signs nothing for anyone in it."""
    people = registry((ALICE, ["trader"]), (BOB, ["approver"]))
    forged = MALLORY.sign(b"approve s1")
    with pytest.raises(IdentityError) as refused:
        people.verify("bob", b"approve s1", forged)
    assert refused.value.code == "BAD_SIGNATURE"
    with pytest.raises(IdentityError) as unknown:
        people.verify("mallory", b"approve s1", forged)
    assert unknown.value.code == "UNKNOWN_IDENTITY"
    assert unknown.value.exit_code == 1


@given(payload=st.binary(max_size=64), flip=st.integers(min_value=0, max_value=63))
def test_any_change_to_a_signature_is_refused(payload: bytes, flip: int) -> None:
    people = registry((ALICE, ["trader"]))
    signature = bytearray(__import__("base64").b64decode(ALICE.sign(payload)))
    signature[flip % len(signature)] ^= 0x01
    tampered = __import__("base64").b64encode(bytes(signature)).decode()
    with pytest.raises(IdentityError):
        people.verify("alice", payload, tampered)


@pytest.mark.parametrize("garbage", ["", "not base64!", "AAAA", "=" * 88])
def test_malformed_signatures_are_refused_not_crashed(garbage: str) -> None:
    people = registry((ALICE, ["trader"]))
    with pytest.raises(IdentityError) as refused:
        people.verify("alice", b"x", garbage)
    assert refused.value.code == "BAD_SIGNATURE"


def test_roles() -> None:
    people = registry((ALICE, ["trader"]), (BOB, ["approver", "compliance"]))
    assert [i.name for i in people.with_role("approver")] == ["bob"]
    assert people.require_role("bob", "compliance").name == "bob"
    with pytest.raises(IdentityError) as refused:
        people.require_role("alice", "approver")
    assert refused.value.code == "NO_ROLE"
    assert "trader" in str(refused.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[identity]]\nname = "a"\nroles = ["trader"]\n', "missing key 'public_key'"),
        ('[[identity]]\nname = "a"\nroles = ["boss"]\npublic_key = "{key}"\n', "unknown role"),
        ('[[identity]]\nname = "a"\nroles = ["trader"]\npublic_key = "rsa:xx"\n', "ed25519:"),
        ('[[identity]]\nname = "a"\nroles = ["trader"]\npublic_key = "ed25519:AAAA"\n', "32 bytes"),
        (
            '[[identity]]\nname = "a b"\nroles = ["trader"]\npublic_key = "{key}"\n',
            "valid identity",
        ),
        (
            '[[identity]]\nname = "a"\nroles = ["trader"]\npublic_key = "{key}"\nx = 1\n',
            "unknown key",
        ),
        ('owner = "me"\n', "unknown key 'owner'"),
        ("identity = 3\n", "must be a list"),
        ("[[identity\n", "not valid TOML"),
        (
            '[[identity]]\nname = "a"\nroles = []\npublic_key = "{key}"\n'
            '[[identity]]\nname = "a"\nroles = []\npublic_key = "{other}"\n',
            "listed twice",
        ),
        (
            '[[identity]]\nname = "a"\nroles = []\npublic_key = "{key}"\n'
            '[[identity]]\nname = "b"\nroles = []\npublic_key = "{key}"\n',
            "same public key",
        ),
    ],
)
def test_a_broken_identities_file_names_the_problem(text: str, says: str) -> None:
    data = text.replace("{key}", ALICE.public_key).replace("{other}", BOB.public_key)
    with pytest.raises(ConfigError) as broken:
        IdentityRegistry.from_bytes(data.encode(), source="ids.toml")
    assert says in str(broken.value)
    assert "ids.toml" in str(broken.value)
    assert broken.value.exit_code == 2


def test_the_registry_pins_the_exact_bytes() -> None:
    a = IdentityRegistry.from_bytes(ALICE.identity_line(["trader"]).encode(), source="x")
    b = IdentityRegistry.from_bytes((ALICE.identity_line(["trader"]) + "\n").encode(), source="x")
    assert a.sha256 != b.sha256
    assert len(a) == len(b) == 1


def test_keys_round_trip_encrypted_and_plain(tmp_path: Path) -> None:
    locked = tmp_path / "locked.key"
    ALICE.save(str(locked), b"correct horse")
    assert stat.S_IMODE(os.stat(locked).st_mode) == 0o600
    assert b"ENCRYPTED" in locked.read_bytes()
    again = SigningKey.load(str(locked), "alice", b"correct horse")
    assert again.public_key == ALICE.public_key
    with pytest.raises(IdentityError) as no_pass:
        SigningKey.load(str(locked), "alice")
    assert no_pass.value.code == "KEY_LOCKED"
    assert no_pass.value.exit_code == 2
    with pytest.raises(IdentityError) as wrong:
        SigningKey.load(str(locked), "alice", b"wrong")
    assert wrong.value.code == "KEY_LOCKED"
    plain = tmp_path / "plain.key"
    BOB.save(str(plain), None)
    assert SigningKey.load(str(plain), "bob").key_id == BOB.key_id
    with pytest.raises(ConfigError):
        BOB.save(str(plain), None)  # never overwrites a person's key
    assert repr(ALICE).startswith("SigningKey(name='alice'")
    assert "PRIVATE" not in repr(ALICE)


def test_a_missing_key_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_KEYS", str(tmp_path / "keys"))
    with pytest.raises(IdentityError) as missing:
        load_signing_key("carol")
    assert missing.value.code == "NO_KEY"
    assert "signoff identity new carol" in str(missing.value)


def test_first_run_makes_the_user_a_trader_and_never_adds_anyone_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNOFF_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SIGNOFF_IDENTITIES", raising=False)
    monkeypatch.delenv("SIGNOFF_KEYS", raising=False)
    key = ensure_local_identity("alice")
    people = IdentityRegistry.load(identities_path())
    assert [(i.name, sorted(i.roles)) for i in people.identities] == [("alice", ["trader"])]
    assert people.get("alice").public_key == key.public_key
    assert stat.S_IMODE(os.stat(key_path("alice")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(identities_path()).st_mode) == 0o600
    # the same person again: the same key, the same file
    assert ensure_local_identity("alice").key_id == key.key_id
    before = Path(identities_path()).read_bytes()
    # someone else on the same home is not added: they have no key and no entry
    with pytest.raises(IdentityError) as other:
        ensure_local_identity("bob")
    assert other.value.code == "NO_KEY"
    assert Path(identities_path()).read_bytes() == before
