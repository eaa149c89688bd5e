"""Every example and benchmark script answers `--help` and finishes a tiny run, as a user would run it.

Scripts are run as separate processes from a scratch folder, so a script that
only works from the repository root, writes into the repository or breaks when
a module it imports changes fails here, not in a user's hands. Each tiny run
takes seconds of work (the DPO and SB3 ones mostly import torch); their figures
mean nothing at that size, the point is that the code runs top to bottom.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_data

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.relative_to(REPO).as_posix() for p in (*REPO.glob("examples/*.py"), *REPO.glob("benchmarks/*.py")))

_TINY_DPO = ["--states", "16", "--lookahead", "1", "--heldout", "4", "--hidden_size", "16", "--num_layers", "1",
             "--epochs", "1", "--batch_size", "8", "--max_length", "256", "--episodes", "3", "--out", "{tmp}/dpo"]

#: script -> its tiny run's arguments ({tmp}: a scratch folder, {mbpp}: MBPP's mbpp.jsonl, {tiny}: a tiny
#: transformers model built here, standing in for SmolLM2) and the files it writes
TINY_RUNS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "benchmarks/communication_report.py": (["--model", "{tiny}", "--episodes", "2", "--max_tokens", "8", "--batch",
                                            "2", "--max_turns", "2", "--out", "{tmp}/comm"],
                                           ("comm/communication.json", "comm/communication.md")),
    "benchmarks/dpo_pretrained.py": (["--base", "{tiny}", "--target", "all-linear", "--states", "16", "--pairs", "8",
                                      "--train_seeds", "0,1", "--episodes", "3", "--out", "{tmp}/pretrained"], ()),
    "benchmarks/dpo_step_cost.py": (["--model", "{tiny}", "--target", "all-linear", "--states", "12", "--repeats",
                                     "1"], ()),
    "benchmarks/dpo_synthetic.py": (_TINY_DPO, ("dpo/eval_results.json", "dpo/policy_model/loss.png")),
    "benchmarks/env_step_ab.py": (["{repo}", "{repo}", "--chunks", "2", "--chunk-steps", "50"], ()),
    "benchmarks/env_step_pieces.py": (["--chunks", "2", "--chunk-steps", "50"], ()),
    "benchmarks/env_throughput.py": (["--steps", "300", "--repeats", "1"], ()),
    "benchmarks/grader_throughput.py": (["--mbpp", "{mbpp}", "--limit", "3", "--workers", "1", "--chunk", "3"], ()),
    "benchmarks/grpo_synthetic.py": (["--model", "{tiny}", "--modes", "q", "--steps-scale", "0.1", "--out",
                                      "{tmp}/grpo"], ("grpo/q/results.json",)),
    "benchmarks/llm_throughput.py": (["--requests", "12", "--concurrency", "4", "--repeats", "1"], ()),
    "benchmarks/local_model_throughput.py": (["--model", "{tiny}", "--states", "4", "--messages", "2", "--episodes",
                                              "2", "--new_tokens", "4", "--batch", "2"], ()),
    "benchmarks/pipeline_throughput.py": (["--states", "20"], ()),
    "benchmarks/persona_fit_recovery.py": (["--episodes", "10"], ()),
    "benchmarks/persona_blind_gap.py": (["--max-turns", "2", "--sweeps", "1"], ()),
    "benchmarks/planning_personas.py": (["--episodes", "12"], ()),
    "benchmarks/question_relevance.py": (["--episodes", "20", "--paired-episodes", "20", "--skip-coding"], ()),
    "benchmarks/sb3_learning_curve.py": (["--algos", "dqn", "--seeds", "0", "--timesteps", "200", "--eval-every",
                                          "100", "--eval-episodes", "8", "--out", "{tmp}/curve"],
                                         ("curve/sb3_learning_curve.png", "curve/sb3_learning_curve.json")),
    "benchmarks/scaling.py": (["--states", "3", "--llm-states", "2", "--repeats", "1", "--backends", "local"], ()),
    "benchmarks/solver_residual.py": (["--episodes", "200", "--sets", "2", "--check-episodes", "200"], ()),
    "examples/dpo_pipeline.py": (_TINY_DPO, ("dpo/eval_results.json", "dpo/policy_model/adapter_config.json")),
    "examples/train_grpo.py": (["--mode", "q", "--model", "{tiny}", "--train-episodes", "8", "--eval-episodes", "2",
                                "--eval-samples", "1", "--max-steps", "1", "--prompts-per-step", "1",
                                "--num-generations", "2", "--max-completion-length", "8", "--out", "{tmp}/grpo"],
                               ("grpo/results.json", "grpo/grpo.png")),
    "examples/train_rllib.py": (["--env-runners", "1", "--timesteps", "500", "--episodes", "5", "--out",
                                 "{tmp}/rllib"], ("rllib/benchmark/results.json",)),
    "examples/train_sb3.py": (["--algo", "a2c", "--timesteps", "64", "--episodes", "6", "--out", "{tmp}/sb3"],
                              ("sb3/model.zip", "sb3/benchmark/results.json")),
}

#: scripts whose tiny run still loads torch, trains or starts Ray (tens of seconds on a busy 2-core machine)
SLOW = {"benchmarks/dpo_synthetic.py", "examples/dpo_pipeline.py", "benchmarks/sb3_learning_curve.py",
        "examples/train_sb3.py", "examples/train_rllib.py", "benchmarks/dpo_pretrained.py", "benchmarks/dpo_step_cost.py",
        "benchmarks/communication_report.py", "benchmarks/local_model_throughput.py", "benchmarks/grpo_synthetic.py",
        "examples/train_grpo.py"}


def _run(script: str, args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", RAY_AUTH_MODE="disabled",
               MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(REPO / script), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_every_script_has_a_tiny_run():
    assert sorted(TINY_RUNS) == SCRIPTS, "add the new script's tiny run to TINY_RUNS"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help(script, tmp_path):
    done = _run(script, ["--help"], tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ") and "--help" in done.stdout


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _skip_reason(script: str) -> str | None:
    if script == "examples/train_rllib.py" and not _importable("ray.rllib"):
        return ("RLlib pins its own gymnasium and lives in its own venv: python -m venv .venv-rllib && "
                ".venv-rllib/bin/pip install 'ray[rllib]' -e . && .venv-rllib/bin/python examples/train_rllib.py "
                "--env-runners 1 --timesteps 500 --episodes 5")
    return None


@pytest.mark.parametrize("script", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in SCRIPTS])
def test_tiny_run(script, tmp_path):
    reason = _skip_reason(script)
    if reason:
        pytest.skip(reason)
    args, outputs = TINY_RUNS[script]
    if "{mbpp}" in args:
        mbpp = require_data("mbpp") / "mbpp" / "mbpp.jsonl"
        args = [a.replace("{mbpp}", str(mbpp)) for a in args]
    if "{tiny}" in args:
        from proact_env.agents.tiny_model import build_tiny_model

        args = [a.replace("{tiny}", str(build_tiny_model(tmp_path / "tiny_model"))) for a in args]
    done = _run(script, [a.replace("{tmp}", str(tmp_path)).replace("{repo}", str(REPO)) for a in args], tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip(), "a benchmark prints its figures"
    for name in outputs:
        assert (tmp_path / name).is_file(), name
    assert not (REPO / "benchmarks" / "output" / "dpo_synthetic" / "tiny").exists()  # nothing written in the repo
