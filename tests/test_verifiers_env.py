"""The verifiers adapter: episodes rolled out by verifiers' own MultiTurnEnv loop, against the stub server.

verifiers lives in a venv of its own (docs/online_rl.md; `.ci/online_rl_check.sh` builds it and
runs this file there with PROACT_REQUIRE_ONLINE_RL=1, where a missing verifiers is a failure).
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("PROACT_REQUIRE_ONLINE_RL") != "1":
    pytest.importorskip("verifiers", reason="verifiers has a venv of its own: .ci/online_rl_check.sh")

from openai import AsyncOpenAI  # noqa: E402

from proact_env.agents.verifiers_env import load_environment  # noqa: E402
from proact_env.llm.stub_server import StubOpenAIServer  # noqa: E402
from proact_env.text_env import TextActionEnv  # noqa: E402

TURNS = ["Happy to help. Which output format do you want?",
         "<clarify>Which ordering should I use?</clarify>",
         "<execute>Here it is: json, ascending, null, lowercase.</execute>"]


def scripted_assistant(messages: list[dict]) -> str:
    """The model: its n-th turn is TURNS[n] (then the last one again)."""
    n = sum(m["role"] == "assistant" for m in messages)
    return TURNS[min(n, len(TURNS) - 1)]


def test_verifiers_rollouts_play_the_text_env_and_score_its_return():
    import verifiers as vf

    env = load_environment(n_episodes=2, eval_episodes=3, env_kwargs={"max_turns": 4})
    with StubOpenAIServer(responder=scripted_assistant) as server:
        client = vf.OpenAIChatCompletionsClient(AsyncOpenAI(base_url=server.base_url, api_key="stub"))
        outputs = env.evaluate_sync(client, "stub-model", num_examples=3, rollouts_per_example=1)
    states = outputs["outputs"] if isinstance(outputs, dict) else outputs.outputs
    assert len(states) == 3
    for state in states:
        seed = state["info"]["seed"]
        reference = TextActionEnv("proact_env/Synthetic-v0", max_turns=4)
        reference.reset(seed=seed)
        expected, done, turn = 0.0, False, 0
        while not done:
            _, reward, terminated, truncated, _ = reference.step(TURNS[min(turn, len(TURNS) - 1)])
            expected, done, turn = expected + reward, terminated or truncated, turn + 1
        assert state["error"] is None and state["stop_condition"] == "has_final_env_response"
        assert state["reward"] == pytest.approx(expected)
        assert seed >= 1_000_000  # evaluation episodes are held out from the training seeds
