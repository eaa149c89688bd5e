"""The verl adapter: the interaction loaded by verl's own registry and called as its tool agent loop calls it.

verl's rollout engines need a GPU, so the loop's generation is replaced by scripted assistant turns;
everything from the assistant's message on (the interaction, the turn scores, the user message and
its tokens appended to the prompt) runs in verl's own `ToolAgentLoop._handle_interacting_state`.
verl lives in a venv of its own (docs/online_rl.md; `.ci/online_rl_check.sh` builds it and runs
this file there with PROACT_REQUIRE_ONLINE_RL=1, where a missing verl is a failure).
"""

from __future__ import annotations

import asyncio
import os

import pytest

if os.environ.get("PROACT_REQUIRE_ONLINE_RL") != "1":
    pytest.importorskip("verl", reason="verl has a venv of its own: .ci/online_rl_check.sh")

from proact_env.cli import main  # noqa: E402
from proact_env.text_env import TextActionEnv  # noqa: E402

TURNS = ["Which output format do you want?", "<clarify>Which ordering should I use?</clarify>",
         "<execute>Here it is: json, ascending, null.</execute>"]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from transformers import AutoTokenizer

    out = tmp_path_factory.mktemp("tiny") / "model"
    assert main(["make-tiny-model", "--out", str(out)]) == 0
    return AutoTokenizer.from_pretrained(out)


def _agent_loop(tokenizer):
    """verl's ToolAgentLoop with what its interacting state reads (its constructor needs a rollout server)."""
    from verl.experimental.agent_loop.tool_agent_loop import ToolAgentLoop
    from verl.utils.chat_template import initialize_system_prompt

    loop = object.__new__(ToolAgentLoop)
    loop.tokenizer, loop.processor, loop.apply_chat_template_kwargs = tokenizer, None, {}
    loop.system_prompt = initialize_system_prompt(tokenizer)
    loop.loop = asyncio.get_running_loop()
    return loop


async def _play(tokenizer, interaction_map, seed):
    from verl.experimental.agent_loop.tool_agent_loop import AgentData, AgentState

    from proact_env.agents.verl_interaction import interaction_rows

    row = interaction_rows(1, first_seed=seed)[0]
    kwargs = row["extra_info"]["interaction_kwargs"]
    interaction = interaction_map[kwargs["name"]]
    loop = _agent_loop(tokenizer)
    request_id = "req-%d" % seed
    await interaction.start_interaction(request_id, **kwargs)
    data = AgentData(messages=list(row["prompt"]), image_data=None, video_data=None, metrics={},
                     request_id=request_id, tools_kwargs={}, interaction=interaction, interaction_kwargs=kwargs)
    state, turn = AgentState.GENERATING, 0
    while state == AgentState.GENERATING:  # what _handle_generating_state appends, then verl's own interacting state
        data.messages.append({"role": "assistant", "content": TURNS[min(turn, len(TURNS) - 1)]})
        state, turn = await loop._handle_interacting_state(data), turn + 1
    assert state == AgentState.TERMINATED and data.user_turns == turn
    assert data.messages[-1]["role"] == "user" and len(data.prompt_ids) > 0
    score = await interaction.calculate_score(request_id)
    await interaction.finalize_interaction(request_id)
    return data.turn_scores, score


def test_verl_loads_the_interaction_and_its_turn_scores_are_the_episode(tmp_path, tokenizer):
    from verl.interactions.utils.interaction_registry import initialize_interactions_from_config

    config = tmp_path / "interaction.yaml"
    config.write_text("interaction:\n  - name: proact\n    class_name: proact_env.agents.verl_interaction.ProactInteraction\n"
                      "    config:\n      env_id: proact_env/Synthetic-v0\n      env_kwargs: {max_turns: 4}\n")
    interactions = initialize_interactions_from_config(str(config))
    for seed in (0, 1, 2):
        turn_scores, score = asyncio.run(_play(tokenizer, interactions, seed))
        reference = TextActionEnv(max_turns=4)
        reference.reset(seed=seed)
        expected, done, turn = [], False, 0
        while not done:
            _, reward, terminated, truncated, _ = reference.step(TURNS[min(turn, len(TURNS) - 1)])
            expected.append(reward)
            done, turn = terminated or truncated, turn + 1
        assert turn_scores == pytest.approx(expected) and score == pytest.approx(sum(expected))
