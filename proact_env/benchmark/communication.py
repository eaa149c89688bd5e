"""HumanEvalComm's communication metrics, from benchmark episode records.

Wu & Fard (HumanEvalComm) report, per model: pass@1 of the final code,
the *communication rate* (share of problems where the model's first response
asks instead of answering) and the *good-question rate* (share of questions that
recover the missing information). The same quantities from our episodes:

- `pass_at_1`: share of episodes whose final solution passes every test (R_task = 1);
- `communication_rate`: share of episodes whose first decision is Clarify;
- `good_question_rate`: good questions / questions, summed over the episode steps'
  ``info["question_quality"]`` (``{"questions", "good", "repeated", "vague"}`` on Clarify
  steps, the simulated user's judgement); None where the env reports no question quality;
- `mean_turns`, `mean_return` (with its 95% interval).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from proact_env.benchmark.metrics import EpisodeRecord, mean_ci

#: a final solution passes when every test passes (R_task is the share of tests passed)
PASS_SCORE = 1.0 - 1e-9


def communication_metrics(records: Sequence[EpisodeRecord]) -> dict[str, Any]:
    """The communication metrics of one policy's episodes (see the module docstring)."""
    if not records:
        raise ValueError("no episodes")
    questions = sum(r.question_quality.get("questions", 0) for r in records)
    good = sum(r.question_quality.get("good", 0) for r in records)
    reported = any(r.question_quality for r in records)
    mean_return, half = mean_ci([r.episode_return for r in records])
    return {
        "episodes": len(records),
        "pass_at_1": sum(r.r_task >= PASS_SCORE for r in records) / len(records),
        "communication_rate": sum(bool(r.decisions) and r.decisions[0].action == 0 for r in records) / len(records),
        "questions": questions,
        "good_question_rate": good / questions if reported and questions else None,
        "mean_turns": sum(r.turns for r in records) / len(records),
        "mean_return": mean_return,
        "return_ci95": half,
    }


def format_communication(table: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> str:
    """A markdown table: one row per (setting, policy)."""
    lines = ["| setting | policy | episodes | pass@1 | comm. rate | good-question rate | turns | return |",
             "|---|---|---|---|---|---|---|---|"]
    for setting, policies in table.items():
        for policy, m in policies.items():
            good = "n/a" if m["good_question_rate"] is None else f"{m['good_question_rate']:.1%}"
            half = m["return_ci95"]
            ret = f"{m['mean_return']:.3f}" + (f" ±{half:.3f}" if half == half else "")
            lines.append(f"| {setting} | {policy} | {m['episodes']} | {m['pass_at_1']:.1%} | "
                         f"{m['communication_rate']:.1%} | {good} | {m['mean_turns']:.2f} | {ret} |")
    return "\n".join(lines)
