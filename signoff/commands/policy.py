"""``signoff policy validate|explain|test|history|diff|replay|tighter``: compliance's tools
for the policy file and its versions.

``history``, ``replay`` and ``tighter`` read the ledger ($SIGNOFF_HOME/ledger.sqlite3 or
SIGNOFF_DB_URL, or ``--db``). A policy is named by a file, or by a version the ledger
recorded: its content hash (or a prefix), ``ID@VERSION`` or ``VERSION``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import IO

    from rich.console import Console

    from ledger.service import Ledger
    from policy.lifecycle import ReplayChange
    from policy.model import Policy
    from policy.scenarios import Parser, ScenarioResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "policy",
        help="validate, explain, test, diff and replay policies; their version history",
        description="Compliance's tools for the policy file (default: configs/policy.toml).",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    actions = parser.add_subparsers(dest="policy_command", metavar="ACTION", required=True)

    validate = actions.add_parser(
        "validate",
        help="load a policy file and report; exit 0 when valid",
        description="Load a policy file (and a personal file on top) and report what it holds. "
        "Done (0) when it loads; 2 when it does not (the error names the file, the rule "
        "and the key).",
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
    )
    validate.add_argument(
        "file", nargs="?", metavar="FILE", help="policy file (default: $SIGNOFF_POLICY or shipped)"
    )
    validate.add_argument("--personal", metavar="FILE", help="a personal file to apply on top")
    validate.add_argument("--json", action="store_true", help="print JSON")
    validate.set_defaults(handler=run_validate)

    explain = actions.add_parser(
        "explain",
        help="say in plain words what the policy lets through, gates and refuses",
        description="What runs at once, what needs confirmation, what needs a second "
        "approver, and what is refused.",
        epilog=exit_codes_help(0),
        formatter_class=Formatter,
    )
    explain.add_argument(
        "file", nargs="?", metavar="FILE", help="policy file (default: $SIGNOFF_POLICY or shipped)"
    )
    explain.add_argument("--personal", metavar="FILE", help="a personal file to apply on top")
    explain.set_defaults(handler=run_explain)

    test = actions.add_parser(
        "test",
        help="run the scenario files in a directory against the policy",
        description="Run every *.toml scenario in DIR (account, quotes, request or steps, "
        "expected decision and rule ids per step) and report each pass and failure. "
        "Done (0) when all pass; 1 when any fails.",
        epilog=exit_codes_help(0, 1),
        formatter_class=Formatter,
    )
    test.add_argument("dir", metavar="DIR", help="directory of scenario files")
    test.add_argument(
        "--policy", metavar="FILE", help="policy for scenarios that name none (default: shipped)"
    )
    test.add_argument("--personal", metavar="FILE", help="a personal file to apply on top")
    test.add_argument("--json", action="store_true", help="print JSON")
    test.set_defaults(handler=run_test)

    history = actions.add_parser(
        "history",
        help="list every policy version the ledger recorded",
        description="Every policy version ever used, as the ledger stores it (whole): id, "
        "version, content hash, when first recorded, how many decisions it made.",
    )
    history.add_argument("--db", metavar="URL", help="ledger database URL")
    history.add_argument("--show", metavar="REF", help="print the full text of one version")
    history.set_defaults(handler=run_history)

    diff = actions.add_parser(
        "diff",
        help="what changed between two policies, rule by rule, in words",
        description="Compare OLD and NEW (files, or versions the ledger recorded) rule by "
        "rule; each change is marked stricter, looser or neither.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--db", metavar="URL", help="ledger database URL (for recorded versions)")
    diff.set_defaults(handler=run_diff)

    replay = actions.add_parser(
        "replay",
        help="decide every recorded evaluation again under NEW and report what would change",
        description="Evaluate every recorded decision's inputs (resolved steps, account "
        "snapshot, quotes, counters) again under NEW and report each step whose decision "
        "would change, by transition, rule and trader, with examples. Reads every trader's "
        "history: needs the compliance role.",
    )
    replay.add_argument("new", metavar="NEW")
    replay.add_argument("--since", metavar="DATE", help="only evaluations from DATE (UTC) on")
    replay.add_argument("--db", metavar="URL", help="ledger database URL")
    replay.add_argument(
        "--csv", metavar="FILE", help="also write every change as CSV ('-': stdout)"
    )
    replay.add_argument("--examples", type=int, default=3, help="examples per transition")
    replay.add_argument(
        "--as", dest="actor", metavar="NAME", help="who you are (default: $SIGNOFF_USER)"
    )
    replay.set_defaults(handler=run_replay)

    tighter = actions.add_parser(
        "tighter",
        help="check that NEW is at least as strict as OLD",
        description="Decide every recorded evaluation under OLD and NEW, then generated "
        "situations (hypothesis); exit 0 when NEW never decides a step more permissively, "
        "1 with a counter-example when it does. Reading the history needs the compliance "
        "role (--no-history does not).",
    )
    tighter.add_argument("old", metavar="OLD")
    tighter.add_argument("new", metavar="NEW")
    tighter.add_argument("--db", metavar="URL", help="ledger database URL")
    tighter.add_argument("--no-history", action="store_true", help="skip the recorded history")
    tighter.add_argument(
        "--examples", type=int, default=300, help="generated situations to try (default 300)"
    )
    tighter.add_argument(
        "--as", dest="actor", metavar="NAME", help="who you are (default: $SIGNOFF_USER)"
    )
    tighter.set_defaults(handler=run_tighter)


def _stamp(policy: Policy) -> dict[str, Any]:
    return policy.stamp.model_dump()


def unknown_names(policy: Policy, symbols: set[str], assets: set[str]) -> list[str]:
    """Warnings for every symbol, pattern or asset in the policy that no market knows:
    a typo in a restricted list (``DOGGE``) would otherwise restrict nothing."""
    import difflib
    from fnmatch import fnmatchcase

    warnings: list[str] = []
    for rule in policy.rules:
        data = rule.model_dump()
        named: list[tuple[str, str]] = []
        scope = data.get("scope") or {}
        for where, values in (("symbols", data.get("symbols")), ("scope", scope.get("symbols"))):
            named.extend((where, v) for v in values or ())
        for key in ("per_symbol",):
            named.extend((key, v) for v in data.get(key) or {})
        asset_names = [("assets", a) for a in data.get("assets") or ()]
        asset_names += [("per_asset", a) for a in data.get("per_asset") or {}]
        for where, name in named:
            if any(fnmatchcase(known, name) for known in symbols):
                continue
            close = difflib.get_close_matches(name, sorted(symbols), n=1)
            mean = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(
                f"rule '{rule.id}' {where}: no market matches {name}{mean}; it has no effect"
            )
        for where, name in asset_names:
            if name in assets:
                continue
            close = difflib.get_close_matches(name, sorted(assets), n=1)
            mean = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(
                f"rule '{rule.id}' {where}: no market trades {name}{mean}; it has no effect"
            )
    return warnings


def run_validate(args: argparse.Namespace) -> int:
    from executors.catalog import load_market_catalog
    from executors.policy_file import load_policy_file, policy_path
    from signoff.jsonout import dumps

    source = policy_path(args.file)
    policy = load_policy_file(source, args.personal)
    catalog = load_market_catalog()
    warnings = unknown_names(policy, set(catalog.specs), catalog.assets)
    for warning in warnings:
        sys.stderr.write(f"warning: {warning}\n")
    counts = {"confirm": 0, "escalate": 0, "deny": 0}
    for rule in policy.rules:
        counts[rule.effect] += 1
    if args.json:
        report = {
            "ok": True,
            "source": source,
            "policy": _stamp(policy),
            "owner": policy.owner,
            "rules": len(policy.rules),
            "effects": counts,
            "default_decision": policy.default_decision,
            "trading_state": policy.trading_state,
            "warnings": warnings,
        }
        sys.stdout.write(dumps(report, indent=2) + "\n")
        return 0
    lines = [
        f"ok: {source} is a valid policy",
        f"  policy {policy.id} version {policy.version}, owner {policy.owner}",
        f"  {len(policy.rules)} rules: {counts['confirm']} confirm, {counts['escalate']} "
        f"escalate, {counts['deny']} deny; default decision {policy.default_decision}; "
        f"trading {policy.trading_state}",
        f"  sha256 {policy.hash}",
    ]
    if policy.personal is not None:
        lines.append(
            f"  personal file {policy.personal.source} of {policy.personal.owner} applied "
            f"(sha256 {policy.personal.hash})"
        )
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.text import Text

    from executors.policy_file import load_policy_file
    from policy.explain import explain

    policy = load_policy_file(args.file, args.personal)
    explanation = explain(policy)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    console.print(Text(explanation.title, style="bold"))
    styles = {
        "Runs at once": "green",
        "Needs the trader's confirmation": "yellow",
        "Needs a second approver": "magenta",
        "Refused": "red",
    }
    for heading, items in explanation.sections():
        if not items:
            continue
        console.print()
        console.print(Text(f"{heading}:", style=f"bold {styles.get(heading, '')}".strip()))
        for item in items:
            console.print(Text(f"  - {item}"))
    return 0


def request_parser() -> Parser:
    """The deterministic request parser (the shipped and the user's asset lists)."""
    from signoff.intents import parse_request

    return parse_request


def run_test(args: argparse.Namespace) -> int:
    from executors.catalog import load_market_catalog
    from executors.policy_file import load_policy_file, personal_path, policy_path
    from foundation.errors import SignoffError, UsageError
    from foundation.paths import shipped_config
    from policy.scenarios import run_scenario
    from signoff.jsonout import dumps
    from signoff.situation import load_scenarios

    directory = args.dir
    if not os.path.isdir(directory):
        raise UsageError(
            f"{directory}: not a directory", hint="give the directory holding the scenario files"
        )
    files = sorted(
        os.path.join(directory, name)
        for name in os.listdir(directory)
        if name.endswith(".toml") and os.path.isfile(os.path.join(directory, name))
    )
    if not files:
        raise UsageError(f"{directory}: no *.toml scenario files")
    catalog = load_market_catalog()
    demo = shipped_config("demo-account.toml")
    default_path = policy_path(args.policy)
    default_personal = personal_path(args.personal)
    policies: dict[tuple[str, str | None], Policy] = {}
    parse = request_parser()
    results: list[ScenarioResult] = []
    errors: list[tuple[str, str]] = []
    for path in files:
        try:
            for loaded in load_scenarios(path, catalog=catalog, demo_account=demo):
                key = (loaded.policy or default_path, loaded.personal or default_personal)
                if key not in policies:
                    policies[key] = load_policy_file(*key)
                results.append(run_scenario(loaded.scenario, policies[key], parse))
        except SignoffError as exc:
            errors.append((path, str(exc)))
    passed = sum(r.passed for r in results)
    failed = len(results) - passed + len(errors)
    if args.json:
        report = {
            "passed": passed,
            "failed": failed,
            "results": [
                {"name": r.name, "source": r.source, "passed": r.passed, "failures": r.failures}
                for r in results
            ]
            + [
                {"name": os.path.basename(p), "source": p, "passed": False, "failures": [e]}
                for p, e in errors
            ],
        }
        sys.stdout.write(dumps(report, indent=2) + "\n")
        return 0 if failed == 0 else 1
    out: list[str] = []
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        out.append(f"{mark}  {result.name}  ({result.source})")
        out.extend(f"        {failure}" for failure in result.failures)
    for path, error in errors:
        out.append(f"ERROR {path}")
        out.extend(f"        {line}" for line in error.splitlines())
    out.append(f"{passed} passed, {failed} failed")
    sys.stdout.write("\n".join(out) + "\n")
    return 0 if failed == 0 else 1


# --- versions, diff, replay, tighter ---------------------------------------------------


def _ledger(db: str | None, *, required: bool = True) -> Ledger | None:
    from foundation.errors import LedgerError
    from ledger.service import Ledger

    try:
        return Ledger.open(db, create=False)
    except LedgerError:
        if required:
            raise
        return None


def resolve_policy(ref: str, db: str | None) -> Policy:
    """A policy file, or a version the ledger recorded (hash prefix, ID@VERSION, VERSION)."""
    from executors.policy_file import load_policy_file
    from foundation.errors import UsageError
    from ledger.history import find_policy_version
    from policy.loader import load_policy

    if os.path.exists(ref):
        return load_policy_file(ref)
    ledger = _ledger(db, required=False)
    if ledger is None:
        raise UsageError(
            f"{ref}: no such policy file, and there is no ledger to look the version up in",
            hint="give a policy file, or a recorded version (see 'signoff policy history')",
        )
    with ledger:
        found = find_policy_version(ledger, ref)
    if found is None:
        raise UsageError(
            f"{ref}: no such policy file or recorded policy version",
            hint="'signoff policy history' lists the recorded versions",
        )
    return load_policy(found.text, f"ledger:{found.label}")


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def run_history(args: argparse.Namespace) -> int:
    from rich.table import Table

    from foundation.errors import UsageError
    from ledger.history import find_policy_version, policy_versions

    ledger = _ledger(args.db)
    assert ledger is not None
    with ledger:
        if args.show:
            found = find_policy_version(ledger, args.show)
            if found is None:
                raise UsageError(f"{args.show}: no such recorded policy version")
            sys.stdout.write(found.text if found.text.endswith("\n") else found.text + "\n")
            return 0
        versions = policy_versions(ledger)
    table = Table(title=f"Policy versions recorded ({len(versions)})")
    for column in ("policy", "version", "sha256", "recorded", "decisions", "last used"):
        table.add_column(column)
    for v in versions:
        table.add_row(
            v.policy_id,
            v.version,
            v.hash[:16],
            v.recorded_at.strftime("%Y-%m-%d %H:%M:%SZ"),
            str(v.decisions),
            v.last_used.strftime("%Y-%m-%d %H:%M:%SZ") if v.last_used else "-",
        )
    _console().print(table)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from rich.text import Text

    from policy.lifecycle import diff

    old = resolve_policy(args.old, args.db)
    new = resolve_policy(args.new, args.db)
    changes = diff(old, new)
    console = _console()
    console.print(
        Text(
            f"{old.id} {old.version} ({old.hash[:12]}) → {new.id} {new.version} "
            f"({new.hash[:12]}): {len(changes)} change(s)",
            style="bold",
        )
    )
    if not changes and old.hash != new.hash:
        console.print("  the files differ only in layout, comments or descriptions")
    styles = {"stricter": "green", "looser": "red", "neither": "yellow"}
    for change in changes:
        line = Text(f"  [{change.direction}] ", style=styles[change.direction])
        line.append(f"{change.where}: {change.what}")
        console.print(line)
    looser = sum(c.direction == "looser" for c in changes)
    if looser:
        console.print(Text(f"{looser} change(s) loosen the policy", style="bold red"))
    return 0


def run_replay(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from ledger.history import recorded_evaluations
    from policy.lifecycle import replay
    from signoff.commands.audit import parse_since
    from signoff.commands.halt import compliance_caller

    compliance_caller(args.actor, "policy replay")
    new = resolve_policy(args.new, args.db)
    since = parse_since(args.since) if args.since else None
    ledger = _ledger(args.db)
    assert ledger is not None
    with ledger:
        report = replay(recorded_evaluations(ledger, since=since), new)
    if args.csv:
        if args.csv == "-":
            _replay_csv(report.changes, sys.stdout)
            return 0
        with open(args.csv, "w", newline="", encoding="utf-8") as handle:
            _replay_csv(report.changes, handle)
    console = _console()
    console.print(
        Text(
            f"Replay under {new.id} {new.version} ({new.hash[:12]}): {report.evaluations} "
            f"evaluations, {report.steps} steps, {len(report.changes)} would change",
            style="bold",
        )
    )
    for title, counts in (
        ("By change", report.by_transition),
        ("By rule (+ newly applies, - no longer applies)", report.by_rule),
        ("By trader", report.by_trader),
    ):
        if not counts:
            continue
        table = Table(title=title)
        table.add_column("")
        table.add_column("steps", justify="right")
        for key, count in counts.most_common():
            table.add_row(key, str(count))
        console.print(table)
    shown: dict[str, int] = {}
    examples = []
    for c in report.changes:
        if shown.get(c.transition, 0) < args.examples:
            shown[c.transition] = shown.get(c.transition, 0) + 1
            examples.append(c)
    if examples:
        console.print(Text("Examples:", style="bold"))
        for c in examples:
            console.print(
                f"  {c.transition}: {c.step} ({c.trader}, plan {c.plan_id} step {c.step_id}, "
                f"{c.at.strftime('%Y-%m-%d %H:%M')}): {'; '.join(c.reasons) or 'no reasons'}"
            )
    return 0


REPLAY_COLUMNS = (
    "plan_id",
    "step_id",
    "trader",
    "at",
    "step",
    "before",
    "after",
    "rules_added",
    "rules_removed",
    "reasons",
)


def _replay_csv(changes: list[ReplayChange], handle: IO[str]) -> None:
    import csv

    writer = csv.writer(handle)
    writer.writerow(REPLAY_COLUMNS)
    for c in changes:
        added, removed = " ".join(c.rules_added), " ".join(c.rules_removed)
        row = [c.plan_id, c.step_id, c.trader, c.at.isoformat(), c.step, c.before, c.after]
        writer.writerow([*row, added, removed, " | ".join(c.reasons)])


def run_tighter(args: argparse.Namespace) -> int:
    from rich.text import Text

    from executors.catalog import load_market_catalog
    from foundation.clock import SystemClock
    from ledger.history import recorded_evaluations
    from policy.lifecycle import Loosening, diff, loosenings
    from policy.tighter import find_loosening
    from signoff.commands.halt import compliance_caller

    if not args.no_history:
        compliance_caller(args.actor, "policy tighter")
    old = resolve_policy(args.old, args.db)
    new = resolve_policy(args.new, args.db)
    console = _console()
    found: Loosening | None = None
    checked = 0
    if not args.no_history:
        ledger = _ledger(args.db, required=False)
        if ledger is None:
            console.print("no ledger: the recorded history is skipped")
        else:
            with ledger:
                history = list(recorded_evaluations(ledger))
            checked = len(history)
            loose = loosenings(old, new, history)
            if loose:
                found = loose[0]
                console.print(
                    Text(
                        f"{len(loose)} of {checked} recorded evaluations would be decided "
                        "more permissively",
                        style="bold red",
                    )
                )
            else:
                console.print(f"recorded history: {checked} evaluations, none looser")
    if found is None:
        now = SystemClock().now()
        market = load_market_catalog().start_market_data(now)
        found = find_loosening(old, new, market, now, max_examples=args.examples)
        if found is None:
            console.print(f"generated: {args.examples} situations, none looser")
    if found is None:
        # settings no decision shows: how long an approval lasts, the drift that voids
        # it, who may approve, the size above which confirming means typing
        looser = [c for c in diff(old, new) if c.where == "approvals" and c.direction == "looser"]
        if looser:
            console.print(
                Text(f"NOT tighter: {new.id} {new.version} loosens approvals", style="bold red")
            )
            for change in looser:
                console.print(f"  {change.what}")
            return 1
        console.print(
            Text(
                f"{new.id} {new.version} is at least as strict as {old.id} {old.version}",
                style="bold green",
            )
        )
        return 0
    console.print(Text(f"NOT tighter: {new.id} {new.version} lets through more", style="bold red"))
    console.print(f"  counter-example ({found.source})")
    console.print(f"  step: {found.step}")
    console.print(f"  {old.version}: {found.old} ({'; '.join(found.old_reasons) or 'no reasons'})")
    console.print(f"  {new.version}: {found.new} ({'; '.join(found.new_reasons) or 'no reasons'})")
    return 1
