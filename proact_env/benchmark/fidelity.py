"""How much of a run was played by the LLM user, and how far its numbers move with the user.

An LLM user whose answers cannot be parsed falls back to the rule-based user for
that turn. A run where it always fell back looks like any other run, so every
benchmark reports the fallback rate (printed, in results.json, a loud warning
above `FALLBACK_WARN_RATE`) and how often the model's reveals agree with what
the rules would have revealed on the same turn. `compare_simulators` pairs two
runs of the same episodes under two users, policy by policy.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from proact_env.benchmark.metrics import EpisodeRecord
from proact_env.benchmark.paired import episode_key, paired_difference

#: a fallback rate above this is warned about loudly: the numbers then mostly describe the rule-based user
FALLBACK_WARN_RATE = 0.05


def _counts(records: Sequence[EpisodeRecord]) -> dict[str, Any]:
    total = {key: sum(r.user_counts.get(key, 0) for r in records)
             for key in ("llm", "malformed", "failed", "reveal_checked", "reveal_agreed")}
    reactions = total["llm"] + total["malformed"] + total["failed"]
    fallbacks = total["malformed"] + total["failed"]
    return {
        "reactions": reactions,
        "from_model": total["llm"],
        "malformed": total["malformed"],
        "failed": total["failed"],
        "fallback_rate": fallbacks / reactions if reactions else None,
        "reveal_checked": total["reveal_checked"],
        "reveal_agreement": total["reveal_agreed"] / total["reveal_checked"] if total["reveal_checked"] else None,
    }


def llm_user_summary(grouped: Mapping[str, Sequence[EpisodeRecord]]) -> dict[str, Any] | None:
    """The LLM user's reactions over the run and per policy; None when the user was the rule-based one."""
    every = [r for records in grouped.values() for r in records]
    if not any(r.user_counts for r in every):
        return None
    return {**_counts(every), "by_policy": {spec: _counts(records) for spec, records in grouped.items()}}


def failed_calls(grouped: Mapping[str, Sequence[EpisodeRecord]]) -> dict[str, Any] | None:
    """Episodes cut short because a model call failed for good (after its retries), per policy and reason."""
    cut = [r for records in grouped.values() for r in records if r.failed_call is not None]
    if not cut:
        return None
    reasons: dict[str, int] = {}
    for record in cut:
        reasons[record.failed_call] = reasons.get(record.failed_call, 0) + 1
    return {"episodes": len(cut), "by_policy": {spec: sum(r.failed_call is not None for r in records)
                                                for spec, records in grouped.items()}, "reasons": reasons}


def format_failed_calls(block: Mapping[str, Any] | None) -> str:
    if not block:
        return ""
    reasons = "; ".join(f"{n} x {reason}" for reason, n in sorted(block["reasons"].items(), key=lambda kv: -kv[1]))
    return (f"WARNING: {block['episodes']} episode(s) ended early because a model call failed for good "
            f"(their return counts the turns played): {reasons}")


def format_llm_user(block: Mapping[str, Any] | None) -> str:
    """The end-of-run lines about the LLM user; a loud warning when it fell back too often."""
    if not block:
        return ""
    rate, agreement = block["fallback_rate"], block["reveal_agreement"]
    lines = [f"LLM user: {block['reactions']} reactions, {block['from_model']} from the model, "
             f"{block['malformed']} malformed and {block['failed']} failed -> rule-based fallback rate "
             f"{_pct(rate)}; its reveals agree with the rules' on the same turn in {_pct(agreement)} "
             f"of {block['reveal_checked']}"]
    if rate is not None and rate > FALLBACK_WARN_RATE:
        bar = "!" * 78
        lines += [bar, f"WARNING: the LLM user fell back to the rule-based user in {rate:.1%} of its reactions "
                  f"(more than {FALLBACK_WARN_RATE:.0%}).",
                  "These numbers describe a mix of the two users, mostly the rules: check the model, its "
                  "max_tokens and the reasons in the summary below.", bar]
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def compare_simulators(runs: Mapping[str, Mapping[str, Sequence[EpisodeRecord]]],
                       metrics: Sequence[str] = ("episode_return", "success", "asks")) -> dict[str, Any]:
    """Each later simulator against the first, policy by policy, on the same episodes.

    `runs` maps a simulator's name to its run's records by policy (`BenchmarkResults.by_policy()`).
    Per policy and metric: the mean under each simulator and the paired difference (later minus
    first) with its 95% interval; per simulator: its LLM user block (fallback rate, reveal agreement).
    """
    names = list(runs)
    if len(names) < 2:
        raise ValueError("compare at least two simulators")
    reference = names[0]
    result: dict[str, Any] = {"reference": reference, "simulators": names, "policies": {}, "llm_user": {}}
    for name in names:
        result["llm_user"][name] = llm_user_summary(runs[name])
    for spec, ref_records in runs[reference].items():
        rows: dict[str, Any] = {}
        for name in names[1:]:
            records = runs[name][spec]
            if episode_key(records) != episode_key(ref_records):
                raise ValueError(f"{spec}: the runs under {reference} and {name} did not play the same episodes")
            rows[name] = {metric: {
                "reference_mean": float(sum(_value(r, metric) for r in ref_records) / len(ref_records)),
                "mean": float(sum(_value(r, metric) for r in records) / len(records)),
                "difference": paired_difference([_value(r, metric) for r in records],
                                                [_value(r, metric) for r in ref_records]),
            } for metric in metrics}
        result["policies"][spec] = rows
    return result


def _value(record: EpisodeRecord, metric: str) -> float:
    return float(getattr(record, metric))


def format_comparison(comparison: Mapping[str, Any]) -> str:
    """The printed table: per policy, each simulator's mean return and its paired difference from the first."""
    reference = comparison["reference"]
    lines = [f"simulator sensitivity: each user against {reference}, paired on the same episodes (95% intervals)"]
    width = max(len(spec) for spec in comparison["policies"])
    for name in comparison["simulators"][1:]:
        lines.append(f"  under {name}:")
        lines.append(f"    {'policy'.ljust(width)}  return ({reference} -> {name})   difference        "
                     f"success diff      asks/episode diff")
        for spec, rows in comparison["policies"].items():
            row = rows[name]
            ret, succ, asks = row["episode_return"], row["success"], row["asks"]
            lines.append(
                f"    {spec.ljust(width)}  {ret['reference_mean']:+.3f} -> {ret['mean']:+.3f}"
                f"{'':10s}{_diff(ret['difference'])}   {_diff(succ['difference'])}   {_diff(asks['difference'])}")
    for name, block in comparison["llm_user"].items():
        if block:
            lines.append(f"  {name}: " + format_llm_user(block).replace("\n", "\n  "))
    return "\n".join(lines)


def _diff(difference: Mapping[str, float]) -> str:
    half = difference["ci95"]
    return f"{difference['mean']:+.3f} ±{half:.3f}" if half == half else f"{difference['mean']:+.3f}"
