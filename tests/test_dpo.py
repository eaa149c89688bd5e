"""DPO end to end on CPU: real TRL DPOTrainer + PEFT LoRA on a tiny model built offline."""

from __future__ import annotations

import json
import os

import pytest

from proact_env.cli import main

pytest.importorskip("trl")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Preference data from the synthetic env (lookahead, optimal continuation), a tiny model, a DPO run."""
    root = tmp_path_factory.mktemp("dpo")
    model = root / "tiny"
    assert main(["make-tiny-model", "--out", str(model), "--init_range", "0.02"]) == 0
    assert main(["generate", "--n_states", "500", "--lookahead", "4", "--continuation", "optimal", "--seed", "3",
                 "--out", str(root / "traj.jsonl"), "--no-progress", "--concurrency", "1"]) == 0
    assert main(["rewards", "--trajectories", str(root / "traj.jsonl"), "--out", str(root / "prefs.jsonl"),
                 "--margin", "0.02"]) == 0
    pairs = (root / "prefs.jsonl").read_text().splitlines()
    (root / "train.jsonl").write_text("\n".join(pairs[:-100]) + "\n")
    (root / "heldout.jsonl").write_text("\n".join(pairs[-100:]) + "\n")
    out = root / "run"
    here = os.getcwd()
    os.chdir(root)  # the base model given as a relative path, as users do: the run must record where it is
    try:
        assert main(["train-dpo", "--data", "train.jsonl", "--model", "tiny", "--output", str(out),
                     "--epochs", "3", "--lr", "2e-3", "--beta", "0.1", "--batch_size", "8", "--max_length", "384",
                     "--val_split", "0.1", "--lora_r", "16", "--lora_alpha", "32"]) == 0
    finally:
        os.chdir(here)
    return root, model, out


@pytest.mark.slow
def test_training_writes_every_artefact_and_the_loss_goes_down(trained):
    _, model, out = trained
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "training_config.json",
                 "training_log.json", "loss.png"):
        assert (out / name).is_file(), name
    config = json.loads((out / "training_config.json").read_text())
    assert config["model"] == str(model) and config["beta"] == 0.1 and config["device"] == "cpu"
    assert config["versions"]["trl"]
    losses = [e["loss"] for e in json.loads((out / "training_log.json").read_text()) if "loss" in e]
    assert len(losses) > 20
    head, tail = sum(losses[:8]) / 8, sum(losses[-8:]) / 8
    assert tail < head - 0.05, (head, tail)


@pytest.mark.slow
def test_held_out_preferences_beat_the_untrained_base_and_chance(trained, capsys, tmp_path, monkeypatch):
    root, _, out = trained
    report_path = root / "eval_results.json"
    monkeypatch.chdir(tmp_path)  # another folder than training's: the recorded base model is found all the same
    assert main(["evaluate", "--model_dir", str(out), "--prefs_path", str(root / "heldout.jsonl"),
                 "--output", str(report_path)]) == 0
    assert "scoring pairs: 100%" in capsys.readouterr().err  # the progress bar, at its end
    report = json.loads(report_path.read_text())
    trained_m, base_m = report["trained"], report["base"]
    assert base_m["implicit_reward_accuracy"] == 0.5  # the base is its own reference: chance
    assert trained_m["implicit_reward_accuracy"] > 0.6
    assert trained_m["mean_reward_margin"] > 0.0
    assert set(report["by_chosen_action"]) <= {"Clarify", "Execute"} and report["by_persona"]


@pytest.mark.slow
def test_the_dpo_policy_plays_the_benchmark_and_writes_messages(trained):
    import gymnasium as gym

    from proact_env.agents.dpo_policy import DPOPolicy
    from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
    from proact_env.types import Action, MessageRequest

    _, _, out = trained
    summary = run_benchmark(BenchmarkConfig(policies=(f"dpo:{out}", "random"), episodes=40, seed=2)).summary()
    assert summary["policies"][f"dpo:{out}"]["episodes"] == 40
    env = gym.make("proact_env/Synthetic-v0")
    policy = DPOPolicy.from_spec(env, str(out))
    env.reset(seed=0)
    ep = env.unwrapped.episode
    text = policy.write(MessageRequest(Action.CLARIFY, ep.state(), ep.transcript, ep.revealed, ep.persona,
                                       rng=ep.backbone_rng))
    assert isinstance(text, str)


@pytest.mark.slow
def test_a_seed_reusing_anothers_reference_trains_exactly_as_if_it_had_scored_it(trained, tmp_path, capsys):
    """The reference is the adapter-free base, the same for every seed: reused, it must change nothing."""
    root, model, _ = trained
    pairs = (root / "train.jsonl").read_text().splitlines()
    (tmp_path / "a.jsonl").write_text("\n".join(pairs[:24]) + "\n")
    (tmp_path / "b.jsonl").write_text("\n".join(pairs[24:48]) + "\n")

    def train(name: str, seed: int, data: str = "a.jsonl", *extra: str) -> int:
        return main(["train-dpo", "--data", str(tmp_path / data), "--model", str(model), "--output",
                     str(tmp_path / name), "--epochs", "1", "--lr", "2e-3", "--batch_size", "8", "--max_length", "384",
                     "--val_split", "0", "--seed", str(seed), *extra])

    assert train("seed0", 0) == 0 and train("seed1", 1) == 0
    assert train("seed1_reused", 1, "a.jsonl", "--reference_from", str(tmp_path / "seed0")) == 0
    scored = json.loads((tmp_path / "seed1" / "reference_logps.json").read_text())
    reused = json.loads((tmp_path / "seed1_reused" / "reference_logps.json").read_text())
    assert reused == json.loads((tmp_path / "seed0" / "reference_logps.json").read_text())
    assert len(scored["ref_chosen_logps"]) == 24 and scored["pairs_digest"] == reused["pairs_digest"]
    for column in ("ref_chosen_logps", "ref_rejected_logps"):
        assert scored[column] == pytest.approx(reused[column], abs=1e-4)
    logs = [json.loads((tmp_path / run / "training_log.json").read_text()) for run in ("seed1", "seed1_reused")]
    assert [e["loss"] for e in logs[0] if "loss" in e] == pytest.approx([e["loss"] for e in logs[1] if "loss" in e],
                                                                        abs=1e-4)
    assert json.loads((tmp_path / "seed1_reused" / "training_config.json").read_text())["reference_from"] == str(
        tmp_path / "seed0")
    capsys.readouterr()
    # other pairs cannot reuse it: said, not silently trained against the wrong reference
    assert train("other", 1, "b.jsonl", "--reference_from", str(tmp_path / "seed0")) != 0
    assert "other pairs" in capsys.readouterr().err


def test_scoring_only_labelled_positions_changes_the_cost_not_the_log_probs_or_gradients(tmp_path):
    import torch
    import trl.trainer.utils as trl_utils
    from transformers import AutoModelForCausalLM
    from trl.trainer.utils import add_fused_lm_head

    from proact_env.agents import trl_adapter

    assert main(["make-tiny-model", "--out", str(tmp_path / "tiny"), "--init_range", "0.02"]) == 0
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "tiny")
    add_fused_lm_head(model, outputs=("log_probs", "entropy", "mean_logits", "is_top1"))
    ids = torch.randint(5, 200, (4, 40), generator=torch.Generator().manual_seed(0))
    labels = ids.masked_fill(torch.arange(40) < 36, -100)  # a long prompt, a short completion, as in DPO pairs

    def scored() -> tuple:
        model.zero_grad()
        out = model(input_ids=ids, labels=labels, fused_lm_head=True)
        out.loss.backward()
        return out.log_probs.detach(), out.entropy.detach(), [p.grad.clone() for p in model.parameters()]

    try:
        assert trl_adapter.score_only_labelled_positions(False) is False
        assert not trl_utils._use_triton(torch.device("cpu"))  # TRL's own choice: every position on a CPU
        shipped = scored()
        assert trl_adapter.score_only_labelled_positions(True) is True
        assert trl_adapter.score_only_labelled_positions(True) is True  # idempotent: wraps TRL's choice once
        assert trl_utils._use_triton(torch.device("cpu"))  # the fused head now compacts on a CPU: the other path
        compact = scored()
    finally:
        trl_adapter.score_only_labelled_positions(True)
    assert torch.allclose(shipped[0], compact[0], atol=1e-5) and torch.allclose(shipped[1], compact[1], atol=1e-4)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(shipped[2], compact[2]))
    assert shipped[0][:, :35].abs().sum() == 0 and compact[0][:, 35:].abs().sum() > 0


def test_bad_training_inputs_fail_clearly(tmp_path):
    from proact_env.agents.dpo_config import DPOTrainingConfig

    with pytest.raises(FileNotFoundError, match="proact rewards"):
        DPOTrainingConfig(data=tmp_path / "none.jsonl", model="m", output=tmp_path / "o")
    prefs = tmp_path / "p.jsonl"
    prefs.write_text('{"prompt": "a"}\n')
    with pytest.raises(ValueError, match="beta"):
        DPOTrainingConfig(data=prefs, model="m", output=tmp_path / "o", beta=0)
    assert main(["train-dpo", "--data", str(prefs), "--model", str(tmp_path), "--output", str(tmp_path / "o")]) == 2
