"""How much of the oracle's edge is knowing the user? Exact population values on Synthetic-v0.

    python benchmarks/persona_blind_gap.py [--max-turns 6] [--sweeps 2]

For every task shape (flavour, slots, hidden slots, options per slot) with its exact
probability under the default task source, and the uniform prior over the five presets:

- oracle: the exact optimum that knows the user (`proact_env.solver`, the `optimal` policy);
- blind: the exact persona-blind optimum (`proact_env.solver_blind`, `blind_optimal`), which
  learns about the user from the reactions it has seen;
- memoryless: a policy of the current observation alone (the observable state, no memory of
  the reactions), found by coordinate ascent from the best "act as if the user were preset j"
  policy, `--sweeps` passes over the decision points. A search, so a lower bound on the best
  memoryless policy (exhaustive search is exact only for tiny horizons, see tests/test_solver_blind.py).

It prints the three population means (exact expectations over shapes: no sampling noise)
and the two gaps: oracle − blind is the information limit, blind − memoryless what memory of
the user's reactions is worth.
"""

from __future__ import annotations

import argparse
import collections
import time

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.solver import SyntheticSolver
from proact_env.solver_blind import BlindModel, BlindSolver, ObservedState
from proact_env.types import Action


def shape_distribution(env: gym.Env) -> dict[tuple, tuple[float, object]]:
    """(flavour, n_slots, n_hidden, k) -> (probability under the task source, one task of that shape)."""
    source = env.unwrapped.task_source
    flavours = ("coding", "planning") if source.domain == "mixed" else (source.domain,)
    slot_counts = range(source.min_slots, source.max_slots + 1)
    probs = {}
    for flavour in flavours:
        for n in slot_counts:
            weights = source.hidden_weights[: n + 1]
            for h, w in enumerate(weights):
                for k in source.options:
                    probs[(flavour, n, h, k)] = (1 / len(flavours) / len(slot_counts) * w / sum(weights)
                                                 / len(source.options))
    tasks = {}
    seed = 0
    while len(tasks) < len(probs):
        env.reset(seed=seed)
        task = env.unwrapped.episode.task
        spec = task.payload
        tasks.setdefault((task.domain, len(spec.slots), len(spec.hidden_slots), spec.n_options), task)
        seed += 1
    return {shape: (p, tasks[shape]) for shape, p in probs.items() if p > 0}


def memoryless_value(model: BlindModel, policy: dict[ObservedState, Action]) -> float:
    """Exact value of a policy of the observable state alone, averaged over the prior's users."""
    value, frontier = 0.0, {model.initial_state(): np.array(model.initial_belief())}
    while frontier:
        reached: dict[ObservedState, np.ndarray] = collections.defaultdict(lambda: np.zeros(len(model.models)))
        for state, mass in frontier.items():
            step = model.transition(state, policy.get(state, Action.EXECUTE))
            value += float(mass @ step.rewards)
            for (_, next_state), probs in zip(step.keys, step.probs):
                reached[next_state] += mass * probs
        frontier = reached
    return value


def reachable(model: BlindModel) -> list[ObservedState]:
    start = model.initial_state()
    seen, frontier = {start}, [start]
    while frontier:
        frontier = [ns for s in frontier for a in Action for _, ns in model.transition(s, a).keys
                    if ns not in seen and not seen.add(ns)]
    return sorted(seen)


def best_memoryless(model: BlindModel, oracles, sweeps: int) -> float:
    states = reachable(model)
    starts = []
    for persona, oracle in zip(model.prior.personas, oracles):
        policy = {s: oracle.optimal_action(s._replace(strikes=persona.patience_budget - s.strikes))
                  for s in states if persona.patience_budget > s.strikes}
        starts.append((memoryless_value(model, policy), policy))
    best, policy = max(starts, key=lambda pair: pair[0])
    for _ in range(sweeps):
        improved = False
        for state in states:
            flipped = dict(policy)
            flipped[state] = Action(1 - policy.get(state, Action.EXECUTE))
            value = memoryless_value(model, flipped)
            if value > best + 1e-12:
                best, policy, improved = value, flipped, True
        if not improved:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-turns", type=int, default=6, help="the env's max_turns (default: %(default)s)")
    parser.add_argument("--sweeps", type=int, default=2,
                        help="coordinate-ascent passes of the memoryless search (default: %(default)s)")
    args = parser.parse_args()
    env = gym.make("proact_env/Synthetic-v0", observe_persona=False, max_turns=args.max_turns)
    solver, blind = SyntheticSolver.for_env(env), BlindSolver.for_env(env)
    shapes = shape_distribution(env)
    totals = collections.Counter()
    started = time.perf_counter()
    for shape, (p, task) in tqdm(sorted(shapes.items()), desc="task shapes"):
        model = blind.model(task)
        oracles = [solver.model(task, persona) for persona in model.prior.personas]
        totals["oracle"] += p * float(np.dot(model.prior.weights, [m.value() for m in oracles]))
        totals["blind"] += p * model.value()
        totals["memoryless"] += p * best_memoryless(model, oracles, args.sweeps)
    print(f"Synthetic-v0, max_turns {args.max_turns}, {len(shapes)} task shapes, uniform prior over the five "
          f"presets; exact expectations ({time.perf_counter() - started:.0f} s):")
    print(f"  oracle (knows the user)              {totals['oracle']:.4f}")
    print(f"  blind (belief from reactions)        {totals['blind']:.4f}")
    print(f"  memoryless (current observation)     {totals['memoryless']:.4f}  (coordinate ascent, "
          f"{args.sweeps} sweeps: a lower bound on the best)")
    print(f"  information limit oracle − blind     {totals['oracle'] - totals['blind']:.4f} "
          f"({(totals['oracle'] - totals['blind']) / totals['oracle']:.1%} of the oracle)")
    print(f"  memory's worth blind − memoryless    {totals['blind'] - totals['memoryless']:.4f}")


if __name__ == "__main__":
    main()
