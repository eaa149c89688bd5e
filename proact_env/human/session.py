"""A person plays one side of the env, episode after episode, and every turn is saved as it happens.

The person either plays the **user** (a policy decides, the backbone writes, the
person reacts through `HumanSimulator`) or the **assistant** (the person decides and
writes through `HumanBackbone`, the simulated user reacts). The episode loop is the
same for the terminal (`proact play`), the web page (`proact ui`) and tests; only the
`Person` differs. Episode `i` of a session is reset with the benchmark's seed of
episode `i` (`episode_seeds`), so a person meets the tasks and users every policy of a
benchmark with the same seed met, and their decisions can be paired with the policies'.

Each turn is one unit of the session's trajectory file (`SessionLog`), in the seed's
trajectory format with ``source: "human"``, written the moment the turn is played. A
session resumes where it stopped: its saved turns are replayed through the env (same
seed, same replies) to rebuild the interrupted episode, and checked against what was
saved, so nothing is lost, repeated or silently changed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import gymnasium as gym

from proact_env.benchmark.registry import make_policy
from proact_env.benchmark.runner import episode_seeds
from proact_env.domains.synthetic.tasks import SyntheticTaskSource
from proact_env.human.log import SessionLog
from proact_env.rollout.generate import action_prompt
from proact_env.simulator.human import HumanReply, HumanSimulator, UserTurn, check_reply
from proact_env.simulator.rules import RuleBasedSimulator
from proact_env.solver import SyntheticSolver, decision_state
from proact_env.types import Action, MessageRequest, State

SIDES = ("user", "assistant")
_SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class SessionConfig:
    """One participant's session.

    Attributes:
        side: ``user`` (the person reacts to a policy's turns) or ``assistant``
            (the person decides Clarify/Execute and writes; the simulated user reacts).
        participant: who plays (an id of your study, never a name); the session id
            defaults to ``<participant>-<side>``, so running the same command again
            resumes the same session.
        env_id: any registered env id. Default ``proact_env/Synthetic-v0``.
        env_kwargs: `gymnasium.make` arguments (as `--env-kwargs`).
        persona: the env's persona option (a preset, ``presets``, ``sampled`` or a
            persona .json file); None keeps the env's (or `env_kwargs`') own. On the
            user side it is what the policy and the reward assume of the person.
        policy: the policy spec that decides when the person plays the user (any
            `proact benchmark` spec). Default ``threshold``.
        episodes: episodes in the session. Default 3.
        seed: seeds the episodes exactly as `proact benchmark --seed` does. Default 0.
        session_id: overrides ``<participant>-<side>``.
        backbone: what writes the assistant's messages on the user side, recorded
            with every line (the LLM config's identity; empty for the scripted writer).
    """

    side: str
    participant: str = "anonymous"
    env_id: str = "proact_env/Synthetic-v0"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    persona: str | None = None
    policy: str = "threshold"
    episodes: int = 3
    seed: int = 0
    session_id: str | None = None
    backbone: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {self.side!r}")
        if not 1 <= self.episodes <= 1000:
            raise ValueError(f"episodes must be in 1..1000, got {self.episodes}")
        if self.session_id is None:
            self.session_id = f"{self.participant}-{self.side}"
        if not _SESSION_ID.match(self.session_id):
            raise ValueError(f"participant/session id {self.session_id!r}: use letters, digits, '_', '.' or '-' "
                             "(at most 64; an id of your study, not a person's name)")

    def make_env(self, *, backbone: Any = None, simulator: Any = None) -> gym.Env:
        kwargs = dict(self.env_kwargs)
        if self.persona is not None:
            kwargs["persona"] = self.persona
        if backbone is not None:
            kwargs["backbone"] = backbone
        if simulator is not None:
            kwargs["simulator"] = simulator
        return gym.make(self.env_id, **kwargs)

    def identity(self) -> dict[str, Any]:
        """What every line records of the session, so a file explains itself."""
        return {"session_id": self.session_id, "participant": self.participant, "side": self.side,
                "env_id": self.env_id, "env_kwargs": self.env_kwargs, "persona_option": self.persona,
                "policy": self.policy if self.side == "user" else None, "seed": self.seed,
                "episodes": self.episodes, "backbone": self.backbone}


@dataclass(frozen=True)
class AssistantMove:
    """The person's turn as the assistant: the decision and the message."""

    action: Action
    text: str


class Person(Protocol):
    """Whoever plays: a terminal, a web page, a test. `view` is the JSON-able state of the episode."""

    def decide(self, view: Mapping[str, Any]) -> AssistantMove:
        """Assistant side: Clarify or Execute, and the message."""

    def react(self, view: Mapping[str, Any], turn: UserTurn) -> HumanReply:
        """User side: the reaction to the assistant's turn."""

    def episode_over(self, view: Mapping[str, Any]) -> None:
        """The episode ended (`view["outcome"]`); may wait for the person to go on."""


class HumanBackbone:
    """The assistant's message is the one the person wrote, handed over before the step."""

    def __init__(self) -> None:
        self._pending: str | None = None

    def feed(self, text: str) -> None:
        self._pending = text

    def write(self, request: MessageRequest) -> str:
        if self._pending is None:
            raise RuntimeError("HumanBackbone: no message was fed before env.step()")
        text, self._pending = self._pending, None
        return text


class ReplayDiverged(RuntimeError):
    """A resumed episode did not replay as saved (the env, the policy or the code changed)."""


def decision_solver(env: gym.Env) -> SyntheticSolver | None:
    """The exact solver where it applies: synthetic tasks and the rule-based user.

    The person's own message replaces the scripted writer's, so the lost value of
    an assistant-side decision is measured in the model where the scripted writer
    words it: it judges the decision, not the wording.
    """
    base = env.unwrapped
    if isinstance(base.task_source, SyntheticTaskSource) and isinstance(base.simulator, RuleBasedSimulator):
        return SyntheticSolver(max_turns=base.max_turns, reward=base.reward_config, simulator=base.simulator.config)
    return None


def judge(solver: SyntheticSolver | None, env: gym.Env, action: Action) -> dict[str, Any] | None:
    """Q-values at the decision point and the value the action loses against the optimum."""
    if solver is None:
        return None
    model, state = solver.model_for(env), decision_state(env)
    q = model.q_values(state)
    optimal = model.optimal_action(state)
    return {"q_clarify": q[0], "q_execute": q[1], "optimal_action": optimal.label,
            "lost_value": max(0.0, q[optimal] - q[action])}


class SessionRunner:
    """Plays a session's episodes with one person, saving each turn; resumes from the log."""

    def __init__(self, config: SessionConfig, log: SessionLog, person: Person,
                 backbone_factory: Callable[[], Any] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.log = log
        self.person = person
        self.clock = clock
        self.human_backbone = HumanBackbone() if config.side == "assistant" else None
        self.simulator = HumanSimulator(self._respond) if config.side == "user" else None
        backbone = self.human_backbone if config.side == "assistant" else (backbone_factory() if backbone_factory else None)
        self.env = config.make_env(backbone=backbone, simulator=self.simulator)
        self.policy = make_policy(config.policy, self.env) if config.side == "user" else None
        self.solver = decision_solver(self.env)
        self.seeds = episode_seeds(config.seed, config.episodes)
        self._replay: list[dict[str, Any]] = []
        self._view: dict[str, Any] = {}
        self._asked_at = 0.0
        self._response_s = 0.0

    # -- the loop --------------------------------------------------------------------

    def run(self) -> list[dict[str, Any]]:
        """Play every episode not finished yet; returns each played episode's outcome."""
        saved = episodes_of(self.log.session_lines(self.config.session_id))
        outcomes = []
        for index in range(self.config.episodes):
            lines = saved.get(index, [])
            if lines and lines[-1]["done"]:
                continue
            outcomes.append(self.play_episode(index, lines))
        return outcomes

    def play_episode(self, index: int, saved: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
        env, base = self.env, self.env.unwrapped
        seed = self.seeds[index]
        obs, info = env.reset(seed=seed)
        if self.policy is not None:
            self.policy.reset(seed)
        self._replay = list(saved)
        self._view = {"episode": index, "episodes": self.config.episodes, "side": self.config.side,
                      "session_id": self.config.session_id, "query": info["query"], "max_turns": base.max_turns,
                      "turns": [], "return": 0.0, "brief": self._brief() if self.config.side == "user" else None}
        done, decision_point, step_info = False, 0, info
        while not done:
            replayed = self._replay[0] if self._replay else None
            ep = base.episode
            before = {"state": ep.state_dict(), "persona": ep.persona.to_dict(),
                      "transcript": [t.to_dict() for t in ep.transcript], "r_task_before": ep.last_score,
                      "context": {"questions_before": ep.questions_asked, "prev_reject": ep.prev_reject,
                                  "patience_left": ep.patience_left, "revealed_before": sorted(ep.revealed),
                                  "hidden": [f._asdict() for f in ep.task.hidden]}}
            if self.config.side == "assistant":
                move = self._assistant_move(replayed)
                action = move.action
                self.human_backbone.feed(move.text)
            else:
                action = Action.parse(self.policy.act(obs, step_info))
                if replayed is not None and replayed["action"] != action.label:
                    raise ReplayDiverged(f"episode {index} turn {decision_point}: the policy now chooses "
                                         f"{action.label}, the saved session has {replayed['action']}")
            judged = judge(self.solver, env, action)
            prompt = action_prompt(MessageRequest(action, State(**before["state"]), ep.transcript, ep.revealed,
                                                  ep.persona, rng=ep.backbone_rng, hints=ep.task.hints))
            self._asked_at = self.clock()
            obs, reward, terminated, truncated, step_info = env.step(action)
            done = terminated or truncated
            line = self._line(index, seed, decision_point, action, prompt, before, step_info, reward, done, judged)
            if replayed is not None:
                self._check_replay(replayed, line)
                self._replay.pop(0)
            else:
                self.log.append(line)
            self._view["turns"].append(_turn_view(line))
            if self.config.side == "user":
                self._view["brief"] = self._brief()  # what the reply revealed is struck through
            self._view["return"] += reward
            decision_point += 1
        outcome = {"episode": index, "return": self._view["return"], "success": step_info["success"],
                   "gave_up": step_info["gave_up"], "turns": decision_point}
        self._view["outcome"] = outcome
        self.person.episode_over(dict(self._view))
        return outcome

    # -- the person's turns ------------------------------------------------------------

    def _assistant_move(self, replayed: Mapping[str, Any] | None) -> AssistantMove:
        if replayed is not None:
            return AssistantMove(Action.parse(replayed["action"]), replayed["assistant_msg"])
        view = dict(self._view, prompt=self.env.unwrapped.decision_prompt(), hints=dict(self.env.unwrapped.episode.task.hints))
        self._asked_at = self.clock()
        move = self.person.decide(view)
        if not move.text.strip():
            raise ValueError("the assistant's message is empty: write the question or the solution")
        self._response_s = self.clock() - self._asked_at
        return move

    def _respond(self, turn: UserTurn) -> HumanReply:
        """`HumanSimulator`'s question to the person (or the saved reply, when resuming)."""
        replayed = self._replay[0] if self._replay else None
        if replayed is not None:
            return HumanReply.from_dict(replayed["human"]["reply"])
        view = dict(self._view, pending=_pending_view(turn), brief=self._brief())
        self._asked_at = self.clock()
        reply = check_reply(self.person.react(view, turn), turn)
        self._response_s = self.clock() - self._asked_at
        return reply

    def _brief(self) -> list[dict[str, Any]]:
        ep = self.env.unwrapped.episode
        return [{"key": f.key, "answer": f.answer, "revealed": f.key in ep.revealed} for f in ep.task.hidden]

    # -- lines -------------------------------------------------------------------------

    def _line(self, episode: int, seed: int, decision_point: int, action: Action, prompt: str,
              before: Mapping[str, Any], info: Mapping[str, Any], reward: float, done: bool,
              judged: dict[str, Any] | None) -> dict[str, Any]:
        base = self.env.unwrapped
        human: dict[str, Any] = {**self.config.identity(), "episode": episode,
                                 "response_s": round(self._response_s, 3)}
        if self.config.side == "user":
            human["reply"] = self.simulator.last_reply.to_dict()
        state_id = f"{self.config.session_id}/{episode:04d}"
        return {
            "state": before["state"],
            "action": action.label,
            "action_prompt": prompt,
            "assistant_msg": info["assistant_msg"],
            "persona": before["persona"],
            "user_reaction": {"user_reply": info["user_reply"], "meta": info["meta"], "revealed": info["revealed"],
                              "gave_up": info["gave_up"]},
            "is_mainline": True,
            "decision_point": decision_point,
            "mainline_action": action.label,
            "state_id": state_id,
            "branch": "mainline",
            "task_id": info["task_id"],
            "task_source": base.episode.task.source,
            "transcript": before["transcript"],
            "r_task_before": before["r_task_before"],
            "r_task_after": info["reward_terms"]["r_task"],
            "task_score": info["task_score"] or None,
            "reward": reward,
            "reward_terms": info["reward_terms"],
            "done": done,
            "success": info["success"],
            "usage": info["usage"] or None,
            "seed": seed,
            "source": "human",
            "human": human,
            "context": before["context"],
            "solver": judged,
        }

    @staticmethod
    def _check_replay(saved: Mapping[str, Any], line: Mapping[str, Any]) -> None:
        for name in ("action", "assistant_msg", "task_id"):
            if saved[name] != line[name]:
                raise ReplayDiverged(f"{saved['state_id']} turn {saved['decision_point']}: field {name!r} replays as "
                                     f"{line[name]!r}, the saved session has {saved[name]!r}; the env, its settings or "
                                     "the backbone changed since the session was saved: start a new session id")
        if saved["user_reaction"]["user_reply"] != line["user_reaction"]["user_reply"]:
            raise ReplayDiverged(f"{saved['state_id']} turn {saved['decision_point']}: the user's reply replays "
                                 "differently from the saved session; start a new session id")


def _pending_view(turn: UserTurn) -> dict[str, Any]:
    return {"assistant_msg": turn.assistant_msg, "action": turn.action.label, "choices": list(turn.choices),
            "score": turn.score, "success": turn.success, "patience_left": turn.patience_left,
            "unrevealed": [f.key for f in turn.unrevealed]}


def _turn_view(line: Mapping[str, Any]) -> dict[str, Any]:
    """One played turn as the pages show it (also what `proact_env.human.browse` builds from files)."""
    return {"decision_point": line["decision_point"], "action": line["action"], "assistant_msg": line["assistant_msg"],
            "user_reply": line["user_reaction"]["user_reply"], "meta": line["user_reaction"]["meta"],
            "revealed": line["user_reaction"]["revealed"], "reward": line.get("reward"),
            "reward_terms": line.get("reward_terms"), "solver": line.get("solver"),
            "choice": (line.get("human") or {}).get("reply", {}).get("choice")}


def episodes_of(lines: Sequence[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """A session's saved lines by episode, in turn order."""
    grouped: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        grouped.setdefault(int(line["human"]["episode"]), []).append(dict(line))
    for turns in grouped.values():
        turns.sort(key=lambda t: t["decision_point"])
    return grouped


def session_progress(lines: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, int, bool]]:
    """(episode, turns saved, finished) for each episode a session has lines of."""
    for index, turns in sorted(episodes_of(lines).items()):
        yield index, len(turns), bool(turns[-1]["done"])
