"""`proact fit-personas`: persona parameters estimated from people's replies (maximum likelihood, with intervals)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit-personas",
        help="fit persona parameters to the replies of people who played the user (intervals, likelihood vs presets)",
        description="Maximum likelihood under the simulated user's own reaction model: the answer, reject, "
        "silence and off-topic probabilities, question and long-turn tolerance, patience, answer precision and "
        "feedback rate, each with a 95%% profile-likelihood interval; the data's log-likelihood under every "
        "preset and under the fit. Writes the fitted persona as JSON (use it as persona=PATH).",
    )
    p.add_argument("--trajectories", type=Path, required=True,
                   help="trajectories JSONL holding replies of people (proact play --side user, proact ui)")
    p.add_argument("--out", type=Path, default=None,
                   help="fitted persona JSON to write (default: TRAJECTORIES with .persona.json); the full report "
                        "goes beside it as .fit.json")
    p.add_argument("--participant", default=None,
                   help="fit one participant's replies only (default: everyone's together)")
    p.add_argument("--name", default=None, help="the fitted persona's name (default: fitted_<participant or file>)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.human.fit import fit_persona, format_fit, load_observations
    from proact_env.io import atomic_write_text

    obs = load_observations(args.trajectories, participant=args.participant)
    name = args.name or f"fitted_{args.participant or args.trajectories.stem}"
    fit = fit_persona(obs, name=name, progress=lambda stage: print(f"fitting: {stage}", flush=True))
    print(format_fit(fit))
    out = args.out or args.trajectories.with_name(args.trajectories.stem + ".persona.json")
    atomic_write_text(out, json.dumps(fit.persona.to_dict(), indent=2) + "\n")
    report = out.with_name(out.name.removesuffix(".json") + ".fit.json")
    atomic_write_text(report, json.dumps(fit.report(), indent=2, default=_json_default) + "\n")
    print(f"wrote {out} (use it as persona={out}) and {report}")
    return 0


def _json_default(value):
    return None if value == float("inf") else str(value)
