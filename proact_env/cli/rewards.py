"""`proact rewards`: step 2 of the pipeline, trajectories → DPO preference pairs (the seed's compute_rewards.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from proact_env.errors import RunFailedError
from proact_env.reward import RewardConfig

_DEFAULTS = RewardConfig()


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rewards",
        help="recompute rewards from saved trajectories (no LLM call) and write preference pairs",
        description="C_interrupt = alpha*(w1*n_questions + w2*reject + w3*long_turn + w4*off_topic), where "
        "w1..w4 are RewardConfig's w_questions, w_reject, w_long_turn, w_off_topic; "
        "R_task comes from the outcomes saved in the trajectories. The best and worst trajectory of each "
        "decision point make a pair (seed fields + TRL's prompt/chosen/rejected).",
    )
    p.add_argument("--trajectories", "--input", type=Path, required=True,
                   help="trajectories JSONL written by 'proact generate'")
    p.add_argument("--out", type=Path, required=True,
                   help="preference JSONL to write (and its settings beside it, OUT.meta.json)")
    p.add_argument("--alpha", type=float, default=_DEFAULTS.alpha, help="overall scale of the interruption cost")
    p.add_argument("--w1", "--w_questions", type=float, default=_DEFAULTS.w_questions,
                   help="cost per question asked (RewardConfig.w_questions)")
    p.add_argument("--w2", "--w_reject", type=float, default=_DEFAULTS.w_reject,
                   help="cost of a turn the user rejects (RewardConfig.w_reject)")
    p.add_argument("--w3", "--w_long_turn", type=float, default=_DEFAULTS.w_long_turn,
                   help="cost of a turn longer than the persona tolerates (RewardConfig.w_long_turn)")
    p.add_argument("--w4", "--w_off_topic", type=float, default=_DEFAULTS.w_off_topic,
                   help="cost of an off-topic drift (RewardConfig.w_off_topic)")
    p.add_argument("--margin", type=float, default=0.0, help="drop pairs whose rewards differ by less than this")
    p.add_argument("--completions", choices=["full", "label"], default="full",
                   help="TRL completions: 'full' (action label + message) or 'label' (decision only)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.preferences import build_preferences, write_preferences
    from proact_env.splits import meta_path, recorded_split

    config = RewardConfig.from_weights(alpha=args.alpha, w1=args.w1, w2=args.w2, w3=args.w3, w4=args.w4)
    pairs, summary = build_preferences(args.trajectories, config, margin=args.margin, completions=args.completions)
    if summary.failed and not summary.trajectories:
        raise RunFailedError(f"{args.trajectories}: every one of its {summary.failed} states failed during "
                             "'proact generate' (its 'failed' lines say why): there is nothing to pair")
    split = recorded_split(meta_path(args.trajectories))  # the pairs inherit their trajectories' split
    write_preferences(args.out, pairs, config, args.margin, args.completions,
                      split.to_dict() if split is not None else None)
    print(summary.describe())
    print(f"wrote {args.out}")
    return 0
