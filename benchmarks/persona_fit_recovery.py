"""How well `proact fit-personas` recovers a persona from replies that follow it, per preset.

For each preset, a simulated participant who reacts exactly as that preset's rule-based
user would (`SimulatedPerson`) plays the user side of `--episodes` Synthetic-v0 episodes
against the `random:p=0.6` policy; the fit's estimates, their 95% intervals, whether each
true value lies inside, and the preset the likelihood ranks first are printed, with the
fit's time. Run: python benchmarks/persona_fit_recovery.py [--episodes 300] [--seed 11]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from proact_env.human.fit import fit_persona, load_observations
from proact_env.human.log import SessionLog
from proact_env.human.people import SimulatedPerson
from proact_env.human.session import SessionConfig, SessionRunner
from proact_env.personas import PRESETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=300, help="episodes per preset (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the episodes and the replies (default: %(default)s)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    for name, truth in PRESETS.items():
        path = folder / f"{name}.jsonl"
        config = SessionConfig(side="user", participant=name, episodes=args.episodes, persona=name,
                               policy="random:p=0.6", seed=args.seed)
        SessionRunner(config, SessionLog(path, durable=False), SimulatedPerson(truth, seed=args.seed)).run()
        started = time.perf_counter()
        fit = fit_persona(load_observations(path))
        seconds = time.perf_counter() - started
        best = max(PRESETS, key=lambda p: fit.loglik[p]["total"])
        covered = []
        for field, e in fit.estimates.items():
            value = getattr(truth, field)
            covered.append(value in e.low if field == "patience" else e.low - 1e-9 <= value <= e.high + 1e-9)
        print(f"{name}: {fit.observations.replies} replies, likeliest preset {best}, "
              f"{sum(covered)}/{len(covered)} true values inside their 95% intervals, fit {seconds:.1f} s")
        for field, e in fit.estimates.items():
            shown = f"{e.value:.4f}" if isinstance(e.value, float) else str(e.value)
            print(f"    {field:20s} true {getattr(truth, field)!s:>6}  fit {shown:>6}  {e.interval_text()}")


if __name__ == "__main__":
    main()
