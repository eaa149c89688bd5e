"""The policy benchmark: every policy plays the same episodes (common random numbers).

Episode `i` is reset with the same seed for every policy, so each policy meets
the same task, the same user and, as far as their actions allow, the same user
reactions: differences between policies are not sampling noise. Work is split
into chunks of episodes; a chunk's records depend only on its episode seeds,
so `workers=N` (processes here, or Ray actors through an executor) gives exactly
the serial numbers.
"""

from __future__ import annotations

import math
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids in worker processes)
from proact_env.benchmark.fidelity import failed_calls, llm_user_summary
from proact_env.benchmark.metrics import Decision, EpisodeRecord, summarize
from proact_env.benchmark.paired import across_runs, default_reference, paired_against
from proact_env.benchmark.registry import DEFAULT_POLICIES, make_policy, training_record
from proact_env.distributed.config import ExecutorConfig, ShardExecutor
from proact_env.distributed.executor import open_executor
from proact_env.llm.chat import LLMCallFailed
from proact_env.lockstep import Lockstep
from proact_env.rng import derived_seeds
from proact_env.solver import SyntheticSolver, decision_state
from proact_env.solver_blind import BlindSolver, PersonaPrior, UnsupportedPrior
from proact_env.splits import Split, held_out, recorded_split

#: results.json layout; 2 added `schema_version` and `paired` (differences from the reference policy);
#: 3 added `regret_blind` (against the exact persona-blind optimum), `optimum.blind_mean_value` and `splits`
#: (the declared split evaluated on, and each trained policy's training split and what is held out from it),
#: and the question-quality metrics (`good_question_rate`, `questions_per_revealed_fact`,
#: `repeated_questions_per_episode`, `vague_questions_per_episode`)
RESULTS_SCHEMA_VERSION = 3

#: pass^k is reported up to k = 8, as τ-bench does
MAX_REPLAYS = 8

#: Episodes per unit of work: small enough for a smooth progress bar; envs and
#: policies are built once per run and worker process, not per chunk (`_built`).
CHUNK_EPISODES = 100


@dataclass
class BenchmarkConfig:
    """What to run.

    Attributes:
        env_id: a registered id. Default ``proact_env/Synthetic-v0``.
        policies: policy specs (see `proact_env.benchmark.registry`).
        episodes: episodes per policy. Default 2000.
        seed: seeds the episode seeds. Default 0.
        workers: parallel workers (1 = in-process; processes, or Ray actors with a Ray
            executor). Results do not depend on it.
        env_kwargs: passed to `gymnasium.make`.
        run_groups: several training runs of one policy, ``{"dpo:R1,R2,R3": ("dpo:R1", "dpo:R2",
            "dpo:R3")}``: each run is benchmarked as a policy of its own, and the results add
            the mean across runs with its spread. Default none.
        replays: plays of each episode with fresh user randomness (`user_seed`), 1..8; above 1
            the results add pass^k for k = 1..replays. The table's other metrics use the first
            play only, so they do not depend on it. Default 1.
        reference: the policy every other one is compared with, episode by episode
            (`proact_env.benchmark.paired`). Default None: the best non-oracle policy of the run.
        persona_split, task_split: the declared split to evaluate on (`proact_env.splits`). Default
            ``"all"`` each: the env's own users and tasks.
        allow_train_split: evaluate a trained policy (``dpo:``, ``sb3:``) on a split that holds out
            nothing it was trained on, per its recorded ``training_config.json``. Default False:
            refused, since the numbers would not be held out.
        regret_blind: measure regret against the exact persona-blind optimum too
            (`proact_env.solver_blind`) where the env's persona prior is finite. Solving it costs
            about 15 s of CPU per process, once for all 72 synthetic task shapes. Default True.
        episodes_at_once: episodes each worker plays at once, in lockstep threads
            (`proact_env.lockstep`), so that a local model answers all of their calls in one
            batch. Episode `i` keeps its seed and its record; only batched floating-point
            arithmetic may differ in the last digits, which can change a generated text. Default 1.
    """

    env_id: str = "proact_env/Synthetic-v0"
    policies: Sequence[str] = DEFAULT_POLICIES
    episodes: int = 2000
    seed: int = 0
    workers: int = 1
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    reference: str | None = None
    replays: int = 1
    run_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    persona_split: str = "all"
    task_split: str = "all"
    allow_train_split: bool = False
    regret_blind: bool = True
    episodes_at_once: int = 1

    def __post_init__(self) -> None:
        if self.episodes_at_once < 1:
            raise ValueError(f"episodes_at_once must be >= 1, got {self.episodes_at_once}")
        if self.episodes < 1:
            raise ValueError(f"episodes must be >= 1, got {self.episodes}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if not self.policies:
            raise ValueError("at least one policy is needed")
        if not 1 <= self.replays <= MAX_REPLAYS:
            raise ValueError(f"replays must be in 1..{MAX_REPLAYS}, got {self.replays}")
        for group, runs in self.run_groups.items():
            if len(runs) < 2 or not set(runs) <= set(self.policies):
                raise ValueError(f"run group {group!r} needs two or more runs among the policies, got {list(runs)}")
        if self.reference is not None and self.reference not in self.policies:
            raise ValueError(f"reference {self.reference!r} is not one of the policies {list(self.policies)}")
        self.make_kwargs()  # an unknown split, or a split that clashes with env_kwargs, fails here

    @property
    def split(self) -> Split:
        return Split(self.persona_split, self.task_split)

    def make_kwargs(self) -> dict[str, Any]:
        """`gymnasium.make` arguments: `env_kwargs` with the declared split applied."""
        return self.split.env_kwargs(self.env_id, self.env_kwargs)


def training_splits(config: BenchmarkConfig) -> dict[str, dict[str, Any]]:
    """Each trained policy's recorded training split and what the evaluation holds out from it.

    A model trained on a declared split and evaluated where nothing is held out (neither its users
    nor its tasks) is refused unless `config.allow_train_split`: its numbers would pass for held-out ones.
    """
    splits = {}
    for spec in config.policies:
        path = training_record(spec)
        trained = recorded_split(path) if path is not None else None
        if trained is None:
            continue
        outside = held_out(trained, config.split)
        if trained.declared and not any(outside.values()) and not config.allow_train_split:
            raise ValueError(
                f"{spec} was trained on persona split {trained.personas!r} and task split {trained.tasks!r} "
                f"({path}); evaluating it on persona split {config.persona_split!r} and task split "
                f"{config.task_split!r} holds out none of its users or tasks. Evaluate on a held-out split "
                f"(e.g. --persona_split {trained.complement().personas} --task_split {trained.complement().tasks}), "
                "or pass --allow_train_split for an in-distribution number")
        splits[spec] = {"trained_on": trained.to_dict(), "held_out": outside}
    return splits


def episode_seeds(seed: int, episodes: int) -> list[int]:
    """The reset seed of every episode, derived from the benchmark seed."""
    return derived_seeds(seed, episodes)


#: (run token, spec, slot) -> the env, policy and solvers built for it in this process. Loading
#: a model (an SB3 checkpoint, a DPO adapter on an 8B base) once per run, not per chunk; a slot
#: is one of the `episodes_at_once` copies that play in lockstep.
_BUILT: dict[tuple[str, str, int], tuple[gym.Env, Any, SyntheticSolver | None, BlindSolver | None]] = {}
#: run token -> the backbone and simulator that env kwargs named by spec, shared by every env of
#: the run in this process (they are thread-safe): one model load, one usage tally, one summary
_RUN_MODELS: dict[str, dict[str, Any]] = {}


def _built(config: BenchmarkConfig, spec: str, run: str,
           slot: int = 0) -> tuple[gym.Env, Any, SyntheticSolver | None, BlindSolver | None]:
    if any(key[0] != run for key in _BUILT):  # a new run: drop what the previous one built
        for env, *_ in _BUILT.values():
            env.close()
        _BUILT.clear()
        _RUN_MODELS.clear()
    if (run, spec, slot) not in _BUILT:
        env = gym.make(config.env_id, **config.make_kwargs())
        if run not in _RUN_MODELS:  # only the latest run's models are kept
            _RUN_MODELS.clear()
        shared = _RUN_MODELS.setdefault(run, {})
        for name in ("backbone", "simulator"):
            if isinstance(config.env_kwargs.get(name), (str, dict)):  # built from a spec: share the first one
                setattr(env.unwrapped, name, shared.setdefault(name, getattr(env.unwrapped, name)))
        blind = blind_solver(env) if config.regret_blind else None
        _BUILT[(run, spec, slot)] = (env, make_policy(spec, env), exact_solver(env), blind)
    return _BUILT[(run, spec, slot)]


def built_policies() -> dict[str, Any]:
    """The policies this process built for the latest run (their `summary()` says e.g. what an LLM failed);
    with `episodes_at_once` > 1, the first of each policy's copies."""
    return {spec: policy for (_, spec, slot), (_, policy, *_) in _BUILT.items() if slot == 0}


def built_models() -> dict[str, Any]:
    """The backbone and simulator that env kwargs named by spec, as built for the latest run in this process."""
    return next(iter(_RUN_MODELS.values()), {})


def run_chunk(config: BenchmarkConfig, first: int, seeds: Sequence[int], run: str = "") -> list[EpisodeRecord]:
    """Every policy on episodes `first, first+1, ...` with the given seeds."""
    records = []
    for spec in config.policies:
        slots = min(config.episodes_at_once, len(seeds))
        if slots == 1:
            records.extend(_play_slot(config, spec, run, 0, list(enumerate(seeds, first))))
            continue
        lockstep = Lockstep(members=slots)
        work = [list(enumerate(seeds, first))[slot::slots] for slot in range(slots)]
        for slot in range(slots):
            _built(config, spec, run, slot)  # build in this thread: loaders are not all thread-safe
        with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="proact-episode") as pool:
            futures = [pool.submit(_play_in_lockstep, lockstep, config, spec, run, slot, work[slot])
                       for slot in range(slots)]
            played = [record for future in futures for record in future.result()]
        records.extend(sorted(played, key=lambda r: r.episode))
    return records


def _play_in_lockstep(lockstep: Lockstep, config: BenchmarkConfig, spec: str, run: str, slot: int,
                      episodes: list[tuple[int, int]]) -> list[EpisodeRecord]:
    with lockstep.member(slot):
        return _play_slot(config, spec, run, slot, episodes)


def _play_slot(config: BenchmarkConfig, spec: str, run: str, slot: int,
               episodes: list[tuple[int, int]]) -> list[EpisodeRecord]:
    """One copy's episodes (index, seed), each with its replays."""
    env, policy, solver, blind = _built(config, spec, run, slot)
    records = []
    for index, seed in episodes:
        record = play_episode(env, policy, spec, index, seed, solver, blind=blind)
        record.replay_successes = [record.success] + [
            play_episode(env, policy, spec, index, seed, None, user_seed=user_seed).success
            for user_seed in replay_user_seeds(seed, config.replays)]
        records.append(record)
    return records


def replay_user_seeds(seed: int, replays: int) -> list[int]:
    """The simulated user's seed for each replay after the first (the first keeps the episode's own)."""
    return derived_seeds([seed, 1], replays - 1) if replays > 1 else []


def exact_solver(env: gym.Env) -> SyntheticSolver | None:
    """The exact solver when the env's dynamics are the synthetic ones, else None (no regret)."""
    try:
        return SyntheticSolver.for_env(env)
    except TypeError:
        return None


def blind_solver(env: gym.Env) -> BlindSolver | None:
    """The exact persona-blind solver where the persona prior is finite, else None (no `regret_blind`)."""
    try:
        return BlindSolver.for_env(env)
    except (TypeError, UnsupportedPrior):
        return None


def blind_unavailable(make_kwargs: dict[str, Any]) -> str | None:
    """Why a synthetic run has no persona-blind optimum (None when it has one)."""
    try:
        PersonaPrior.for_option(make_kwargs.get("persona", "presets"))
    except (UnsupportedPrior, ValueError, KeyError) as exc:
        return str(exc)
    return None


def play_episode(
    env: gym.Env, policy: Any, spec: str, index: int, seed: int, solver: SyntheticSolver | None,
    user_seed: int | None = None, blind: BlindSolver | None = None,
) -> EpisodeRecord:
    obs, info = env.reset(seed=seed, options=None if user_seed is None else {"user_seed": user_seed})
    policy.reset(seed)
    base = env.unwrapped
    ep = base.episode
    record = EpisodeRecord(
        policy=spec, episode=index, seed=seed, task_id=ep.task.id, persona=ep.persona.name,
        episode_return=0.0, r_task=0.0, c_interrupt=0.0, success=False, gave_up=False,
        turns=0, asks=0, questions=0, rejections=0,
        optimal_value=solver.model_for(env).value() if solver is not None else None,
        blind_value=blind.episode_value(env) if blind is not None else None,
    )
    user_before = _user_counts(base)
    done = False
    while not done:
        action = int(policy.act(obs, info))
        decision = Decision(float(ep.remaining_uncertainty), action, turn=ep.turn, prev_reject=bool(ep.prev_reject))
        if solver is not None:
            model, state = solver.model_for(env), decision_state(env)
            q = model.q_values(state)  # (Q(Clarify), Q(Execute)), indexed by the action's value
            decision.optimal_action = int(model.optimal_action(state))  # same cached Q-values, solver's tie rule
            decision.lost_value = max(0.0, q[decision.optimal_action] - q[action])
        record.decisions.append(decision)
        try:
            obs, reward, terminated, truncated, info = env.step(action)
        except LLMCallFailed as exc:  # the episode ends here; the run goes on and reports it
            record.decisions.pop()
            record.failed_call = exc.failure.reason
            break
        terms = info["reward_terms"]
        record.episode_return += reward
        record.rewards.append(float(reward))
        record.c_interrupt += terms["c_interrupt"]
        record.questions += terms["n_questions"]
        record.rejections += info["meta"]["reject_signal"]
        record.asks += action == 0
        if action == 0:
            quality = info["question_quality"]
            record.good_questions += quality["good"]
            record.repeated_questions += quality["repeated"]
            record.vague_questions += quality["vague"]
            record.revealed_by_questions += len(info["revealed"])
        record.turns += 1
        for key, value in (info.get("question_quality") or {}).items():
            record.question_quality[key] = record.question_quality.get(key, 0) + int(value)
        done = terminated or truncated
    if user_before is not None:
        record.user_counts = {k: v - user_before.get(k, 0) for k, v in _user_counts(base).items()}
    if record.turns:
        record.r_task = terms["r_task"]
        record.success = info["success"]
        record.gave_up = info["gave_up"]
    return record


def _user_counts(env: Any) -> dict[str, int] | None:
    """A copy of the LLM user's running counts for this thread (None for a user without them)."""
    counts = getattr(getattr(env, "simulator", None), "thread_counts", None)
    return dict(counts()) if callable(counts) else None


@dataclass
class BenchmarkResults:
    config: BenchmarkConfig
    records: list[EpisodeRecord]

    def by_policy(self) -> dict[str, list[EpisodeRecord]]:
        grouped: dict[str, list[EpisodeRecord]] = {spec: [] for spec in self.config.policies}
        for record in self.records:
            grouped[record.policy].append(record)
        return grouped

    def summary(self) -> dict[str, Any]:
        """The content of results.json: configuration, optimum and per-policy metrics."""
        grouped = self.by_policy()
        first = next(iter(grouped.values()))
        optimal_values = [r.optimal_value for r in first]
        optimum = None
        if all(v is not None for v in optimal_values):
            optimum = {"exact_mean_value": float(np.mean(optimal_values))}
            blind_values = [r.blind_value for r in first]
            if all(v is not None for v in blind_values):
                optimum["blind_mean_value"] = float(np.mean(blind_values))
            elif not self.config.regret_blind:
                optimum["blind_unavailable"] = "not computed (regret_blind=False)"
            else:
                optimum["blind_unavailable"] = blind_unavailable(self.config.make_kwargs()) or \
                    "an episode's user is outside the env's persona prior"
        longest = max(r.turns for r in self.records)  # every policy's budgets run to the same length
        policies = {spec: summarize(records, longest) for spec, records in grouped.items()}
        reference = self.config.reference or default_reference(
            {spec: m["mean_return"] for spec, m in policies.items()})
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            # `workers` says where the run went, not what it is: leaving it out keeps
            # results.json identical whatever the parallelism.
            "config": {k: v for k, v in asdict(self.config).items() if k != "workers"}
            | {"policies": list(self.config.policies)},
            "optimum": optimum,
            "policies": policies,
            "paired": paired_against(grouped, reference) if len(grouped) > 1 else None,
            "run_groups": {group: across_runs([policies[run]["mean_return"] for run in runs], runs)
                           for group, runs in self.config.run_groups.items()},
            "splits": {"evaluation": self.config.split.to_dict(), "models": training_splits(self.config)},
            "llm_user": llm_user_summary(grouped),
            "failed_model_calls": failed_calls(grouped),
        }


@dataclass(frozen=True)
class ChunkRunner:
    """`run_chunk` for one benchmark, as the picklable work an executor ships to its workers."""

    config: BenchmarkConfig
    run: str = ""

    def __call__(self, chunk: tuple[int, Sequence[int]]) -> list[EpisodeRecord]:
        first, seeds = chunk
        return run_chunk(self.config, first, seeds, self.run)


def run_benchmark(
    config: BenchmarkConfig,
    progress: Callable[[int], None] | None = None,
    executor: ShardExecutor | None = None,
) -> BenchmarkResults:
    """Run every policy on the same episodes; `progress(n)` is called as episodes finish.

    Chunks run on `config.workers` local processes, or wherever `executor` runs them (e.g. Ray actors).
    """
    training_splits(config)  # refuse an evaluation that holds out nothing before any work
    seeds = episode_seeds(config.seed, config.episodes)
    chunks = [(first, seeds[first:first + CHUNK_EPISODES]) for first in range(0, len(seeds), CHUNK_EPISODES)]
    records = []
    with nullcontext(executor) if executor else open_executor(ExecutorConfig(workers=config.workers)) as chosen:
        for position, chunk_records in chosen.map(ChunkRunner(config, uuid.uuid4().hex), chunks):
            records.extend(chunk_records)
            if progress:
                progress(len(chunks[position][1]) * len(config.policies))
    records.sort(key=lambda r: (list(config.policies).index(r.policy), r.episode))
    return BenchmarkResults(config, records)


def format_table(summary: dict[str, Any]) -> str:
    """The printed comparison: one row per policy, intervals as ±."""
    has_optimum = summary["optimum"] is not None
    header = ["policy", "return", "success", "R_task", "C_int", "q/ep", "reject", "ask", "turns"]
    has_blind = has_optimum and "blind_mean_value" in summary["optimum"]
    if has_optimum:
        header += ["regret", "regret_blind"] if has_blind else ["regret"]
        header += ["agree"]
    rows = [header]
    for spec, m in summary["policies"].items():
        row = [
            spec,
            f"{m['mean_return']:.3f} ±{_fmt(m['return_ci95'])}",
            f"{m['success_rate']:.3f}",
            f"{m['mean_r_task']:.3f}",
            f"{m['mean_c_interrupt']:.3f}",
            f"{m['questions_per_episode']:.2f}",
            f"{m['reject_rate']:.3f}",
            f"{m['ask_rate']:.3f}",
            f"{m['mean_turns']:.2f}",
        ]
        if has_optimum:
            row += [f"{m['regret']:.3f} ±{_fmt(m['regret_ci95'])}"]
            if has_blind:
                row += [f"{m['regret_blind']:+.3f} ±{_fmt(m['regret_blind_ci95'])}"]
            row += [f"{m['agreement_with_optimal']:.3f}"]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if has_optimum:
        lines.append(f"exact optimal value (mean over these episodes): {summary['optimum']['exact_mean_value']:.3f}")
        if has_blind:
            lines.append(f"exact persona-blind optimal value (mean over these episodes): "
                         f"{summary['optimum']['blind_mean_value']:.3f}")
        else:
            lines.append(f"no persona-blind optimum: {summary['optimum']['blind_unavailable']}")
    for group, g in summary.get("run_groups", {}).items():
        lines.append(f"{group} over {len(g['runs'])} training runs: mean return {g['mean_return']:.3f}, "
                     f"sd across runs {g['sd']:.3f} (95% t-interval ±{g['ci95']:.3f}); "
                     f"runs {', '.join(f'{v:.3f}' for v in g['run_means'])}")
    return "\n".join(lines + _question_lines(summary) + _reliability_lines(summary))


def _question_lines(summary: dict[str, Any]) -> list[str]:
    """Question quality per policy that asks: good-question rate, questions per revealed fact, repeats."""
    asking = {spec: m for spec, m in summary["policies"].items() if m["questions_per_episode"] > 0}
    if not asking:
        return []
    width = max(len(spec) for spec in asking)
    lines = ["question quality (good: share that target a still-hidden fact; q/fact: questions per fact an "
             "answer revealed; repeated, vague: per episode):",
             f"  {'policy'.ljust(width)}  good   q/fact  repeated  vague"]
    for spec, m in asking.items():
        lines.append(f"  {spec.ljust(width)}  {_fmt(m['good_question_rate']):<5}  "
                     f"{_fmt(m['questions_per_revealed_fact']):<6}  {m['repeated_questions_per_episode']:<8.3f}  "
                     f"{m['vague_questions_per_episode']:.3f}")
    return lines


def _reliability_lines(summary: dict[str, Any]) -> list[str]:
    """Success by turn budget and, with replays, pass^k: one row per policy each."""
    lines = []
    budgets = next(iter(summary["policies"].values()))["by_turn_budget"]["budget"]
    width = max(len(spec) for spec in summary["policies"])
    lines.append("success within a turn budget of " + ", ".join(map(str, budgets)) + " turns:")
    for spec, m in summary["policies"].items():
        lines.append(f"  {spec.ljust(width)}  " + "  ".join(f"{v:.3f}" for v in m["by_turn_budget"]["success"]))
    if any("pass_k" in m for m in summary["policies"].values()):
        ks = list(next(m["pass_k"] for m in summary["policies"].values()))
        lines.append(f"pass^k over {ks[-1]} replays with fresh user randomness, k = " + ", ".join(ks) + ":")
        for spec, m in summary["policies"].items():
            lines.append(f"  {spec.ljust(width)}  " + "  ".join(f"{v:.3f}" for v in m["pass_k"].values()))
    return lines


def format_split(splits: dict[str, Any]) -> str:
    """What the run evaluates on and, for each trained policy, what of that is held out from its training."""
    evaluation = splits["evaluation"]
    users = ", ".join(evaluation["presets"]) if evaluation["presets"] else "sampled personas"
    lines = [f"split: persona {evaluation['personas']} ({users}), tasks {evaluation['tasks']}"]
    for spec, model in splits["models"].items():
        trained, outside = model["trained_on"], model["held_out"]
        lines.append(f"  {spec}: trained on persona split {trained['personas']}, task split {trained['tasks']}; "
                     f"held out here: users {'yes' if outside['personas'] else 'no'}, "
                     f"tasks {'yes' if outside['tasks'] else 'no'}")
    return "\n".join(lines)


def format_lost_value(summary: dict[str, Any], top: int = 3) -> str:
    """Where each policy makes its regret: its `top` worst (situation, persona) rows.

    The optimum and policies that lose under 0.001 per episode are left out; the
    whole breakdown is in results.json under `lost_value_by_situation`.
    """
    lines = []
    for spec, m in summary["policies"].items():
        rows = m.get("lost_value_by_situation") or []
        if sum(row["lost_value_per_episode"] for row in rows) < 1e-3:
            continue
        lines.append(f"where {spec} loses value (worst {min(top, len(rows))} of {len(rows)} situations x persona):")
        for row in rows[:top]:
            lines.append(f"  {row['situation']}, {row['persona']}: asks {row['ask_rate']:.2f} vs optimal "
                         f"{row['optimal_ask_rate']:.2f} over {row['decisions']} decisions, "
                         f"-{row['lost_value_per_episode']:.4f} per episode")
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.3f}"
