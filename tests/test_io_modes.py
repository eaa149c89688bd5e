"""Written files get the user's umask, like any open(): 0644 under umask 022, 0600 under 077."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from proact_env.benchmark import report
from proact_env.domains.coding.states import write_states
from proact_env.domains.coding.tasks import CodingProblem
from proact_env.io import UnitWriter, atomic_write_text
from proact_env.preferences import write_preferences
from proact_env.records import PreferenceLine
from proact_env.reward.interrupt import RewardConfig

_UMASK_LOCK = threading.Lock()


@pytest.fixture(params=[(0o022, 0o644), (0o077, 0o600)], ids=["umask022", "umask077"])
def umask(request):
    """Run the test under a umask; yields the mode a new file must get."""
    mask, expected = request.param
    with _UMASK_LOCK:
        old = os.umask(mask)
        try:
            yield expected
        finally:
            os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def no_temp_left(directory: Path) -> None:
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_text(tmp_path, umask):
    path = tmp_path / "sub" / "out.txt"
    atomic_write_text(path, "hello\n")
    assert path.read_text() == "hello\n"
    assert mode(path) == umask
    no_temp_left(path.parent)


def test_atomic_write_text_replacing_a_file_takes_the_new_mode(tmp_path, umask):
    path = tmp_path / "out.txt"
    path.write_text("old\n")
    path.chmod(0o600 if umask != 0o600 else 0o644)
    atomic_write_text(path, "new\n")
    assert path.read_text() == "new\n"
    assert mode(path) == umask


def test_unit_writer(tmp_path, umask):
    path = tmp_path / "rollouts.jsonl"
    with UnitWriter(path) as writer:
        writer.write_unit(0, [{"a": 1}])
    assert mode(path) == umask


def test_write_preferences_and_meta(tmp_path, umask):
    path = tmp_path / "prefs.jsonl"
    write_preferences(path, [PreferenceLine(prompt="p", chosen="c", rejected="r")], RewardConfig(), 0.1)
    assert mode(path) == umask
    assert mode(path.with_name(path.name + ".meta.json")) == umask
    no_temp_left(tmp_path)


def test_write_states(tmp_path, umask):
    problem = CodingProblem(id="mbpp/1", source="mbpp", query="Add two numbers.", entry_point="add",
                            signature="def add(a, b)", tests=("assert add(1, 2) == 3",),
                            reference="def add(a, b):\n    return a + b\n")
    path = tmp_path / "states.jsonl"
    assert write_states([problem], path) == 1
    assert mode(path) == umask


def test_write_results(tmp_path, umask, monkeypatch):
    monkeypatch.setattr(report, "write_plots", lambda summary, out_dir: {})
    paths = report.write_results(SimpleNamespace(records=[]), tmp_path / "run", summary={"policies": {}})
    assert set(paths) == {"json", "csv", "episodes"}
    for path in paths.values():
        assert mode(path) == umask, path.name
    no_temp_left(tmp_path / "run")
