"""``signoff audit``: verify, checkpoint, read and export the audit trail.

Exit codes: 0 when all is well, 1 when ``verify`` finds the chain tampered
with (or the ledger cannot be read), 2 for wrong use of the command line.
"""

from __future__ import annotations

import sys

# like parse.py: keep `signoff --help` fast; typing, csv and datetime load when used
TYPE_CHECKING = False
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


def register(subparsers: Any) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "audit",
        help="verify, read and export the audit trail",
        description=(
            "Verify the hash-chained audit trail, checkpoint its head, tell the story of a "
            "plan, list recent records or export them. The ledger is $SIGNOFF_HOME/"
            "ledger.sqlite3, or the database named by SIGNOFF_DB_URL."
        ),
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="ledger database URL (default: SIGNOFF_DB_URL, else the SQLite file)",
    )
    parser.set_defaults(handler=lambda _ns: _usage(parser))
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION")

    verify = sub.add_parser(
        "verify",
        help="recompute the chain; exit 1 and name the first bad record if it was tampered with",
    )
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="also prove the log still extends the head saved in FILE",
    )
    verify.set_defaults(handler=run_verify)

    checkpoint = sub.add_parser(
        "checkpoint", help="write the chain's head (sequence and hash) to FILE; keep it elsewhere"
    )
    checkpoint.add_argument("file", metavar="FILE")
    checkpoint.set_defaults(handler=run_checkpoint)

    show = sub.add_parser("show", help="the story of one plan, from the request's text to fills")
    show.add_argument("plan_id", metavar="PLAN_ID")
    show.set_defaults(handler=run_show)

    export = sub.add_parser("export", help="export records with their content (jsonl or csv)")
    export.add_argument(
        "--since",
        required=True,
        metavar="DATE",
        help="first day (YYYY-MM-DD, UTC) or instant (ISO 8601) to export",
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_export)

    log = sub.add_parser("log", help="list recent audit records")
    log.add_argument("--limit", "-n", type=_positive_int, default=20, metavar="N")
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
    from ledger.chain import read_checkpoint
    from ledger.render import verify_lines

    checkpoint = read_checkpoint(ns.checkpoint) if ns.checkpoint else None
    with _open(ns) as ledger:
        report = ledger.verify(checkpoint)
    for line in verify_lines(report):
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
    from ledger.render import console_for, print_records

    with _open(ns) as ledger:
        records = ledger.recent(ns.limit)
    print_records(records, console_for())
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
