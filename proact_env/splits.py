"""Declared train/test splits of users and tasks: what makes a held-out claim checkable.

A split has a name, its definition is fixed here, and every output made with it
records it (trajectories' and preferences' ``.meta.json``, ``training_config.json``,
``results.json``). `proact benchmark` reads the split a model was trained on and
refuses to evaluate it on that same split unless told to (`held_out`).

Persona splits (``--persona_split``):

=================  ==========================================================
``all``            the five presets, one drawn uniformly per episode (the
                   env's default ``persona="presets"``)
``train``          leave one preset out: the four presets other than
                   `HELD_OUT_PRESET` (``terse_user``, the only medium-patience
                   preset, so the held-out user's patience is unlike any
                   training user's while its other traits lie between theirs)
``test``           the held-out preset alone
``train:NAME``     the same with preset NAME held out (five folds in all)
``test:NAME``
``sampled``        sampled personas (`sample_persona`): a continuous population
                   in which no user equals a preset, held out from every
                   preset split
=================  ==========================================================

Task splits (``--task_split``), by environment:

- ``proact_env/Synthetic-v0`` (slot tasks): by task shape. ``train`` draws tasks
  with 2 or 4 options per slot, ``test`` tasks with 3 (guess rate 1/3, between
  the training rates 1/2 and 1/4); both keep every slot count, hidden count and
  request text. ``all``: 2, 3 or 4 options (the default source).
- ``proact_env/Coding-v0`` (MBPP): the data set's own split, ``train`` = MBPP's
  train ids 601-974, ``test`` = its test ids 11-510.
- other envs have no declared task split: asking for one is an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from proact_env.domains.synthetic.tasks import SyntheticTaskSource
from proact_env.personas import PRESETS

#: the preset `train`/`test` hold out when no preset is named
HELD_OUT_PRESET = "terse_user"
TASK_SPLITS = ("all", "train", "test")
#: options per slot of the synthetic task splits
SYNTHETIC_OPTIONS = {"all": (2, 3, 4), "train": (2, 4), "test": (3,)}
#: MBPP's own split behind each task split of Coding-v0
CODING_SPLITS = {"all": "all", "train": "train", "test": "test"}

PERSONA_SPLIT_HELP = ("users: all (the five presets), train (four presets: all but terse_user), test "
                      "(terse_user), train:NAME / test:NAME (hold out preset NAME), sampled (sampled personas, no "
                      "preset); see docs/splits.md")
TASK_SPLIT_HELP = ("tasks: all, train or test; Synthetic-v0 splits by options per slot (train 2 or 4, "
                   "test 3), Coding-v0 by MBPP's own split (train ids 601-974, test 11-510); see docs/splits.md")


@dataclass(frozen=True)
class Split:
    """A persona split and a task split (see the module docstring for their definitions)."""

    personas: str = "all"
    tasks: str = "all"

    def __post_init__(self) -> None:
        self.preset_names()  # validates the persona split
        if self.tasks not in TASK_SPLITS:
            raise ValueError(f"unknown task split {self.tasks!r}: expected one of {', '.join(TASK_SPLITS)}")

    @property
    def declared(self) -> bool:
        """Whether anything is split off (all/all is the whole distribution: no held-out claim)."""
        return (self.personas, self.tasks) != ("all", "all")

    def preset_names(self) -> tuple[str, ...] | None:
        """The presets of the persona split, in `PRESETS` order; None for sampled personas."""
        if self.personas == "sampled":
            return None
        if self.personas == "all":
            return tuple(PRESETS)
        side, colon, held_out = self.personas.partition(":")
        held_out = held_out if colon else HELD_OUT_PRESET
        if side not in ("train", "test") or held_out not in PRESETS:
            raise ValueError(f"unknown persona split {self.personas!r}: expected all, train, test, "
                             f"train:NAME, test:NAME (NAME one of {', '.join(PRESETS)}) or sampled")
        if side == "test":
            return (held_out,)
        return tuple(name for name in PRESETS if name != held_out)

    def persona_option(self) -> str | list[str]:
        """The env's `persona` argument for this split."""
        names = self.preset_names()
        if names is None:
            return "sampled"
        return "presets" if names == tuple(PRESETS) else list(names)

    def env_kwargs(self, env_id: str, env_kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """`env_kwargs` for `gymnasium.make(env_id, ...)` with this split applied; a clash is an error."""
        kwargs = dict(env_kwargs)
        if self.personas != "all":
            if "persona" in kwargs:
                raise ValueError(f"persona split {self.personas!r} and env kwargs persona={kwargs['persona']!r} "
                                 "both choose the users: give one of them")
            kwargs["persona"] = self.persona_option()
        if self.tasks == "all":
            return kwargs
        if env_id == "proact_env/Synthetic-v0":
            if "task_source" in kwargs:
                raise ValueError("a task split and env kwargs task_source both choose the tasks: give one of them")
            kwargs["task_source"] = self.synthetic_source(kwargs.pop("domain", "mixed"))
        elif env_id == "proact_env/Coding-v0":
            if kwargs.get("split", "all") != "all":
                raise ValueError(f"task split {self.tasks!r} and env kwargs split={kwargs['split']!r} both choose "
                                 "the MBPP tasks: give one of them")
            kwargs["split"] = CODING_SPLITS[self.tasks]
        else:
            raise ValueError(f"{env_id} has no declared task split (Synthetic-v0 and Coding-v0 have): "
                             "use --task_split all")
        return kwargs

    def synthetic_source(self, domain: str = "mixed") -> SyntheticTaskSource:
        """The synthetic slot-task source of this task split."""
        return SyntheticTaskSource(domain=domain, options=SYNTHETIC_OPTIONS[self.tasks])

    def complement(self) -> "Split":
        """The split a model trained on this one is evaluated on: test for train and back; presets
        for sampled personas; all stays all."""
        swap = {"train": "test", "test": "train"}
        side, colon, held_out = self.personas.partition(":")
        personas = {"sampled": "all", "all": "all"}.get(self.personas, f"{swap.get(side, side)}{colon}{held_out}")
        return Split(personas, swap.get(self.tasks, self.tasks))

    def to_dict(self) -> dict[str, Any]:
        """The record every output carries: the names and what they stood for."""
        names = self.preset_names()
        return {**asdict(self), "presets": list(names) if names is not None else None,
                "synthetic_options_per_slot": list(SYNTHETIC_OPTIONS[self.tasks]),
                "mbpp_split": CODING_SPLITS[self.tasks]}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any] | None) -> "Split":
        """A split from its record; a record made before splits existed (None) is all/all."""
        if record is None:
            return cls()
        return cls(record.get("personas", "all"), record.get("tasks", "all"))


def held_out(trained: Split, evaluated: Split) -> dict[str, bool]:
    """Whether the evaluation's users and tasks lie outside what a model trained on `trained` saw."""
    train_names, eval_names = trained.preset_names(), evaluated.preset_names()
    if train_names is None or eval_names is None:  # sampled users are never a preset
        users = (train_names is None) != (eval_names is None)
    else:
        users = not set(train_names) & set(eval_names)
    tasks = {trained.tasks, evaluated.tasks} == {"train", "test"}
    return {"personas": users, "tasks": tasks}


def recorded_split(path: Path) -> Split | None:
    """The split recorded in an output's metadata (a ``.meta.json`` or ``training_config.json``), or None
    when the file is absent or predates splits."""
    if not path.is_file():
        return None
    record = json.loads(path.read_text())
    return Split.from_dict(record["split"]) if "split" in record else None


def meta_path(data: Path) -> Path:
    """The ``.meta.json`` sidecar of a JSONL output (trajectories, preferences)."""
    return data.with_name(data.name + ".meta.json")
