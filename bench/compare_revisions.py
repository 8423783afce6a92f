"""Compare the whole-process CPU time of two revisions of the pipeline on one corpus.

A shared, noisy machine moves the same run by ±30 %: a single timing, or a ratio against
jieba measured minutes apart, cannot tell a 15 % slowdown from noise. This script checks
out both revisions as git worktrees, builds one benchmark corpus (as bench/benchmark.py
does), then runs `policy-pipeline run --full --workers 1` for each revision in turn,
interleaved, and prints every run's user CPU seconds and the median ratio of adjacent
pairs (the drift of the machine cancels within a pair). Each revision's compiled core is
built into its worktree first (cargo, a minute or two each).

    python bench/compare_revisions.py 964fd72 HEAD --mb 5 --runs 6
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import build_corpus  # noqa: E402  (this folder's own module)


def build_core(tree: Path, target: Path) -> None:
    """The compiled core of the revision in `tree`, built into its pipeline/ (a worktree has
    none, and without it the pipeline runs the Python rules: both sides would be measured
    without the core)."""
    if not (tree / "core" / "Cargo.toml").is_file():
        return  # a revision from before the core
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", str(tree / "core" / "Cargo.toml")],
                   env={**os.environ, "CARGO_TARGET_DIR": str(target)}, check=True)
    (tree / "pipeline" / "_core.abi3.so").write_bytes((target / "release" / "lib_core.so").read_bytes())


def check_imports(tree: Path) -> None:
    """Stop unless the runs in `tree` import that tree's pipeline, with its compiled core."""
    has_core = (tree / "core" / "Cargo.toml").is_file()  # a revision from before the core has no engines
    code = "import pipeline; print(pipeline.__file__)" + (
        "; import pipeline.core as c; print(c.engine())" if has_core else "; print('python')")
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tree,
                         capture_output=True, text=True)
    if run.returncode:
        raise SystemExit(f"{tree}: the pipeline does not import: {run.stderr.strip().splitlines()[-1]}")
    found = run.stdout.split()
    if not Path(found[0]).resolve().is_relative_to(tree.resolve()) or (has_core and found[1] != "core"):
        raise SystemExit(f"{tree} runs {found[0]} with the {found[1]} engine, not its own pipeline and core")


def cpu_seconds(tree: Path, corpus: Path, out: Path) -> float:
    """User + system CPU of one whole run of the pipeline as it is in `tree`. It runs in
    `tree`: `python -m` puts the working directory first on the path, before PYTHONPATH, so
    run from the checkout it would import the checkout's pipeline whatever the revision."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-m", "pipeline.cli", "run", str(corpus), "-o", str(out), "--full",
                    "--workers", "1", "-q"], env=env, cwd=tree, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the revision to compare against (e.g. 964fd72)")
    parser.add_argument("head", nargs="?", default="HEAD", help="the revision measured (default HEAD)")
    parser.add_argument("--mb", type=float, default=5, help="corpus size (MB)")
    parser.add_argument("--runs", type=int, default=6, help="runs of each revision, interleaved")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        trees = {}
        for name in (args.base, args.head):
            tree = tmp_path / f"tree-{len(trees)}"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), name], check=True)
            build_core(tree, tmp_path / f"target-{len(trees)}")
            check_imports(tree)
            trees[name] = tree
        try:
            corpus = tmp_path / "corpus"
            files = build_corpus(corpus, args.mb)
            print(f"{len(files)} notices, {args.mb:g} MB; user+system CPU seconds of `run --full --workers 1`")
            pairs = []
            for i in range(args.runs):
                base = cpu_seconds(trees[args.base], corpus, tmp_path / f"out-{i}-base")
                head = cpu_seconds(trees[args.head], corpus, tmp_path / f"out-{i}-head")
                pairs.append((base, head))
                print(f"run {i + 1}: {args.base} {base:6.2f} s   {args.head} {head:6.2f} s   ratio {head / base:.2f}")
            ratio = statistics.median(h / b for b, h in pairs)
            print(f"median ratio {args.head}/{args.base}: {ratio:.2f} (throughput {1 / ratio - 1:+.0%})")
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


if __name__ == "__main__":
    main()
