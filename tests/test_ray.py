"""The Ray backend: same bytes as the local backend, survives killed workers and drivers, one LLM bound.

Every test that needs Ray uses the module's `ray_cluster` fixture, which skips
when Ray is not installed and otherwise starts one local Ray instance (2 CPUs,
no dashboard) for the module and stops it at the end. Commands run with
``--backend ray`` join that instance; subprocess drivers join it through
``--ray_address``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proact_env.cli import main
from proact_env.distributed.config import ExecutorConfig
from proact_env.rollout.generate import GenerationConfig, UnitGenerator, run_generation

REPO = Path(__file__).resolve().parents[1]
#: a generation with multi-turn branching and lookahead: some work per state, several lines per unit
GENERATE = ["generate", "--n_states", "200", "--multi_turn", "--max_turns", "4", "--lookahead", "2", "--seed", "3",
            "--no-progress"]


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance for this module's tests; yields its address for subprocess drivers."""
    ray = pytest.importorskip("ray")
    saved = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"  # no token file written for a throwaway instance
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = saved


@pytest.fixture(scope="module")
def clean_generation(tmp_path_factory) -> bytes:
    """The local backend's output for `GENERATE`: what every Ray run must reproduce exactly."""
    out = tmp_path_factory.mktemp("clean") / "clean.jsonl"
    assert main([*GENERATE, "--out", str(out)]) == 0
    return out.read_bytes()


def test_generate_on_ray_writes_the_local_backends_bytes(ray_cluster, clean_generation, tmp_path):
    out = tmp_path / "ray.jsonl"
    assert main([*GENERATE, "--out", str(out), "--backend", "ray", "--workers", "2"]) == 0
    assert out.read_bytes() == clean_generation


def test_benchmark_on_ray_writes_the_local_backends_files(ray_cluster, tmp_path):
    args = ["benchmark", "--policies", "optimal,threshold,random", "--episodes", "300", "--seed", "4",
            "--workers", "2", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "local")]) == 0
    assert main([*args, "--out", str(tmp_path / "ray"), "--backend", "ray"]) == 0
    for name in ("results.json", "results.csv", "episodes.csv"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert json.loads((tmp_path / "ray" / "results.json").read_text())["config"]["episodes"] == 300


def test_a_worker_killed_mid_run_is_restarted_and_the_file_is_the_clean_runs(ray_cluster, clean_generation,
                                                                             tmp_path):
    import ray

    from proact_env.distributed.ray_backend import RayExecutor

    config = GenerationConfig(out=tmp_path / "t.jsonl", n_states=200, multi_turn=True, max_turns=4, lookahead=2,
                              seed=3, concurrency=2)
    written, pids = [], []
    with RayExecutor(ExecutorConfig(backend="ray", workers=2), concurrency=2) as executor:
        def kill_worker_0_after_the_first_unit(n: int) -> None:
            written.append(n)
            if len(written) in (1, 30):  # SIGKILL its process once; later, see it back under a new one
                pids.append(ray.get(executor.actors[0].pid.remote(), timeout=60))
            if len(written) == 1:
                os.kill(pids[0], signal.SIGKILL)

        summary = run_generation(config, UnitGenerator(config), progress=kill_worker_0_after_the_first_unit,
                                 executor=executor)
    assert len(pids) == 2 and pids[0] != pids[1]
    assert summary.units_written == 200
    assert config.out.read_bytes() == clean_generation


def _generate_process(out: Path, address: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "proact_env.cli", *GENERATE, "--out", str(out), "--backend", "ray",
            "--ray_address", address, "--workers", "2", *extra]


def test_a_driver_killed_mid_run_resumes_on_ray_to_the_clean_runs_bytes(ray_cluster, clean_generation, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = tmp_path / "killed.jsonl"
    proc = subprocess.Popen(_generate_process(out, ray_cluster), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.stat().st_size < 30_000):
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < out.stat().st_size < len(clean_generation)  # killed mid-run
    with out.open("a") as handle:  # a torn final line, as if killed inside write()
        handle.write('{"state": {"id": "torn')
    subprocess.run(_generate_process(out, ray_cluster, "--resume"), env=env, check=True, capture_output=True)
    assert out.read_bytes() == clean_generation


def test_llm_requests_in_flight_stay_within_concurrency_across_workers(ray_cluster, tmp_path):
    from proact_env.llm.stub_server import StubOpenAIServer

    out = tmp_path / "llm.jsonl"
    # 2 workers x 2 threads = 4 states in flight; without the shared bound the server would see 4 requests at once
    with StubOpenAIServer(delay=0.05) as server:
        assert main(["generate", "--n_states", "16", "--out", str(out), "--no-progress", "--backend", "ray",
                     "--workers", "2", "--concurrency", "3", "--llm_model", "stub-model",
                     "--base_url", server.base_url, "--cache_mode", "off"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 48 and not any("failed" in line for line in lines)
    assert server.chat_requests >= 48
    assert server.max_in_flight == 3  # the bound held, and was reached (the workers did overlap)


def test_a_lease_its_holder_never_gives_back_returns_after_it_runs_out(ray_cluster):
    import ray

    from proact_env.distributed.limiter import RequestLimiter

    limiter = ray.remote(RequestLimiter).options(num_cpus=0).remote(1)
    try:
        ray.get(limiter.acquire.remote(0.5))  # held by a "worker" that dies without releasing it
        started = time.monotonic()
        lease = ray.get(limiter.acquire.remote(30.0), timeout=20)
        assert 0.3 < time.monotonic() - started < 10
        ray.get(limiter.release.remote(lease))
        started = time.monotonic()
        ray.get(limiter.acquire.remote(30.0), timeout=20)
        assert time.monotonic() - started < 0.3  # a released slot is free at once
        assert ray.get(limiter.stats.remote()) == {"slots": 1, "held": 1, "max_held": 1}
    finally:
        ray.kill(limiter)


@pytest.mark.parametrize("command", [["generate", "--n_states", "2"], ["benchmark", "--episodes", "5"]])
def test_backend_ray_without_ray_names_the_pip_install(command, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without the extra looks like to `import ray`
    out = tmp_path / "out"
    assert main([*command, "--out", str(out), "--backend", "ray", "--no-progress"]) == 2
    assert "pip install 'proact-env[ray]'" in capsys.readouterr().err
    assert not out.exists()


def test_cheap_shards_are_grouped_into_tasks_and_slow_ones_sent_alone():
    from proact_env.distributed.ray_backend import MAX_SHARDS_PER_TASK, TaskSizer

    sizer = TaskSizer()
    assert sizer.size(remaining=1000, slots=4) == 1  # nothing measured yet
    sizer.record(shards=1, seconds=0.003)  # a scripted state
    assert sizer.size(remaining=1000, slots=4) == 16  # ~50 ms of work per task
    assert sizer.size(remaining=20, slots=4) == 5  # but every slot keeps work to the end
    sizer.record(shards=1, seconds=0.0)  # later tasks move the estimate (a running mean)
    assert sizer.size(remaining=1000, slots=4) == 20
    instant = TaskSizer()
    instant.record(shards=8, seconds=0.0)
    assert instant.size(remaining=10_000, slots=1) == MAX_SHARDS_PER_TASK
    slow = TaskSizer()
    slow.record(shards=2, seconds=0.3)  # states that wait on an LLM
    assert slow.size(remaining=1000, slots=4) == 1


def test_local_generation_takes_threads_not_worker_processes(tmp_path, capsys):
    assert main(["generate", "--n_states", "2", "--out", str(tmp_path / "t.jsonl"), "--workers", "2",
                 "--no-progress"]) == 2
    assert "--workers needs --backend ray" in capsys.readouterr().err
