"""`step()` time of proact_env/Synthetic-v0 in two checkouts of the code, compared chunk by chunk.

    python benchmarks/env_step_ab.py BEFORE_DIR AFTER_DIR [--chunks 40] [--chunk-steps 2000]

Each directory is the root of a checkout (e.g. `git worktree add` or `git archive | tar -x`);
each is imported in its own worker process (`PYTHONPATH=DIR`). The two workers never run at
once: they step in turn through the same random-action chunks (which goes first alternates),
so a swing in the machine's load hits both alike. It prints the median `step()` time of each
and the median, over the chunks, of the per-chunk ratio after/before.

Why: on a shared machine the ratio to CartPole that `env_throughput.py` prints moves by 10%
or more from run to run, more than one optimisation pass gains; comparing the two codes
back to back resolves a few percent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

ENV_ID = "proact_env/Synthetic-v0"
WARM_UP_CHUNKS = 3


def serve(chunk_steps: int) -> None:
    """Worker: for each seed read from stdin, step one chunk and print its mean µs per `step()`."""
    import gymnasium as gym
    import numpy as np
    from env_throughput import timed_steps  # the sibling script; imports the checkout's proact_env

    env = gym.make(ENV_ID)
    env.reset(seed=0)
    for line in sys.stdin:
        actions = [int(a) for a in np.random.default_rng(int(line)).integers(0, 2, chunk_steps)]
        print(timed_steps(env, actions)[1] / chunk_steps * 1e6, flush=True)


class Worker:
    """One checkout's worker process."""

    def __init__(self, root: str, chunk_steps: int) -> None:
        if not os.path.isdir(os.path.join(root, "proact_env")):
            raise SystemExit(f"{root}: not the root of a proact_env checkout (no proact_env/ folder in it)")
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", "--chunk-steps", str(chunk_steps)],
            cwd=root, env={**os.environ, "PYTHONPATH": os.path.abspath(root)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )

    def chunk(self, seed: int) -> float:
        self.process.stdin.write(f"{seed}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise SystemExit(f"a worker exited early (status {self.process.wait()}); run it alone to see why")
        return float(answer)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", nargs="?", help="root of the checkout to compare against")
    parser.add_argument("after", nargs="?", help="root of the checkout being measured")
    parser.add_argument("--chunks", type=int, default=40)
    parser.add_argument("--chunk-steps", type=int, default=2000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.chunk_steps)
    if args.before is None or args.after is None:
        parser.error("give the two checkouts: BEFORE_DIR AFTER_DIR")
    if min(args.chunks, args.chunk_steps) < 1:
        parser.error("--chunks and --chunk-steps must be >= 1")
    before, after = Worker(args.before, args.chunk_steps), Worker(args.after, args.chunk_steps)
    for seed in range(WARM_UP_CHUNKS):  # fill each worker's caches before timing
        before.chunk(10_000 + seed)
        after.chunk(10_000 + seed)
    times: dict[Worker, list[float]] = {before: [], after: []}
    for seed in range(args.chunks):
        for worker in (before, after) if seed % 2 else (after, before):
            times[worker].append(worker.chunk(seed))
    before.close()
    after.close()
    ratios = [a / b for a, b in zip(times[after], times[before])]
    print(f"{ENV_ID} step(), median over {args.chunks} chunks of {args.chunk_steps} steps:")
    print(f"  before {statistics.median(times[before]):.2f} us   ({args.before})")
    print(f"  after  {statistics.median(times[after]):.2f} us   ({args.after})")
    print(f"  after / before, median of the per-chunk ratios: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
