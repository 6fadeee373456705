"""Mutation testing of the safety core, within this machine's limits.

    pip install -e '.[test,mutation]'
    python scripts/mutation.py                  # every group in scripts/mutation.toml
    python scripts/mutation.py --group policy   # one group
    python scripts/mutation.py --report-only    # print the last run's figures again

Each group (policy, gate, chain, amounts) is mutated in a copy of the tracked files
under ``.mutation/<group>/`` by mutmut, running only that group's tests (the fast
ones: ``-m "not slow"``) with as many workers as there are cores. Results are kept
between runs (``--fresh`` forgets them): a re-run re-tests the functions that changed
and the earlier survivors, so a test added to kill a survivor is checked quickly.
At the end it
prints, per module, how many mutants the tests killed, which survived (with their
diff), and the score: killed / (all − listed equivalent − skipped). Mutants listed
under ``[equivalent]`` in scripts/mutation.toml change nothing observable; each
carries its reason. Exit 1 when a module scores below ``--min-score`` (default 90).
"""

from __future__ import annotations

import argparse
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


def prepare(group: str, sources: list[str], tests: list[str], *, fresh: bool) -> Path:
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
    }
    lines = ["", "[tool.mutmut]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    with (where / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return where


def earlier_survivors(where: Path) -> list[str]:
    """The mutants a previous run of this group left alive, or found no test for
    (mutmut keeps a verdict until the function changes, so new tests alone would
    never re-test them)."""
    from mutmut.stats import status_by_exit_code

    names: list[str] = []
    for meta in sorted((where / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
            if code is not None and status_by_exit_code[code] in ("survived", "no tests"):
                names.append(name)
    return names


def run_group(where: Path, workers: int) -> int:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    survivors = earlier_survivors(where) if (where / "mutants").exists() else []
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(workers)]
    done = subprocess.run(command, cwd=where, env=env, check=False)
    if survivors and done.returncode == 0:
        print(f"== re-testing {len(survivors)} earlier survivors", flush=True)
        done = subprocess.run(command + survivors, cwd=where, env=env, check=False)
    return done.returncode


def collect(where: Path, equivalent: dict[str, str]) -> list[ModuleScore]:
    from mutmut.stats import status_by_exit_code

    scores: list[ModuleScore] = []
    for meta in sorted((where / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(where / "mutants"))[: -len(".meta")]
        data = json.loads(meta.read_text("utf-8"))
        score = ModuleScore(module)
        for name, code in sorted(data.get("exit_code_by_key", {}).items()):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--group", action="append", help="run only this group (repeatable)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--min-score", type=float, default=90.0)
    parser.add_argument("--report-only", action="store_true", help="print the last run again")
    parser.add_argument("--no-diffs", action="store_true", help="list survivors without diffs")
    parser.add_argument(
        "--fresh", action="store_true", help="forget the earlier results and test every mutant"
    )
    args = parser.parse_args(argv)

    try:
        import mutmut  # noqa: F401
    except ImportError:
        print("mutmut is not installed: pip install -e '.[test,mutation]'", file=sys.stderr)
        return 2

    config = load_config()
    groups: dict[str, dict[str, list[str]]] = config["groups"]  # type: ignore[assignment]
    equivalent: dict[str, str] = config.get("equivalent", {})  # type: ignore[assignment]
    chosen = args.group or list(groups)
    unknown = sorted(set(chosen) - set(groups))
    if unknown:
        print(f"unknown group {unknown[0]!r}; groups: {', '.join(groups)}", file=sys.stderr)
        return 2

    all_scores: list[ModuleScore] = []
    for group in chosen:
        spec = groups[group]
        where = WORK / group
        if not args.report_only:
            print(f"== {group}: mutating {', '.join(spec['sources'])}", flush=True)
            where = prepare(group, spec["sources"], spec["tests"], fresh=args.fresh)
            run_group(where, args.max_children)
        if not (where / "mutants").exists():
            print(f"== {group}: no results yet (run without --report-only)", file=sys.stderr)
            continue
        scores = collect(where, equivalent)
        all_scores += scores
        for score in scores:
            for name in score.survivors:
                print(f"\n-- survived: {name}")
                if not args.no_diffs:
                    print(show(where, name))
            for name in score.equivalent:
                print(f"\n-- equivalent: {name}: {equivalent[name]}")

    print(f"\n{'module':40} {'mutants':>8} {'killed':>7} {'survived':>9} {'equiv':>6} {'score':>7}")
    failing = []
    for score in all_scores:
        total = sum(score.statuses.values()) + len(score.equivalent)
        print(
            f"{score.module:40} {total:>8} {score.killed:>7} {len(score.survivors):>9} "
            f"{len(score.equivalent):>6} {score.score:>6.1f}%"
        )
        if score.score < args.min_score:
            failing.append(score.module)
    killed = sum(s.killed for s in all_scores)
    counted = sum(s.counted for s in all_scores)
    overall = 100.0 * killed / counted if counted else 100.0
    print(f"{'all':40} {'':>8} {killed:>7} {'':>9} {'':>6} {overall:>6.1f}%")
    if failing:
        print(f"below {args.min_score:.0f}%: {', '.join(failing)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
