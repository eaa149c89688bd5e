"""The coding environments: Gymnasium and SB3 checkers, determinism, vector envs, episodes, backbone."""

from __future__ import annotations

import json
import random
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import proact_env
from proact_env import Action, Task
from proact_env.llm import MessageRequest
from proact_env.llm.scripted_coding import ScriptedCodingBackbone
from proact_env.tasks.coding import CodingSpec
from proact_env.tasks.coding_facts import name_candidates

ENVS = {
    "proact_env/Coding-v0": "mbpp/mbpp.jsonl",
    "proact_env/HumanEvalComm-v0": "humanevalcomm/HumanEvalComm.jsonl",
    "proact_env/HumanEval-v0": "humaneval/HumanEval.jsonl.gz",
}


def make(env_id: str, shared_data, **kwargs):
    return gym.make(env_id, dataset_path=str(shared_data / ENVS[env_id]), **kwargs)


@pytest.mark.parametrize("env_id", ENVS)
def test_registered_and_pass_the_gymnasium_and_sb3_checkers(env_id, shared_data):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    assert env_id in proact_env.ENV_IDS
    env = make(env_id, shared_data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)


def test_missing_dataset_path_is_a_clear_error():
    with pytest.raises(ValueError, match="needs dataset_path=.*mbpp.jsonl"):
        gym.make("proact_env/Coding-v0")


def _rollout(env, seed: int, actions: list[int]) -> list[str]:
    obs, info = env.reset(seed=seed)
    trace = [json.dumps([obs.tolist(), info], sort_keys=True, default=str)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append(json.dumps([obs.tolist(), reward, terminated, truncated, info], sort_keys=True, default=str))
        if terminated or truncated:
            break
    return trace


@pytest.mark.parametrize("env_id", ["proact_env/Coding-v0", "proact_env/HumanEvalComm-v0"])
def test_same_seed_same_episode(env_id, shared_data):
    actions = [0, 1, 0, 1, 1, 1]
    for seed in (0, 11):
        first = _rollout(make(env_id, shared_data), seed, actions)
        second = _rollout(make(env_id, shared_data), seed, actions)
        assert first == second


def test_vector_envs_sync_and_async_match_single_envs(shared_data):
    fns = [lambda: make("proact_env/Coding-v0", shared_data, split="test") for _ in range(2)]
    actions = [np.array([0, 1]), np.array([1, 0]), np.array([1, 1])]
    results = []
    for vector_cls in (gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv):
        vec = vector_cls(fns)
        try:
            obs, _ = vec.reset(seed=5)
            trace = [obs]
            for action in actions:
                obs, reward, terminated, truncated, _ = vec.step(action)
                trace += [obs, reward, terminated, truncated]
        finally:
            vec.close()
        results.append(trace)
    for sync, asynchronous in zip(*results):
        np.testing.assert_array_equal(sync, asynchronous)
    single = make("proact_env/Coding-v0", shared_data, split="test")
    obs, _ = single.reset(seed=5)
    np.testing.assert_array_equal(obs, results[0][0][0])


def test_clarifying_reveals_the_signature_and_execute_really_runs_the_tests(shared_data):
    env = make("proact_env/Coding-v0", shared_data, persona="patient_novice")
    obs, info = env.reset(seed=3)
    task = env.unwrapped.episode.task
    for _ in range(4):  # ask until the user has told the name, parameters and an example
        if env.unwrapped.episode.revealed >= {"signature", "example"}:
            break
        obs, reward, terminated, truncated, info = env.step(Action.CLARIFY)
        assert reward <= 0.0 and info["task_score"] is None
    assert env.unwrapped.episode.revealed >= {"signature", "example"}
    assert info["state"]["task_uncertainty"] == 0.0
    obs, reward, terminated, truncated, info = env.step(Action.EXECUTE)
    assert task.payload.problem.entry_point in info["assistant_msg"]
    assert info["task_score"]["score"] == 1.0 and terminated
    assert info["task_score"]["details"]["isolation"] == "bwrap"
    assert len(info["task_score"]["details"]["tests"]) == len(task.payload.problem.tests)


def _request(task: Task, action: Action, revealed: frozenset[str], seed: int) -> MessageRequest:
    return MessageRequest(action=action, task=task, transcript=[], revealed=revealed,
                          persona=proact_env.get_preset("patient_novice"), dialogue_turn=0, prev_reject=False,
                          rng=random.Random(seed))


def _task(env_id: str, shared_data, task_id: str) -> Task:
    source = make(env_id, shared_data).unwrapped.task_source
    index = next(i for i, p in enumerate(source.problems) if p.id == task_id)
    return source.task(index)


def test_scripted_backbone_guesses_the_name_from_the_text_when_not_told(shared_data):
    task = _task("proact_env/Coding-v0", shared_data, "mbpp/1")
    backbone = ScriptedCodingBackbone()
    names = set()
    for seed in range(12):
        message = backbone.write(_request(task, Action.EXECUTE, frozenset({"example"}), seed))
        name = message.split("I called the function `")[1].split("`")[0]
        assert name in name_candidates(task.query)
        assert f"def {name}(" in message
        score = task.score(message)  # graded by really running it
        assert score.score == (1.0 if name == "min_cost" else 0.0)
        names.add(name)
    assert len(names) > 3
    told = backbone.write(_request(task, Action.EXECUTE, frozenset({"signature", "example"}), 0))
    assert task.score(told).score == 1.0


def test_scripted_backbone_writes_faulty_variants_without_the_example_or_with_low_skill(shared_data):
    task = _task("proact_env/Coding-v0", shared_data, "mbpp/2")
    everything = frozenset({"signature", "example"})
    sloppy = ScriptedCodingBackbone(skill=0.0)
    scores = [task.score(sloppy.write(_request(task, Action.EXECUTE, everything, s))).score for s in range(4)]
    assert min(scores) < 1.0  # a mutated program fails at least once: graded for real
    rate = task.payload.problem.guess_rate("example")
    rng_draws = [random.Random(s) for s in range(200)]
    expected_faulty = sum(1 for r in rng_draws if (r.random(), r.random() >= rate)[1])
    assert 0 < expected_faulty < 200


def test_scripted_backbone_clarify_asks_about_unknown_facts(shared_data):
    task = _task("proact_env/HumanEvalComm-v0", shared_data, "humanevalcomm/0/1p")
    backbone = ScriptedCodingBackbone()
    first = backbone.write(_request(task, Action.CLARIFY, frozenset(), 0))
    assert "name and parameters" in first or "called" in first
    later = backbone.write(_request(task, Action.CLARIFY, frozenset({"signature"}), 0))
    assert "exact" in later
    assert backbone.write(_request(task, Action.CLARIFY, frozenset({"signature", "description"}), 0)).endswith("?")
    with pytest.raises(ValueError):
        ScriptedCodingBackbone(skill=2.0)


def test_humanevalcomm_accepts_the_name_the_modified_prompt_shows(shared_data):
    task = _task("proact_env/HumanEvalComm-v0", shared_data, "humanevalcomm/0/1a")
    assert isinstance(task.payload, CodingSpec)
    message = ScriptedCodingBackbone().write(_request(task, Action.EXECUTE, frozenset({"description"}), 0))
    assert "def candidate(" in message
    assert task.score(message).score == 1.0


def test_sandbox_options_pass_through_the_env(shared_data):
    env = make("proact_env/Coding-v0", shared_data, sandbox={"isolation": "landlock", "limits": {"timeout_s": 5}})
    source = env.unwrapped.task_source
    assert source.sandbox.isolation == "landlock" and source.sandbox.limits.timeout_s == 5
    env.reset(seed=0)
    _, _, _, _, info = env.step(Action.EXECUTE)
    assert info["task_score"]["details"]["isolation"] == "landlock"
    with pytest.raises(ValueError, match="unknown sandbox option"):
        make("proact_env/Coding-v0", shared_data, sandbox={"isolaton": "bwrap"})
