"""``signoff policy validate|explain|test``: compliance's tools for the policy file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from policy.model import Policy
    from policy.scenarios import Parser, ScenarioResult


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "policy",
        help="validate, explain or test a policy file",
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
