"""`proact verify-tasks`: run every reference solution of a coding dataset through the grader.

Every task should score 1.0; the command prints the failures, the grading
rate (programs per second) and the isolation level that was in force, and
exits with status 1 if any task failed.
"""

from __future__ import annotations

import argparse
import time

from proact_env.domains.coding.humaneval import HUMANEVALCOMM_VARIANTS
from proact_env.domains.coding.mbpp import MBPP_SPLITS
from proact_env.grading.sandbox import ISOLATION_LEVELS


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "verify-tasks",
        help="check that every reference solution of a coding dataset passes its tests",
        description="Grade every reference solution of a coding dataset (a states file, mbpp.jsonl, "
                    "sanitized-mbpp.json, HumanEval.jsonl.gz or HumanEvalComm.jsonl) in the sandbox.",
    )
    parser.add_argument("--dataset", "--dataset_path", "--input", required=True, help="the dataset or states file")
    parser.add_argument("--split", choices=tuple(MBPP_SPLITS), default="all", help="MBPP files: which split (default: all)")
    parser.add_argument("--variants", nargs="+", choices=HUMANEVALCOMM_VARIANTS, default=list(HUMANEVALCOMM_VARIANTS),
                        help="HumanEvalComm: which modified prompts (default: all)")
    parser.add_argument("--workers", type=int, default=None, help="parallel sandboxes (default: one per core)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="CPU seconds per program, so that load cannot flip a verdict (default: 10)")
    parser.add_argument("--wall-factor", type=float, default=4.0,
                        help="wall-clock backstop, in multiples of --timeout: ends programs that sleep or block "
                             "(default: 4)")
    parser.add_argument("--isolation", choices=("auto",) + ISOLATION_LEVELS, default="auto",
                        help="sandbox level to require (default: the strongest available)")
    parser.add_argument("--allow-unisolated", action="store_true",
                        help="run without isolation if nothing stronger works (unsafe)")
    parser.add_argument("--count-self-checks", action="store_true",
                        help="count tests whose every side comes from the program (e.g. HumanEval/33's "
                             "candidate(x) == sort_third(x)) in the score; by default they are reported apart")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from proact_env.domains.coding.states import load_coding_problems
    from proact_env.grading.grader import GradeJob, grade_many
    from proact_env.grading.sandbox import SandboxConfig, SandboxLimits, probe

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    problems = load_coding_problems(args.dataset, split=args.split, variants=tuple(args.variants))
    config = SandboxConfig(isolation=args.isolation, allow_unisolated=args.allow_unisolated,
                           limits=SandboxLimits(timeout_s=args.timeout, wall_factor=args.wall_factor))
    level = probe(config).level
    # Variants of one HumanEvalComm problem share a reference and tests: grade each program once.
    jobs = {GradeJob(p.reference, p.tests, p.setup_code): None for p in problems}
    unique = list(jobs)
    start = time.monotonic()
    with tqdm(total=len(unique), desc="grading references", unit="program") as bar:
        reports = grade_many(unique, workers=args.workers, config=config, progress=bar.update,
                             count_self_checks=args.count_self_checks)
    elapsed = time.monotonic() - start
    by_job = dict(zip(unique, reports))
    failed = [(p, by_job[GradeJob(p.reference, p.tests, p.setup_code)]) for p in problems]
    failed = [(p, r) for p, r in failed if r.score < 1.0]
    for problem, report in failed:
        reason = next((f"{o.test[:80]} -> {o.status}: {o.detail}" for o in report.outcomes if not o.passed), report.detail)
        print(f"FAIL {problem.id}: score {report.score:.2f} ({report.status}) {reason}")
    print(
        f"{len(problems) - len(failed)}/{len(problems)} tasks score 1.0 "
        f"({len(unique)} distinct programs, {len(unique) / elapsed:.1f} programs/s, "
        f"{args.workers or 'one per core'} workers); isolation: {level}"
    )
    unscored = [r for r in reports if r.unscored]
    if unscored:
        print(f"{sum(len(r.unscored) for r in unscored)} test(s) of {len(unscored)} program(s) compare the program "
              "with itself and are left out of the score (--count-self-checks counts them)")
    return 1 if failed else 0
