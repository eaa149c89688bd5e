"""Decision scoring reads the prompt once and continues both labels from its cache: same numbers as scoring whole rows."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from proact_env.agents.logprobs import ActionScorer, completion_logprobs, with_eos  # noqa: E402
from proact_env.cli import main  # noqa: E402
from proact_env.types import Action  # noqa: E402

PROMPTS = [
    "Task uncertainty: 0.9\nUser profile: busy manager\nShould the assistant ask?\n",
    "short",
    "Domain: coding\nUser request: Write a function that sorts scores.\nDialogue turn: 2\n" * 3,
    "Clarify",  # a prompt the label's tokens could merge with
]


@pytest.fixture(scope="module")
def model_and_tokenizer(tmp_path_factory):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = tmp_path_factory.mktemp("tiny") / "model"
    # a wide init, so the two labels' scores differ clearly and a misplaced token would show
    assert main(["make-tiny-model", "--out", str(folder), "--init_range", "0.2"]) == 0
    return AutoModelForCausalLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


@pytest.mark.parametrize("batch_size", [1, 3, 16])
@pytest.mark.parametrize("eos", [False, True])
def test_cached_scores_equal_whole_row_scores(model_and_tokenizer, batch_size, eos):
    model, tokenizer = model_and_tokenizer
    labels = {Action.CLARIFY: "Clarify:", Action.EXECUTE: "Execute: here it is"}
    if eos:
        labels = {a: with_eos(text, tokenizer) for a, text in labels.items()}
    scorer = ActionScorer(model, tokenizer, labels, batch_size=batch_size)
    assert scorer._keeps_logits  # the tiny Llama takes `logits_to_keep`: the path under test
    scores = scorer.scores_many(PROMPTS)
    for prompt, score in zip(PROMPTS, scores):
        whole = completion_logprobs(model, tokenizer, [prompt, prompt], [labels[Action.CLARIFY], labels[Action.EXECUTE]])
        assert score[Action.CLARIFY] == pytest.approx(whole[0], abs=1e-4)
        assert score[Action.EXECUTE] == pytest.approx(whole[1], abs=1e-4)
    assert len({round(s[Action.CLARIFY] - s[Action.EXECUTE], 3) for s in scores}) > 1  # not a constant


def test_decisions_follow_the_likelier_label(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    scorer = ActionScorer(model, tokenizer, {Action.CLARIFY: "Clarify", Action.EXECUTE: "Execute"}, batch_size=2)
    decisions = scorer.decide_many(PROMPTS)
    expected = [Action.CLARIFY if s[Action.CLARIFY] > s[Action.EXECUTE] else Action.EXECUTE
                for s in scorer.scores_many(PROMPTS)]
    assert decisions == expected
