"""Mutation testing of the safety core, within this machine's limits.

    pip install -e '.[test,mutation]'
    python scripts/mutation.py                  # every group in scripts/mutation.toml
    python scripts/mutation.py --group policy   # one group
    python scripts/mutation.py --report-only    # print the last run's figures again
    python scripts/mutation.py --group chain --sample 3   # every 3rd mutant only

Each group (policy, gate, chain, amounts) is mutated in a copy of the tracked files
under ``.mutation/<group>/`` by mutmut, running only that group's tests (the fast
ones: ``-m "not slow"``) with as many workers as there are cores (``--max-children``).
A group may name ``functions`` (mutmut mutant-name patterns such as
``executors.service.xǁExecutionServiceǁ_approve__mutmut_*``): only those mutants are
tested and counted, for a module of which only part is safety code. ``--sample K``
tests every K-th of the group's mutants (in name order, so the same ones each time) and
says so in the report; the selection is kept in ``.mutation/<group>/selected.json`` so
``--report-only`` counts the same mutants. Results are kept
between runs (``--fresh`` forgets them): a re-run re-tests the functions that changed
and the earlier survivors, so a test added to kill a survivor is checked quickly.
At the end it
prints, per module, how many mutants the tests killed, which survived (with their
diff), and the score: killed / (all − listed equivalent − skipped). Mutants listed
under ``[equivalent]`` in scripts/mutation.toml change nothing observable; each
carries its reason; survivors left alive on purpose are listed under ``[survivors]``
with why, and still count against the score. Exit 1 when a module scores below
``--min-score`` (default 90). ``--markdown FILE`` also writes the figures, the
survivors and the equivalent mutants as a Markdown page (docs/mutation.md).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "scripts" / "mutation.toml"
WORK = REPO / ".mutation"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_COUNTED = {"skipped", "not checked"}
KEEP = "<!-- kept by scripts/mutation.py --markdown -->"


@dataclass
class ModuleScore:
    module: str
    statuses: Counter[str] = field(default_factory=Counter)
    survivors: list[str] = field(default_factory=list)
    equivalent: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        # the equivalent ones are not in ``statuses``: they are left out already
        skipped = sum(self.statuses[s] for s in NOT_COUNTED)
        return sum(self.statuses.values()) - skipped

    @property
    def killed(self) -> int:
        return sum(self.statuses[s] for s in KILLED)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0


def load_config() -> dict[str, object]:
    with CONFIG.open("rb") as handle:
        return tomllib.load(handle)


def tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [name for name in listed.split("\0") if name]


def prepare(
    group: str, sources: list[str], tests: list[str], *, fresh: bool, timeout_multiplier: float
) -> Path:
    """A copy of the tracked files with a mutmut configuration for ``group``.

    mutmut's results (``mutants/``) are kept unless ``fresh``: a re-run then re-tests
    only the functions that changed, and (see :func:`run_group`) the earlier survivors.
    """
    where = WORK / group
    if fresh and where.exists():
        shutil.rmtree(where)
    for name in tracked_files():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    packages = sorted(
        {name.split("/")[0] for name in tracked_files() if "/" in name} - {"scripts", ".ci"}
    )
    settings = {
        "source_paths": sources,
        "also_copy": packages,
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q", "-x", "-m", "not slow"],
        # a mutant that loops is stopped after this many times its tests' CPU time
        # (mutmut doubles it; plus a second): a hang is counted as killed
        "timeout_multiplier": timeout_multiplier,
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    with (where / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return where


def generate(where: Path) -> None:
    """Let mutmut write the mutants (and keep earlier verdicts) without testing any, so
    the group's mutant names are known before choosing which to test."""
    code = (
        "import mutmut.__main__ as m\n"
        "from mutmut.mutation.trampoline import set_mutant_under_test\n"
        "import os\n"
        "set_mutant_under_test('mutant_generation')\n"
        "os.makedirs('mutants', exist_ok=True)\n"
        "m.copy_src_dir(); m.copy_also_copy_files(); m.setup_source_paths()\n"
        "m.create_mutants(1)\n"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [sys.executable, "-c", code], cwd=where, env=env, check=True, stdout=subprocess.DEVNULL
    )


def verdicts(where: Path) -> dict[str, int | None]:
    """Every mutant of the group's sources and mutmut's exit code for it (None: untested)."""
    found: dict[str, int | None] = {}
    for meta in sorted((where / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        found.update(data.get("exit_code_by_key", {}))
    return found


def select(names: list[str], functions: list[str], sample: int) -> list[str]:
    """The mutants a group tests: those matching ``functions`` (all when empty), then every
    ``sample``-th of them in name order."""
    chosen = sorted(
        name
        for name in names
        if not functions or any(fnmatch.fnmatchcase(name, pattern) for pattern in functions)
    )
    return chosen[::sample] if sample > 1 else chosen


def undecided(where: Path, selected: list[str]) -> list[str]:
    """The selected mutants with no verdict yet, or that a previous run left alive or found
    no test for (mutmut keeps a verdict until the function changes, so new tests alone
    would never re-test them)."""
    from mutmut.stats import status_by_exit_code

    found = verdicts(where)
    return [
        name
        for name in selected
        if found.get(name) is None or status_by_exit_code[found[name]] in ("survived", "no tests")
    ]


def run_group(where: Path, workers: int, names: list[str]) -> int:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if not names:
        print("== nothing left to test: every selected mutant has a verdict", flush=True)
        return 0
    print(f"== testing {len(names)} mutants", flush=True)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers)]
    done = subprocess.run(command + names, cwd=where, env=env, check=False)
    return done.returncode


def collect(
    where: Path, equivalent: dict[str, str], selected: set[str] | None
) -> list[ModuleScore]:
    from mutmut.stats import status_by_exit_code

    scores: list[ModuleScore] = []
    for meta in sorted((where / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(where / "mutants"))[: -len(".meta")]
        data = json.loads(meta.read_text("utf-8"))
        score = ModuleScore(module)
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
            if selected is not None and name not in selected:
                continue
            status = status_by_exit_code[code]
            if name in equivalent:
                score.equivalent.append(name)
                if status in KILLED:
                    # killed after all: the equivalence claim is wrong, count it as killed
                    score.equivalent.remove(name)
                    score.statuses[status] += 1
                continue
            score.statuses[status] += 1
            if status not in KILLED and status not in NOT_COUNTED:
                score.survivors.append(name)
        scores.append(score)
    return scores


def show(where: Path, name: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name],
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


@dataclass
class GroupResult:
    group: str
    scores: list[ModuleScore]
    sample: int


def markdown(
    results: list[GroupResult], equivalent: dict[str, str], explained: dict[str, str]
) -> str:
    lines = [
        "# Mutation testing: figures, survivors, equivalent mutants",
        "",
        "Written by `python scripts/mutation.py --markdown docs/mutation.md` from the last",
        "run of each group (see the README's testing section). Score: killed / (tested −",
        "equivalent). A *sample* row tested every K-th mutant only, the same ones each time.",
        "",
        "| group | module | mutants tested | killed | survived | equivalent | score |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        label = result.group + (f" (sample 1/{result.sample})" if result.sample > 1 else "")
        for score in result.scores:
            tested = score.counted + len(score.equivalent)
            untested = sum(score.statuses.values()) + len(score.equivalent) - tested
            shown = f"{tested}" + (f" ({untested} not yet)" if untested else "")
            lines.append(
                f"| {label} | {score.module} | {shown} | {score.killed} | "
                f"{len(score.survivors)} | {len(score.equivalent)} | {score.score:.1f}% |"
            )
    lines += ["", "## Surviving mutants", ""]
    survivors = [(r.group, n) for r in results for s in r.scores for n in s.survivors]
    if not survivors:
        lines.append("None.")
    for group, name in survivors:
        reason = explained.get(name, "not explained yet")
        lines.append(f"- `{name}` ({group}): {reason}")
    lines += ["", "## Equivalent mutants (left out of the score)", ""]
    listed = [n for r in results for s in r.scores for n in s.equivalent]
    for name in listed:
        lines.append(f"- `{name}`: {equivalent[name]}")
    if not listed:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--group", action="append", help="run only this group (repeatable)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--report-only", action="store_true", help="print the last run again")
    parser.add_argument("--no-diffs", action="store_true", help="list survivors without diffs")
    parser.add_argument(
        "--sample", type=int, default=1, metavar="K", help="test every K-th mutant only"
    )
    parser.add_argument("--markdown", type=Path, help="also write the report to this file")
    parser.add_argument(
        "--fresh", action="store_true", help="forget the earlier results and test every mutant"
    )
    args = parser.parse_args(argv)
    if args.sample < 1:
        parser.error("--sample must be 1 or more")

    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install -e '.[test,mutation]'", file=sys.stderr)
        return 2

    config = load_config()
    groups: dict[str, dict[str, object]] = config["groups"]  # type: ignore[assignment]
    equivalent: dict[str, str] = config.get("equivalent", {})  # type: ignore[assignment]
    explained: dict[str, str] = config.get("survivors", {})  # type: ignore[assignment]
    chosen = args.group or list(groups)
    unknown = sorted(set(chosen) - set(groups))
    if unknown:
        print(f"unknown group {unknown[0]!r}; groups: {', '.join(groups)}", file=sys.stderr)
        return 2

    results: list[GroupResult] = []
    for group in chosen:
        spec = groups[group]
        sources: list[str] = spec["sources"]  # type: ignore[assignment]
        tests: list[str] = spec["tests"]  # type: ignore[assignment]
        functions: list[str] = spec.get("functions", [])  # type: ignore[assignment]
        multiplier = float(spec.get("timeout_multiplier", 3.0))  # type: ignore[arg-type]
        where = WORK / group
        kept = where / "selected.json"
        if not args.report_only:
            print(f"== {group}: mutating {', '.join(sources)}", flush=True)
            where = prepare(group, sources, tests, fresh=args.fresh, timeout_multiplier=multiplier)
            generate(where)
            selected = select(list(verdicts(where)), functions, args.sample)
            kept.write_text(json.dumps({"sample": args.sample, "mutants": selected}), "utf-8")
            run_group(where, args.max_children, undecided(where, selected))
        if not (where / "mutants").exists() or not kept.exists():
            print(f"== {group}: no results yet (run without --report-only)", file=sys.stderr)
            continue
        selection = json.loads(kept.read_text("utf-8"))
        scores = collect(where, equivalent, set(selection["mutants"]))
        results.append(GroupResult(group, scores, selection["sample"]))
        if selection["sample"] > 1:
            print(f"\n== {group}: a sample, every {selection['sample']}th mutant")
        for score in scores:
            for name in score.survivors:
                print(f"\n-- survived: {name}")
                if name in explained:
                    print(f"   why: {explained[name]}")
                if not args.no_diffs:
                    print(show(where, name))
            for name in score.equivalent:
                print(f"\n-- equivalent: {name}: {equivalent[name]}")

    all_scores = [score for result in results for score in result.scores]
    print(f"\n{'module':40} {'tested':>8} {'killed':>7} {'survived':>9} {'equiv':>6} {'score':>7}")
    failing = []
    for result in results:
        for score in result.scores:
            tested = score.counted + len(score.equivalent)
            untested = sum(score.statuses.values()) + len(score.equivalent) - tested
            sampled = f"  (sample 1/{result.sample})" if result.sample > 1 else ""
            if untested:
                sampled += f"  ({untested} not tested yet)"
            print(
                f"{score.module:40} {tested:>8} {score.killed:>7} {len(score.survivors):>9} "
                f"{len(score.equivalent):>6} {score.score:>6.1f}%{sampled}"
            )
            if score.score < args.min_score:
                failing.append(score.module)
    killed = sum(s.killed for s in all_scores)
    counted = sum(s.counted for s in all_scores)
    overall = 100.0 * killed / counted if counted else 100.0
    print(f"{'all':40} {'':>8} {killed:>7} {'':>9} {'':>6} {overall:>6.1f}%")
    if args.markdown:
        page = markdown(results, equivalent, explained)
        # what follows the marker in an existing page is kept (notes written by hand)
        old = args.markdown.read_text("utf-8") if args.markdown.exists() else ""
        if KEEP in old:
            page += "\n" + old[old.index(KEEP) :]
        args.markdown.write_text(page, "utf-8")
    if failing:
        print(f"below {args.min_score:.0f}%: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
