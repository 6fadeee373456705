"""The executor's key signs the chain's head: appended, cut, forged and foreign are all caught.

Each test records a real story through a signing :class:`Ledger` (SQLite and
PostgreSQL), then does what someone without the executor's key could do to
the database, and checks that ``verify`` names the record, with no checkpoint.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from foundation.clock import FakeClock
from foundation.errors import AuditIntegrityError, ConfigError, LedgerError
from ledger import chain, signing
from ledger.service import Ledger
from ledger.signing import HeadSigner, HeadVerifier, load_audit_public_key
from ledger.store import UPGRADABLE_FROM
from ledger.tables import SCHEMA_VERSION
from signoff.cli import main
from tests.ledger import tamper
from tests.ledger.ledger_story import Story, record_story


@dataclass
class Signed:
    url: str
    directory: Path
    signer: HeadSigner
    story: Story
    clock: FakeClock
    head: int

    @property
    def key(self) -> HeadVerifier:
        return load_audit_public_key(str(self.directory / signing.PUBLIC_KEY_FILE))

    @property
    def heads_dir(self) -> str:
        return str(self.directory / signing.HEADS_DIR)

    @property
    def head_file(self) -> str:
        with Ledger.open(self.url, create=False) as ledger:
            return signing.head_path(self.heads_dir, ledger.identity)

    def verify(self, key: HeadVerifier | None = None) -> chain.VerifyReport:
        with Ledger.open(self.url, create=False) as ledger:
            return ledger.verify(audit_key=key or self.key, heads_dir=self.heads_dir)


@pytest.fixture
def signed(backend_url: str, tmp_path: Path, clock: FakeClock) -> Signed:
    directory = tmp_path / "executor"
    signer = signing.load_or_create_audit_key(str(directory))
    with Ledger.open(backend_url, clock=clock, head_signer=signer) as ledger:
        story = record_story(ledger, clock)
        head = ledger.head()[0]
    return Signed(backend_url, directory, signer, story, clock, head)


def _codes(report: chain.VerifyReport) -> list[tuple[int | None, str]]:
    return [(p.seq, p.code) for p in report.problems]


def test_a_signed_chain_verifies_with_every_head_signed(signed: Signed) -> None:
    report = signed.verify()
    assert report.ok, report.problems
    assert report.signing is not None
    assert report.signing.signatures == signed.head
    assert report.signing.last_signed == signed.head
    assert report.signing.head_file_seq == signed.head
    assert report.signing.key_id == signed.signer.key_id
    assert report.signing.notes == []


def test_every_append_stores_a_signature_that_verifies(signed: Signed) -> None:
    engine_url = signed.url
    with Ledger.open(engine_url, create=False) as ledger, ledger.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.seq, s.hash, s.signature, a.hash FROM audit_signatures s "
                "JOIN audit_records a ON a.seq = s.seq ORDER BY s.seq"
            )
        ).all()
    assert [r[0] for r in rows] == list(range(1, signed.head + 1))
    for seq, signed_hash, signature, record_hash in rows:
        assert signed_hash == record_hash
        assert signed.key.valid(seq, signed_hash, signature)
        # the signature is bound to its sequence number and hash
        assert not signed.key.valid(seq + 1, signed_hash, signature)


def test_a_record_appended_without_the_key_is_reported_unsigned(signed: Signed) -> None:
    # someone with write access to the database, but not the executor's key
    with Ledger.open(signed.url, clock=signed.clock, create=False) as other:
        other.record_request(text="buy 100 BTC", actor="mallory", parser="deterministic")
        other.record_request(text="sell 1 BTC", actor="mallory", parser="deterministic")
    report = signed.verify()
    assert not report.ok
    assert _codes(report) == [(signed.head + 1, "UNSIGNED")]
    first = report.first
    assert first is not None
    assert f"#{signed.head + 1} (request), #{signed.head + 2} (request)" in first.message
    assert f"after the last signed head #{signed.head}" in first.message


def test_a_record_slipped_in_and_the_chain_rewritten_breaks_the_signed_heads(
    signed: Signed,
) -> None:
    seq = signed.story.seqs["decision"]
    tamper.insert_record_after(signed.url, seq)
    tamper.rewrite_chain(signed.url)
    report = signed.verify()
    codes = _codes(report)
    # the chain itself is consistent again; only the signatures can tell
    assert {c for _, c in codes} <= {"SIGNED_HASH_MISMATCH", "UNSIGNED", "BAD_SIGNATURE"}
    assert report.first is not None
    assert report.first.seq == seq + 1
    assert (seq + 1, "SIGNED_HASH_MISMATCH") in codes


def test_a_cut_tail_is_caught_with_no_checkpoint(signed: Signed) -> None:
    tamper.truncate_after(signed.url, signed.head - 3)
    report = signed.verify()
    codes = _codes(report)
    assert (signed.head, "CUT") in codes
    # the signatures of the cut records are still there and name them
    assert (signed.head - 2, "SIGNED_RECORD_MISSING") in codes
    cut = next(p for p in report.problems if p.code == "CUT")
    assert f"the log ends at #{signed.head - 3}" in cut.message


def test_a_cut_is_caught_even_with_its_signatures_deleted(signed: Signed) -> None:
    keep = signed.head - 3
    tamper.truncate_after(signed.url, keep)
    with tamper.attacker(signed.url) as conn:
        conn.execute(text("DELETE FROM audit_signatures WHERE seq > :s"), {"s": keep})
    # without the signed-head file the cut chain would look whole
    with Ledger.open(signed.url, create=False) as ledger:
        alone = ledger.verify(audit_key=signed.key, heads_dir=None)
    assert alone.ok
    report = signed.verify()
    assert _codes(report) == [(signed.head, "CUT")]
    assert report.first is not None
    assert f"records #{keep + 1}..#{signed.head} were cut" in report.first.message


def test_a_forged_signature_is_caught(signed: Signed) -> None:
    seq = signed.story.seqs["approval"]
    with tamper.attacker(signed.url) as conn:
        old = conn.execute(
            text("SELECT signature FROM audit_signatures WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        forged = ("0" if old[0] != "0" else "1") + old[1:]
        conn.execute(
            text("UPDATE audit_signatures SET signature = :v WHERE seq = :s"),
            {"v": forged, "s": seq},
        )
    report = signed.verify()
    assert _codes(report) == [(seq, "BAD_SIGNATURE")]
    assert report.first is not None
    assert report.first.kind == "approval"
    assert "not made by the audit key" in report.first.message


def test_records_signed_with_another_key_are_caught(signed: Signed, tmp_path: Path) -> None:
    """Mallory appends and signs with a key of her own, naming it honestly or not."""
    mallory = signing.load_or_create_audit_key(str(tmp_path / "mallory"))
    assert mallory.key_id != signed.signer.key_id
    with Ledger.open(signed.url, clock=signed.clock, create=False, head_signer=mallory) as other:
        other.record_request(text="buy 100 BTC", actor="mallory", parser="deterministic")
    report = signed.verify()
    codes = _codes(report)
    assert codes == [(signed.head + 1, "BAD_SIGNATURE"), (signed.head + 1, "UNSIGNED")]
    assert report.first is not None
    assert f"it names key {mallory.key_id}" in report.first.message


def test_the_wrong_public_key_fails_every_signature(signed: Signed, tmp_path: Path) -> None:
    other = signing.load_or_create_audit_key(str(tmp_path / "other"))
    report = signed.verify(other.verifier)
    bad = [seq for seq, code in _codes(report) if code == "BAD_SIGNATURE" and seq is not None]
    assert bad == list(range(1, signed.head + 1))
    # and the signed-head file does not verify with it either
    assert (None, "BAD_SIGNATURE") in _codes(report)
    assert (1, "UNSIGNED") in _codes(report)


def test_an_edited_signed_head_file_is_caught(signed: Signed) -> None:
    path = Path(signed.head_file)
    body = path.read_text()
    assert f'"sequence":{signed.head},' in body
    path.write_text(body.replace(f'"sequence":{signed.head},', f'"sequence":{signed.head + 9},'))
    report = signed.verify()
    assert (None, "BAD_SIGNATURE") in _codes(report)
    bad = next(p for p in report.problems if p.seq is None)
    assert f"head #{signed.head + 9}" in bad.message
    assert "does not verify with the audit key" in bad.message


def test_a_torn_slot_of_the_signed_head_file_falls_back_to_the_head_before(
    signed: Signed,
) -> None:
    """A crash in the middle of the write spoils one slot; the other holds the head before."""
    path = Path(signed.head_file)
    data = bytearray(path.read_bytes())
    slot = (signed.head % 2) * 1024
    data[slot + 40 : slot + 60] = b"\x00" * 20
    path.write_bytes(bytes(data))
    report = signed.verify()
    assert report.ok, report.problems
    assert report.signing is not None
    assert report.signing.head_file_seq == signed.head - 1


def test_the_signed_head_file_only_moves_forward(tmp_path: Path) -> None:
    signer = signing.load_or_create_audit_key(str(tmp_path))
    signer.publish("ledger-a", signer.sign(5, "a" * 64))
    signer.publish("ledger-a", signer.sign(3, "b" * 64))
    signer.publish("ledger-b", signer.sign(1, "c" * 64))
    # a fresh signer (another executor run) reads what is there before writing
    again = signing.load_or_create_audit_key(str(tmp_path))
    again.publish("ledger-a", again.sign(4, "d" * 64))
    heads = str(tmp_path / signing.HEADS_DIR)
    head_a = signing.read_signed_head(heads, "ledger-a", signer.verifier)
    head_b = signing.read_signed_head(heads, "ledger-b", signer.verifier)
    assert head_a is not None
    assert (head_a.sequence, head_a.hash) == (5, "a" * 64)
    assert signer.verifier.valid(head_a.sequence, head_a.hash, head_a.signature)
    assert head_b is not None
    assert head_b.sequence == 1
    assert signing.read_signed_head(heads, "ledger-c") is None
    # one file per ledger, nothing left behind
    assert len(os.listdir(heads)) == 2


def test_a_head_file_naming_another_ledger_is_refused(signed: Signed, tmp_path: Path) -> None:
    """Copying another ledger's (valid, signed) head file over this one's is caught."""
    signed.signer.publish("elsewhere", signed.signer.sign(1, "e" * 64))
    other = signing.head_path(signed.heads_dir, "elsewhere")
    Path(signed.head_file).write_bytes(Path(other).read_bytes())
    report = signed.verify()
    assert _codes(report) == [(None, "HEAD_FILE_UNREADABLE")]
    assert report.first is not None
    assert "names another ledger" in report.first.message


def test_the_key_is_private_and_one_key_serves_concurrent_first_uses(tmp_path: Path) -> None:
    directory = tmp_path / "executor"
    signers: list[HeadSigner] = []

    def make() -> None:
        signers.append(signing.load_or_create_audit_key(str(directory)))

    threads = [threading.Thread(target=make) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(signers) == 6
    assert len({s.key_id for s in signers}) == 1
    key_mode = stat.S_IMODE(os.stat(directory / signing.KEY_FILE).st_mode)
    assert key_mode == 0o600
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert load_audit_public_key(str(directory / signing.PUBLIC_KEY_FILE)).key_id == (
        signers[0].key_id
    )
    assert sorted(os.listdir(directory)) == ["audit.key", "audit.pub"]
    pub_mode = stat.S_IMODE(os.stat(directory / signing.PUBLIC_KEY_FILE).st_mode)
    assert pub_mode == 0o644


def test_a_key_others_may_read_is_refused(tmp_path: Path) -> None:
    signing.load_or_create_audit_key(str(tmp_path))
    os.chmod(tmp_path / signing.KEY_FILE, 0o644)
    with pytest.raises(ConfigError, match=r"may be read by others \(mode 0644\)") as raised:
        signing.load_or_create_audit_key(str(tmp_path))
    assert raised.value.hint is not None
    assert "chmod 600" in raised.value.hint


def test_a_public_key_file_that_is_not_one_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "audit.pub"
    bogus.write_text("hello")
    with pytest.raises(ConfigError, match="not a PEM public key"):
        load_audit_public_key(str(bogus))
    with pytest.raises(ConfigError, match="file not found"):
        load_audit_public_key(str(tmp_path / "none.pub"))


def test_signatures_are_append_only(signed: Signed) -> None:
    with Ledger.open(signed.url, create=False) as ledger:
        for statement in (
            "UPDATE audit_signatures SET key_id = 'x'",
            "DELETE FROM audit_signatures",
        ):
            with pytest.raises(Exception, match="append-only"), ledger.engine.begin() as conn:
                conn.execute(text(statement))
        assert signed.verify().ok


# ---------------------------------------------------------------- a ledger from before signing


def _make_previous_version(url: str) -> None:
    with tamper.attacker(url) as conn:
        conn.execute(text("DROP TABLE audit_signatures"))
        conn.execute(
            text("UPDATE schema_info SET value = :v WHERE key = 'schema_version'"),
            {"v": str(UPGRADABLE_FROM)},
        )


def test_a_ledger_from_before_signing_is_read_as_it_is_and_upgraded_by_its_next_writer(
    backend_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    url = backend_url
    with Ledger.open(url, clock=clock) as ledger:
        ledger.record_request(text="buy 1 ETH", actor="eve", parser="deterministic")
    _make_previous_version(url)
    signer = signing.load_or_create_audit_key(str(tmp_path / "executor"))

    with Ledger.open(url, create=False) as reader:
        report = reader.verify(audit_key=signer.verifier)
    assert _codes(report) == [(1, "UNSIGNED")]
    assert report.signing is not None
    assert any("no table of signed heads" in note for note in report.signing.notes)

    with Ledger.open(url, clock=clock, head_signer=signer) as writer:
        writer.record_request(text="sell 1 ETH", actor="eve", parser="deterministic")
        with writer.engine.connect() as conn:
            version = conn.execute(
                text("SELECT value FROM schema_info WHERE key = 'schema_version'")
            ).scalar_one()
        assert version == str(SCHEMA_VERSION)
        # the executor's first signed head vouches for the record written before it
        report = writer.verify(audit_key=signer.verifier)
    assert report.ok, report.problems


# ---------------------------------------------------------------- the command line


def test_audit_verify_uses_the_executors_key_in_signoff_home(
    signoff_home: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = signing.load_or_create_audit_key(str(signoff_home / "executor"))
    with Ledger.open(clock=clock, head_signer=signer) as ledger:
        story = record_story(ledger, clock)
    head = story.seqs["filled"]

    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert f"ok: signed by the executor's audit key {signer.key_id}" in out
    assert f"the last #{head}" in out

    with Ledger.open(clock=clock) as ledger:
        ledger.record_request(text="buy 9 BTC", actor="mallory", parser="deterministic")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"first bad record: record #{head + 1} (request): UNSIGNED" in out

    # naming another key explicitly: every signature fails
    other = signing.load_or_create_audit_key(str(signoff_home / "elsewhere"))
    assert other.key_id != signer.key_id
    pub = str(signoff_home / "elsewhere" / signing.PUBLIC_KEY_FILE)
    assert main(["audit", "verify", "--audit-key", pub]) == 1
    assert "BAD_SIGNATURE" in capsys.readouterr().out


def test_audit_verify_without_a_key_says_heads_are_not_signed(
    signoff_home: Path, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with Ledger.open(clock=clock) as ledger:
        ledger.record_request(text="buy 1 ETH", actor="eve", parser="deterministic")
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: audit chain verified: 1 record(s)")
    assert f"note: heads are not signed: no audit key at {signoff_home}" in out

    missing = signoff_home / "nope.pub"
    assert main(["audit", "verify", "--audit-key", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"{missing}: file not found" in err


def test_a_cut_stays_caught_after_the_executor_appends_again(signed: Signed) -> None:
    """The executor's next append after a cut does not move the signed head back."""
    keep = signed.head - 3
    tamper.truncate_after(signed.url, keep)
    with tamper.attacker(signed.url) as conn:
        conn.execute(text("DELETE FROM audit_signatures WHERE seq > :s"), {"s": keep})
    with Ledger.open(
        signed.url, clock=signed.clock, create=False, head_signer=signed.signer
    ) as ledger:
        ledger.record_request(text="buy 1 ETH", actor="alice", parser="deterministic")
    fresh = signing.load_or_create_audit_key(str(signed.directory))  # a restarted executor
    with Ledger.open(signed.url, clock=signed.clock, create=False, head_signer=fresh) as ledger:
        ledger.record_request(text="buy 2 ETH", actor="alice", parser="deterministic")
    report = signed.verify()
    assert _codes(report) == [(signed.head, "CUT")]


def test_many_unsigned_records_are_counted_and_a_few_named(signed: Signed) -> None:
    with Ledger.open(signed.url, clock=signed.clock, create=False) as other:
        for i in range(14):
            other.record_request(text=f"buy {i} BTC", actor="mallory", parser="deterministic")
    report = signed.verify()
    assert _codes(report) == [(signed.head + 1, "UNSIGNED")]
    assert report.first is not None
    message = report.first.message
    assert message.startswith(f"14 record(s) after the last signed head #{signed.head}")
    assert f"#{signed.head + 10} (request) and 4 more" in message
    assert f"#{signed.head + 11}" not in message


def test_problems_are_bounded_but_a_cut_is_always_reported(signed: Signed, tmp_path: Path) -> None:
    other = signing.load_or_create_audit_key(str(tmp_path / "other"))
    tamper.truncate_after(signed.url, signed.head - 1)
    with Ledger.open(signed.url, create=False) as ledger:
        report = ledger.verify(
            audit_key=other.verifier, heads_dir=str(signed.directory / signing.HEADS_DIR)
        )
    # the signed-head file was signed by the real key: with the wrong one it does not verify
    codes = _codes(report)
    assert (1, "UNSIGNED") in codes
    assert (None, "BAD_SIGNATURE") in codes
    with Ledger.open(signed.url, create=False) as ledger, ledger.engine.connect() as conn:
        small = chain.verify(conn)
        found = signing.verify_signatures(
            conn,
            small,
            signed.key,
            ledger=ledger.identity,
            heads_dir=signed.heads_dir,
            max_problems=1,
        )
    assert found.head_file_seq == signed.head
    assert [(p.seq, p.code) for p in small.problems] == [
        (signed.head, "SIGNED_RECORD_MISSING"),
        (signed.head, "CUT"),
    ]


# ---------------------------------------------------------------- countersigning


def _append_unsigned(signed: Signed, count: int = 2) -> None:
    with Ledger.open(signed.url, clock=signed.clock, create=False) as other:
        for n in range(count):
            other.record_request(text=f"buy {n + 1} BTC", actor="client", parser="deterministic")


def test_countersigning_signs_records_another_connection_appended(signed: Signed) -> None:
    _append_unsigned(signed)
    assert _codes(signed.verify()) == [(signed.head + 1, "UNSIGNED")]
    with Ledger.open(signed.url, clock=signed.clock, head_signer=signed.signer) as ledger:
        made = ledger.countersign()
        assert made is not None
        assert made.seq == signed.head + 2
        assert (made.seq, made.hash) == ledger.head()
        # nothing appended; a second call has nothing left to sign
        assert ledger.countersign() is None
        assert ledger.head()[0] == signed.head + 2
    report = signed.verify()
    assert report.ok, report.problems
    assert report.signing is not None
    assert report.signing.last_signed == signed.head + 2
    assert report.signing.head_file_seq == signed.head + 2
    # a record appended after the countersignature is unsigned again
    _append_unsigned(signed, 1)
    assert _codes(signed.verify()) == [(signed.head + 3, "UNSIGNED")]


def test_countersigning_refuses_an_edited_record_since_the_last_signed_head(
    signed: Signed,
) -> None:
    _append_unsigned(signed)
    tamper.edit_record(signed.url, signed.head + 1, "actor", "mallory")
    edited = f"record #{signed.head + 1} was edited"
    with (
        Ledger.open(signed.url, clock=signed.clock, head_signer=signed.signer) as ledger,
        pytest.raises(AuditIntegrityError, match=edited),
    ):
        ledger.countersign()
    report = signed.verify()
    assert report.signing is not None
    assert report.signing.last_signed == signed.head  # nothing was signed over it


def test_countersigning_refuses_a_cut_chain(signed: Signed) -> None:
    keep = signed.head - 2
    tamper.truncate_after(signed.url, keep)
    with tamper.attacker(signed.url) as conn:
        conn.execute(text("DELETE FROM audit_signatures WHERE seq > :s"), {"s": keep})
    _append_unsigned(signed, 3)  # the chain is as long as before, but not the signed one
    with (
        Ledger.open(signed.url, clock=signed.clock, head_signer=signed.signer) as ledger,
        pytest.raises(AuditIntegrityError, match="rewritten"),
    ):
        ledger.countersign()
    assert not signed.verify().ok


def test_countersigning_needs_a_signer(signed: Signed) -> None:
    with (
        Ledger.open(signed.url, clock=signed.clock) as ledger,
        pytest.raises(LedgerError, match="no audit key"),
    ):
        ledger.countersign()
