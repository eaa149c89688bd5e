"""Grader throughput: all MBPP reference solutions, isolated vs a plain subprocess per program.

Grades every MBPP reference solution with `proact_env.reward.grade_many` (full
isolation: a fresh bubblewrap sandbox and interpreter per program) and runs the
same programs, with their asserts appended, in a plain unisolated
``subprocess.run([python, "-c", ...])`` per program, with the same number of
parallel workers, in the same run. Two plain baselines are timed:

- ``plain``: `sys.executable` as a naive grader would call it (site imports included);
- ``plain -s -S``: the sandbox's own interpreter and flags, without any isolation,
  so that the ratio shows the cost of the isolation alone.

Modes alternate over ``--repeat`` rounds and each mode's best round is
reported, which damps the noise of a shared machine.

    PYTHONPATH=. python benchmarks/grader_throughput.py --mbpp ../shared/data/mbpp/mbpp.jsonl
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from proact_env.reward.grader import GradeJob, grade_many
from proact_env.reward.sandbox import SandboxConfig, probe
from proact_env.tasks.mbpp import load_mbpp

DEFAULT_MBPP = Path(__file__).resolve().parents[2] / "shared" / "data" / "mbpp" / "mbpp.jsonl"


def run_plain(command: list[str], jobs: list[GradeJob], workers: int) -> int:
    """Run each program and its asserts in one unisolated subprocess; returns how many passed."""

    def one(job: GradeJob) -> bool:
        source = "\n".join([job.program, job.setup_code, *job.tests])
        return subprocess.run([*command, source], capture_output=True, timeout=60).returncode == 0

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return sum(pool.map(one, jobs))


def run_isolated(jobs: list[GradeJob], workers: int, config: SandboxConfig) -> int:
    return sum(r.score == 1.0 for r in grade_many(jobs, workers=workers, config=config))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mbpp", default=str(DEFAULT_MBPP), help="mbpp.jsonl (default: ../shared/data/mbpp/mbpp.jsonl)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel programs (default: cores)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per mode; the best is reported (default: 3)")
    parser.add_argument("--limit", type=int, default=None, help="grade only the first N programs")
    args = parser.parse_args(argv)

    problems = load_mbpp(args.mbpp)[: args.limit]
    jobs = [GradeJob(p.reference, p.tests, p.setup_code) for p in problems]
    config = SandboxConfig()
    launcher = probe(config)
    modes = {
        "isolated": lambda: run_isolated(jobs, args.workers, config),
        "plain": lambda: run_plain([sys.executable, "-c"], jobs, args.workers),
        "plain -s -S": lambda: run_plain([launcher.python, "-s", "-S", "-c"], jobs, args.workers),
    }
    best: dict[str, float] = {}
    passed: dict[str, int] = {}
    print(f"{len(jobs)} MBPP programs, {args.workers} workers, {args.repeat} rounds; "
          f"isolation {launcher.level} ({launcher.python}); load average {os.getloadavg()[0]:.2f}")
    for round_ in range(args.repeat):
        for name, run in modes.items():
            start = time.perf_counter()
            passed[name] = run()
            elapsed = time.perf_counter() - start
            best[name] = min(best.get(name, elapsed), elapsed)
            print(f"  round {round_ + 1} {name:12s} {len(jobs) / elapsed:7.1f} programs/s")
    print()
    for name in modes:
        print(f"{name:12s} {len(jobs) / best[name]:7.1f} programs/s  {passed[name]}/{len(jobs)} passed")
    for name in ("plain", "plain -s -S"):
        print(f"isolated / {name}: {best['isolated'] / best[name]:.2f}x the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
