"""How well a DPO adapter ranks held-out preference pairs, beside its untrained base (`proact evaluate`).

For every pair it computes the log-probability of both completions under the
trained policy and under the base (the same model with the adapter disabled,
which is also DPO's reference), and the log-probabilities of the two action
labels. Reported for the trained model and the base:

- `logprob_accuracy`: share of pairs where the chosen completion is more likely than the rejected one;
- `action_accuracy`: on pairs whose actions differ, share where the model's
  preferred action label is the chosen action (what the DPO policy acts on);

- `implicit_reward_accuracy`: DPO's own view, the share of pairs whose implicit
  reward margin beta * (log-ratio of chosen - log-ratio of rejected) against the
  reference is positive, ties counting half (so the base, its own reference,
  scores exactly chance), and `mean_reward_margin`.

Breakdowns by chosen action and by persona.
"""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Iterable

from proact_env.agents.dpo_policy import LABELS, load_adapter
from proact_env.agents.logprobs import completion_logprobs, with_eos
from proact_env.io import read_jsonl
from proact_env.types import Action


def _score(model: Any, tokenizer: Any, pairs: list[dict], batch_size: int, adapter: bool) -> dict[str, list[float]]:
    context = nullcontext() if adapter else model.disable_adapter()
    prompts = [p["prompt"] for p in pairs]
    with context:
        return {
            "chosen": completion_logprobs(model, tokenizer, prompts, [with_eos(p["chosen"], tokenizer) for p in pairs], batch_size),
            "rejected": completion_logprobs(model, tokenizer, prompts, [with_eos(p["rejected"], tokenizer) for p in pairs], batch_size),
            "clarify": completion_logprobs(model, tokenizer, prompts, [LABELS[Action.CLARIFY]] * len(pairs), batch_size),
            "execute": completion_logprobs(model, tokenizer, prompts, [LABELS[Action.EXECUTE]] * len(pairs), batch_size),
        }


def _metrics(pairs: list[dict], scores: dict[str, list[float]], ref: dict[str, list[float]] | None,
             beta: float, indices: Iterable[int]) -> dict[str, float | int]:
    indices = list(indices)
    result: dict[str, float | int] = {"pairs": len(indices)}
    if not indices:
        return result
    result["logprob_accuracy"] = sum(scores["chosen"][i] > scores["rejected"][i] for i in indices) / len(indices)
    cross = [i for i in indices if pairs[i]["chosen_action"] != pairs[i]["rejected_action"]]
    result["action_pairs"] = len(cross)
    if cross:
        correct = 0
        for i in cross:
            preferred = "Clarify" if scores["clarify"][i] > scores["execute"][i] else "Execute"
            correct += preferred == pairs[i]["chosen_action"]
        result["action_accuracy"] = correct / len(cross)
    reference = ref if ref is not None else scores  # the base is its own reference: every margin is 0
    margins = [beta * ((scores["chosen"][i] - reference["chosen"][i]) - (scores["rejected"][i] - reference["rejected"][i]))
               for i in indices]
    result["implicit_reward_accuracy"] = sum(1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins) / len(margins)
    result["mean_reward_margin"] = sum(margins) / len(margins)
    return result


def evaluate_preferences(model_dir: Path, prefs_path: Path, base_model: str | None = None,
                         batch_size: int = 8, limit: int | None = None) -> dict[str, Any]:
    """Metrics of the trained adapter and of its base on the pairs in `prefs_path`."""
    pairs = [record for _, record in read_jsonl(prefs_path)][:limit]
    for i, pair in enumerate(pairs):
        missing = [k for k in ("prompt", "chosen", "rejected", "chosen_action", "rejected_action") if k not in pair]
        if missing:
            raise ValueError(f"{prefs_path}: pair {i + 1} lacks {missing}; write the file with 'proact rewards'")
    model, tokenizer, base_name = load_adapter(model_dir, base_model)
    beta = json.loads((Path(model_dir) / "training_config.json").read_text()).get("beta", 0.1) \
        if (Path(model_dir) / "training_config.json").is_file() else 0.1
    trained = _score(model, tokenizer, pairs, batch_size, adapter=True)
    base = _score(model, tokenizer, pairs, batch_size, adapter=False)
    groups: dict[str, dict[str, list[int]]] = {"by_chosen_action": defaultdict(list), "by_persona": defaultdict(list)}
    for i, pair in enumerate(pairs):
        groups["by_chosen_action"][pair["chosen_action"]].append(i)
        persona = pair.get("persona", {})
        groups["by_persona"][persona.get("name", "unknown") if isinstance(persona, dict) else str(persona)].append(i)
    everything = range(len(pairs))
    report: dict[str, Any] = {
        "model_dir": str(model_dir), "base_model": base_name, "prefs_path": str(prefs_path), "beta": beta,
        "trained": _metrics(pairs, trained, base, beta, everything),
        "base": _metrics(pairs, base, None, beta, everything),
    }
    for name, grouping in groups.items():
        report[name] = {key: {"trained": _metrics(pairs, trained, base, beta, idx),
                              "base": _metrics(pairs, base, None, beta, idx)}
                        for key, idx in sorted(grouping.items())}
    return report
