"""``signoff parse``: turn a request into a typed plan, a question, or a refusal.

Nothing is traded: the parser only proposes. ``--jsonl`` is the evaluation contract of
``../shared/intent-eval/SPEC.md``: one request per input line, one JSON object per output
line, in order, never stopping at a bad line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse
    from typing import Any, TextIO

    from signoff.llm import ParseReport, RequestParser

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
    add_parser_options(parser)
    parser.set_defaults(handler=run)


def add_parser_options(parser: argparse.ArgumentParser) -> None:
    """``--parser``, ``--model`` and ``--base-url`` (also used by ``check`` and ``run``)."""
    group = parser.add_argument_group("parser (see 'LLM parsing' in the README)")
    group.add_argument(
        "--parser",
        choices=("rules", "llm", "hybrid", "cross-check"),
        default=None,
        help="rules: the deterministic parser (default); llm: a model; "
        "hybrid: the model only where the rules cannot read the phrasing; cross-check: "
        "both, and a question where they differ",
    )
    group.add_argument(
        "--model",
        metavar="MODEL",
        help="a pydantic-ai model string (openai-chat:gpt-4o-mini, anthropic:..., "
        "ollama:qwen3:8b) or, with --base-url, the served model's name "
        "(default: $SIGNOFF_LLM_MODEL)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="an OpenAI-compatible endpoint (vLLM, Ollama, a private gateway); its key is "
        "read from $SIGNOFF_LLM_API_KEY (default: $SIGNOFF_LLM_BASE_URL)",
    )


def request_parser(args: argparse.Namespace, assets: str | None = None) -> RequestParser | None:
    """The :class:`signoff.llm.RequestParser` the options ask for, or ``None`` for the rules."""
    mode = getattr(args, "parser", None) or "rules"
    if mode == "rules":
        return None
    from signoff.intents import load_parser
    from signoff.llm import MODES, LLMSettings, RequestParser

    mode = next(m for m in MODES if m == mode)  # argparse's choices are the modes

    settings = LLMSettings.from_env(
        model=getattr(args, "model", None), base_url=getattr(args, "base_url", None)
    )
    return RequestParser(load_parser(assets), mode, settings)


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


_JSON: dict[str, Any] = {}


def _json_encoders() -> dict[str, Any]:
    """``json``'s compact encoder (UTF-8 text as is) and its string encoder, made once."""
    if not _JSON:
        import json
        from json.encoder import encode_basestring

        from intent.numbers import plain

        _JSON["encode"] = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        _JSON["str"] = encode_basestring
        _JSON["number"] = plain
    return _JSON


def result_line(result: dict[str, Any]) -> str:
    """One ``--jsonl`` line: the annotated result as compact JSON, by ``json``.

    ``json`` writes a ``Decimal`` only as a string or through ``float`` (inexact), so the
    steps that carry numbers (order, convert, rebalance) are written here with each number
    as its exact decimal numeral; ``tests/test_cli_parse.py`` holds every line to the
    bytes of :func:`signoff.jsonout.dumps`."""
    encoders = _json_encoders()
    encode, string, number = encoders["encode"], encoders["str"], encoders["number"]
    annotated = _annotated(result)
    if annotated["status"] != "plan":
        return str(encode(annotated))  # a question or a refusal: text only
    steps = []
    for step in annotated["steps"]:
        action = step["action"]
        if action == "order":
            amount, limit = step["amount"], step["limit_price"]
            trigger, schedule = step["trigger"], step["schedule"]
            if trigger is not None:
                direction = "below" if "below" in trigger else "above"
                trigger_json = (
                    f'{{"base":{string(trigger["base"])},'
                    f'"{direction}":{number(trigger[direction])}}}'
                )
            steps.append(
                f'{{"action":"order","side":{string(step["side"])},'
                f'"base":{string(step["base"])},"quote":{string(step["quote"])},'
                f'"amount":{{"unit":{string(amount["unit"])},"value":{number(amount["value"])}}},'
                f'"order_type":{string(step["order_type"])},'
                f'"limit_price":{"null" if limit is None else number(limit)},'
                f'"trigger":{"null" if trigger is None else trigger_json},'
                f'"schedule":{"null" if schedule is None else encode(schedule)},'
                f'"summary":{string(step["summary"])}}}'
            )
        elif action == "convert":
            amount = step["amount"]
            steps.append(
                f'{{"action":"convert","from":{string(step["from"])},"to":{string(step["to"])},'
                f'"amount":{{"unit":{string(amount["unit"])},"value":{number(amount["value"])}}},'
                f'"summary":{string(step["summary"])}}}'
            )
        elif action == "rebalance":
            targets = ",".join(
                f"{string(name)}:{number(share)}" for name, share in step["targets"].items()
            )
            steps.append(
                f'{{"action":"rebalance","targets":{{{targets}}},'
                f'"summary":{string(step["summary"])}}}'
            )
        else:  # cancel, query: no numbers
            steps.append(encode(step))
    summary = string(annotated["summary"])
    return f'{{"status":"plan","steps":[{",".join(steps)}],"summary":{summary}}}'


_BATCH = 256
"""``--jsonl`` lines written at once."""


def run_jsonl(
    stdin: TextIO, stdout: TextIO, assets: str | None = None, *, modes: RequestParser | None = None
) -> int:
    """``modes``: a :class:`signoff.llm.RequestParser` (None: the rules alone, fast)."""
    from foundation.secrets import redact
    from signoff.intents import load_parser

    if modes is not None:
        return _run_jsonl_modes(stdin, stdout, modes)
    parser = load_parser(assets)
    encode = _json_encoders()["encode"]
    # written a few hundred lines at a time: one write (and, on a pipe, one wake-up of
    # the reader) per line costs more than parsing them; stdout is block-buffered anyway
    pending: list[str] = []
    for line in stdin:
        # a registered secret never reaches the parser, so no question can echo part of it
        text = redact(line.rstrip("\r\n"))
        try:
            out = result_line(parser.parse(text))
        except Exception as error:  # one bad line must not stop the stream
            out = encode(_failed_line(error))
        pending.append(out)
        if len(pending) >= _BATCH:
            pending.append("")
            stdout.write("\n".join(pending))
            pending.clear()
    if pending:
        pending.append("")
        stdout.write("\n".join(pending))
    stdout.flush()
    return 0


def _report_dict(report: ParseReport) -> dict[str, Any]:
    """A :class:`signoff.llm.ParseReport` as a result dict plus how it was produced."""
    out: dict[str, Any] = report.result.model_dump(by_alias=True)
    if report.result.status == "plan":
        out["steps"] = [dict(step) for step in out["steps"]]
    if report.result.status == "clarify":
        out["missing"] = list(out["missing"])
    out["parser"] = report.metadata()
    return out


def _run_jsonl_modes(stdin: TextIO, stdout: TextIO, modes: RequestParser) -> int:
    from foundation.secrets import redact
    from signoff.jsonout import dumps

    try:
        for line in stdin:
            text = redact(line.rstrip("\r\n"))
            try:
                out = dumps(_annotated(_report_dict(modes.parse(text))))
            except Exception as error:  # one bad line must not stop the stream
                out = dumps(_failed_line(error))
            stdout.write(out)
            stdout.write("\n")
            stdout.flush()  # a model is slow: let the reader see each answer as it comes
    finally:
        modes.close()
    return 0


def run(args: argparse.Namespace) -> int:
    from foundation.errors import UsageError

    if args.jsonl:
        if args.text:
            raise UsageError(
                "--jsonl reads requests from stdin; do not also give TEXT",
                hint="echo 'buy 0.1 BTC' | signoff parse --jsonl",
            )
        return run_jsonl(
            sys.stdin, sys.stdout, args.assets, modes=request_parser(args, args.assets)
        )
    text = " ".join(args.text).strip()
    if not text:
        raise UsageError("give the request to parse", hint='signoff parse "buy 0.1 BTC at 58k"')
    from signoff.intents import mask_request

    text = mask_request(text)  # shown back below: never with a key in it
    modes = request_parser(args, args.assets)
    if modes is not None:
        return _run_modes(text, modes, as_json=args.json)
    from signoff.intents import load_parser

    # shown from the parser's dict, as --jsonl writes it: pydantic's import would be most of
    # this command's time (tests/intent/test_properties.py holds whatever the grammar builds
    # to the typed models; what trades goes through them in `run`)
    result = load_parser(args.assets).parse(text)
    if args.json:
        from signoff.jsonout import dumps

        sys.stdout.write(dumps(_annotated(result), indent=2) + "\n")
        return 0 if result["status"] == "plan" else 1
    from signoff.render import print_parse_result

    print_parse_result(text, result)
    return 0 if result["status"] == "plan" else 1


def _run_modes(text: str, modes: RequestParser, *, as_json: bool) -> int:
    from signoff.jsonout import dumps

    try:
        report = modes.parse(text)
    finally:
        modes.close()
    for notice in report.notices:
        sys.stderr.write(f"notice: {notice}\n")
    if as_json:
        sys.stdout.write(dumps(_annotated(_report_dict(report)), indent=2) + "\n")
        return 0 if report.result.status == "plan" else 1
    from signoff.render import print_parse_result

    print_parse_result(text, report.result.model_dump(by_alias=True))
    who = report.parser if report.model is None else f"{report.parser}, model {report.model}"
    sys.stderr.write(f"parsed by: {who} ({report.mode} mode)\n")
    return 0 if report.result.status == "plan" else 1
