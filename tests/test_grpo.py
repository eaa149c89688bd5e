"""Online RL through TRL's real GRPOTrainer: the environment_factory envs, Q* rewards, the training pipeline.

The tiny model's random text never calls a tool, so for the end-to-end runs it is first
taught (a few seconds of supervised steps) to answer every prompt with one fixed tool
call: the rollouts then go through TRL's own tool loop into the env, and back.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from proact_env.agents import trl_adapter  # noqa: E402
from proact_env.agents.answer_warmup import decision_word_data, tool_call_data, warm_up  # noqa: E402
from proact_env.agents.decision_reward import (  # noqa: E402
    QStarReward,
    decision_dataset,
    expected_regret,
    read_decision,
)
from proact_env.agents.grpo_config import GRPOTrainingConfig  # noqa: E402
from proact_env.agents.grpo_train import load_trained, train  # noqa: E402
from proact_env.agents.trl_env import (  # noqa: E402
    EVAL_FIRST_SEED,
    ConversationDecisionTools,
    ConversationTextTools,
    EpisodeLog,
    environment_factory,
    episode_dataset,
    play_final_message,
)
from proact_env.cli import main  # noqa: E402
from proact_env.types import Action  # noqa: E402


def test_decision_tools_play_the_discrete_env_and_reward_the_return():
    log = EpisodeLog()
    env = environment_factory("decision", log=log)()
    prompt = env.reset(seed=3, prompt=[{"role": "user", "content": ""}])
    assert "Call clarify()" in prompt and "User request:" in prompt
    first = env.clarify()
    assert first.startswith("Assistant wrote: ") and "\nUser:" in first
    while "The conversation is over" not in (reply := env.execute()):
        pass
    with pytest.raises(ValueError, match="conversation is over"):
        env.execute()
    reward = env.get_reward()
    (record,) = log.take()
    assert record.seed == 3 and record.finished and record.episode_return == pytest.approx(reward)
    assert record.clarify_turns == 1 and record.turns >= 2 and "task score" in reply


def test_text_tools_play_the_text_env_with_the_models_own_words():
    env = environment_factory("text", env_kwargs={"persona": "cooperative_collaborator"})()
    env.reset(seed=0)
    reply = env.ask_user("What output format do you want: csv, json, xml or yaml?")
    assert reply.startswith("User: ")
    transcript = env._core.episode.transcript
    assert transcript[1].text == "What output format do you want: csv, json, xml or yaml?"
    env.submit_solution("")  # an empty solution is played (and fails), not refused
    assert transcript[3].action is Action.EXECUTE


def test_a_closing_plain_message_is_played_as_the_last_turn_and_scores_nothing_itself():
    text_env, decision_env, called_tool = (environment_factory(m)() for m in ("text", "decision", "text"))
    for env in (text_env, decision_env, called_tool):
        env.reset(seed=2)
    completions = [[{"role": "assistant", "content": "Here is the plan: car transport, luxury budget."}],
                   [{"role": "assistant", "content": "Which budget do you want?"}],
                   [{"role": "assistant", "content": "", "tool_calls": [{"type": "function"}]}]]
    assert play_final_message(completions, [text_env, decision_env, called_tool]) == [None] * 3
    assert text_env._last_info["action"] == "Execute" and text_env._last_info["read_from"] == "solution"
    assert decision_env._last_info["action"] == "Clarify"  # the decision read from the text; the writer wrote
    assert called_tool._turns == 0 and called_tool.get_reward() == 0.0
    assert text_env.get_reward() == pytest.approx(text_env._last_info["reward_terms"]["r_task"]
                                                  - text_env._last_info["reward_terms"]["c_interrupt"])


def test_tool_schemas_come_from_the_methods_and_private_names_are_no_tools():
    from transformers.utils import get_json_schema

    schema = get_json_schema(ConversationTextTools.submit_solution)["function"]
    assert schema["name"] == "submit_solution" and schema["parameters"]["required"] == ["solution"]
    public = {name for name in dir(ConversationDecisionTools) if not name.startswith("_")}
    assert public == {"reset", "get_reward", "clarify", "execute", "instruction"}


def test_episode_dataset_holds_seeds_personas_and_an_empty_user_turn():
    rows = episode_dataset(3, first_seed=EVAL_FIRST_SEED, personas=["busy_manager"])
    assert rows["seed"] == [EVAL_FIRST_SEED, EVAL_FIRST_SEED + 1, EVAL_FIRST_SEED + 2]
    assert rows["persona"] == ["busy_manager"] * 3 and rows[0]["prompt"][-1] == {"role": "user", "content": ""}
    with pytest.raises(ValueError):
        episode_dataset(2, personas=["nobody"])
    with pytest.raises(ValueError, match="mode"):
        environment_factory("speak")


def test_q_star_reward_is_the_solvers_value_of_the_stated_decision():
    rows = decision_dataset(6, first_seed=5)
    reward = QStarReward()
    answers = ["Clarify.", [{"role": "assistant", "content": " execute"}], "I think so", "Clarify", "", "Execute!"]
    values = reward(answers, rows["q_clarify"], rows["q_execute"], rows["seed"], rows["turn"])
    for answer, value, qc, qe in zip(answers, values, rows["q_clarify"], rows["q_execute"]):
        decision = read_decision(answer)
        assert value == (min(qc, qe) if decision is None else qc if decision is Action.CLARIFY else qe)
    assert [r[2] for r in reward.records] == [Action.CLARIFY, Action.EXECUTE, None, Action.CLARIFY, None,
                                              Action.EXECUTE]
    assert all(regret >= 0 for _, regret, _ in reward.records)


@pytest.mark.parametrize("answer, decision", [
    ('Output:\nIn this context, the answer would be "Execute".', Action.EXECUTE),  # a 135M model's usual shape
    ("You must clarify or explain to ensure accuracy.", Action.CLARIFY),
    ("**CLARIFY** -- then clarify again", Action.CLARIFY),  # named twice, still one decision
    ("Prescriptive\nClarify or Execute", None),  # copies the instruction: names both
    ("Clarification first, then execution.", None),  # neither word as a whole word
    ("Answer with one word: Deliver", None),
])
def test_read_decision_takes_the_one_decision_a_completion_names(answer, decision):
    assert read_decision(answer) is decision


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny") / "model"
    assert main(["make-tiny-model", "--out", str(out), "--init_range", "0.02"]) == 0
    return out


def _teach_tool_call(base: Path, out: Path, mode: str, call: dict) -> Path:
    """The tiny model, warmed up until it answers every episode prompt with `call`."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = trl_adapter.use_tool_chat_template(AutoTokenizer.from_pretrained(base))
    data = tool_call_data(tokenizer, examples=6, check_prompts=4, mode=mode, calls=[call])
    model, warmup = warm_up(AutoModelForCausalLM.from_pretrained(base), tokenizer, data, steps=100, batch_size=2,
                            lr=3e-3, target_modules=None)
    assert warmup.format_rate_before == 0.0 and warmup.format_rate_after == 1.0, \
        "the tiny model did not learn the tool call"
    assert warmup.losses[-1] < warmup.losses[0] / 10
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.parametrize("mode,call", [
    ("decision", {"name": "execute", "arguments": {}}),
    ("text", {"name": "submit_solution", "arguments": {"solution": "json"}}),
])
def test_grpo_trains_on_whole_conversations_through_trls_tool_loop(tiny_model, tmp_path, mode, call):
    model = _teach_tool_call(tiny_model, tmp_path / "taught", mode, call)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    config = GRPOTrainingConfig(output=tmp_path / "run", mode=mode, model=str(model), train_episodes=4,
                                eval_episodes=2, eval_samples=2, max_steps=2, prompts_per_step=1,
                                num_generations=2, max_completion_length=48)
    results = train(config)
    log = json.loads((config.output / "training_log.json").read_text())
    env_name = type(environment_factory(mode)()).__name__
    steps = [entry for entry in log if "reward" in entry]
    assert len(steps) == 2 and all(f"rewards/{env_name}/mean" in entry for entry in steps)
    assert max(entry["tools/call_frequency"] for entry in steps) > 0  # the taught call reached the env
    assert results["train_rollouts"] == 4 and results["held_out_episodes"] == 2
    assert 0.0 <= results["groups_with_reward_spread"] <= 1.0
    assert results["before"]["turns"]["mean"] > 0  # held-out episodes were played through the tools
    assert set(results["after_minus_before"]) >= {"mean", "ci95", "episodes"}
    assert (config.output / "grpo.png").stat().st_size > 0 and (config.output / "adapter_config.json").exists()


def test_grpo_q_mode_rewards_single_decisions_with_q_star(tiny_model, tmp_path, caplog):
    config = GRPOTrainingConfig(output=tmp_path / "q", mode="q", model=str(tiny_model), train_episodes=4,
                                eval_episodes=3, eval_samples=2, max_steps=1, prompts_per_step=2,
                                num_generations=2, max_completion_length=4)
    with caplog.at_level(logging.WARNING):
        results = train(config)
    assert results["metric"] == "regret" and results["held_out_episodes"] == 3
    assert results["before"]["regret"]["mean"] >= 0 and results["train_rollouts"] == 4
    # the random-init model names no decision, so every group scored alike: said, not hidden
    assert results["groups_with_reward_spread"] == 0.0
    assert "no signal" in caplog.text


@pytest.mark.parametrize("mode", ["decision", "q"])
def test_a_run_can_first_teach_the_answer_format(tiny_model, tmp_path, mode):
    config = GRPOTrainingConfig(output=tmp_path / "warm", mode=mode, model=str(tiny_model),
                                train_episodes=2, eval_episodes=1, eval_samples=2, max_steps=1, prompts_per_step=1,
                                num_generations=2, max_completion_length=16, warmup_steps=2)
    results = train(config)
    warmup = results["warmup"]
    assert len(warmup["losses"]) == 2 and all(loss > 0 for loss in warmup["losses"])
    assert 0.0 <= warmup["format_rate_before"] <= 1.0 and 0.0 <= warmup["format_rate_after"] <= 1.0
    assert json.loads((config.output / "results.json").read_text())["warmup"] == warmup
    assert (config.output / "warmup_adapter" / "adapter_config.json").exists()
    if mode == "q":  # the saved policy is the trained one: the warm-up under GRPO's adapter
        model, tokenizer = load_trained(config.output)
        (reloaded,) = expected_regret(model, tokenizer, decision_dataset(1, first_seed=EVAL_FIRST_SEED))
        assert reloaded == pytest.approx(results["expected_regret"]["after"]["mean"], rel=1e-5)


def test_the_warm_up_teaches_both_calls_on_every_prompt_so_samples_of_one_episode_differ(tiny_model):
    """One call drawn per prompt taught a call per prompt (GRPO groups of one episode then agreed: no signal)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = trl_adapter.use_tool_chat_template(AutoTokenizer.from_pretrained(tiny_model))
    data = tool_call_data(tokenizer, examples=4, check_prompts=4)
    _, warmup = warm_up(AutoModelForCausalLM.from_pretrained(tiny_model), tokenizer, data, steps=60, batch_size=4,
                        lr=3e-3, target_modules=None)
    assert warmup.format_rate_after == 1.0, "the tiny model did not learn the tool-call syntax"
    assert len(warmup.first_answer_share) == 4
    assert all(0.3 <= share <= 0.7 for share in warmup.first_answer_share), warmup.first_answer_share


def test_a_q_run_on_a_model_warmed_on_the_decision_word_has_groups_that_score_apart(tiny_model, tmp_path):
    """Zero-shot the tiny model names no decision (every group alike, see above); warmed, it names one."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    data = decision_word_data(tokenizer, examples=6, check_prompts=4)
    model, warmup = warm_up(AutoModelForCausalLM.from_pretrained(tiny_model), tokenizer, data, steps=100,
                            batch_size=2, lr=3e-3, target_modules=None)
    assert warmup.format_rate_before == 0.0 and warmup.format_rate_after == 1.0
    assert all(0.2 <= share <= 0.8 for share in warmup.first_answer_share), warmup.first_answer_share
    model.save_pretrained(tmp_path / "warmed")
    tokenizer.save_pretrained(tmp_path / "warmed")

    config = GRPOTrainingConfig(output=tmp_path / "q", mode="q", model=str(tmp_path / "warmed"), train_episodes=8,
                                eval_episodes=4, eval_samples=2, max_steps=2, prompts_per_step=2,
                                num_generations=4, max_completion_length=4)
    results = train(config)
    assert results["before"]["readable"]["mean"] > 0.9
    assert results["groups_with_reward_spread"] > 0
    held_out = decision_dataset(4, first_seed=EVAL_FIRST_SEED)  # the references are over these very points
    gaps = [(max(qc, qe) - qc, max(qc, qe) - qe) for qc, qe in zip(held_out["q_clarify"], held_out["q_execute"])]
    assert results["held_out_references"] == pytest.approx({
        "always_clarify_regret": sum(c for c, _ in gaps) / 4, "always_execute_regret": sum(e for _, e in gaps) / 4,
        "clarify_is_optimal_share": sum(c < e for c, e in gaps) / 4})


def test_grpo_config_refuses_what_cannot_train(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        GRPOTrainingConfig(output=tmp_path, mode="dpo")
    with pytest.raises(ValueError, match="warmup_steps"):
        GRPOTrainingConfig(output=tmp_path, mode="text", warmup_steps=4)
    with pytest.raises(ValueError, match="Synthetic-v0"):
        GRPOTrainingConfig(output=tmp_path, mode="q", env_id="proact_env/Planning-v0")
    with pytest.raises(ValueError, match="num_generations"):
        GRPOTrainingConfig(output=tmp_path, num_generations=1)
