"""C_interrupt: question counting, prose length, weights, and the return identity (property tests)."""

from __future__ import annotations

import gymnasium as gym
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import proact_env  # noqa: F401
from proact_env.reward import RewardConfig, count_questions, interrupt_cost, prose_words
from proact_env.types import ReactionMeta


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Which format do you want?", 1),
        ("Which format? And which ordering?", 2),
        ("Really?!", 1),
        ("Sure??", 1),
        ("See https://example.com/search?q=1 for details.", 0),
        ("Use `re.match(r'a?b')` here.", 0),
        ("```python\nx = y if z else w  # why?\n```\nDone.", 0),
        ("Here is the code:\n```python\nprint('ok?')\n```\nDoes it cover the empty case?", 1),
        ("No questions here.", 0),
        ("???", 0),
        ("Unclosed fence ```python\nwhat? ever?", 0),
    ],
)
def test_questions_are_sentences_not_question_marks(text, expected):
    assert count_questions(text) == expected


def test_prose_words_exclude_code_and_urls():
    assert prose_words("Two words ```python\na b c d e f\n``` three http://x.y/z") == 3


def test_interrupt_cost_is_the_weighted_formula():
    config = RewardConfig(alpha=2.0, w_questions=0.1, w_reject=0.3, w_long_turn=0.2, w_off_topic=0.4)
    meta = ReactionMeta(reject_signal=True, off_topic_flag=True)
    cost = interrupt_cost("One? Two? " + "word " * 50, meta, long_turn_tolerance=10, config=config)
    assert cost.n_questions == 2 and cost.long_turn
    assert cost.questions == pytest.approx(2.0 * 0.1 * 2)
    assert cost.total == pytest.approx(2.0 * (0.1 * 2 + 0.3 + 0.2 + 0.4))


def test_from_weights_uses_the_seed_names():
    config = RewardConfig.from_weights(alpha=0.5, w1=0.2, w4=0.9)
    assert (config.alpha, config.w_questions, config.w_off_topic) == (0.5, 0.2, 0.9)
    assert config.w_reject == RewardConfig().w_reject


@pytest.mark.parametrize("field", ["alpha", "w_questions", "w_reject", "w_long_turn", "w_off_topic"])
def test_negative_weights_are_rejected(field):
    with pytest.raises(ValueError, match=field):
        RewardConfig(**{field: -0.1})


weights = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    actions=st.lists(st.integers(0, 1), min_size=1, max_size=10),
    alpha=st.floats(0.0, 3.0),
    w=st.tuples(weights, weights, weights, weights),
    persona=st.sampled_from(["presets", "sampled", "busy_manager", "patient_novice"]),
    max_turns=st.integers(1, 8),
)
def test_reward_invariants_hold_on_any_episode(seed, actions, alpha, w, persona, max_turns):
    """Costs are non-negative, R_task stays in [0, 1], and return = final R_task - total cost."""
    config = RewardConfig(alpha=alpha, w_questions=w[0], w_reject=w[1], w_long_turn=w[2], w_off_topic=w[3])
    env = gym.make("proact_env/Synthetic-v0", reward=config, persona=persona, max_turns=max_turns)
    env.reset(seed=seed)
    total_return, total_cost, r_task = 0.0, 0.0, 0.0
    for i in range(100):
        _, reward, terminated, truncated, info = env.step(actions[i % len(actions)])
        terms = info["reward_terms"]
        for key in ("c_interrupt", "questions", "reject", "long_turn", "off_topic"):
            assert terms[key] >= 0.0
        assert 0.0 <= terms["r_task"] <= 1.0
        assert 0.0 <= info["meta"]["satisfaction"] <= 1.0
        total_return += reward
        total_cost += terms["c_interrupt"]
        r_task = terms["r_task"]
        if terminated or truncated:
            break
    assert terminated or truncated
    assert total_return == pytest.approx(r_task - total_cost, abs=1e-9)
