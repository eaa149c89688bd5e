"""Text-action envs: the policy's own message is the action; the decision is read from what it wrote."""

from __future__ import annotations

import json
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import proact_env
from proact_env import Action
from proact_env.text_actions import read_turn
from proact_env.text_env import TextActionEnv
from tests.envs import text_env_cases

CASES = text_env_cases()
IDS = [case[0] for case in CASES]


def _tool_call(name: str, **arguments) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


@pytest.mark.parametrize("text,action,message,read_from", [
    # tool calls: the tool decides, the user reads its argument
    (_tool_call("ask_user", question="Which format?"), Action.CLARIFY, "Which format?", "tool_call"),
    (_tool_call("submit_solution", solution="Use json. Anything else?"), Action.EXECUTE,
     "Use json. Anything else?", "tool_call"),
    ('<tool_call>{"name": "ask_user", "arguments": "{\\"question\\": \\"Sorted?\\"}"}</tool_call>',
     Action.CLARIFY, "Sorted?", "tool_call"),
    ("Here it is. " + _tool_call("execute"), Action.EXECUTE, "Here it is.", "tool_call"),
    # tags: the first decides, case and a missing closing tag do not matter
    ("<clarify>Which format do you want?</clarify>", Action.CLARIFY, "Which format do you want?", "tag"),
    ("<EXECUTE>def f(): return 1", Action.EXECUTE, "def f(): return 1", "tag"),
    ("<execute>Use json. Is that fine?</execute><clarify>x?</clarify>", Action.EXECUTE,
     "Use json. Is that fine?", "tag"),
    ("<clarify>What should happen on </execute> input?</clarify>", Action.CLARIFY,
     "What should happen on </execute> input?", "tag"),
    # a call to another tool, or JSON that does not parse, is no decision: the content decides
    (_tool_call("search", query="csv?") + " Which format do you want?", Action.CLARIFY,
     "Which format do you want?", "questions"),
    ("<tool_call>{not json</tool_call> Here is the plan.", Action.EXECUTE, "Here is the plan.", "solution"),
    # content: empty or blank is an Execute of nothing
    ("", Action.EXECUTE, "", "empty"),
    ("  \n\t ", Action.EXECUTE, "", "empty"),
    # a question inside code is no question
    ("```python\nname = input('Which file?')\n```", Action.EXECUTE, None, "solution"),
    ("Call `parse(x?)` on each line.", Action.EXECUTE, None, "solution"),
    ("def f(x):\n    return x or None  # why would x be empty?\n", Action.EXECUTE, None, "solution"),
    # a solution that also asks stays a solution
    ("```python\ndef f(rows):\n    return sorted(rows)\n```\nDoes this work for you?", Action.EXECUTE, None,
     "solution"),
    ('{"days": [{"day": 1}]}\nShould I add a second day?', Action.EXECUTE, None, "solution"),
    ("Here is my solution: it reads the log, counts errors per service, writes json sorted in ascending "
     "order and drops duplicates. Anything else?", Action.EXECUTE, None, "solution"),
    # questions, with or without a short preamble, clarify
    ("Which format do you want: csv or json? And which ordering?", Action.CLARIFY, None, "questions"),
    ("Happy to help with that. Before I start, which output format do you want?", Action.CLARIFY, None,
     "questions"),
    ("Really?!", Action.CLARIFY, None, "questions"),
    ("1 + 1 = ?", Action.EXECUTE, None, "solution"),
], ids=lambda value: repr(value)[:40] if isinstance(value, str) else None)
def test_read_turn_decides_awkward_cases(text, action, message, read_from):
    turn = read_turn(text)
    assert (turn.action, turn.read_from) == (action, read_from)
    assert turn.message == (text if message is None else message)


def test_read_turn_rejects_non_text():
    with pytest.raises(TypeError, match="str"):
        read_turn(1)


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_every_text_env_passes_the_gymnasium_checker(env_id, kwargs):
    env = gym.make(env_id, **kwargs).unwrapped
    assert isinstance(env, TextActionEnv) and isinstance(env.action_space, gym.spaces.Text)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_the_scripted_writers_messages_replay_the_discrete_episode(env_id, kwargs):
    """Same seed, same messages: the text env's user, reward and grader are the Discrete(2) env's."""
    base = proact_env.TEXT_ENV_IDS[env_id]
    discrete, text = gym.make(base, **kwargs).unwrapped, gym.make(env_id, **kwargs).unwrapped
    for seed in range(3):
        _, info_d = discrete.reset(seed=seed)
        _, info_t = text.reset(seed=seed)
        assert (info_d["task_id"], info_d["persona"]) == (info_t["task_id"], info_t["persona"])
        done, turn = False, 0
        while not done:
            action = Action.CLARIFY if turn < 1 + seed % 2 else Action.EXECUTE
            _, reward, terminated, truncated, info = discrete.step(action)
            tag = action.label.lower()
            _, text_reward, text_terminated, text_truncated, text_info = text.step(
                f"<{tag}>{info['assistant_msg']}</{tag}>")
            assert text_info["read_from"] == "tag"
            for key in ("action", "assistant_msg", "user_reply", "meta", "reward_terms", "task_score", "state"):
                assert text_info[key] == info[key], key
            assert (text_reward, text_terminated, text_truncated) == (reward, terminated, truncated)
            done, turn = terminated or truncated, turn + 1


def _episode(env: TextActionEnv, seed: int, messages: list[str]) -> list:
    trace = [env.reset(seed=seed)]
    for message in messages:
        trace.append(env.step(message))
        if trace[-1][2] or trace[-1][3]:
            break
    return trace


MESSAGES = ["Which format do you want?", "<clarify>Which ordering and which fallback?</clarify>",
            "<execute>Here it is: json, ascending, null.</execute>", "json", "json"]


def test_same_seed_and_messages_give_the_same_episode():
    first, second = gym.make("proact_env/Synthetic-Text-v0"), gym.make("proact_env/Synthetic-Text-v0")
    for seed in (0, 5, 9):
        assert _episode(first.unwrapped, seed, MESSAGES) == _episode(second.unwrapped, seed, MESSAGES)


def test_snapshot_and_restore_replay_the_continuation():
    env = gym.make("proact_env/Synthetic-Text-v0", persona="cooperative_collaborator").unwrapped
    env.reset(seed=4)
    env.step("Which format do you want?")
    snap = env.snapshot()
    continuation = [env.step(m) for m in ("Which ordering?", "<execute>json ascending</execute>")]
    for _ in range(2):
        env.restore(snap)
        assert [env.step(m) for m in ("Which ordering?", "<execute>json ascending</execute>")] == continuation


def test_observation_is_the_decision_prompt_with_the_writing_instruction():
    env = gym.make("proact_env/Synthetic-Text-v0").unwrapped
    observation, info = env.reset(seed=2)
    assert observation.startswith("Domain: ") and info["query"] in observation
    assert observation.rstrip().endswith("</execute>.")
    observation, *_ = env.step("<clarify>Which format do you want?</clarify>")
    assert "Assistant: Which format do you want?" in observation and "<clarify>" not in observation.split("\n")[-3]


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_a_message_at_the_limit_is_played_and_a_longer_one_refused(env_id, kwargs):
    """The longest message the space holds, one line that ends in "?", reads and plays in linear time."""
    env = gym.make(env_id, max_message_chars=16_384, **kwargs).unwrapped
    env.reset(seed=0)
    huge = "a" * 16_383 + "?"
    assert huge in env.action_space
    _, _, _, _, info = env.step(huge)
    assert info["read_from"] == "questions"
    env.reset(seed=0)
    with pytest.raises(ValueError, match="max_length=16,384"):
        env.step(huge + "!")


def test_bad_actions_and_arguments_fail_clearly():
    env = gym.make("proact_env/Synthetic-Text-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="as a str"):
        env.step(1)
    with pytest.raises(RuntimeError, match="step\\(text\\)"):
        env.core.step(Action.CLARIFY)
    with pytest.raises(ValueError, match="no backbone"):
        TextActionEnv(backbone=object())
    with pytest.raises(ValueError, match="unknown base env"):
        TextActionEnv("proact_env/Nope-v0")
    with pytest.raises(ValueError, match="max_message_chars"):
        TextActionEnv(max_message_chars=0)


def test_text_envs_run_in_a_vector_env():
    envs = gym.make_vec("proact_env/Synthetic-Text-v0", num_envs=2, vectorization_mode="sync")
    observations, _ = envs.reset(seed=[3, 4])
    assert all(isinstance(o, str) for o in observations)
    _, rewards, *_ = envs.step(("<clarify>Which format?</clarify>", "<execute>json</execute>"))
    assert len(rewards) == 2
    envs.close()
