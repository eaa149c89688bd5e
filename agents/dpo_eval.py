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

from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Iterable

from proact_env.agents.dpo_policy import LABELS, load_adapter
from proact_env.agents.logprobs import Progress, completion_logprobs, with_eos
from proact_env.io import read_json
from proact_env.records import PreferenceLine, read_preferences
from proact_env.types import Action


def _score(model: Any, tokenizer: Any, pairs: list[PreferenceLine], batch_size: int, adapter: bool,
           progress: Progress | None) -> dict[str, list[float]]:
    context = nullcontext() if adapter else model.disable_adapter()
    prompts = [p.prompt for p in pairs]
    completions = {
        "chosen": [with_eos(p.chosen, tokenizer) for p in pairs],
        "rejected": [with_eos(p.rejected, tokenizer) for p in pairs],
        "clarify": [LABELS[Action.CLARIFY]] * len(pairs),
        "execute": [LABELS[Action.EXECUTE]] * len(pairs),
    }
    with context:
        return {name: completion_logprobs(model, tokenizer, prompts, texts, batch_size, progress=progress)
                for name, texts in completions.items()}


def _metrics(pairs: list[PreferenceLine], scores: dict[str, list[float]], ref: dict[str, list[float]] | None,
             beta: float, indices: Iterable[int]) -> dict[str, float | int]:
    indices = list(indices)
    result: dict[str, float | int] = {"pairs": len(indices)}
    if not indices:
        return result
    result["logprob_accuracy"] = sum(scores["chosen"][i] > scores["rejected"][i] for i in indices) / len(indices)
    cross = [i for i in indices if pairs[i].chosen_action != pairs[i].rejected_action]
    result["action_pairs"] = len(cross)
    if cross:
        correct = 0
        for i in cross:
            preferred = Action.CLARIFY if scores["clarify"][i] > scores["execute"][i] else Action.EXECUTE
            correct += preferred == pairs[i].chosen_action
        result["action_accuracy"] = correct / len(cross)
    reference = ref if ref is not None else scores  # the base is its own reference: every margin is 0
    margins = [beta * ((scores["chosen"][i] - reference["chosen"][i]) - (scores["rejected"][i] - reference["rejected"][i]))
               for i in indices]
    result["implicit_reward_accuracy"] = sum(1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins) / len(margins)
    result["mean_reward_margin"] = sum(margins) / len(margins)
    return result


#: sequences `evaluate_preferences` scores per pair: chosen, rejected and both labels, trained and base
SEQUENCES_PER_PAIR = 8


def evaluate_preferences(model_dir: Path, prefs_path: Path, base_model: str | None = None,
                         batch_size: int = 8, limit: int | None = None,
                         progress: Progress | None = None) -> dict[str, Any]:
    """Metrics of the trained adapter and of its base on the pairs in `prefs_path`.

    Every pair is validated before the model loads. `progress` is called with the
    number of sequences scored after each batch (`SEQUENCES_PER_PAIR` per pair in all).
    """
    pairs = [pair for _, pair in read_preferences(prefs_path, require_actions=True)][:limit]
    model, tokenizer, base_name = load_adapter(model_dir, base_model)
    config_path = Path(model_dir) / "training_config.json"
    beta = read_json(config_path).get("beta", 0.1) if config_path.is_file() else 0.1
    trained = _score(model, tokenizer, pairs, batch_size, adapter=True, progress=progress)
    base = _score(model, tokenizer, pairs, batch_size, adapter=False, progress=progress)
    groups: dict[str, dict[str, list[int]]] = {"by_chosen_action": defaultdict(list), "by_persona": defaultdict(list)}
    for i, pair in enumerate(pairs):
        groups["by_chosen_action"][pair.chosen_action.label].append(i)
        groups["by_persona"][pair.persona.name if pair.persona is not None else "unknown"].append(i)
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
