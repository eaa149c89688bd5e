"""Policies by name, imported lazily: the only place that knows where each policy lives.

A policy spec is one of:

- a built-in name, optionally with options: ``threshold``, ``threshold:tau=0.3``,
  ``random:p=0.2:seed=1``;
- a prefixed spec handled by a loader: ``sb3:PATH.zip`` (or ``sb3:DQN:PATH.zip``),
  ``rllib:CHECKPOINT`` (an RLlib algorithm or module checkpoint folder),
  ``dpo:RUN_DIR`` (a `proact train-dpo` output), ``llm_prompt:[PROVIDER:]MODEL[@BASE_URL]``,
  ``model_decides:[PROVIDER:]MODEL[@BASE_URL]`` (the model writes freely; its text is read as the action);
- ``import:package.module:ClassName`` for your own policy class, built as
  ``ClassName(env)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

from proact_env.importing import resolve
from proact_env.policy import Policy

#: built-in name -> "module:class"; the class is built as `cls(env, **options)`.
BUILTIN: dict[str, str] = {
    "always_execute": "proact_env.baselines.fixed:AlwaysExecute",
    "always_clarify": "proact_env.baselines.fixed:AlwaysClarify",
    "clarify_once": "proact_env.baselines.fixed:ClarifyOnce",
    "random": "proact_env.baselines.random_policy:RandomPolicy",
    "seed_rule": "proact_env.baselines.seed_rule:SeedRulePolicy",
    "threshold": "proact_env.baselines.threshold:ThresholdPolicy",
    "optimal": "proact_env.baselines.optimal:OptimalPolicy",
    "blind_optimal": "proact_env.baselines.blind_optimal:BlindOptimalPolicy",
}

#: prefix -> "module:callable(env, rest_of_spec)"
LOADERS: dict[str, str] = {
    "sb3": "proact_env.agents.sb3_policy:SB3Policy.from_spec",
    "rllib": "proact_env.agents.rllib_policy:RLlibPolicy.from_spec",
    "dpo": "proact_env.agents.dpo_policy:DPOPolicy.from_spec",
    "llm_prompt": "proact_env.agents.llm_prompt_policy:LLMPromptPolicy.from_spec",
    "model_decides": "proact_env.agents.model_decides:ModelDecidesPolicy.from_spec",
}

DEFAULT_POLICIES = ("always_execute", "always_clarify", "clarify_once", "random", "seed_rule", "threshold", "optimal")


#: the repository's top-level policy folders, as installed (under proact_env., so they collide with
#: openai-agents' `agents` or OpenAI Baselines' `baselines`); specs written before keep working
INSTALLED_AS = {"agents": "proact_env.agents", "baselines": "proact_env.baselines"}


def _installed_target(target: str) -> str:
    """``baselines.fixed:X`` → ``proact_env.baselines.fixed:X`` where ours has it, else `target` as given."""
    top, dot, tail = target.partition(".")
    if top in INSTALLED_AS:
        ours = f"{INSTALLED_AS[top]}{dot}{tail}"
        try:
            resolve(ours)
            return ours
        except (ImportError, AttributeError):
            pass
    return target


def _parse_value(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def make_policy(spec: str, env: gym.Env) -> Policy:
    """Build the policy named by `spec` for `env`; unknown names list the known ones."""
    head, _, rest = spec.partition(":")
    if head in LOADERS:
        if not rest:
            raise ValueError(f"policy spec {spec!r}: '{head}:' needs a path, e.g. '{head}:model.zip'")
        return resolve(LOADERS[head])(env, rest)
    if head == "import":
        if rest.count(":") != 1:
            raise ValueError(f"policy spec {spec!r}: expected 'import:package.module:ClassName'")
        return resolve(_installed_target(rest))(env)
    if head not in BUILTIN:
        known = ", ".join(list(BUILTIN) + [f"{p}:..." for p in LOADERS] + ["import:module:Class"])
        raise ValueError(f"unknown policy {head!r}; known policies: {known}")
    options = {}
    for item in filter(None, rest.split(":")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"policy spec {spec!r}: option {item!r} must look like key=value")
        options[key] = _parse_value(value)
    try:
        return resolve(BUILTIN[head])(env, **options)
    except TypeError as exc:
        raise ValueError(f"policy spec {spec!r}: {exc}") from None


def split_policy_list(text: str) -> list[str]:
    """`--policies a,b:x=1,c` → specs; a spec's own options use ':' so commas separate policies.

    A loader spec may name several training runs of one policy, ``dpo:RUN1,RUN2,RUN3``: an
    item that is not a policy spec of its own continues the loader spec before it
    (`expand_runs` splits it again).
    """
    specs: list[str] = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        head = item.partition(":")[0]
        if specs and head not in BUILTIN and head not in LOADERS and head != "import" \
                and specs[-1].partition(":")[0] in LOADERS:
            specs[-1] += f",{item}"
        else:
            specs.append(item)
    if not specs:
        raise ValueError("--policies is empty")
    flat = [run for spec in specs for run in expand_runs(spec)]
    if len(set(flat)) != len(flat):
        raise ValueError(f"--policies lists a policy twice: {text}")
    return specs


def training_record(spec: str) -> Path | None:
    """Where a trained policy's ``training_config.json`` is (the split it was trained on lives there):
    ``dpo:DIR`` → DIR/training_config.json, ``sb3:[ALGO:]PATH.zip`` → beside the model; None for others."""
    head, _, rest = spec.partition(":")
    if head == "dpo":
        return Path(rest) / "training_config.json"
    if head == "sb3":
        algo, sep, path = rest.partition(":")
        model = path if sep and algo.upper() in ("PPO", "A2C", "DQN") else rest  # as SB3Policy.from_spec reads it
        return Path(model).parent / "training_config.json"
    return None


def expand_runs(spec: str) -> list[str]:
    """``dpo:R1,R2`` → ``["dpo:R1", "dpo:R2"]``; any other spec → ``[spec]``."""
    head, _, rest = spec.partition(":")
    if head not in LOADERS or "," not in rest:
        return [spec]
    return [f"{head}:{run}" for run in rest.split(",")]
