"""A generation over the synthetic env with an LLM backbone and an LLM user, against a real HTTP server.

Run twice, the second run makes no request at all (counted by the server
itself) and writes the same trajectories; nothing the runs write, print or
log contains the API key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from proact_env.llm.stub_server import StubOpenAIServer
from tests.llm_helpers import scripted_model

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
API_KEY = "sk-test-5f3a9c1e7b2d4a6f8e0c"


def _run(server: StubOpenAIServer, workdir: Path, name: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENAI_API_KEY": API_KEY, "OPENAI_LOG": "debug"}
    return subprocess.run(
        [sys.executable, str(TESTS / "llm_episode_run.py"),
         "--llm_model", "stub-model", "--base_url", server.base_url, "--cache_dir", str(workdir / "cache"),
         "--out", str(workdir / f"{name}.jsonl"), "--log", str(workdir / f"{name}.log"), *extra],
        env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def server():
    with StubOpenAIServer(responder=scripted_model, api_key=API_KEY) as stub:
        yield stub


def test_a_rerun_makes_no_request_and_reproduces_the_run(server, tmp_path):
    first = _run(server, tmp_path, "first")
    assert first.returncode == 0, first.stderr
    sent = server.chat_requests
    lines = (tmp_path / "first.jsonl").read_text().splitlines()
    assert sent == 2 * len(lines) > 0  # one assistant turn and one user reaction per step
    assert "from the model, 0 malformed and 0 failed" in first.stdout  # the LLM user's JSON was used

    second = _run(server, tmp_path, "second")
    assert second.returncode == 0, second.stderr
    assert server.chat_requests == sent  # the server saw nothing new
    assert (tmp_path / "second.jsonl").read_text() == (tmp_path / "first.jsonl").read_text()
    assert "0 request(s) sent" in second.stdout and f"{len(lines)} hit(s), 0 miss(es)" in second.stdout


def test_replay_mode_fails_on_a_miss_instead_of_calling(server, tmp_path):
    run = _run(server, tmp_path, "replay", "--cache_mode", "replay")
    assert run.returncode != 0 and "CacheMissError" in run.stderr
    assert server.chat_requests == 0


def test_the_api_key_is_in_no_file_output_or_log_of_a_run(server, tmp_path):
    server.add_faults(["500", "429", "drop"])  # error paths write reasons to the summary
    run = _run(server, tmp_path, "leak")
    assert run.returncode == 0, run.stderr
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) > 5 and (tmp_path / "leak.log").stat().st_size > 0
    assert "retries" in run.stdout
    for text in [run.stdout, run.stderr] + [p.read_text(errors="replace") for p in written]:
        assert API_KEY not in text
        assert API_KEY[3:15] not in text  # not even a fragment
