"""``signoff audit``: verify, checkpoint, read and export the audit trail.

Exit codes: 0 when all is well, 1 when ``verify`` finds the chain tampered
with, records unsigned or cut (or the ledger cannot be read), 2 for wrong use
of the command line. Each action's ``--help`` lists its own.
"""

from __future__ import annotations

import sys

# like parse.py: keep `signoff --help` fast; csv and datetime load when used
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator
    from datetime import datetime
    from typing import IO, Any

    from ledger.service import Ledger

EXPORT_COLUMNS = (
    "seq",
    "recorded_at",
    "kind",
    "actor",
    "plan_id",
    "subject",
    "digest",
    "prev_hash",
    "hash",
    "rows",
)


_DB_HELP = "ledger database URL (default: SIGNOFF_DB_URL, else $SIGNOFF_HOME/ledger.sqlite3)"


def _exit_codes(ok: str, one: str | None = None) -> str:
    """The lines of the one exit-code table (foundation.errors) that apply to an action."""
    lines = ["exit codes:", f"  0   {ok}"]
    if one:
        lines.append(f"  1   {one}")
    lines.append(
        "  2   wrong use of the command line, a file named on it cannot be used, "
        "or the ledger cannot be opened"
    )
    lines.append("  70  internal error: a bug in signoff")
    return "\n".join(lines) + "\n"


def register(subparsers: Any) -> None:
    import argparse

    from foundation.errors import exit_codes_help

    # --db is accepted before the action (signoff audit --db URL verify) and after it
    # (signoff audit verify --db URL); SUPPRESS keeps an absent one from hiding the other
    db_after = argparse.ArgumentParser(add_help=False)
    db_after.add_argument("--db", metavar="URL", default=argparse.SUPPRESS, help=_DB_HELP)

    class Formatter(argparse.HelpFormatter):
        """Descriptions wrapped to the terminal; the exit-code table kept as written."""

        def _fill_text(self, text: str, width: int, indent: str) -> str:
            if text.startswith("exit codes:"):
                return "".join(indent + line for line in text.splitlines(keepends=True))
            return super()._fill_text(text, width, indent)

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit",
        help="verify, read and export the audit trail",
        description=(
            "Verify the hash-chained audit trail, checkpoint its head, tell the story of a "
            "plan, list recent records or export them. The ledger is $SIGNOFF_HOME/"
            "ledger.sqlite3, or the database named by SIGNOFF_DB_URL or --db."
        ),
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    parser.add_argument("--db", metavar="URL", default=None, help=_DB_HELP)
    parser.set_defaults(handler=lambda _ns: _usage(parser))
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION")

    verify = sub.add_parser(
        "verify",
        parents=[db_after],
        help="recompute the chain; exit 1 and name the first bad record if it was tampered with",
        description=(
            "Recompute every record's digest and hash and every link of the chain, and "
            "check the executor's signatures over the chain's head: records appended after "
            "the last signed head, forged signatures, and a chain shorter than the signed "
            "head the executor last wrote are reported. The first bad record is named."
        ),
        epilog=_exit_codes(
            "the chain verifies (and every record is signed, when an audit key is present)",
            "the chain was tampered with, records are unsigned or cut, "
            "or the ledger cannot be read",
        ),
        formatter_class=Formatter,
    )
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="also prove the log still extends the head saved in FILE",
    )
    verify.add_argument(
        "--audit-key",
        metavar="FILE",
        help="the executor's public audit key (default: $SIGNOFF_HOME/executor/audit.pub; "
        "the signed heads in audit-heads/ are read beside it)",
    )
    verify.set_defaults(handler=run_verify)

    checkpoint = sub.add_parser(
        "checkpoint",
        parents=[db_after],
        help="write the chain's head (sequence and hash) to FILE; keep it elsewhere",
        description=(
            "Verify the chain, then write its head (sequence number and hash) to FILE. Keep "
            "the file where the ledger's writers cannot reach it; 'verify --checkpoint FILE' "
            "then proves the log still extends it."
        ),
        epilog=_exit_codes(
            "the checkpoint was written",
            "the chain does not verify (nothing written), or the ledger cannot be read",
        ),
        formatter_class=Formatter,
    )
    checkpoint.add_argument("file", metavar="FILE")
    checkpoint.set_defaults(handler=run_checkpoint)

    show = sub.add_parser(
        "show",
        parents=[db_after],
        help="the story of one plan, from the request's text to fills",
        description=(
            "Everything recorded about one plan: the request's text, the parse, the resolved "
            "steps, the policy's decisions and reasons, approvals, orders and fills."
        ),
        epilog=_exit_codes("the story was shown")
        + "  (2 also when no such plan is in the ledger)\n",
        formatter_class=Formatter,
    )
    show.add_argument("plan_id", metavar="PLAN_ID")
    show.set_defaults(handler=run_show)

    export = sub.add_parser(
        "export",
        parents=[db_after],
        help="export records with their content (jsonl or csv)",
        description=(
            "Export the audit records from a day or instant on, each with its event rows "
            "exactly as they were hashed, so anyone can recompute the chain from the export."
        ),
        epilog=_exit_codes("the records were exported"),
        formatter_class=Formatter,
    )
    export.add_argument(
        "--since",
        required=True,
        metavar="DATE",
        help="first day (YYYY-MM-DD, UTC) or instant (ISO 8601) to export",
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export)

    log = sub.add_parser(
        "log",
        parents=[db_after],
        help="list recent audit records, with the decisions they hold",
        description=(
            "List the most recent audit records (oldest first) with each decision's verdict "
            "per step and the rules that applied. Filters combine: a record is listed when it "
            "matches every filter given."
        ),
        epilog=_exit_codes("the records were listed (also when none match)"),
        formatter_class=Formatter,
    )
    log.add_argument(
        "--limit",
        "-n",
        type=_positive_int,
        default=20,
        metavar="N",
        help="list at most N records, the most recent (default: 20)",
    )
    log.add_argument("--plan", metavar="PLAN_ID", help="only this plan's records (and its request)")
    log.add_argument(
        "--kind", metavar="KIND", help="only records of this kind (request, decision, fill, ...)"
    )
    log.add_argument("--actor", metavar="NAME", help="only records by this actor")
    log.add_argument(
        "--since", metavar="DATE", help="only records from this day (UTC) or instant (ISO 8601) on"
    )
    log.set_defaults(handler=run_log)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_since(text: str) -> datetime:
    """A day (midnight UTC) or an ISO 8601 instant (UTC when no offset is given)."""
    from datetime import UTC, datetime

    from foundation.errors import UsageError

    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d")
            return day.replace(tzinfo=UTC)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {text!r} is not a date",
            hint="give a day such as 2026-01-05 or an instant such as 2026-01-05T09:30:00Z",
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _open(ns: argparse.Namespace) -> Ledger:
    from ledger.service import Ledger

    return Ledger.open(ns.db, create=False)


def _out(text: str) -> None:
    from foundation.secrets import redact

    sys.stdout.write(redact(text) + "\n")


def run_verify(ns: argparse.Namespace) -> int:
    import os

    from foundation import paths
    from ledger.chain import read_checkpoint
    from ledger.render import verify_lines
    from ledger.signing import HEADS_DIR, PUBLIC_KEY_FILE, load_audit_public_key

    checkpoint = read_checkpoint(ns.checkpoint) if ns.checkpoint else None
    key_path = ns.audit_key or os.path.join(paths.home(), "executor", PUBLIC_KEY_FILE)
    audit_key = None
    if ns.audit_key or os.path.exists(key_path):
        audit_key = load_audit_public_key(key_path)
    heads_dir = os.path.join(os.path.dirname(os.path.abspath(key_path)), HEADS_DIR)
    with _open(ns) as ledger:
        report = ledger.verify(checkpoint, audit_key=audit_key, heads_dir=heads_dir)
    for line in verify_lines(report, missing_key=None if audit_key else key_path):
        _out(line)
    return 0 if report.ok else 1


def run_checkpoint(ns: argparse.Namespace) -> int:
    from ledger.chain import write_checkpoint

    with _open(ns) as ledger:
        report = ledger.verify()
        if not report.ok:
            from ledger.render import verify_lines

            for line in verify_lines(report):
                _out(line)
            _out("no checkpoint written: the chain must verify first")
            return 1
        checkpoint = ledger.checkpoint()
    write_checkpoint(ns.file, checkpoint)
    _out(f"checkpoint: record #{checkpoint.sequence} {checkpoint.hash} written to {ns.file}")
    return 0


def run_show(ns: argparse.Namespace) -> int:
    from foundation.errors import InputError
    from foundation.secrets import redact
    from ledger.render import console_for, print_story

    with _open(ns) as ledger:
        story = ledger.plan_story(ns.plan_id)
    if story is None:
        raise InputError(
            f"no plan {redact(ns.plan_id)} in the ledger",
            hint="'signoff audit log' lists recent records with their plan ids",
        )
    print_story(story, console_for())
    return 0


def run_log(ns: argparse.Namespace) -> int:
    from foundation.errors import UsageError
    from ledger.render import console_for, print_records
    from ledger.service import RECORD_KINDS

    if ns.kind is not None and ns.kind not in RECORD_KINDS:
        raise UsageError(
            f"--kind {ns.kind!r} is not a kind of record",
            hint=f"use one of: {', '.join(RECORD_KINDS)}",
        )
    since = parse_since(ns.since) if ns.since else None
    filtered = any(v is not None for v in (ns.plan, ns.kind, ns.actor, since))
    with _open(ns) as ledger:
        records, decisions = ledger.log(
            ns.limit, plan_id=ns.plan, kind=ns.kind, actor=ns.actor, since=since
        )
    print_records(
        records,
        console_for(width=160),
        decisions,
        empty="no audit records match" if filtered else "the audit trail is empty",
    )
    return 0


def _export_lines(rows: Iterator[dict[str, Any]], fmt: str, handle: IO[str]) -> int:
    import csv
    from datetime import UTC, datetime

    from foundation.secrets import redact
    from intent.canonical import canonical_bytes

    count = 0
    if fmt == "jsonl":
        for record in rows:
            handle.write(redact(canonical_bytes(record).decode("utf-8")) + "\n")
            count += 1
        return count
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in rows:
        values = []
        for column in EXPORT_COLUMNS:
            value = record[column]
            if column == "rows":
                text = canonical_bytes(value).decode("utf-8")
            elif isinstance(value, datetime):
                text = value.astimezone(UTC).isoformat()
            else:
                text = "" if value is None else str(value)
            values.append(redact(text))
        writer.writerow(values)
        count += 1
    return count


def run_export(ns: argparse.Namespace) -> int:
    since = parse_since(ns.since)
    with _open(ns) as ledger:
        rows = ledger.export(since)
        if ns.output:
            try:
                with open(ns.output, "w", encoding="utf-8", newline="") as handle:
                    count = _export_lines(rows, ns.format, handle)
            except OSError as exc:
                from foundation.errors import InputError

                raise InputError(f"cannot write {ns.output}: {exc.strerror}") from exc
            sys.stderr.write(f"exported {count} record(s) to {ns.output}\n")
        else:
            _export_lines(rows, ns.format, sys.stdout)
    return 0
