"""Configuration of a GRPO run: one typed dataclass, every default documented (like TRL's `GRPOConfig`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

#: what the policy is trained to do (`proact_env.agents.grpo_train`)
GRPO_MODES = ("decision", "text", "q")


@dataclass
class GRPOTrainingConfig:
    """What `examples/train_grpo.py` trains.

    Attributes:
        mode: ``"decision"`` (whole conversations; tools ``clarify()``/``execute()``, the scripted
            writer writes), ``"text"`` (whole conversations; tools ``ask_user(question)`` and
            ``submit_solution(solution)``, the model writes) or ``"q"`` (single decisions on
            Synthetic-v0's decision points, rewarded by the exact Q*(s, a)). Default ``"decision"``.
        model: base model: a name `proact_env.llm.local_models` resolves (``smollm2-135m-instruct``),
            a local path or a hub id. Default ``"smollm2-135m-instruct"``.
        output: folder for the adapter, results, training log and plot.
        env_id: Discrete(2) env of the episodes (text mode plays its ``-Text-v0`` twin);
            ``"q"`` needs ``proact_env/Synthetic-v0``. Default ``"proact_env/Synthetic-v0"``.
        env_kwargs: keyword arguments of the env (``max_turns``, ``persona``...). Default ``{}``.
        train_episodes: training episodes (``"q"``: decision points), seeds ``0..n-1``. Default ``256``.
        eval_episodes: held-out episodes (``"q"``: decision points) from seed 1,000,000,
            played before and after training. Default ``64``.
        eval_samples: samples per held-out episode, averaged per seed. Default ``2``.
        max_steps: optimizer steps. Default ``60``.
        prompts_per_step: episodes per step; each is played `num_generations` times. Default ``2``.
        num_generations: GRPO group size: rollouts per episode whose rewards are compared. Default ``8``.
        lr: learning rate of the adapter. Default ``1e-4`` (LoRA).
        beta: KL coefficient against the base (0: no reference pass, TRL's default). Default ``0.0``.
        temperature: sampling temperature of rollouts and evaluation. Default ``1.0``.
        max_completion_length: tokens the model writes per rollout, tool replies included. Default ``160``.
        max_tool_calls: tool-calling rounds per rollout. Default ``6`` (the env's max_turns).
        lora_r, lora_alpha, lora_dropout: LoRA rank, scale, dropout. Defaults ``16``, ``32``, ``0.0``.
        target_modules: modules that get adapters. Default ``"all-linear"``.
        seed: seeds the adapter initialisation, the data order and sampling. Default ``0``.
        logging_steps: log every this many steps. Default ``1``.
        warmup_steps: supervised steps teaching the answer format before GRPO, every prompt answered
            by both decisions alike (decision mode: the calls ``clarify()``/``execute()``; q mode: the
            words "Clarify"/"Execute"; `agents/answer_warmup.py`): for a model that does not answer in
            the format zero-shot, whose groups would otherwise all score alike. The "before" evaluation
            is then the warmed model. Default ``0`` (none).
        bf16: train in bfloat16 (GPU only). Default ``False``.
        use_vllm: generate with vLLM colocated on the GPU (GPU only, needs vllm). Default ``False``.
        extra: further `trl.GRPOConfig` fields, passed as they are.
    """

    output: Path
    mode: str = "decision"
    model: str = "smollm2-135m-instruct"
    env_id: str = "proact_env/Synthetic-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    train_episodes: int = 256
    eval_episodes: int = 64
    eval_samples: int = 2
    max_steps: int = 60
    prompts_per_step: int = 2
    num_generations: int = 8
    lr: float = 1e-4
    beta: float = 0.0
    temperature: float = 1.0
    max_completion_length: int = 160
    max_tool_calls: int = 6
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    target_modules: str | list[str] = "all-linear"
    seed: int = 0
    logging_steps: int = 1
    warmup_steps: int = 0
    bf16: bool = False
    use_vllm: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        if self.mode not in GRPO_MODES:
            raise ValueError(f"mode must be one of {GRPO_MODES}, got {self.mode!r}")
        if self.mode == "q" and self.env_id != "proact_env/Synthetic-v0":
            raise ValueError("mode 'q' rewards with the exact solver, which needs env_id proact_env/Synthetic-v0")
        for name in ("train_episodes", "eval_episodes", "eval_samples", "max_steps", "prompts_per_step",
                     "max_completion_length", "max_tool_calls", "lr", "lora_r", "lora_alpha", "temperature"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.num_generations < 2:
            raise ValueError(f"num_generations must be >= 2 (GRPO compares rollouts of one episode), "
                             f"got {self.num_generations!r}")
        if self.warmup_steps < 0 or (self.warmup_steps and self.mode == "text"):
            raise ValueError(f"warmup_steps must be >= 0 and needs mode 'decision' or 'q' (text mode's answers "
                             f"carry the model's own words), got {self.warmup_steps!r} in mode {self.mode!r}")
        if self.beta < 0 or not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"need beta >= 0 and 0 <= lora_dropout < 1, got {self.beta!r}, {self.lora_dropout!r}")

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["output"] = str(self.output)
        return record
