"""What each piece of a Synthetic-v0 `step()` costs in place, measured by replaying it.

    python benchmarks/env_step_pieces.py [--chunks 20] [--chunk-steps 2000] [--pieces writer hearing ...]

A piece timed alone in a loop looks cheaper than it is inside a step, where the rest of the
step pushes its code and data out of the caches between two calls. So, for each piece, one env
records the piece's outputs along a seeded run; then two more envs follow the same run, chunk by
chunk and taking turns: one computes the piece, the other replays its recorded outputs. Both
follow the same trajectory (the outputs are equal), both go through the same wrapper, and the
caches that the recording warmed serve both. The median, over the chunks, of
1 - replayed/computed is the piece's share of `step()`.

Pieces: the scripted writer's message (`writer`), hearing a Clarify (`hearing`), scoring an
Execute (`scoring`), the rule-based user's reaction (`reaction`), the interruption cost (`cost`)
and the observation (`observation`). The `info` dict is built inside `step` and cannot be
replayed this way.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any, Callable

import gymnasium as gym
import numpy as np
from env_throughput import timed_steps  # the sibling script, on sys.path as the script's folder

import proact_env  # noqa: F401  (registers the env ids)
from proact_env import env as env_module
from proact_env.types import Task

ENV_ID = "proact_env/Synthetic-v0"
PIECES = ("writer", "hearing", "scoring", "reaction", "cost", "observation")


class Tape:
    """Records a function's outputs in order, or plays them back, or lets the calls through."""

    def __init__(self) -> None:
        self.mode = "through"
        self.outputs: list[Any] = []
        self.position = 0

    def wrap(self, function: Callable) -> Callable:
        def taped(*args, **kwargs):
            if self.mode == "replay":
                self.position += 1
                return self.outputs[self.position - 1]
            output = function(*args, **kwargs)
            if self.mode == "record":
                self.outputs.append(output)
            return output
        return taped


def patch(piece: str, tape: Tape, envs: list[gym.Env]) -> Callable[[], None]:
    """Route `piece` through `tape` in every env; returns what puts the code back as it was."""
    if piece in ("writer", "reaction"):  # each env's own backbone / simulator: nothing shared to put back
        for env in envs:
            owner = env.unwrapped.backbone if piece == "writer" else env.unwrapped.simulator
            name = "write_for" if piece == "writer" else "react"
            setattr(owner, name, tape.wrap(getattr(owner, name)))
        return lambda: None
    owner, name = {"hearing": (env_module, "hear"), "scoring": (Task, "score"),
                   "cost": (env_module, "interrupt_cost"), "observation": (env_module.ProactEnv, "observe")}[piece]
    original = getattr(owner, name)
    setattr(owner, name, tape.wrap(original))
    return lambda: setattr(owner, name, original)


def chunk_actions(seed: int, steps: int) -> list[int]:
    return [int(a) for a in np.random.default_rng(seed).integers(0, 2, steps)]


def timed_chunk(env: gym.Env, actions: list[int]) -> float:
    """Mean µs inside `env.step` over the chunk, resetting when an episode ends."""
    return timed_steps(env, actions)[1] / len(actions) * 1e6


def share_of(piece: str, chunks: int, steps: int) -> tuple[float, float, float]:
    """(median µs per step computing the piece, replaying it, median per-chunk share of the piece)."""
    recorder, computing, replaying = envs = [gym.make(ENV_ID) for _ in range(3)]
    for env in envs:
        env.reset(seed=0)
    tape = Tape()
    undo = patch(piece, tape, envs)
    try:
        tape.mode = "record"
        for seed in range(chunks):
            timed_chunk(recorder, chunk_actions(seed, steps))
        times: dict[str, list[float]] = {"through": [], "replay": []}
        for seed in range(chunks):
            actions = chunk_actions(seed, steps)
            for mode in ("through", "replay") if seed % 2 else ("replay", "through"):
                tape.mode = mode
                times[mode].append(timed_chunk(computing if mode == "through" else replaying, actions))
    finally:
        undo()
    if tape.position != len(tape.outputs):
        raise RuntimeError(f"the replaying env left the recorded run ({tape.position} of {len(tape.outputs)} used)")
    shares = [1 - r / c for c, r in zip(times["through"], times["replay"])]
    return statistics.median(times["through"]), statistics.median(times["replay"]), statistics.median(shares)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--chunk-steps", type=int, default=2000)
    parser.add_argument("--pieces", nargs="+", choices=PIECES, default=list(PIECES))
    args = parser.parse_args()
    if min(args.chunks, args.chunk_steps) < 1:
        parser.error("--chunks and --chunk-steps must be >= 1")
    print(f"{ENV_ID} step(), median over {args.chunks} chunks of {args.chunk_steps} steps")
    print(f"{'piece':12s} {'computed us':>12s} {'replayed us':>12s} {'share of step()':>16s}")
    for piece in args.pieces:
        computed, replayed, share = share_of(piece, args.chunks, args.chunk_steps)
        print(f"{piece:12s} {computed:12.2f} {replayed:12.2f} {100 * share:15.1f}%")


if __name__ == "__main__":
    main()
