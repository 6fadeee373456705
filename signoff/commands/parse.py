"""``signoff parse``: turn a request into a typed plan, a question, or a refusal.

Nothing is traded: the parser only proposes. ``--jsonl`` is the evaluation contract of
``../shared/intent-eval/SPEC.md``: one request per input line, one JSON object per output
line, in order, never stopping at a bad line.
"""

from __future__ import annotations

import sys

# typing costs ~3 ms to import and this module is on the timed `parse --jsonl` path
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any, TextIO

HELP = "parse a request into a plan (nothing is traded)"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from signoff.helptext import Formatter, exit_codes_help

    parser = subparsers.add_parser(
        "parse",
        help=HELP,
        formatter_class=Formatter,
        description=(
            "Parse a request into a typed plan, a clarifying question, or a refusal.\n"
            "Nothing is traded: the parser only proposes. English, German and Chinese."
        ),
        epilog=(
            "examples:\n"
            '  signoff parse "sell half my ETH if it drops below 2,000"\n'
            '  signoff parse --json "kaufe für 500 USDT Bitcoin"\n'
            "  printf 'buy 2 ETH\\n卖出一半的ETH\\n' | signoff parse --jsonl\n\n"
            "Your own assets: add 'TICKER: name, alias' lines to\n"
            "$SIGNOFF_HOME/assets.txt.\n\n"
            "done (0) means a plan; a question or a refusal is 1.\n" + exit_codes_help(0, 1)
        ),
    )
    parser.add_argument("text", nargs="*", metavar="TEXT", help="the request (quote it)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print the result as JSON")
    mode.add_argument(
        "--jsonl",
        action="store_true",
        help="read one request per line on stdin, write one JSON line per request",
    )
    parser.add_argument(
        "--assets", metavar="FILE", help="an extra asset list (same format as configs/assets.txt)"
    )
    parser.set_defaults(handler=run)


def _annotated(result: dict[str, Any]) -> dict[str, Any]:
    """The result plus a human-readable summary of each step and of the whole."""
    from intent.describe import describe_result, describe_step

    out = dict(result)
    if result.get("status") == "plan":
        steps = [{**step, "summary": describe_step(step)} for step in result["steps"]]
        out["steps"] = steps
        out["summary"] = "\n".join(f"{i}. {s['summary']}" for i, s in enumerate(steps, 1))
    else:
        out["summary"] = describe_result(result)
    return out


def _failed_line(error: BaseException) -> dict[str, Any]:
    # a bug must not cost the other lines their answers; ask rather than guess
    return {
        "status": "clarify",
        "question": "signoff could not read this request; please rephrase it.",
        "missing": ["text"],
        "error": f"{type(error).__name__}: {error}",
    }


def result_line(result: dict[str, Any]) -> str:
    """One ``--jsonl`` line: :func:`signoff.jsonout.dumps` of the annotated result, written
    for the shapes a parse result has (the generic writer walks values one call each, and
    the line is timed). ``tests/test_cli_parse.py`` holds the two to the same bytes."""
    from signoff.jsonout import dumps, encode_str

    annotated = _annotated(result)
    if annotated["status"] != "plan":
        return dumps(annotated)
    steps = []
    for step in annotated["steps"]:
        if step["action"] != "order":
            steps.append(dumps(step))
            continue
        amount = step["amount"]
        limit = step["limit_price"]
        trigger, schedule = step["trigger"], step["schedule"]
        steps.append(
            f'{{"action":"order","side":{encode_str(step["side"])},'
            f'"base":{encode_str(step["base"])},"quote":{encode_str(step["quote"])},'
            f'"amount":{{"unit":{encode_str(amount["unit"])},"value":{amount["value"]}}},'
            f'"order_type":{encode_str(step["order_type"])},'
            f'"limit_price":{"null" if limit is None else limit},'
            f'"trigger":{"null" if trigger is None else dumps(trigger)},'
            f'"schedule":{"null" if schedule is None else dumps(schedule)},'
            f'"summary":{encode_str(step["summary"])}}}'
        )
    summary = encode_str(annotated["summary"])
    return f'{{"status":"plan","steps":[{",".join(steps)}],"summary":{summary}}}'


def run_jsonl(stdin: TextIO, stdout: TextIO, assets: str | None = None) -> int:
    from signoff.intents import load_parser
    from signoff.jsonout import dumps

    parser = load_parser(assets)
    write = stdout.write
    for line in stdin:
        text = line.rstrip("\r\n")
        try:
            out = result_line(parser.parse(text))
        except Exception as error:  # one bad line must not stop the stream
            out = dumps(_failed_line(error))
        write(out)
        write("\n")
    stdout.flush()
    return 0


def run(args: argparse.Namespace) -> int:
    from foundation.errors import UsageError

    if args.jsonl:
        if args.text:
            raise UsageError(
                "--jsonl reads requests from stdin; do not also give TEXT",
                hint="echo 'buy 0.1 BTC' | signoff parse --jsonl",
            )
        return run_jsonl(sys.stdin, sys.stdout, args.assets)
    text = " ".join(args.text).strip()
    if not text:
        raise UsageError("give the request to parse", hint='signoff parse "buy 0.1 BTC at 58k"')
    from intent.plan import parse_result_from_data
    from signoff.intents import load_parser
    from signoff.jsonout import dumps

    raw = load_parser(args.assets).parse(text)
    result = parse_result_from_data(raw)  # the typed models check what the grammar built
    if args.json:
        sys.stdout.write(dumps(_annotated(raw), indent=2) + "\n")
        return 0 if result.status == "plan" else 1
    from signoff.render import print_parse_result

    print_parse_result(text, result)
    return 0 if result.status == "plan" else 1
