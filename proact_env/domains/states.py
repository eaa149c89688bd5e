"""Tasks from a states JSONL file in the seed's schema (`proact generate --mode dataset`).

Every line is a seed state (`id, domain, query, dialogue_turn, prev_reject,
task_uncertainty`). A line may carry the hidden fields of a real task source
(tests for coding, constraints for planning: see `STATE_LOADERS`); a plain seed
line has no checker, so it is played as a synthetic task with the user's own
query: hidden requirements whose count and option count reproduce its
`task_uncertainty` as closely as possible (`plain_state_task`). The whole file is
validated before any work starts; errors name file, line and field.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from proact_env.domains.synthetic.tasks import CODING_SLOTS, PLANNING_SLOTS, Slot, SyntheticSpec, slot_fact
from proact_env.importing import resolve
from proact_env.io import read_jsonl
from proact_env.types import State, Task

#: (name, "module:detector(record) -> bool", "module:loader(record, where) -> Task").
#: The first loader whose detector accepts a record builds its task.
STATE_LOADERS: list[tuple[str, str, str]] = [
    ("planning", "proact_env.domains.planning.states:is_planning_record",
     "proact_env.domains.planning.states:task_from_record"),
    ("coding", "proact_env.domains.coding.states:is_coding_record",
     "proact_env.domains.coding.states:task_from_record"),
]

_MAX_HIDDEN = 4
_OPTIONS = (2, 3, 4)


@dataclass(frozen=True)
class StateTask:
    """A validated line: its seed state and the task the env plays for it."""

    where: str
    state: State
    task: Task
    record: Mapping[str, Any]


def load_state_tasks(path: Path, limit: int | None = None) -> list[StateTask]:
    """Validate and convert the first `limit` states of a file (all of them by default)."""
    items = []
    for where, record in read_jsonl(path):
        if limit is not None and len(items) >= limit:
            break
        state = State.from_dict(record, where=where)
        items.append(StateTask(where, state, task_from_state_record(record, state, where), record))
    return items


def task_from_state_record(record: Mapping[str, Any], state: State, where: str) -> Task:
    for _, detector, loader in STATE_LOADERS:
        if resolve(detector)(record):
            return resolve(loader)(record, where)
    return plain_state_task(state)


def _shape_for(uncertainty: float) -> tuple[int, int]:
    """(hidden slots, options per slot) whose 1 - (1/k)^h is closest to `uncertainty`."""
    shapes = [(0, 2)] + [(h, k) for h in range(1, _MAX_HIDDEN + 1) for k in _OPTIONS]
    return min(shapes, key=lambda hk: (abs(1 - (1 / hk[1]) ** hk[0] - uncertainty), hk[0]))


def plain_state_task(state: State) -> Task:
    """A synthetic task with the state's own query and a matching uncertainty.

    The hidden requirements are drawn from the domain's slot vocabulary with a
    generator seeded by the state id, so the same state always gets the same task.
    """
    n_hidden, k = _shape_for(state.task_uncertainty)
    rng = random.Random(zlib.crc32(state.id.encode("utf-8")))
    vocabulary = CODING_SLOTS if state.domain == "coding" else PLANNING_SLOTS
    slots = []
    for name in rng.sample(sorted(vocabulary), n_hidden):
        label, pool = vocabulary[name]
        options = tuple(sorted(rng.sample(pool, k), key=pool.index))
        slots.append(Slot(name, label, options, rng.choice(options), True))
    hidden = tuple(slot_fact(s) for s in slots)
    return Task(id=state.id, domain=state.domain, query=state.query, hidden=hidden,
                payload=SyntheticSpec(slots=tuple(slots), n_options=k), source="states")
