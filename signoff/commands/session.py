"""``signoff session run|list|report|reset``: paper-trading rehearsals from a session file."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from signoff.paper.realtime import Interactive
    from signoff.paper.report import SessionReport
    from signoff.paper.runner import SessionRun
    from tui.app import SignoffApp


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    epilog = exit_codes_help(0)
    parser = subparsers.add_parser(
        "session",
        help="rehearse in a paper-trading session (scripted or in the terminal UI)",
        description="Paper-trading sessions: a session file (see configs/sessions/) gives the "
        "starting balances, the prices (simulated from a seed, replayed Binance kline "
        "CSVs, or live public tickers), the clock, the policy, fees, and a script of "
        "requests with the answer at each gate. Every request goes through the same gate "
        "as `signoff run`; the report "
        "gives P&L, fees, turnover, drawdown, exposure, every fill and the gate's figures. "
        "A bad session file or an unknown session is a configuration error (2).",
        epilog=epilog,
        formatter_class=Formatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    run = actions.add_parser(
        "run",
        help="run a session file to its end and print its report",
        description="Run FILE to its end with a progress bar (simulated time, fills, "
        "equity), then print the report. The report, fills and chart are written to "
        "$SIGNOFF_HOME/sessions/<id>/. A live session that stops early (the venue "
        "down, Ctrl-C) still writes its report, and exits 1. With --interactive the "
        "terminal UI opens on the session's account, prices and clock instead of a "
        'script (a file with [[script]] entries is refused; clock = "fast" runs '
        "accelerated at the file's speed); "
        "quitting it (ctrl+q) ends the session and prints its report.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    run.add_argument("file", metavar="FILE", help="a session file (TOML)")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument(
        "--interactive",
        action="store_true",
        help="open the terminal UI on the session's market and clock (no script)",
    )
    run.set_defaults(handler=run_session_command)

    listing = actions.add_parser(
        "list",
        help="the sessions run so far",
        description="Sessions, newest first.",
        epilog=epilog,
        formatter_class=Formatter,
    )
    listing.set_defaults(handler=list_command)

    report = actions.add_parser(
        "report",
        help="print a session's report again",
        description="Print the report of session ID (rich, --json or --csv for its fills).",
        epilog=epilog,
        formatter_class=Formatter,
    )
    report.add_argument("session_id", metavar="ID")
    form = report.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the report as JSON")
    form.add_argument("--csv", action="store_true", help="every fill as CSV")
    report.set_defaults(handler=report_command)

    reset = actions.add_parser(
        "reset",
        help="delete a session (its ledger, report and keys) or all of them",
        description="Delete session ID, or every session with --all. The firm's own ledger "
        "is never touched: each session keeps its own.",
        epilog=epilog,
        formatter_class=Formatter,
    )
    reset.add_argument("session_id", metavar="ID", nargs="?")
    reset.add_argument("--all", action="store_true", help="delete every session")
    reset.set_defaults(handler=reset_command)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _home() -> str:
    from foundation.paths import home

    return home(create=True)


def print_report(report: SessionReport) -> None:
    from rich.console import Console
    from rich.table import Table

    from signoff.paper.report import summary_rows

    console = Console()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in summary_rows(report):
        table.add_row(label, value)
    console.print(table)
    steps = Table(title="gate", show_lines=False)
    for column in ("at", "request", "step", "decision", "outcome", "rules"):
        steps.add_column(column)
    for event in report.gate:
        steps.add_row(
            f"{event.at:%Y-%m-%d %H:%M}",
            event.request,
            event.step_id,
            event.decision,
            event.outcome + (f" ({event.detail})" if event.detail else ""),
            ", ".join(event.rules),
        )
    if report.gate:
        console.print(steps)


def run_session_command(args: argparse.Namespace) -> int:
    from signoff.paper.runner import Progress, run_session

    home = _home()
    if args.interactive:
        return run_interactive(args)
    if args.quiet or args.json or not sys.stderr.isatty():
        result = run_session(args.file, home=home)
    else:
        from rich.progress import BarColumn, TextColumn
        from rich.progress import Progress as Bar

        with Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[status]}"),
            transient=True,
        ) as bar:
            task = bar.add_task("session", total=1.0, status="")

            def show(p: Progress) -> None:
                bar.update(
                    task,
                    completed=p.done,
                    description=f"{p.now:%Y-%m-%d %H:%M}",
                    status=f"fills {p.fills}  equity {p.equity:,.2f}",
                )

            result = run_session(args.file, home=home, progress=show)
    return _show(result, json=args.json)


def _show(result: SessionRun, *, json: bool) -> int:
    """Print the report; 1 (not done) when the session stopped before its end."""
    from foundation.errors import EXIT_DONE, EXIT_NOT_DONE

    stopped = result.report.run.get("stopped")
    code = EXIT_NOT_DONE if stopped else EXIT_DONE
    if json:
        sys.stdout.write(result.report.to_json())
        return code
    print_report(result.report)
    notes = result.report.run.get("notes", [])
    for note in notes:
        print(f"note {note['at'][:19]}: {note['note']}")
    if stopped and all(note["note"] != stopped for note in notes):
        print(stopped)
    print(f"report, fills and chart: {result.directory}")
    return code


def open_interactive(
    path: str, home: str, *, wall: Callable[[], float] | None = None
) -> tuple[Interactive, SignoffApp]:
    """The session and the app ``--interactive`` runs (tests build them the same way,
    with a wall clock of their own)."""
    import time

    from signoff.paper.realtime import open_interactive as open_session

    session = open_session(path, home=home, wall=wall or time.monotonic)
    try:
        return session, session.app()
    except BaseException:
        session.close()
        raise


def run_interactive(args: argparse.Namespace) -> int:
    """The terminal UI on the session; its report when the person quits."""
    session, app = open_interactive(args.file, _home())
    if session.notice:
        sys.stderr.write(f"note: {session.notice}\n")
    try:
        app.run()
    finally:
        result = session.close()
    if not args.json:
        if session.notice:
            print(f"note: {session.notice}")
        sid = result.report.session_id
        print(f"session {sid} (`signoff session report {sid}` shows it again)")
    return _show(result, json=args.json)


def _load(session_id: str) -> tuple[str, dict[str, object]]:
    import json

    from foundation.errors import ConfigError
    from signoff.paper.runner import find_session

    where = find_session(_home(), session_id)
    path = os.path.join(where, "report.json")
    if not os.path.exists(path):
        raise ConfigError(
            f"session {session_id} did not finish: it has no report",
            hint=f"`signoff session reset {session_id}` deletes it",
        )
    with open(path, encoding="utf-8") as handle:
        return where, json.load(handle)


def report_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    where, data = _load(args.session_id)
    if args.json:
        with open(os.path.join(where, "report.json"), encoding="utf-8") as handle:
            sys.stdout.write(handle.read())
        return 0
    if args.csv:
        with open(os.path.join(where, "fills.csv"), encoding="utf-8") as handle:
            sys.stdout.write(handle.read())
        return 0
    figures = data["figures"]
    assert isinstance(figures, dict)
    table = Table(title=f"{data['name']} ({args.session_id})", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in figures.items():
        table.add_row(key.replace("_", " "), str(value))
    Console().print(table)
    print(f"chart: {os.path.join(where, 'chart.png')}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from signoff.paper.runner import list_sessions

    found = list_sessions(_home())
    if not found:
        print("no paper sessions yet: `signoff session run configs/sessions/dca.toml`")
        return 0
    table = Table()
    table.add_column("id", no_wrap=True)
    for column in ("name", "period", "change", "run at"):
        table.add_column(column)
    for item in found:
        table.add_row(
            item["id"], item["name"], item.get("period", ""), item["change"], item["started"][:19]
        )
    Console().print(table)
    return 0


def reset_command(args: argparse.Namespace) -> int:
    from foundation.errors import UsageError
    from signoff.paper.runner import find_session, sessions_home

    home = _home()
    if args.all == bool(args.session_id):
        raise UsageError("name one session ID, or --all", hint="`signoff session list`")
    if args.all:
        root = sessions_home(home)
        names = (
            sorted(n for n in os.listdir(root) if n.startswith("ps-"))
            if os.path.isdir(root)
            else []
        )
        for name in names:
            shutil.rmtree(os.path.join(root, name))
        print(f"deleted {len(names)} session(s)")
        return 0
    shutil.rmtree(find_session(home, args.session_id))
    print(f"deleted {args.session_id}")
    return 0
