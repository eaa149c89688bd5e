"""The coding environments beyond the generic env contract (checkers, determinism and vector envs
run for every registered id in test_env_api.py): episodes, the scripted backbone, options."""

from __future__ import annotations

import random

import gymnasium as gym
import pytest

import proact_env
from proact_env import Action, Task
from proact_env.domains.coding.facts import name_candidates
from proact_env.domains.coding.tasks import CodingSpec
from proact_env.domains.coding.writer import ScriptedCodingBackbone
from proact_env.grading.sandbox import SandboxConfig, probe
from proact_env.types import MessageRequest

ENVS = {
    "proact_env/Coding-v0": "mbpp/mbpp.jsonl",
    "proact_env/HumanEvalComm-v0": "humanevalcomm/HumanEvalComm.jsonl",
    "proact_env/HumanEval-v0": "humaneval/HumanEval.jsonl.gz",
}


def make(env_id: str, shared_data, **kwargs):
    return gym.make(env_id, dataset_path=str(shared_data / ENVS[env_id]), **kwargs)


def test_missing_dataset_path_is_a_clear_error():
    with pytest.raises(ValueError, match="needs dataset_path=.*mbpp.jsonl"):
        gym.make("proact_env/Coding-v0")


def test_clarifying_reveals_the_signature_and_execute_really_runs_the_tests(shared_data):
    env = make("proact_env/Coding-v0", shared_data, persona="patient_novice")
    obs, info = env.reset(seed=3)
    task = env.unwrapped.episode.task
    for _ in range(4):  # ask until the user has told the name, parameters and an example
        if env.unwrapped.episode.revealed >= {"signature", "example"}:
            break
        obs, reward, terminated, truncated, info = env.step(Action.CLARIFY)
        assert reward <= 0.0 and info["task_score"] == {}
    assert env.unwrapped.episode.revealed >= {"signature", "example"}
    assert info["state"]["task_uncertainty"] == 0.0
    obs, reward, terminated, truncated, info = env.step(Action.EXECUTE)
    assert task.payload.problem.entry_point in info["assistant_msg"]
    assert info["task_score"]["score"] == 1.0 and terminated
    assert info["task_score"]["details"]["isolation"] == probe(SandboxConfig()).level
    assert len(info["task_score"]["details"]["tests"]) == len(task.payload.problem.tests)


def _request(task: Task, action: Action, revealed: frozenset[str], seed: int) -> MessageRequest:
    return MessageRequest(action=action, state=task.state(revealed=revealed), transcript=[], revealed=revealed,
                          persona=proact_env.get_preset("patient_novice"), rng=random.Random(seed))


def _task(env_id: str, shared_data, task_id: str) -> Task:
    source = make(env_id, shared_data).unwrapped.task_source
    index = next(i for i, p in enumerate(source.problems) if p.id == task_id)
    return source.task(index)


def test_scripted_backbone_guesses_the_name_from_the_text_when_not_told(shared_data):
    task = _task("proact_env/Coding-v0", shared_data, "mbpp/1")
    backbone = ScriptedCodingBackbone()
    names = set()
    for seed in range(12):
        message = backbone.write_for(task, _request(task, Action.EXECUTE, frozenset({"example"}), seed))
        name = message.split("I called the function `")[1].split("`")[0]
        assert name in name_candidates(task.query)
        assert f"def {name}(" in message
        score = task.score(message)  # graded by really running it
        assert score.score == (1.0 if name == "min_cost" else 0.0)
        names.add(name)
    assert len(names) > 3
    told = backbone.write_for(task, _request(task, Action.EXECUTE, frozenset({"signature", "example"}), 0))
    assert task.score(told).score == 1.0


def test_scripted_backbone_writes_faulty_variants_without_the_example_or_with_low_skill(shared_data):
    task = _task("proact_env/Coding-v0", shared_data, "mbpp/2")
    everything = frozenset({"signature", "example"})
    sloppy = ScriptedCodingBackbone(skill=0.0)
    scores = [task.score(sloppy.write_for(task, _request(task, Action.EXECUTE, everything, s))).score for s in range(4)]
    assert min(scores) < 1.0  # a mutated program fails at least once: graded for real
    rate = task.payload.problem.guess_rate("example")
    rng_draws = [random.Random(s) for s in range(200)]
    expected_faulty = sum(1 for r in rng_draws if (r.random(), r.random() >= rate)[1])
    assert 0 < expected_faulty < 200


def test_scripted_backbone_clarify_asks_about_unknown_facts(shared_data):
    task = _task("proact_env/HumanEvalComm-v0", shared_data, "humanevalcomm/0/1p")
    backbone = ScriptedCodingBackbone()
    first = backbone.write_for(task, _request(task, Action.CLARIFY, frozenset(), 0))
    assert "name and parameters" in first or "called" in first
    later = backbone.write_for(task, _request(task, Action.CLARIFY, frozenset({"signature"}), 0))
    assert "exact" in later
    assert backbone.write_for(task, _request(task, Action.CLARIFY, frozenset({"signature", "description"}), 0)).endswith("?")
    with pytest.raises(ValueError):
        ScriptedCodingBackbone(skill=2.0)


def test_humanevalcomm_accepts_the_name_the_modified_prompt_shows(shared_data):
    task = _task("proact_env/HumanEvalComm-v0", shared_data, "humanevalcomm/0/1a")
    assert isinstance(task.payload, CodingSpec)
    message = ScriptedCodingBackbone().write_for(task, _request(task, Action.EXECUTE, frozenset({"description"}), 0))
    assert "def candidate(" in message
    assert task.score(message).score == 1.0


def test_sandbox_options_pass_through_the_env(shared_data):
    level = probe(SandboxConfig()).level
    env = make("proact_env/Coding-v0", shared_data, sandbox={"isolation": level, "limits": {"timeout_s": 5}})
    source = env.unwrapped.task_source
    assert source.sandbox.isolation == level and source.sandbox.limits.timeout_s == 5
    env.reset(seed=0)
    _, _, _, _, info = env.step(Action.EXECUTE)
    assert info["task_score"]["details"]["isolation"] == level
    with pytest.raises(ValueError, match="unknown sandbox option"):
        make("proact_env/Coding-v0", shared_data, sandbox={"isolaton": "bwrap"})
