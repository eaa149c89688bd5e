"""Helpers shared by the LLM tests: a responder that plays a sensible model, and config builders."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from proact_env.llm.config import LLMConfig

_FACT_LINE = re.compile(r"^- (\S+?): (.*) \(([^()]*)\)$", re.M)


def scripted_model(messages: list[dict[str, Any]]) -> str:
    """Answers like a cooperative model would, reading only the prompt text.

    Assistant prompts get a question (Clarify) or a solution (Execute); the
    user-simulator prompt gets a valid JSON answer that tells the first fact
    the prompt allows it to tell.
    """
    prompt = str(messages[-1]["content"])
    if "You play the user" in prompt:
        untold = [(key, answer) for key, answer, note in _FACT_LINE.findall(prompt) if "you may" in note]
        key, answer = untold[0] if untold else (None, "Looks fine.")
        return json.dumps({
            "reply": answer,
            "answered_clarification": key is not None,
            "reject_signal": False,
            "silence": False,
            "off_topic": False,
            "satisfaction": 0.8,
            "revealed": [key] if key else [],
        })
    if "decided to Clarify" in prompt:
        return "Which format and ordering do you want?"
    return "Here is my solution; I assumed json format and ascending ordering."


def openai_config(base_url: str, cache_dir, **overrides: Any) -> LLMConfig:
    """A fast-failing OpenAI-provider config for tests (short timeouts and backoff)."""
    options = {
        "provider": "openai",
        "model": "stub-model",
        "base_url": base_url,
        "cache_dir": str(cache_dir),
        "request_timeout": 2.0,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "max_retries": 3,
    }
    options.update(overrides)
    return LLMConfig(**options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def transformers_serve(model: Path | str, home: Path) -> Iterator[tuple[str, Path]]:
    """`transformers serve MODEL` on 127.0.0.1, offline; yields (base_url, log path) and stops it."""
    import pytest

    port = free_port()
    log = home / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": str(home)}
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(model), "--host", "127.0.0.1",
               "--port", str(port), "--device", "cpu", "--log-level", "info"]
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"transformers serve did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/v1", log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
