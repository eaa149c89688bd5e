"""The Clarify/Execute environment."""

from __future__ import annotations

import copy
import os
import random
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from proact_env.domains.scripted import ScriptedBackbone
from proact_env.domains.synthetic.tasks import SyntheticTaskSource
from proact_env.observation import (
    build_observation,
    feature_names,
    new_observation,
    observation_space,
    static_features,
)
from proact_env.options import config_from
from proact_env.personas import PRESETS, Persona, get_preset, sample_persona
from proact_env.render import render_state, transcript_image
from proact_env.reward import RewardConfig, interrupt_cost
from proact_env.rng import pick
from proact_env.rounding import round6
from proact_env.simulator import DialogueContext, UserSimulator, make_simulator
from proact_env.simulator.hearing import hear
from proact_env.types import Action, Backbone, MessageRequest, State, Task, TaskScore, TaskSource, Turn, new_state

#: assistant turns per episode unless configured (`proact generate --max_turns` defaults to it too)
DEFAULT_MAX_TURNS = 6
PERSONA_MODES = ("presets", "sampled")
RESET_OPTIONS = {"task", "persona", "dialogue_turn", "prev_reject", "user_seed"}
_PRESET_LIST = tuple(PRESETS.values())
# the members bound once: reading one off the Enum class costs ~0.1 µs in Python 3.11, and a step tests the action
_EXECUTE = Action.EXECUTE


@dataclass
class Episode:
    """Everything that changes during one episode (what `snapshot()` copies).

    `patience_left`, `questions_asked`, `prev_reject` and `last_score` together
    with `turn` and `revealed` are the Markov state of the dynamics; the rest is
    bookkeeping for observations, infos and rendering.
    """

    task: Task
    persona: Persona
    sim_rng: random.Random
    backbone_rng: random.Random
    patience_left: int
    task_uncertainty: float
    remaining_uncertainty: float
    n_hidden: int
    turn: int = 0
    revealed: frozenset[str] = frozenset()
    questions_asked: int = 0
    prev_reject: bool = False
    last_score: float = 0.0
    failed_attempts: int = 0
    rejections: int = 0
    done: bool = False
    transcript: list[Turn] = field(default_factory=list)
    #: the observation array: its tail (domain, persona) is written at reset, its head on every step
    observation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    #: the task's `hints`, read once per episode (every step's `MessageRequest` carries them)
    hints: Mapping[str, str] = field(default_factory=dict)
    #: the decision point the next step starts from, and its dict (the info's "state", then "decision_state")
    decision: State | None = None
    current_state: dict[str, Any] = field(default_factory=dict)

    @property
    def n_unknown(self) -> int:
        return self.n_hidden - len(self.revealed)

    def state(self) -> State:
        """The seed-format state of the current decision point."""
        task = self.task
        return new_state(task.id, task.domain, task.query, self.turn, int(self.prev_reject),
                         round6(self.remaining_uncertainty))

    def state_dict(self) -> dict[str, Any]:
        """`state().to_dict()`."""
        return self.state().to_dict()

    def new_decision_point(self) -> None:
        """Record the state the next step decides from: built once, read by the backbone's request and the infos."""
        self.decision = self.state()
        self.current_state = self.decision.to_dict()


@dataclass(frozen=True)
class EnvSnapshot:
    """An opaque copy of an env's episode and random streams, for `ProactEnv.restore`."""

    episode: Episode
    sim_rng_state: Any
    backbone_rng_state: Any
    np_random_state: Any


class ProactEnv(gym.Env):
    """
    ## Description

    A user asks an assistant for something (a function, a plan) but keeps part of
    what they want to themselves. At every turn the assistant decides whether to
    **Clarify** (ask one or two questions) or **Execute** (deliver a solution).
    Questions reveal hidden requirements, which raises the chance that a later
    solution succeeds, but they cost the user's attention and patience, and a
    user pushed too far rejects questions or gives up. The policy only decides;
    a *backbone* (scripted, or an LLM) writes the message, and a simulated user
    with a *persona* reacts to it.

    ## Action Space

    `Discrete(2)`: `0` = Clarify, `1` = Execute (`proact_env.Action`). The strings
    `"Clarify"` / `"Execute"` are accepted too.

    ## Observation Space

    `Box(0, 1, (12,), float32)`, or `(22,)` with `observe_persona=True` (the
    default). Text (query, transcript, rendered state) is in `info` and in the
    `TextObservation` wrapper.

    | Num | Feature | Meaning |
    |-----|---------|---------|
    | 0 | turn | dialogue turn / max_turns |
    | 1 | prev_reject | 1 if the user rejected the previous turn |
    | 2 | task_uncertainty | probability that executing at turn 0 fails |
    | 3 | remaining_uncertainty | probability that executing now fails |
    | 4 | info_revealed | share of hidden facts revealed (1 if none was hidden) |
    | 5 | unknown_facts | hidden facts still unknown / 8 |
    | 6 | questions_asked | questions asked / (2 * max_turns) |
    | 7 | last_score | R_task of the latest solution (0 before any) |
    | 8 | failed_attempts | solutions turned down / max_turns |
    | 9 | rejections | questions rejected / max_turns |
    | 10 | domain_coding | 1 for a coding task |
    | 11 | domain_planning | 1 for a planning task |
    | 12-21 | persona_* | patience, expertise, question and long-turn tolerance, reaction probabilities, answer precision, feedback rate (`observe_persona=True` only) |

    ## Rewards

    `reward = (R_task now - R_task before) - C_interrupt` where R_task is the
    score of the latest solution and
    `C_interrupt = alpha * (w1*n_questions + w2*reject_signal + w3*long_turn + w4*off_topic)`
    (`RewardConfig`). An episode's return is therefore the final R_task minus
    the total interruption cost. `info["reward_terms"]` holds every term.
    A question reveals only what it is about (`proact_env.simulator.hearing`):
    each Clarify step reports `info["question_quality"] = {"questions": n,
    "good": g, "repeated": r, "vague": v}` (questions that target a still-hidden
    fact, that ask again about a revealed one, that are about nothing hidden;
    g + r + v = n); Execute steps report `{}`.

    ## Starting State

    A task drawn from the task source and a persona (a random preset by
    default), both from the seed; no message from the assistant yet.

    ## Episode End

    - Termination: a solution reaches `success_threshold` (task complete), or
      the user runs out of patience and gives up.
    - Truncation: `max_turns` assistant turns without either.

    ## Arguments

    - `task_source`: a `TaskSource`; default: synthetic tasks of `domain`.
    - `domain`: ``"coding"``, ``"planning"`` or ``"mixed"`` for the default synthetic source.
    - `persona`: ``"presets"`` (a random preset per episode), ``"sampled"``
      (a new persona per episode), a preset name, a `Persona`, the path of a
      persona ``.json`` file (`Persona.to_dict`, e.g. written by `proact fit-personas`),
      or a list of them (one drawn uniformly per episode: a persona split, `proact_env.splits`).
    - `max_turns`: assistant turns per episode (default 6).
    - `observe_persona`: add the persona features to the observation (default
      True). Without them the user's type must be inferred from reactions and
      the `optimal` policy is an oracle upper bound.
    - `reward`: a `RewardConfig` or a dict of its fields.
    - `backbone`: writes the messages (a `Backbone`: it sees a `MessageRequest`, never the
      hidden facts); default: the scripted writer of each task's domain
      (`proact_env.domains.scripted.ScriptedBackbone`, a `ReferenceWriter` that reads the task
      it simulates a competent assistant for), or the task source's `default_backbone()`. A spec
      string (``"scripted"``, ``"local:smollm2-135m-instruct"``, ``"openai:MODEL[@URL]"``) or a dict
      of `LLMConfig` fields builds an LLM backbone (`proact_env.llm.specs`).
    - `simulator`: the simulated user: ``"rules"`` (default, `RuleBasedSimulator()`),
      ``"llm"`` (an LLM plays the user), ``"llm:MODEL_SPEC"`` (e.g. ``"llm:smollm2-135m-instruct"``),
      a dict ``{"kind": "llm", **LLMConfig fields}``,
      or any `UserSimulator` (`proact_env.simulator.make_simulator`).
    - `render_mode`: None, ``"ansi"`` (the transcript as text) or ``"rgb_array"`` (the same
      transcript drawn as an image, for `RecordVideo` and notebooks; needs matplotlib).

    `reset(options=...)` accepts `task` (a `Task`) and `persona` (as above) to
    pin one episode's task or user, and `dialogue_turn` / `prev_reject` to start
    mid-dialogue as a seed state may (a previous rejection has cost one patience point).
    `user_seed` (an int) reseeds only the simulated user's stream after `seed` has drawn
    the task and persona: the same episode replayed with fresh user randomness (pass^k).

    ## Version History

    - v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}

    def __init__(
        self,
        task_source: TaskSource | None = None,
        *,
        domain: str = "mixed",
        persona: str | Persona = "presets",
        max_turns: int = DEFAULT_MAX_TURNS,
        observe_persona: bool = True,
        reward: RewardConfig | Mapping[str, float] | None = None,
        backbone: Backbone | str | Mapping[str, Any] | None = None,
        simulator: UserSimulator | str | Mapping[str, Any] | None = None,
        render_mode: str | None = None,
    ) -> None:
        if isinstance(max_turns, bool) or not isinstance(max_turns, (int, np.integer)) or max_turns < 1:
            raise ValueError(f"max_turns must be an integer >= 1, got {max_turns!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}, got {render_mode!r}")
        self.persona_option = _check_persona_option(persona)
        self.task_source: TaskSource = task_source if task_source is not None else SyntheticTaskSource(domain=domain)
        self.max_turns = int(max_turns)
        self.observe_persona = bool(observe_persona)
        self.reward_config = config_from(reward, RewardConfig, "reward")
        self.backbone: Backbone = _make_backbone(backbone, self.task_source)
        self.simulator: UserSimulator = make_simulator(simulator)
        self.render_mode = render_mode
        self.action_space = spaces.Discrete(2)
        self.observation_space = observation_space(self.observe_persona)
        self.feature_names = feature_names(self.observe_persona)
        self.episode: Episode | None = None
        self._stream: random.Random | None = None
        self._sim_stream: random.Random | None = None
        self._next_sample = 0

    # -- Gymnasium API ---------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = dict(options) if options else {}
        unknown = options.keys() - RESET_OPTIONS
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}: supported are {sorted(RESET_OPTIONS)}")
        start_turn, start_reject = _start_point(options, self.max_turns) if options else (0, False)
        self._next_sample = 0
        # Two seeded streams: one draws the task, the persona and the backbone's
        # choices; the simulator has its own, so that policies compared on the
        # same seed face the same user reactions as far as possible (common
        # random numbers). They are reseeded only when `seed` is given (seeding
        # a `random.Random` costs more than a whole step) and otherwise continue.
        if seed is not None or self._stream is None:
            stream_seed, sim_seed = (int(x) for x in self.np_random.integers(2**63, size=2))
            self._stream, self._sim_stream = random.Random(stream_seed), random.Random(sim_seed)
        if "user_seed" in options:
            if not isinstance(options["user_seed"], int) or isinstance(options["user_seed"], bool):
                raise ValueError(f"reset option user_seed must be an int, got {options['user_seed']!r}")
            self._sim_stream = random.Random(options["user_seed"])
        episode_rng = self._stream
        task = options.get("task")
        if task is None:
            task = self.task_source.sample(episode_rng)
        elif not isinstance(task, Task):
            raise ValueError(f"reset option 'task' must be a proact_env.Task, got {type(task).__name__}")
        # the constructor checked `self.persona_option` already; only a reset option needs checking
        option = _check_persona_option(options["persona"]) if "persona" in options else self.persona_option
        persona = self._draw_persona(option, episode_rng)
        uncertainty = task.uncertainty(frozenset())
        self.episode = Episode(
            task=task,
            persona=persona,
            sim_rng=self._sim_stream,
            backbone_rng=episode_rng,
            patience_left=persona.patience_budget,
            task_uncertainty=uncertainty,
            remaining_uncertainty=uncertainty,
            n_hidden=len(task.hidden),
            transcript=[Turn("user", task.query)],
            observation=new_observation(static_features(task.domain, persona if self.observe_persona else None)),
            hints=task.hints,
            turn=start_turn,
            prev_reject=start_reject,
            rejections=int(start_reject),
        )
        self.episode.patience_left -= int(start_reject)
        self.episode.new_decision_point()
        info = {
            "state": self.episode.current_state,
            "task_id": task.id,
            "persona": persona.name,
            "query": task.query,
        }
        return self.observe(), info

    def step(self, action):
        ep = self.episode
        if ep is None:
            raise ResetNeeded("Cannot call step() before reset(): call env.reset() to start an episode.")
        if ep.done:
            raise ResetNeeded("The episode has ended (terminated or truncated): call env.reset() before step().")
        try:
            action = Action.parse(action)
        except ValueError as exc:
            raise ValueError(f"{exc} (action space: {self.action_space})") from None

        # the episode's fields read below are bound to locals once: this is the hot path of every rollout
        task, persona, revealed = ep.task, ep.persona, ep.revealed
        decision_state = ep.current_state
        sample = self._next_sample
        request = MessageRequest(  # positional, in field order (as every record built below): a step builds a dozen
            action, ep.decision, ep.transcript, revealed, persona,
            ep.backbone_rng if not sample else random.Random(
                ep.backbone_rng.getrandbits(64) + sample),  # another sample: a stream of its own
            sample, ep.hints,
        )
        try:
            # a domain's scripted writer reads the task it simulates an assistant for; any other backbone
            # gets only what an assistant would know
            write_for = getattr(self.backbone, "write_for", None)
            message = write_for(task, request) if write_for is not None else self.backbone.write(request)
        finally:  # a failed call (LLMCallFailed) must not carry the sample index into another step
            self._next_sample = 0
        if action is _EXECUTE:
            task_score: TaskScore | None = task.score(message)
            hearing = None
        else:
            task_score = None
            hearing = hear(message, task.hidden, revealed)
        success_threshold = self.reward_config.success_threshold
        reaction = self.simulator.react(
            task.query,
            message,
            persona,
            context=DialogueContext(
                task, action, ep.questions_asked, ep.prev_reject, ep.patience_left, revealed, task_score,
                ep.last_score, success_threshold, ep.transcript, hearing,
            ),
            rng=ep.sim_rng,
        )
        meta = reaction.meta
        cost = interrupt_cost(message, meta, persona.long_turn_tolerance, self.reward_config)
        c_interrupt = cost.total

        score_before = ep.last_score
        success = False
        if task_score is not None:
            ep.last_score = task_score.score
            success = task_score.score >= success_threshold
            ep.failed_attempts += not success
        if reaction.revealed:
            ep.revealed = revealed.union(reaction.revealed)
            ep.remaining_uncertainty = task.uncertainty(ep.revealed)
        ep.rejections += meta.reject_signal
        ep.questions_asked += cost.n_questions
        ep.prev_reject = meta.reject_signal
        ep.patience_left = reaction.patience_left
        ep.turn += 1
        ep.transcript.append(Turn("assistant", message, action))
        ep.transcript.append(Turn("user", reaction.user_reply))

        terminated = success or reaction.gave_up
        truncated = not terminated and ep.turn >= self.max_turns
        ep.done = terminated or truncated
        delta = ep.last_score - score_before
        reward = delta - c_interrupt
        ep.new_decision_point()
        info = {
            "state": ep.current_state,
            "decision_state": decision_state,
            "action": action.label,
            "assistant_msg": message,
            "user_reply": reaction.user_reply,
            "meta": meta.to_dict(),
            "revealed": list(reaction.revealed),
            "reward_terms": {
                "r_task": ep.last_score,
                "delta_r_task": delta,
                "c_interrupt": c_interrupt,
                "n_questions": cost.n_questions,
                "questions": cost.questions,
                "reject": cost.reject,
                "long_turn": cost.long,
                "off_topic": cost.drift,
            },
            "task_score": task_score.to_dict() if task_score is not None else {},
            "question_quality": hearing.quality() if hearing is not None else {},
            "usage": request.usage or {},
            "task_id": task.id,
            "persona": persona.name,
            "success": success,
            "gave_up": reaction.gave_up,
        }
        return self.observe(), float(reward), terminated, truncated, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            return transcript_image(self._transcript_text())
        if self.render_mode != "ansi":
            return None
        return self._transcript_text()

    def _transcript_text(self) -> str:
        if self.episode is None:
            return "(no episode: call reset())\n"
        ep = self.episode
        lines = [
            f"task {ep.task.id} [{ep.task.domain}] persona {ep.persona.name} "
            f"turn {ep.turn}/{self.max_turns} score {ep.last_score:.2f} patience {ep.patience_left}"
        ]
        for turn in ep.transcript:
            tag = f"{turn.role} ({turn.action.label})" if turn.action is not None else turn.role
            lines.append(f"{tag}: {turn.text if turn.text else '(no reply)'}")
        return "\n".join(lines) + "\n"

    def decision_prompt(self) -> str:
        """`render_state` of the current decision point, as text policies see it.

        The persona line is shown only when the env observes the persona, so a
        text policy and a numeric one get the same information.
        """
        ep = self._require_episode()
        return render_state(ep.state(), ep.persona if self.observe_persona else None, ep.transcript)

    # -- Branching -------------------------------------------------------------------

    def reseed(self, seed: int) -> None:
        """Give the current episode fresh random streams (backbone and simulated user).

        Continuations rolled out from one snapshot replay the same randomness;
        lookahead rollouts reseed each continuation to get independent samples.
        """
        ep = self._require_episode()
        stream = random.Random(seed)
        ep.backbone_rng = stream
        ep.sim_rng = random.Random(stream.getrandbits(64))
        self._stream, self._sim_stream = ep.backbone_rng, ep.sim_rng

    def set_next_sample(self, sample_index: int) -> None:
        """Ask the backbone for another sample of the next message.

        After `restore()` the next step would reproduce the same message; a
        branch that regenerates the same action (trajectory generation's
        "branch 2") asks for sample 1 instead. Applies to the next step only.
        """
        if isinstance(sample_index, bool) or not isinstance(sample_index, int) or sample_index < 0:
            raise ValueError(f"sample_index must be an integer >= 0, got {sample_index!r}")
        self._next_sample = sample_index

    def snapshot(self) -> EnvSnapshot:
        """Copy the episode and every random stream, so a rollout can branch from here."""
        ep = self._require_episode()
        frozen = replace(ep, transcript=list(ep.transcript), observation=ep.observation.copy(),
                         sim_rng=random.Random(), backbone_rng=random.Random())
        return EnvSnapshot(
            episode=frozen,
            sim_rng_state=ep.sim_rng.getstate(),
            backbone_rng_state=ep.backbone_rng.getstate(),
            np_random_state=copy.deepcopy(self.np_random.bit_generator.state),
        )

    def restore(self, snapshot: EnvSnapshot) -> None:
        """Return to a snapshot; the continuation is the one the snapshot would have seen."""
        if not isinstance(snapshot, EnvSnapshot):
            raise TypeError(f"restore() expects an EnvSnapshot from snapshot(), got {type(snapshot).__name__}")
        ep = replace(snapshot.episode, transcript=list(snapshot.episode.transcript),
                     observation=snapshot.episode.observation.copy(), sim_rng=random.Random(), backbone_rng=random.Random())
        ep.sim_rng.setstate(snapshot.sim_rng_state)
        ep.backbone_rng.setstate(snapshot.backbone_rng_state)
        self.np_random.bit_generator.state = copy.deepcopy(snapshot.np_random_state)
        self._stream, self._sim_stream = ep.backbone_rng, ep.sim_rng
        self.episode = ep

    # -- Helpers ---------------------------------------------------------------------

    def _require_episode(self) -> Episode:
        if self.episode is None:
            raise ResetNeeded("No episode yet: call env.reset() first.")
        return self.episode

    def observe(self) -> np.ndarray:
        """The observation of the current decision point (e.g. after `restore()`)."""
        ep = self.episode
        return build_observation(
            ep.observation, ep.turn, self.max_turns, ep.prev_reject, ep.task_uncertainty, ep.remaining_uncertainty,
            ep.n_hidden, ep.n_unknown, ep.questions_asked, ep.last_score, ep.failed_attempts,
            ep.rejections,
        )

    def _draw_persona(self, option: str | Persona | tuple[Persona, ...], rng: random.Random) -> Persona:
        if isinstance(option, Persona):
            return option
        if isinstance(option, tuple):
            return pick(rng, option)
        if option == "presets":
            return pick(rng, _PRESET_LIST)
        if option == "sampled":
            return sample_persona(rng)
        return get_preset(option)


def _start_point(options: Mapping[str, Any], max_turns: int) -> tuple[int, bool]:
    """The dialogue turn and previous rejection an episode starts from (seed states may start mid-dialogue)."""
    turn = options.get("dialogue_turn", 0)
    if isinstance(turn, bool) or not isinstance(turn, (int, np.integer)) or not 0 <= turn < max_turns:
        raise ValueError(f"reset option 'dialogue_turn' must be an integer in [0, max_turns={max_turns}), got {turn!r}")
    prev_reject = options.get("prev_reject", 0)
    if prev_reject not in (0, 1, True, False):
        raise ValueError(f"reset option 'prev_reject' must be 0 or 1, got {prev_reject!r}")
    return int(turn), bool(prev_reject)


def _check_persona_option(option: Any) -> str | Persona | tuple[Persona, ...]:
    if isinstance(option, Persona):
        return option
    if isinstance(option, Mapping):
        return Persona.from_dict(option)
    if isinstance(option, str) and (option in PERSONA_MODES or option in PRESETS):
        return option
    if isinstance(option, (str, os.PathLike)) and str(option).endswith(".json"):
        return Persona.from_file(option)
    if isinstance(option, (list, tuple)) and option:  # a set of users, one drawn per episode (a persona split)
        return tuple(p if isinstance(p, Persona) else Persona.from_dict(p) for p in option)
    raise ValueError(
        f"persona must be a Persona, a preset name ({', '.join(PRESETS)}), 'presets', 'sampled', a persona "
        f".json file (e.g. from 'proact fit-personas') or a list of presets; got {option!r}"
    )


def _make_backbone(option: Backbone | str | Mapping[str, Any] | None, task_source: TaskSource) -> Backbone:
    """The backbone an env argument asks for: a spec string or config dict builds an LLM backbone (imported
    only then); None or ``"scripted"`` gives the task source's own backbone if it offers one, else each
    domain's scripted writer (offline)."""
    if isinstance(option, (str, Mapping)):
        from proact_env.llm.specs import make_backbone

        option = make_backbone(option)
    if option is not None:
        return option
    make = getattr(task_source, "default_backbone", None)
    return make() if make is not None else ScriptedBackbone()
