"""Import hygiene: the core stays light and fast; optional extras fail with the install command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proact_env.errors import MissingExtraError, require

HEAVY = ("torch", "transformers", "trl", "peft", "openai", "ray", "stable_baselines3", "datasets", "matplotlib")


def test_import_and_make_load_no_heavy_dependency_and_are_fast():
    code = (
        "import sys, time; t = time.perf_counter(); import proact_env, gymnasium as gym; "
        "gym.make('proact_env/Synthetic-v0').reset(seed=0); elapsed = time.perf_counter() - t; "
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]; print(elapsed, heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert out[1].strip() == "[]"
    assert float(out[0]) < 1.0


def test_cli_help_lists_the_subcommands_without_heavy_imports():
    code = (
        "import sys, contextlib, io\nfrom proact_env.cli import build_parser\n"
        "print(build_parser().format_help())\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "benchmark" in out and out.strip().endswith("[]")


def test_a_missing_extra_names_the_pip_install():
    with pytest.raises(MissingExtraError, match=r"pip install 'proact-env\[llm\]'"):
        require("surely_not_installed_module_xyz", "llm")


def test_version_flag_and_python_dash_m():
    import proact_env

    for command in (["proact", "--version"], [sys.executable, "-m", "proact_env", "--version"]):
        if command[0] == "proact":
            command[0] = str(Path(sys.executable).with_name("proact"))
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        assert out.strip() == f"proact {proact_env.__version__}"
