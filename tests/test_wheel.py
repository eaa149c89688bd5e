"""The wheel holds every package file git tracks (a folder without __init__.py once fell out of it).

`.ci/wheel_check.sh` goes further in CI: it installs the wheel into a fresh venv beside
openai-agents and runs the main commands from another folder.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_dist_contents", REPO / ".ci" / "check_dist_contents.py")
check_dist_contents = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_dist_contents)


@pytest.mark.slow
def test_wheel_and_sdist_hold_every_tracked_package_file(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True)
    subprocess.run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True)
    wheel, = tmp_path.glob("*.whl")
    sdist, = tmp_path.glob("*.tar.gz")
    assert check_dist_contents.missing_from(REPO, wheel, sdist) == []
    # the control: a wheel without rollout/ (the old bug) is reported
    partial = tmp_path / "partial" / wheel.name
    partial.parent.mkdir()
    with zipfile.ZipFile(wheel) as full, zipfile.ZipFile(partial, "w") as out:
        for name in full.namelist():
            if not name.startswith("proact_env/rollout/"):
                out.writestr(name, full.read(name))
    assert "wheel lacks proact_env/rollout/generate.py (from proact_env/rollout/generate.py)" in \
        check_dist_contents.missing_from(REPO, partial, sdist)
    assert check_dist_contents.tracked_package_files(REPO)["agents/dpo_policy.py"] == "proact_env/agents/dpo_policy.py"
    with tarfile.open(sdist) as tar:
        assert any(m.name.endswith("prompts/user_simulator.txt") for m in tar.getmembers())
