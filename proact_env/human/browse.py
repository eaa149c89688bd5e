"""Episodes to look at: from a trajectories file, or replayed from a benchmark's results folder.

A trajectories file (`proact generate`, `proact play`, `proact ui`) is read with the
same validation `proact rewards` applies, so a malformed line fails with the same
``file:line: field 'x': ...`` message, and each line's reward is the one `proact
rewards` computes. Its lines are grouped into episodes (`state_id`), the mainline's
turns in order with the other branches beside them.

A results folder holds one summary row per episode (`episodes.csv`); its turns are not
saved. Episodes are deterministic given their seed, so `replay_episode` plays the row
again with the same env, policy and seed and reports whether it reproduces the saved
return. Only built-in policies are replayed: a loader spec would load a model file and
an ``import:`` spec would run code named by a file, which a page must never do.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Mapping, Sequence

import gymnasium as gym

from proact_env.benchmark.registry import BUILTIN, make_policy
from proact_env.benchmark.report import EPISODE_COLUMNS
from proact_env.benchmark.runner import exact_solver
from proact_env.errors import SchemaError
from proact_env.io import read_jsonl
from proact_env.preferences import score_trajectory, validate_trajectory
from proact_env.registration import ENV_IDS
from proact_env.reward import RewardConfig
from proact_env.solver import decision_state

PLOTS = ("pareto.png", "calibration.png", "reliability.png")


def load_trajectories(path: Path, reward: RewardConfig | None = None) -> list[dict[str, Any]]:
    """Episodes of a trajectories file, each with its turns, outcome and return."""
    reward = reward or RewardConfig()
    by_state: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for where, record in read_jsonl(path):
        if "failed" in record:  # a state whose LLM calls failed during generation
            continue
        validate_trajectory(record, where)
        by_state[record["state_id"]].append((where, record))
    return [_episode(state_id, lines, reward) for state_id, lines in by_state.items()]


def _episode(state_id: str, lines: Sequence[tuple[str, dict[str, Any]]], reward: RewardConfig) -> dict[str, Any]:
    mainline = sorted((item for item in lines if item[1].get("is_mainline", True)),
                      key=lambda item: item[1]["decision_point"])
    branches: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for where, record in lines:
        if not record.get("is_mainline", True):
            branches[record["decision_point"]].append(_turn(where, record, reward))
    turns = [dict(_turn(where, record, reward), branches=branches.get(record["decision_point"], []))
             for where, record in mainline]
    first = (mainline or lines)[0][1]
    last = (mainline or lines)[-1][1]
    human = first.get("human") or {}
    success = bool(last.get("success", last["r_task_after"] >= reward.success_threshold))
    gave_up = bool(last["user_reaction"].get("gave_up"))
    outcome = "success" if success else "gave up" if gave_up else "ended" if last.get("done") else "unfinished"
    if first.get("source") == "human":
        policy = f"human ({human.get('side')})" if human.get("side") == "assistant" else f"{human.get('policy')} (person as user)"
    else:
        policy = first.get("mainline_policy") or "generate"
    return {
        "id": state_id, "task_id": first.get("task_id"), "query": first["state"]["query"],
        "domain": first["state"]["domain"], "persona": first["persona"].get("name", "?"), "policy": policy,
        "source": first.get("source", "generated"), "participant": human.get("participant"),
        "outcome": outcome, "return": sum(t["reward"] for t in turns), "turns": turns,
        "lost_value": (sum(t["solver"]["lost_value"] for t in turns)
                       if turns and all(t.get("solver") for t in turns) else None),
    }


def _turn(where: str, record: Mapping[str, Any], reward: RewardConfig) -> dict[str, Any]:
    scored = score_trajectory(record, where, reward)
    reaction = record["user_reaction"]
    choice = ((record.get("human") or {}).get("reply") or {}).get("choice")
    return {"where": where, "decision_point": record["decision_point"], "branch": record.get("branch", "mainline"),
            "action": record["action"], "assistant_msg": record["assistant_msg"],
            "user_reply": reaction.get("user_reply", ""), "meta": reaction["meta"],
            "revealed": reaction.get("revealed", []), "choice": choice, "reward": scored.reward,
            "r_task": scored.task_score, "c_interrupt": scored.interrupt_cost,
            "reward_terms": record.get("reward_terms"), "solver": record.get("solver")}


# -- benchmark results folders -------------------------------------------------------------


def load_results(folder: Path) -> dict[str, Any]:
    """results.json, the episode rows of episodes.csv and which plots exist."""
    summary_path = folder / "results.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{summary_path} not found: open a folder written by 'proact benchmark --out'")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{summary_path}:{exc.lineno}", None, f"invalid JSON ({exc.msg})") from None
    for name in ("config", "policies"):
        if not isinstance(summary.get(name), dict):
            raise SchemaError(str(summary_path), name, "missing or not an object (is this a 'proact benchmark' results.json?)")
    return {"summary": summary, "episodes": read_episode_rows(folder / "episodes.csv"),
            "plots": [name for name in PLOTS if (folder / name).is_file()]}


_INT_COLUMNS = ("episode", "seed", "turns", "asks", "questions", "rejections")
_FLOAT_COLUMNS = ("episode_return", "r_task", "c_interrupt", "optimal_value")


def read_episode_rows(path: Path) -> list[dict[str, Any]]:
    """episodes.csv as typed rows; a bad cell names its file, line and column."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: open a folder written by 'proact benchmark --out'")
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in EPISODE_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SchemaError(f"{path}:1", missing[0], "missing column (is this a 'proact benchmark' episodes.csv?)")
        for number, row in enumerate(reader, start=2):
            rows.append(_typed_row(row, f"{path}:{number}"))
    return rows


def _typed_row(row: Mapping[str, str], where: str) -> dict[str, Any]:
    typed: dict[str, Any] = {"policy": row["policy"], "task_id": row["task_id"], "persona": row["persona"]}
    for name in _INT_COLUMNS + _FLOAT_COLUMNS:
        cell = row.get(name)
        if cell in (None, "") and name == "optimal_value":
            typed[name] = None
            continue
        try:
            typed[name] = int(cell) if name in _INT_COLUMNS else float(cell)
        except (TypeError, ValueError):
            kind = "an integer" if name in _INT_COLUMNS else "a number"
            raise SchemaError(where, name, f"expected {kind}, got {cell!r}") from None
    for name in ("success", "gave_up"):
        if row.get(name) not in ("True", "False"):
            raise SchemaError(where, name, f"expected True or False, got {row.get(name)!r}")
        typed[name] = row[name] == "True"
    typed["outcome"] = "success" if typed["success"] else "gave up" if typed["gave_up"] else "ended"
    return typed


def replay_episode(summary: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """Play a benchmark episode again, turn by turn, with the lost value of each decision where the solver applies."""
    config = summary["config"]
    spec = str(row["policy"])
    env_id = config.get("env_id")
    if spec.partition(":")[0] not in BUILTIN:
        raise ValueError(f"policy {spec!r} is not replayed in the browser: only built-in policies are "
                         f"({', '.join(BUILTIN)}); a model or imported code is never loaded by a page")
    if env_id not in ENV_IDS:
        raise ValueError(f"env {env_id!r} is not a registered id ({', '.join(ENV_IDS)})")
    env = gym.make(env_id, **dict(config.get("env_kwargs") or {}))
    try:
        return _replay(env, make_policy(spec, env), exact_solver(env), row)
    finally:
        env.close()


def _replay(env: gym.Env, policy: Any, solver: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    seed = int(row["seed"])
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    base = env.unwrapped
    turns, total, done = [], 0.0, False
    while not done:
        action = int(policy.act(obs, info))
        judged = None
        if solver is not None:
            model, state = solver.model_for(env), decision_state(env)
            q = model.q_values(state)
            optimal = int(model.optimal_action(state))
            judged = {"q_clarify": q[0], "q_execute": q[1], "optimal_action": "Clarify" if optimal == 0 else "Execute",
                      "lost_value": max(0.0, q[optimal] - q[action])}
        uncertainty = base.episode.remaining_uncertainty
        obs, reward, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        total += reward
        turns.append({"decision_point": len(turns), "action": info["action"], "assistant_msg": info["assistant_msg"],
                      "user_reply": info["user_reply"], "meta": info["meta"], "revealed": info["revealed"],
                      "reward": reward, "reward_terms": info["reward_terms"], "solver": judged,
                      "remaining_uncertainty": uncertainty, "branches": []})
    saved = float(row["episode_return"])
    return {"id": f"{row['policy']}#{row['episode']}", "query": base.episode.task.query, "task_id": row["task_id"],
            "persona": row["persona"], "policy": row["policy"], "outcome": row.get("outcome"), "return": total,
            "turns": turns, "lost_value": sum(t["solver"]["lost_value"] for t in turns) if solver else None,
            "reproduced": math.isclose(total, saved, abs_tol=1e-6), "saved_return": saved}
