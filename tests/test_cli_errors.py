"""Every mistake a user makes with a file or a flag ends in one line that names file, line and field, and a
non-zero exit: no traceback. Each case builds its bad input, runs the real `proact` entry point and checks
the exact shape of the message."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from proact_env.cli import main

PAIR = {"prompt": "Domain: coding\n", "chosen": "Execute: done", "rejected": "Clarify: which?",
        "chosen_action": "Execute", "rejected_action": "Clarify"}
REPO = Path(__file__).resolve().parents[1]
STATE = {"id": "s1", "query": "Write a parser.", "dialogue_turn": 0, "prev_reject": 0}


def _jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _pairs(tmp: Path, data: str | bytes, name: str = "prefs.jsonl") -> Path:
    return _write(tmp / name, data)


def _truncated_gzip(tmp: Path) -> Path:
    whole = gzip.compress(_jsonl(PAIR, PAIR).encode())
    return _write(tmp / "prefs.jsonl.gz", whole[: len(whole) // 2])


def _train(path: Path, tmp: Path) -> list[str]:
    return ["train-dpo", "--data", str(path), "--model", str(tmp / "no-model"), "--output", str(tmp / "run")]


def _evaluate(path: Path, tmp: Path) -> list[str]:
    return ["evaluate", "--model_dir", str(tmp / "run"), "--prefs_path", str(path), "--output", str(tmp / "e.json"),
            "--no-progress"]


def _without_a_lookahead_field(tmp: Path) -> Path:
    """Real trajectory lines with a second lookahead step, one of whose fields is deleted."""
    assert main(["generate", "--n_states", "1", "--lookahead", "1", "--out", str(tmp / "g.jsonl"), "--no-progress"]) == 0
    lines = [json.loads(line) for line in (tmp / "g.jsonl").read_text().splitlines()]
    for line in lines:
        line["lookahead"][0].append(dict(line["lookahead"][0][0]))
    del lines[0]["lookahead"][0][1]["n_questions"]
    return _write(tmp / "t.jsonl", _jsonl(*lines))


def _results(tmp: Path, text: str) -> Path:
    _write(tmp / "bench" / "results.json", text)
    return tmp / "bench"


#: (case, argv builder from the tmp folder, exit status, message after "proact CMD: error: ", with {p} the input)
CASES: list[tuple[str, Callable[[Path], tuple[list[str], Path]], int, str]] = [
    ("train-dpo bad JSON", lambda t: (_train(p := _pairs(t, _jsonl(PAIR) + '{"prompt": \n'), t), p), 2,
     r"{p}:2: invalid JSON \(Expecting value at column 12\)"),
    ("train-dpo empty file", lambda t: (_train(p := _pairs(t, ""), t), p), 2, r"{p}: the file holds no records"),
    ("train-dpo JSON array line", lambda t: (_train(p := _pairs(t, _jsonl(PAIR) + "[1, 2]\n"), t), p), 2,
     r"{p}:2: expected a JSON object, got an array"),
    ("train-dpo gzip garbage", lambda t: (_train(p := _pairs(t, os.urandom(64), "prefs.jsonl.gz"), t), p), 2,
     r"{p}: not a gzip file, though its name ends in \.gz \(rename it or compress it with gzip\)"),
    ("train-dpo truncated gzip", lambda t: (_train(p := _truncated_gzip(t), t), p), 2,
     r"{p}: corrupt or truncated gzip data \(.+\)"),
    ("train-dpo missing chosen", lambda t: (_train(p := _pairs(t, _jsonl({"prompt": "p", "rejected": "r"})), t), p), 2,
     r"{p}:1: field 'chosen': missing required field \(write preference files with 'proact rewards'\)"),
    ("train-dpo wrong-typed chosen", lambda t: (_train(p := _pairs(t, _jsonl({**PAIR, "chosen": ["x"]})), t), p), 2,
     r"{p}:1: field 'chosen': expected a string, got an array \['x'\]"),
    ("train-dpo non-UTF-8", lambda t: (_train(p := _pairs(t, _jsonl(PAIR).encode() + b'{"prompt": "\xff"}\n'), t), p),
     2, r"{p}:2: not UTF-8 text \(byte 0xff at column 13\); save the file as UTF-8"),
    ("train-dpo directory", lambda t: (_train(p := (t / "prefs_dir"), t), p.mkdir() or p), 2,
     r"{p}: is a directory, expected a preference JSONL file \(write one with 'proact rewards'\)"),
    ("train-dpo missing file", lambda t: (_train(p := t / "none.jsonl", t), p), 2,
     r"{p}: no such file \(expected a preference JSONL file \(write one with 'proact rewards'\)\)"),
    ("evaluate wrong-typed chosen", lambda t: (_evaluate(p := _pairs(t, _jsonl({**PAIR, "chosen": 3})), t), p), 2,
     r"{p}:1: field 'chosen': expected a string, got a number 3"),
    ("evaluate wrong-typed chosen_action",
     lambda t: (_evaluate(p := _pairs(t, _jsonl(PAIR, {**PAIR, "chosen_action": "Ask"})), t), p), 2,
     r"{p}:2: field 'chosen_action': expected 'Clarify' or 'Execute', got a string 'Ask'"),
    ("evaluate missing rejected_action",
     lambda t: (_evaluate(p := _pairs(t, _jsonl({k: v for k, v in PAIR.items() if k != "rejected_action"})), t), p),
     2, r"{p}:1: field 'rejected_action': missing required field \(write preference files with 'proact rewards'\)"),
    ("rewards missing lookahead field",
     lambda t: (["rewards", "--trajectories", str(p := _without_a_lookahead_field(t)), "--out", str(t / "p.jsonl")],
                p), 2, r"{p}:1: field 'lookahead\[0\]\[1\].n_questions': missing required field"),
    ("rewards non-UTF-8", lambda t: (["rewards", "--trajectories", str(p := _write(t / "t.jsonl", b"\n\xc3\x28\n")),
                                      "--out", str(t / "p.jsonl")], p), 2,
     r"{p}:2: not UTF-8 text \(byte 0xc3 at column 1\); save the file as UTF-8"),
    ("rewards directory", lambda t: (["rewards", "--trajectories", str(t), "--out", str(t / "p.jsonl")], t), 2,
     r"{p}: is a directory, expected a trajectories JSONL file"),
    ("generate states directory",
     lambda t: (["generate", "--mode", "dataset", "--dataset_path", str(t), "--out", str(t / "o.jsonl"),
                 "--no-progress"], t), 2, r"{p}: is a directory, expected a JSONL file"),
    ("generate states non-UTF-8",
     lambda t: (["generate", "--mode", "dataset", "--dataset_path", str(p := _write(t / "s.jsonl", b"\xfe\n")),
                 "--out", str(t / "o.jsonl"), "--no-progress"], p), 2,
     r"{p}:1: not UTF-8 text \(byte 0xfe at column 1\); save the file as UTF-8"),
    ("benchmark unknown --env-kwargs key",
     lambda t: (["benchmark", "--env-kwargs", '{"max_turn": 4}', "--out", str(t), "--no-progress"], t), 2,
     r"--env-kwargs: proact_env/Synthetic-v0 takes no argument 'max_turn'; it takes task_source, domain, persona, "
     r"max_turns, .*"),
    ("benchmark bad --env-kwargs value",
     lambda t: (["benchmark", "--env-kwargs", '{"max_turns": 0}', "--out", str(t), "--no-progress"], t), 2,
     r"--env-kwargs for proact_env/Synthetic-v0: max_turns must be an integer >= 1, got 0"),
    ("benchmark --env-kwargs not JSON",
     lambda t: (["benchmark", "--env-kwargs", "{max_turns: 4}", "--out", str(t), "--no-progress"], t), 2,
     r"--env-kwargs is not valid JSON \(Expecting property name enclosed in double quotes at column 2\): "
     r"'\{max_turns: 4\}'"),
    ("benchmark wrong env id",
     lambda t: (["benchmark", "--env", "proact_env/Synthetc-v0", "--out", str(t), "--no-progress"], t), 2,
     r"--env 'proact_env/Synthetc-v0': Environment `Synthetc` doesn't exist in namespace proact_env.* "
     r"\(this package registers proact_env/Synthetic-v0, .*\)"),
    ("plot malformed results.json", lambda t: (["plot", "--results", str(p := _results(t, '{"config": {,}}'))], p), 2,
     r"{p}/results.json:1: invalid JSON \(Expecting property name enclosed in double quotes at column 13\)"),
    ("plot results.json without policies",
     lambda t: (["plot", "--results", str(p := _results(t, '{"config": {"env_id": "x"}}'))], p), 2,
     r"{p}/results.json: field 'policies': missing or not a non-empty object \(is this a results.json written by "
     r"'proact benchmark'\?\)"),
    ("plot wrong-typed metric",
     lambda t: (["plot", "--results", str(p := _results(t, json.dumps({"config": {"env_id": "x"}, "policies": {
         "random": {"mean_r_task": "high", "mean_c_interrupt": 0.1}}})))], p), 2,
     r"{p}/results.json: field 'policies.random.mean_r_task': expected a number, got 'high'"),
    ("plot missing folder", lambda t: (["plot", "--results", str(p := t / "nothing")], p), 2,
     r"{p}/results.json: no such file; run 'proact benchmark --out {p}' first"),
    ("plot given a file", lambda t: (["plot", "--results", str(p := _write(t / "results.json", "{}"))], p), 2,
     r"{p}: is a file; give the benchmark's output folder \(the one holding results.json\)"),
]


@pytest.mark.parametrize("case,build,status,message", CASES, ids=[c[0] for c in CASES])
def test_a_bad_input_ends_in_one_line_naming_where_and_what(tmp_path, capsys, monkeypatch, case, build, status,
                                                            message):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    argv, path = build(tmp_path)
    capsys.readouterr()  # what building the input printed
    assert main(argv) == status
    err = capsys.readouterr().err
    command = argv[0]
    assert err.endswith("\n") and err.count("\n") == 1, err
    pattern = f"proact {command}: error: " + message.replace("{p}", re.escape(str(path)))
    assert re.fullmatch(pattern, err.rstrip("\n")), f"\n{err}\ndoes not match\n{pattern}"


def test_evaluate_from_another_folder_names_the_relative_base_model_it_cannot_find(tmp_path):
    """A run trained before absolute paths were recorded: say which field and what to pass, not a hub error."""
    pytest.importorskip("peft")
    run = tmp_path / "run"
    _write(run / "adapter_config.json", "{}")
    prefs = _pairs(tmp_path, _jsonl(PAIR, PAIR))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # the real entry point, offline (as on a machine without the hub) and from another folder
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "proact_env.cli", "evaluate", "--model_dir", str(run), "--prefs_path", str(prefs),
               "--output", "e.json", "--no-progress"]
    here = re.escape(str(elsewhere))
    for recorded, message in (
        ("./models/tiny", f"the base model was recorded as the relative path '\\./models/tiny', which does not "
                          f"exist from {here}; pass it with --base_model"),
        ("models/tiny", f"cannot load the recorded base model 'models/tiny' from {here} \\(.+\\); pass it with "
                        "--base_model"),  # looks like a hub id, and is neither that nor a folder here
    ):
        _write(run / "training_config.json", json.dumps({"model": recorded, "beta": 0.1}))
        done = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        expected = f"proact evaluate: error: {re.escape(str(run))}/training_config.json: field 'model': {message}"
        assert re.fullmatch(expected, done.stderr.strip()), done.stderr


def test_train_dpo_records_a_local_base_model_as_an_absolute_path(tmp_path, monkeypatch):
    from proact_env.agents.dpo_config import DPOTrainingConfig

    (tmp_path / "models" / "tiny").mkdir(parents=True)
    prefs = _pairs(tmp_path, _jsonl(PAIR, PAIR))
    monkeypatch.chdir(tmp_path)
    config = DPOTrainingConfig(data=Path("prefs.jsonl"), model="models/tiny", output=Path("run"))
    assert config.to_dict()["model"] == str(tmp_path / "models" / "tiny")
    hub = DPOTrainingConfig(data=prefs, model="meta-llama/Llama-3.1-8B-Instruct", output=tmp_path / "run")
    assert hub.model == "meta-llama/Llama-3.1-8B-Instruct"  # a hub id (no such folder here) is kept as given


BOM = "\ufeff"


def test_a_utf8_bom_is_accepted_by_every_reader(tmp_path, capsys):
    """Windows editors save UTF-8 with a byte-order mark; every file a user hands us may carry one."""
    states = _write(tmp_path / "states.jsonl", BOM + _jsonl(STATE, {**STATE, "id": "s2"}))
    traj = tmp_path / "t.jsonl"
    assert main(["generate", "--mode", "dataset", "--dataset_path", str(states), "--out", str(traj),
                 "--no-progress"]) == 0
    _write(traj, BOM + traj.read_text())
    prefs = tmp_path / "p.jsonl"
    assert main(["rewards", "--trajectories", str(traj), "--out", str(prefs)]) == 0
    _write(prefs, BOM + prefs.read_text())
    from proact_env.records import read_preferences

    assert len(read_preferences(prefs)) == 2
    capsys.readouterr()
    # train-dpo gets past reading (1 pair is too few: the message is about the count, not the BOM)
    one = _pairs(tmp_path, BOM + _jsonl(PAIR), "one.jsonl")
    assert main(_train(one, tmp_path)) == 2
    assert capsys.readouterr().err == f"proact train-dpo: error: {one}: 1 pair(s); DPO needs at least 2\n"
    bench = tmp_path / "bench"
    assert main(["benchmark", "--policies", "always_execute,random", "--episodes", "4", "--out", str(bench),
                 "--no-progress"]) == 0
    for name in ("results.json", "episodes.csv"):
        _write(bench / name, BOM + (bench / name).read_text())
    assert main(["plot", "--results", str(bench), "--out", str(tmp_path / "plots")]) == 0
    assert (tmp_path / "plots" / "pareto.png").is_file()
    assert main(["compare", str(bench), str(bench)]) == 0


def test_a_gzip_file_is_read_whatever_its_name(tmp_path):
    from proact_env.io import read_jsonl

    path = _write(tmp_path / "states.jsonl", gzip.compress((BOM + _jsonl(STATE)).encode()))
    assert [record for _, record in read_jsonl(path)] == [STATE]
