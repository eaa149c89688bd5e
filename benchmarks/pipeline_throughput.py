"""The two-step pipeline at scale: 10,000 synthetic states through generate and rewards.

    python benchmarks/pipeline_throughput.py [--states 10000] [--lookahead 0]

Single-turn (3 trajectories per state) with the scripted backbone, as
`proact generate --mode synthetic --n_states N` followed by `proact rewards`.
Prints states/s for generation, pairs/s for rewards and the whole run's time.
Goal (issue 6): the whole run under 60 s on the 2-core dev machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from proact_env.preferences import build_preferences, write_preferences
from proact_env.reward import RewardConfig
from proact_env.rollout.generate import GenerationConfig, run_generation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--states", type=int, default=10_000)
    parser.add_argument("--lookahead", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trajectories, prefs = Path(tmp) / "traj.jsonl", Path(tmp) / "prefs.jsonl"
        started = time.perf_counter()
        summary = run_generation(GenerationConfig(out=trajectories, n_states=args.states, lookahead=args.lookahead))
        generated = time.perf_counter()
        pairs, pref_summary = build_preferences(trajectories, RewardConfig())
        write_preferences(prefs, pairs, RewardConfig(), 0.0)
        finished = time.perf_counter()
        size_mb = trajectories.stat().st_size / 1e6
    gen_s, rew_s = generated - started, finished - generated
    print(f"generate: {args.states} states -> {summary.lines_written} trajectories ({size_mb:.1f} MB) in {gen_s:.1f} s "
          f"= {args.states / gen_s:,.0f} states/s")
    print(f"rewards:  {pref_summary.pairs} pairs in {rew_s:.1f} s = {pref_summary.pairs / rew_s:,.0f} pairs/s")
    print(f"whole run: {finished - started:.1f} s (goal: under 60 s)")


if __name__ == "__main__":
    main()
