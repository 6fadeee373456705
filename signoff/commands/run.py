"""``signoff run``: parse → resolve → decide → confirm on the terminal → execute → report.

Every stage is written to the ledger before the next acts on it. Steps the policy
allows run at once; ``confirm`` steps run when you say yes (signed with your key);
``escalate`` steps wait at the executor for a second person's signed approval
(``signoff approve PLAN:STEP`` in their terminal); ``deny`` never runs. The executor
decides every step again itself. By default the orders go to the local
Binance-compatible exchange through the real ccxt code path, offline, on the demo
paper account.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from foundation.errors import EXIT_DONE, EXIT_FAILED, EXIT_NOT_DONE, exit_codes_help

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable

    from rich.console import Console

    from signoff.session import Approval, Outcome, Proposal, Session

HELP = "carry out a request: decide, confirm on the terminal, execute, report"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter

    parser = subparsers.add_parser(
        "run",
        help=HELP,
        formatter_class=Formatter,
        description=(
            "Carry out a request. The policy decides each step: allowed steps run at\n"
            "once, 'confirm' steps run when you say yes (signed with your key),\n"
            "'escalate' steps wait for a second person with the approver role to sign\n"
            "them (signoff approve PLAN:STEP), 'deny' steps never run. The executor\n"
            "decides every step again itself. Every stage is recorded in the ledger."
        ),
        epilog=(
            "examples:\n"
            '  signoff run "buy 0.01 BTC"\n'
            '  signoff run "buy 10 SOL at 150" --approve s1\n'
            '  signoff run "buy 0.2 BTC" --approve s1     # then it waits for an approver\n'
            "  signoff run --resume PLAN                  # after the approver signed\n"
            '  signoff run --exchange paper "sell half my ETH if it drops below 2,000"\n\n'
            + exit_codes_help(EXIT_DONE, EXIT_NOT_DONE, EXIT_FAILED)
        ),
    )
    parser.add_argument("text", nargs="*", metavar="TEXT", help="the request (quote it)")
    parser.add_argument(
        "--resume",
        metavar="PLAN",
        help="report (and record) what became of a plan's steps that waited for approval",
    )
    parser.add_argument(
        "--exchange",
        default="local",
        help="local (default: the local exchange, offline, through ccxt), paper, or a "
        "testnet from configs/exchanges.toml (binance-testnet, bybit-testnet, okx-demo, "
        "hashkey-sandbox)",
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        help="check that the executor enforces this policy file (refused if it does not)",
    )
    parser.add_argument("--personal", metavar="FILE", help="your stricter personal file")
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="NAME",
        help="who is asking (default: $SIGNOFF_USER, else your login name)",
    )
    parser.add_argument(
        "--approve",
        action="append",
        default=[],
        metavar="STEP",
        help="sign a gated step without being asked (repeat for several steps); an "
        "escalated step then waits for a second person",
    )
    parser.add_argument(
        "--no-input",
        action="store_true",
        help="never ask: gated steps not given with --approve are left unapproved",
    )
    parser.add_argument("--db", metavar="URL", help="another ledger (default: $SIGNOFF_DB_URL)")
    from signoff.commands.parse import add_parser_options

    add_parser_options(parser)
    parser.set_defaults(handler=run)


def _reader(console: Console) -> Callable[[str], str]:
    """Ask on the terminal; at the end of the input every later question is answered no."""
    closed = False

    def read(prompt: str) -> str:
        nonlocal closed
        if closed:
            return ""
        from rich.markup import escape

        try:
            # the prompt is text, not markup: "[y/N]" and a step's "[note]" are shown as typed
            return console.input(escape(prompt))
        except EOFError:
            closed = True
            console.print()
            return ""

    return read


def _approvals_given(values: list[str]) -> set[str]:
    from foundation.errors import UsageError

    given: set[str] = set()
    for value in values:
        step, colon, name = value.partition(":")
        step, name = step.strip(), name.strip()
        if not step:
            raise UsageError(f"--approve {value!r}: name the step, e.g. --approve s1")
        if colon:
            raise UsageError(
                f"--approve {value!r}: typing a name approves nothing",
                hint=f"{name or 'the approver'} signs with their own key: "
                "'signoff approve PLAN:STEP' in their terminal",
            )
        given.add(step)
    return given


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from foundation.errors import UsageError
    from signoff.commands.parse import request_parser
    from signoff.session import Session

    text = " ".join(args.text).strip()
    if bool(text) == bool(args.resume):
        raise UsageError(
            "give a request or --resume PLAN (not both)", hint='signoff run "buy 0.01 BTC"'
        )
    given = _approvals_given(args.approve)
    modes = request_parser(args)  # a usage error (no model, no key) before anything starts
    # off a terminal rich would wrap at 80 columns
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    # answers may come from a terminal or a pipe ("yes | signoff run ..."); the end of
    # the input means no
    interactive = not args.no_input
    with console.status("starting the executor…", spinner="dots"):
        session = Session.start(
            exchange=args.exchange,
            policy_path=args.policy,
            personal_path=args.personal,
            db_url=args.db,
            actor=args.actor,
        )
    from rich.markup import escape

    with session:
        for line in session.reconcile():
            console.print(f"[dim]since the last run: {escape(line)}[/]")
        if args.resume:
            if modes is not None:
                modes.close()
            outcomes = session.resume(args.resume)
            if not outcomes:
                console.print(f"plan {escape(args.resume)} has no step that waited for approval")
                return 1
            _print_outcomes(console, outcomes)
            return exit_code(outcomes)
        try:
            proposal = session.propose(text, parser=modes)
        finally:
            if modes is not None:
                modes.close()
        for notice in proposal.notices:
            console.print(f"[yellow]notice:[/] {escape(notice)}")
        _print_proposal(console, session, proposal)
        if proposal.gated is None:
            return EXIT_NOT_DONE
        approvals = _ask(console, session, proposal, given, interactive, _reader(console))
        runnable = [s for s, d in proposal.pairs if d.decision == "allow" or s.step_id in approvals]
        if not runnable:
            console.print("Nothing to run. [dim]Nothing was sent.[/]")
            _footer(console, proposal)
            return EXIT_NOT_DONE
        outcomes = session.execute(proposal, approvals)
        _print_outcomes(console, outcomes)
        if any(o.status == "waiting" for o in outcomes):
            console.print(
                "[dim]An approver signs it in their terminal (signoff approvals; signoff "
                f"approve {proposal.plan_id}:STEP); then: signoff run --resume "
                f"{proposal.plan_id}[/]"
            )
        _footer(console, proposal)
        return exit_code(outcomes)


def exit_code(outcomes: list[Outcome]) -> int:
    """4 when a step failed; 1 when one was denied, not approved or refused; else 0."""
    if any(o.status == "failed" for o in outcomes):
        return EXIT_FAILED
    if any(o.status in ("skipped", "refused") for o in outcomes):
        return EXIT_NOT_DONE
    return EXIT_DONE


def _ask(
    console: Console,
    session: Session,
    proposal: Proposal,
    given: set[str],
    interactive: bool,
    read: Callable[[str], str],
) -> dict[str, Approval]:
    from rich.markup import escape

    from foundation.errors import ApprovalError, IdentityError, UsageError
    from signoff.answers import confirm_prompt, is_yes, language_of
    from signoff.steps_text import describe_resolved

    language = language_of(proposal.text)
    known = {s.step_id for s, _ in proposal.pairs}
    for step_id in given:
        if step_id not in known:
            raise UsageError(f"--approve {step_id}: this plan has steps {', '.join(sorted(known))}")
    approvals: dict[str, Approval] = {}
    for step, decision in proposal.needing_approval():
        sid = step.step_id
        what = describe_resolved(step)
        if sid in given:
            pass
        elif not interactive:
            console.print(f"[yellow]{sid} not approved[/] ({decision.decision}): {escape(what)}")
            continue
        elif decision.decision == "confirm":
            if not is_yes(read(confirm_prompt(sid, what, language))):
                session.reject(proposal, sid)
                console.print(f"[dim]{sid} rejected; it will not run.[/]")
                continue
        else:
            names = ", ".join(session.policy.approvals.second_approvers) or "the approver role"
            answer = read(
                f"{sid} needs a second person ({names}), not {session.actor}.\n"
                f"  {what}\n  Ask for their approval (it waits for them)? [y/N] "
            )
            if not is_yes(answer):
                session.reject(proposal, sid)
                console.print(f"[dim]{sid} not asked for; it will not run.[/]")
                continue
        try:
            approvals[sid] = session.approve(proposal, sid)
        except (ApprovalError, IdentityError) as error:
            console.print(f"[red]{sid} not signed:[/] {escape(error.message)}")
            if error.hint:
                console.print(f"  [dim]{escape(error.hint)}[/]")
            continue
        if decision.decision == "confirm":
            console.print(
                f"[green]{sid} confirmed by {escape(session.actor)}[/] (signed; valid until "
                f"{approvals[sid].expires_at:%H:%M:%S} UTC)"
            )
    return approvals


def _print_proposal(console: Console, session: Session, proposal: Proposal) -> None:
    from rich.table import Table
    from rich.text import Text

    from foundation.secrets import redact
    from intent.plan import Clarification, Refusal
    from signoff.steps_text import describe_resolved

    stamp = session.policy.stamp
    console.print(Text(f"Request: {redact(proposal.text)}"))
    console.print(
        Text(
            f"Policy {stamp.id} {stamp.version} (sha256 {stamp.hash[:12]}) · "
            f"{session.venue} · account "
            f"{proposal.account.account_id if proposal.account else '—'} · as {session.actor}",
            style="dim",
        )
    )
    result = proposal.result
    if isinstance(result, Clarification):
        console.print(Text(f"Question: {result.question}", style="yellow"))
        console.print(Text("Nothing was executed.", style="dim"))
        return
    if isinstance(result, Refusal):
        console.print(Text(f"Not supported: {result.reason}", style="red"))
        console.print(Text("Nothing was executed.", style="dim"))
        return
    table = Table()
    table.add_column("step", no_wrap=True)
    table.add_column("what")
    table.add_column("decision", no_wrap=True)
    table.add_column("why")
    for step, decision in proposal.pairs:
        why = "\n".join(f"{r.message} [{r.rule}]" for r in decision.reasons) or "—"
        table.add_row(
            step.step_id,
            Text(describe_resolved(step)),
            Text(decision.decision.upper(), style=_STYLES[decision.decision]),
            Text(why),
        )
    console.print(table)


def _print_outcomes(console: Console, outcomes: list[Outcome]) -> None:
    from rich.text import Text

    from signoff.steps_text import outcome_word

    styles = {
        "executed": "green",
        "skipped": "dim",
        "refused": "red",
        "failed": "red",
        "waiting": "magenta",
    }
    for outcome in outcomes:
        word = outcome_word(outcome.status, outcome.orders)
        console.print(
            Text(f"{outcome.step_id} {word}: ", style=styles[outcome.status]) + Text(outcome.detail)
        )


def _footer(console: Console, proposal: Proposal) -> None:
    console.print(
        f"[dim]Recorded as plan {proposal.plan_id}: signoff audit show {proposal.plan_id}[/]"
    )


_STYLES = {"allow": "green", "confirm": "yellow", "escalate": "magenta", "deny": "red bold"}
