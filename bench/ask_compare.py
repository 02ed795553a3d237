"""Cold `assistant ask --json` on the seeds, this tree against an older commit, interleaved in one run.

    python bench/ask_compare.py --old REV [--runs 7]

The older commit is checked out into a temporary git worktree and run with this tree's virtual environment
(`python -m assistant.cli` from the worktree imports the worktree's code); both trees' bytecode is compiled first,
both answer the same questions from one seeds store, and the runs alternate (old, new, new, old, ...) so that a
busy machine slows both alike. Prints each question's medians and the ratio new / old of the median over all runs;
writes nothing in the repository. A question's answer is printed when the two commits answer it differently.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import QUESTIONS, environment  # noqa: E402


def ask(tree: Path, question: str, home: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ask", "--json", question], cwd=tree,
                          env={**environment(home), "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                          timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"ask failed in {tree} ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="the commit to compare with (e.g. the one before a change)")
    parser.add_argument("--runs", type=int, default=7, help="runs per question and commit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ask-compare-") as scratch:
        old, home = Path(scratch) / "old", Path(scratch) / "home"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(old), args.old], cwd=ROOT, check=True)
        try:
            trees = {"old": old, "new": ROOT}
            for tree in trees.values():
                subprocess.run([sys.executable, "-m", "compileall", "-q", "assistant"], cwd=tree, check=True)
            subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(ROOT / "seeds"), "--json"], cwd=ROOT,
                           env=environment(home), check=True, capture_output=True)
            seconds: dict[str, list[float]] = {"old": [], "new": []}
            for question in QUESTIONS:
                answers = {name: json.loads(ask(tree, question, home)[1])["answer"]  # also warms the file caches
                           for name, tree in trees.items()}
                per: dict[str, list[float]] = {"old": [], "new": []}
                for run in range(args.runs):
                    order = ["old", "new"] if run % 2 == 0 else ["new", "old"]
                    for name in order:
                        per[name].append(ask(trees[name], question, home)[0])
                for name in per:
                    seconds[name] += per[name]
                medians = {name: statistics.median(values) for name, values in per.items()}
                print(f"{question}\n  old {medians['old']:.2f} s, new {medians['new']:.2f} s, "
                      f"new / old {medians['new'] / medians['old']:.3f}")
                if answers["old"] != answers["new"]:
                    for name, text in answers.items():
                        print(f"  {name}: {text[:300]}")
            old_median, new_median = statistics.median(seconds["old"]), statistics.median(seconds["new"])
            print(f"all {len(QUESTIONS)} questions x {args.runs} runs: old {old_median:.2f} s, new {new_median:.2f} s, "
                  f"new / old {new_median / old_median:.3f}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
