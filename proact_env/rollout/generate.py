"""Step 1 of the pipeline: trajectories from states (mainline + branches, multi-turn, lookahead).

One *unit* of work is one input state. From its decision point the env is
snapshotted and three trajectories are played: the mainline action (the seed's
persona rule, `--mainline_action` or a `--mainline` policy), the other action, and the mainline action
again as a different sample. In multi-turn mode the mainline continues and the
same happens at every later decision point until the task is complete, the user
gives up or `max_turns` is reached. With lookahead, each trajectory is rolled on
to the end of the episode `lookahead` times by a continuation policy, so the value
of a question shows in the return and not only its cost.

A unit's lines depend only on its own seed, so units can run in any order, on
any number of threads (or Ray workers), and a resumed run reproduces a clean one.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

from proact_env.distributed.config import ShardExecutor
from proact_env.distributed.executor import ThreadExecutor
from proact_env.domains.scripted import ScriptedBackbone
from proact_env.domains.states import StateTask, load_state_tasks
from proact_env.domains.synthetic.tasks import SyntheticSpec
from proact_env.env import DEFAULT_MAX_TURNS, ProactEnv
from proact_env.errors import SchemaError
from proact_env.io import UnitWriter, atomic_write_text, read_json
from proact_env.llm.chat import LLMCallFailed
from proact_env.llm.prompting import assistant_messages
from proact_env.personas import PRESETS, Persona
from proact_env.records import FailedLine, LookaheadStep, TrajectoryLine, UserReaction
from proact_env.rng import derived_seeds
from proact_env.seed_rule import seed_rule_action
from proact_env.splits import Split
from proact_env.text import message_stats
from proact_env.types import Action, Backbone, MessageRequest, ReactionMeta, Task, TaskScore, TaskSource

MODES = ("synthetic", "dataset")
GENERATORS = ("slots", "planning")
BRANCHES = ("mainline", "other_action", "resample")


class ContinuationPolicy(Protocol):
    def act(self, observation: Any, info: Mapping[str, Any]) -> Action: ...

    def reset(self, seed: int | None = None) -> None: ...


class ExecuteNext:
    """The default lookahead continuation: deliver a solution at every later turn."""

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        return Action.EXECUTE

    def reset(self, seed: int | None = None) -> None:
        """Stateless."""


@dataclass
class GenerationConfig:
    """What `proact generate` does (the seed's flags, plus resumability and lookahead).

    Attributes:
        out: the trajectories JSONL to write.
        mode: ``synthetic`` (states generated here) or ``dataset`` (read from `dataset_path`).
        domain: ``coding`` or ``planning`` (synthetic mode; dataset states carry their own).
        generator: synthetic mode's task generator: ``slots`` (default; the
            analytically solvable slot tasks of `domain`) or ``planning`` (the
            planning domain's generator of tasks with hidden constraints).
        n_states: how many states (synthetic: generated; dataset: the first n). Default 50.
        dataset_path: states JSONL in the seed schema (dataset mode).
        seed: seeds every unit. Default 0.
        persona: ``presets``, ``sampled`` or a preset name, drawn per state. Default ``presets``.
        persona_split, task_split: a declared split (`proact_env.splits`): the users drawn per
            state and, in synthetic slots mode, the tasks. Recorded in the ``.meta.json`` sidecar.
            Default ``"all"`` each.
        mainline_action: force the mainline action; None uses the seed's persona rule.
        mainline: a policy spec that picks the mainline action instead (e.g. ``random``):
            the states a multi-turn run reaches are the ones its mainline visits, so a
            policy trained on the pairs only sees the later turns of that mainline; the
            persona rule almost never asks twice. The caller builds the policy
            (`UnitGenerator(mainline=...)`); this records it for resumption.
        multi_turn: play whole conversations, branching at every decision point.
        max_turns: assistant turns per conversation (the env's `max_turns`). Default: the env's, 6.
        lookahead: continuation rollouts per trajectory (0 = one-step comparison). Default 0.
        continuation: the continuation policy's spec, ``execute`` (execute next) by
            default; the caller builds the policy (`UnitGenerator(continuation=...)`),
            this records it so a resume can check it did not change.
        backbone: what writes the messages (provider, model, server, sampling), recorded
            for the same reason; empty for the scripted backbone's defaults.
        concurrency: units generated at once (threads; LLM calls overlap). Default 1.
        resume: continue an interrupted run; overwrite: replace an existing output.
    """

    out: Path
    mode: str = "synthetic"
    domain: str = "coding"
    generator: str = "slots"
    n_states: int | None = 50
    dataset_path: Path | None = None
    seed: int = 0
    persona: str = "presets"
    persona_split: str = "all"
    task_split: str = "all"
    mainline_action: Action | None = None
    mainline: str | None = None
    multi_turn: bool = False
    max_turns: int = DEFAULT_MAX_TURNS
    lookahead: int = 0
    continuation: str = "execute"
    backbone: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 1
    resume: bool = False
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"--mode must be one of {MODES}, got {self.mode!r}")
        if self.mode == "dataset" and self.dataset_path is None:
            raise ValueError("--mode dataset needs --dataset_path (a states JSONL in the seed schema)")
        if self.mode == "synthetic" and self.domain not in ("coding", "planning"):
            raise ValueError(f"--domain must be coding or planning, got {self.domain!r}")
        if self.generator not in GENERATORS:
            raise ValueError(f"--generator must be one of {GENERATORS}, got {self.generator!r}")
        if self.generator == "planning" and self.domain != "planning":
            raise ValueError("--generator planning makes planning tasks: use it with --domain planning")
        if self.n_states is not None and self.n_states < 1:
            raise ValueError(f"--n_states must be >= 1, got {self.n_states}")
        if self.max_turns < 1 or self.lookahead < 0 or self.concurrency < 1:
            raise ValueError("--max_turns and --concurrency must be >= 1 and --lookahead >= 0")
        if self.resume and self.overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        if self.mainline is not None and self.mainline_action is not None:
            raise ValueError("--mainline (a policy) and --mainline_action (a fixed action) exclude each other")
        if self.persona not in ("presets", "sampled") and self.persona not in PRESETS:
            raise ValueError(f"--persona must be presets, sampled or a preset ({', '.join(PRESETS)}), got {self.persona!r}")
        if self.persona != "presets" and self.persona_split != "all":
            raise ValueError("--persona and --persona_split both choose the users: give one of them")
        if self.split.tasks != "all" and (self.mode, self.generator) != ("synthetic", "slots"):
            raise ValueError("--task_split splits the synthetic slot tasks; a states file is one task set (make it "
                             "from one split, e.g. 'proact convert-mbpp --split train')")

    @property
    def split(self) -> Split:
        return Split(self.persona_split, self.task_split)

    def persona_option(self) -> str | list[str]:
        """The env's `persona` argument: the split's users, or `persona` when no split is declared."""
        return self.split.persona_option() if self.persona_split != "all" else self.persona

    def identity(self) -> dict[str, Any]:
        """What must not change between a run and its resumption."""
        return {
            "mode": self.mode, "domain": self.domain, "generator": self.generator, "n_states": self.n_states,
            "dataset_path": str(self.dataset_path) if self.dataset_path else None, "seed": self.seed,
            "persona": self.persona,
            "split": self.split.to_dict(),
            "mainline_action": self.mainline_action.label if self.mainline_action is not None else None,
            "multi_turn": self.multi_turn, "max_turns": self.max_turns, "lookahead": self.lookahead, "continuation": self.continuation,
            "backbone": self.backbone,
            # only when set, so runs written before the option existed still resume
            **({"mainline": self.mainline} if self.mainline is not None else {}),
        }


@dataclass(frozen=True)
class WorkUnit:
    """One input state to expand into trajectories."""

    index: int
    seed: int
    task: Task
    dialogue_turn: int = 0
    prev_reject: int = 0


def plan_units(config: GenerationConfig) -> list[WorkUnit]:
    """Every unit of the run, validated before any work starts."""
    if config.mode == "synthetic":
        seeds = derived_seeds(config.seed, config.n_states)
        source = _generator(config)
        units = [WorkUnit(i, s, source.sample(random.Random(s))) for i, s in enumerate(seeds)]
    else:
        units = _dataset_units(config)
    if config.continuation == "optimal":
        unsolvable = next((u for u in units if not isinstance(u.task.payload, SyntheticSpec)), None)
        if unsolvable is not None:
            raise ValueError(f"--continuation optimal needs synthetic tasks (the exact solver), but state "
                             f"{unsolvable.task.id!r} is a {unsolvable.task.source!r} task; use 'execute' or a heuristic")
    return units


def _dataset_units(config: GenerationConfig) -> list[WorkUnit]:
    items = load_state_tasks(config.dataset_path, limit=config.n_states)
    _check_unique_ids(items)
    for item in items:
        if item.state.dialogue_turn >= config.max_turns:
            raise SchemaError(item.where, "dialogue_turn",
                              f"{item.state.dialogue_turn} leaves no turn to play with --max_turns {config.max_turns}")
    seeds = derived_seeds(config.seed, len(items))
    return [WorkUnit(i, s, item.task, item.state.dialogue_turn, item.state.prev_reject)
            for i, (item, s) in enumerate(zip(items, seeds))]


def _generator(config: GenerationConfig) -> TaskSource:
    if config.generator == "planning":
        from proact_env.domains.planning import PlanningTaskSource

        return PlanningTaskSource()
    return config.split.synthetic_source(config.domain)


def _check_unique_ids(items: Sequence[StateTask]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item.state.id in seen:
            raise SchemaError(item.where, "id", f"duplicate id {item.state.id!r} (first at {seen[item.state.id]})")
        seen[item.state.id] = item.where


class UnitGenerator:
    """Plays the units of one run; one env per thread (envs are not thread-safe)."""

    def __init__(
        self,
        config: GenerationConfig,
        backbone_factory: Callable[[], Backbone] | None = None,
        continuation: Callable[[ProactEnv], ContinuationPolicy] = lambda env: ExecuteNext(),
        mainline: Callable[[ProactEnv], ContinuationPolicy] | None = None,
    ) -> None:
        self.config = config
        self.backbone_factory = backbone_factory
        self.continuation = continuation
        self.mainline = mainline
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        """A distributed run ships the generator to each worker; its per-thread envs are rebuilt there."""
        return {k: v for k, v in self.__dict__.items() if k != "_local"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def _env(self) -> ProactEnv:
        env = getattr(self._local, "env", None)
        if env is None:
            env = ProactEnv(
                backbone=self.backbone_factory() if self.backbone_factory else ScriptedBackbone(),
                persona=self.config.persona_option(),
                max_turns=self.config.max_turns,
            )
            self._local.env = env
            self._local.policy = self.continuation(env)
            self._local.mainline = self.mainline(env) if self.mainline else None
        return env

    def run(self, unit: WorkUnit) -> list[TrajectoryLine] | list[FailedLine]:
        """The unit's lines; if the LLM could not be reached after its retries, one failure line."""
        try:
            return self._expand(unit)
        except LLMCallFailed as exc:
            return [FailedLine(state_id=_state_id(unit), task_id=unit.task.id, failed=str(exc), seed=unit.seed)]

    def _expand(self, unit: WorkUnit) -> list[TrajectoryLine]:
        env = self._env()
        obs, info = env.reset(seed=unit.seed, options={"task": unit.task, "dialogue_turn": unit.dialogue_turn,
                                                       "prev_reject": unit.prev_reject})
        chooser = self._local.mainline
        if chooser is not None:
            chooser.reset(unit.seed)
        state_id = _state_id(unit)
        lines: list[TrajectoryLine] = []
        decision_point = 0
        while True:
            here = env.snapshot()
            if self.config.mainline_action is not None:
                mainline = self.config.mainline_action
            else:
                mainline = chooser.act(obs, info) if chooser is not None else _seed_rule(env)
            after_mainline = None
            for branch, action, sample in (
                ("mainline", mainline, 0),
                ("other_action", Action(1 - mainline), 0),
                ("resample", mainline, 1),
            ):
                env.restore(here)
                line, step_obs, step_info = self._play(env, unit, state_id, decision_point, branch, action, sample,
                                                       mainline)
                if branch == "mainline":
                    after_mainline = (env.snapshot(), env.episode.done, step_obs, step_info)
                if self.config.lookahead:
                    line = replace(line, lookahead=self._lookahead(env, here, unit.seed, decision_point, action,
                                                                   sample))
                lines.append(line)
            snapshot, done, obs, info = after_mainline
            if not self.config.multi_turn or done:
                return lines
            env.restore(snapshot)
            decision_point += 1

    def _play(self, env: ProactEnv, unit: WorkUnit, state_id: str, decision_point: int, branch: str,
              action: Action, sample: int, mainline: Action) -> tuple[TrajectoryLine, Any, dict[str, Any]]:
        """One branch's line, and the step's observation and info (what the mainline policy sees next)."""
        ep = env.episode
        state, persona, transcript = ep.state(), ep.persona, tuple(ep.transcript)
        prompt = action_prompt(MessageRequest(action, state, ep.transcript, ep.revealed, persona,
                                              rng=ep.backbone_rng, hints=ep.task.hints))
        r_task_before = ep.last_score
        env.set_next_sample(sample)
        obs, _, terminated, truncated, info = env.step(action)
        line = TrajectoryLine(
            state=state,
            action=action,
            action_prompt=prompt,
            assistant_msg=info["assistant_msg"],
            persona=persona,
            user_reaction=UserReaction(user_reply=info["user_reply"], meta=ReactionMeta(**info["meta"]),
                                       revealed=tuple(info["revealed"]), gave_up=info["gave_up"]),
            is_mainline=branch == "mainline",
            decision_point=decision_point,
            mainline_action=mainline,
            state_id=state_id,
            branch=branch,
            task_id=unit.task.id,
            task_source=unit.task.source,
            transcript=transcript,
            r_task_before=r_task_before,
            r_task_after=info["reward_terms"]["r_task"],
            task_score=TaskScore(**info["task_score"]) if info["task_score"] else None,
            done=terminated or truncated,
            usage=info["usage"] or None,
            seed=unit.seed,
        )
        return line, obs, info

    def _lookahead(self, env: ProactEnv, here: Any, seed: int, decision_point: int, action: Action,
                   sample: int) -> tuple[tuple[LookaheadStep, ...], ...]:
        """`lookahead` rollouts that each take `action` from the decision point and play on to the end.

        Each rollout replays the branch's own step with fresh randomness, then
        the continuation policy; the mean return is a Monte Carlo estimate of
        Q(state, action). Rollout k uses the same seed for every branch of a
        decision point (common random numbers), so the branches' estimates
        differ by their actions, not by luck. Every step's raw reward features
        are kept so the reward step can re-score them with any weights.
        """
        policy = self._local.policy
        rollouts = []
        for k in range(self.config.lookahead):
            env.restore(here)
            (rollout_seed,) = derived_seeds([seed, decision_point, k], 1)
            env.reseed(rollout_seed)
            policy.reset(rollout_seed)
            env.set_next_sample(sample)
            obs, _, _, _, info = env.step(action)
            steps = [step_features(info, env.episode.persona)]
            while not env.episode.done:
                obs, _, _, _, info = env.step(policy.act(obs, info))
                steps.append(step_features(info, env.episode.persona))
            rollouts.append(tuple(steps))
        return tuple(rollouts)


def action_prompt(request: MessageRequest) -> str:
    """The prompt an LLM backbone is given for this action (recorded even for scripted runs)."""
    return "\n\n".join(m.content for m in assistant_messages(request))


def _state_id(unit: WorkUnit) -> str:
    return f"{unit.index:06d}-{unit.task.id}"


def step_features(info: Mapping[str, Any], persona: Persona) -> LookaheadStep:
    """What the reward step needs to re-score one continuation step with any weights."""
    return LookaheadStep(
        delta_r_task=info["reward_terms"]["delta_r_task"],
        n_questions=info["reward_terms"]["n_questions"],
        reject_signal=info["meta"]["reject_signal"],
        long_turn=message_stats(info["assistant_msg"]).prose_words > persona.long_turn_tolerance,
        off_topic=info["meta"]["off_topic_flag"],
    )


def _seed_rule(env: ProactEnv) -> Action:
    ep = env.episode
    return seed_rule_action(ep.persona.patience, ep.remaining_uncertainty, ep.prev_reject, ep.turn)


@dataclass
class GenerationSummary:
    units_total: int
    units_done_before: int
    units_written: int
    lines_written: int
    by_action: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def run_generation(
    config: GenerationConfig,
    generator: UnitGenerator | None = None,
    progress: Callable[[int], None] | None = None,
    units: Sequence[WorkUnit] | None = None,
    executor: ShardExecutor | None = None,
) -> GenerationSummary:
    """Generate every unit not yet on disk, written in order; `concurrency` at a time on threads here,
    or wherever `executor` runs them (e.g. Ray workers: the file is the same)."""
    units = list(units) if units is not None else plan_units(config)
    generator = generator or UnitGenerator(config)
    with UnitWriter(config.out, resume=config.resume, overwrite=config.overwrite) as writer:
        _check_resumable(config, writer)
        done_before = writer.next_unit
        todo = [u for u in units if u.index >= done_before]
        summary = GenerationSummary(len(units), done_before, 0, 0)
        for position, lines in (executor or ThreadExecutor(config.concurrency)).map(generator.run, todo):
            writer.write_unit(todo[position].index, [line.to_dict() for line in lines])
            summary.units_written += 1
            summary.lines_written += len(lines)
            for line in lines:
                if isinstance(line, FailedLine):
                    summary.failed.append(f"{line.state_id}: {line.failed}")
                else:
                    label = line.action.label
                    summary.by_action[label] = summary.by_action.get(label, 0) + 1
            if progress:
                progress(1)
    return summary


def _check_resumable(config: GenerationConfig, writer: UnitWriter) -> None:
    """A resumed run must continue the same configuration: compare with the sidecar."""
    sidecar = config.out.with_name(config.out.name + ".meta.json")
    identity = config.identity()
    if config.resume and sidecar.is_file():
        saved = read_json(sidecar)
        saved.setdefault("split", Split().to_dict())  # written before splits existed: the whole distribution
        changed = {k: (saved.get(k), v) for k, v in identity.items() if saved.get(k) != v}
        if changed:
            raise ValueError(f"cannot resume {config.out}: settings differ from the interrupted run: {changed}")
    atomic_write_text(sidecar, json.dumps(identity, indent=2) + "\n")
