"""Grader throughput: all MBPP reference solutions, isolated vs a plain subprocess per program.

Grades every MBPP reference solution with `proact_env.grading.grade_many` (full
isolation: a fresh bubblewrap sandbox and interpreter per program) and runs the
same programs, with their asserts appended, in a plain unisolated
``subprocess.run([python, "-c", ...])`` per program, with the same number of
parallel workers, in the same run. Two plain baselines are timed:

- ``plain``: `sys.executable` as a naive grader would call it (site imports included);
- ``plain -s -S``: the sandbox's own interpreter and flags, without any isolation,
  so that the ratio shows the cost of the isolation alone.

The programs are graded in chunks, and each chunk is run by every mode in
turn (the order rotates), so that all modes see the same load on a shared
machine; each mode's rate is its programs over its summed time.

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

from proact_env.domains.coding.mbpp import load_mbpp
from proact_env.grading.grader import GradeJob, grade_many
from proact_env.grading.sandbox import SandboxConfig, probe

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
    parser.add_argument("--repeat", type=int, default=1, help="passes over the programs (default: 1)")
    parser.add_argument("--chunk", type=int, default=100, help="programs per interleaved chunk (default: 100)")
    parser.add_argument("--limit", type=int, default=None, help="grade only the first N programs")
    args = parser.parse_args(argv)

    problems = load_mbpp(args.mbpp)[: args.limit]
    jobs = [GradeJob(p.reference, p.tests, p.setup_code) for p in problems]
    config = SandboxConfig()
    launcher = probe(config)
    modes = {
        "isolated": lambda chunk: run_isolated(chunk, args.workers, config),
        "plain": lambda chunk: run_plain([sys.executable, "-c"], chunk, args.workers),
        "plain -s -S": lambda chunk: run_plain([launcher.python, "-s", "-S", "-c"], chunk, args.workers),
    }
    elapsed = dict.fromkeys(modes, 0.0)
    passed = dict.fromkeys(modes, 0)
    print(f"{len(jobs)} MBPP programs, {args.workers} workers, chunks of {args.chunk}, {args.repeat} pass(es); "
          f"isolation {launcher.level} ({launcher.python}); load average {os.getloadavg()[0]:.2f}")
    order = list(modes)
    for _ in range(args.repeat):
        for start in range(0, len(jobs), args.chunk):
            chunk = jobs[start:start + args.chunk]
            order = order[1:] + order[:1]
            for name in order:
                began = time.perf_counter()
                passed[name] += modes[name](chunk)
                elapsed[name] += time.perf_counter() - began
    total = len(jobs) * args.repeat
    for name in modes:
        print(f"{name:12s} {total / elapsed[name]:7.1f} programs/s  {passed[name]}/{total} passed")
    for name in ("plain", "plain -s -S"):
        print(f"isolated / {name}: {elapsed['isolated'] / elapsed[name]:.2f}x the time")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
