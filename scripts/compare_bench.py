"""Regression check against a baseline revision (a script): python scripts/compare_bench.py
--baseline REV

Checks out REV into a temporary ``git worktree`` and runs, from both trees in turns (baseline
then working tree, then the other way round, ``--rounds`` times; the same Python, the same
environment and options), the JSON modes of

- ``scripts/bench_engine.py``: the engine rows (median CPU ms of each scenario and window);
- ``scripts/load_api.py``: the cached-read rows, (d) Q1 through the response cache, per
  backend and concurrency (server CPU ms per request, p50, req/s).

Prints one table: each row's baseline and working-tree value (the median over the rounds),
the ratio new/old and ``WORSE`` where the working tree is more than 10 % worse (a higher CPU
time or latency, a lower rate); the iCal and floor rows of bench_engine.py measure libraries
and the machine, so they are shown as references, never flagged. A baseline whose
bench_engine.py has no ``--json`` runs the working tree's copy of the script against its own
engine. The worktree is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _loadlib as lib

REPO = lib.REPO
LIMIT = 1.10

Rows = dict[tuple[str, str, str], float]  # (bench, row, unit) -> value


def run_json(tree: Path, script: str, args: list[str], timeout: float) -> Any:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        done = subprocess.run(
            [sys.executable, f"scripts/{script}", *args, "--json", out.name],
            cwd=tree,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"{script} in {tree} failed:\n{done.stderr[-3000:]}")
        return json.loads(Path(out.name).read_text())


def engine_rows(tree: Path, args: argparse.Namespace) -> Rows:
    data = run_json(tree, "bench_engine.py", [str(args.engine_runs)], timeout=1800)
    return {
        ("engine", f"{r['scenario']}, {r['days']} d", "CPU ms"): r["cpu_ms"] for r in data["rows"]
    }


def cached_rows(tree: Path, args: argparse.Namespace) -> Rows:
    options = [
        "--backends", args.backends, "--concurrency", args.concurrency,
        "--seconds", str(args.seconds), "--warmup", "1", "--executor-seconds", "1",
    ]  # fmt: skip
    data = run_json(tree, "load_api.py", options, timeout=3600)
    rows: Rows = {}
    for backend in data["backends"]:
        for c, m in backend["http"]["d"].items():
            name = f"(d) cached Q1, {backend['backend']}, c={c}"
            rows[("cached", name, "server CPU ms/req")] = m["server_cpu_ms_per_request"]
            rows[("cached", name, "p50 ms")] = m["p50_ms"]
            rows[("cached", name, "req/s")] = m["rps"]
    return rows


def measure(tree: Path, args: argparse.Namespace) -> Rows:
    rows: Rows = {}
    if not args.skip_engine:
        rows |= engine_rows(tree, args)
    if not args.skip_cached:
        rows |= cached_rows(tree, args)
    return rows


def table(old: dict[Any, list[float]], new: dict[Any, list[float]]) -> tuple[str, int]:
    header = ("bench", "row", "unit", "baseline", "working tree", "new/old", "")
    lines: list[tuple[str, ...]] = []
    worse = 0
    for key in sorted(old.keys() & new.keys(), key=lambda k: (k[0], k[1], k[2])):
        bench, row, unit = key
        before, after = statistics.median(old[key]), statistics.median(new[key])
        ratio = after / before if before else float("nan")
        higher_is_better = unit == "req/s"
        flag = (ratio < 1 / LIMIT) if higher_is_better else (ratio > LIMIT)
        reference = "iCal" in row or "floor" in row  # libraries and the machine, not our code
        worse += flag and not reference
        mark = "(reference)" if reference else "WORSE" if flag else ""
        lines.append((bench, row, unit, f"{before:.3f}", f"{after:.3f}", f"{ratio:.2f}", mark))
    return lib.render_table(header, lines), worse


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="a git revision (main, a hash, a tag)")
    p.add_argument("--rounds", type=int, default=2, help="turns of both trees (2)")
    p.add_argument("--engine-runs", type=int, default=15, help="bench_engine.py runs (15)")
    p.add_argument("--backends", default="sqlite,postgres", help="load_api.py --backends")
    p.add_argument("--concurrency", default="10,50", help="load_api.py --concurrency (10,50)")
    p.add_argument("--seconds", type=float, default=3.0, help="load_api.py --seconds (3)")
    p.add_argument("--skip-engine", action="store_true")
    p.add_argument("--skip-cached", action="store_true")
    args = p.parse_args()

    rev = subprocess.run(
        ["git", "rev-parse", "--verify", f"{args.baseline}^{{commit}}"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    folder = Path(tempfile.mkdtemp(prefix="rotagraph-baseline-"))
    base = folder / "tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(base), rev],
        cwd=REPO, capture_output=True, check=True,
    )  # fmt: skip
    try:
        engine = base / "scripts" / "bench_engine.py"
        if "--json" not in engine.read_text():
            shutil.copy(REPO / "scripts" / "bench_engine.py", engine)
            print(f"baseline {rev[:10]}: its engine measured by this tree's bench_engine.py")
        old: dict[Any, list[float]] = defaultdict(list)
        new: dict[Any, list[float]] = defaultdict(list)
        for turn in range(args.rounds):
            order = [(base, old), (REPO, new)]
            for tree, into in order if turn % 2 == 0 else order[::-1]:
                print(f"round {turn + 1}: {'baseline' if tree == base else 'working tree'}...",
                      flush=True)  # fmt: skip
                for key, value in measure(tree, args).items():
                    into[key].append(value)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    text, worse = table(old, new)
    print(f"\nbaseline {args.baseline} ({rev[:10]}) vs the working tree; medians of {args.rounds} "
          f"rounds; WORSE: more than {LIMIT - 1:.0%} worse")  # fmt: skip
    print(text)
    print(f"{worse} row(s) more than {LIMIT - 1:.0%} worse")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
