"""Planning tasks written by hand: a JSONL states file, validated line by line.

Each line is the seed's state (`id, domain, query, dialogue_turn, prev_reject,
task_uncertainty`) plus what makes it a planning task:

- ``kind``: ``trip``, ``meal``, ``study`` or ``event`` (the plan layout);
- ``catalogue``: the name of a built-in catalogue of that kind (``lisbon``,
  ``family``, ``statistics``, ``offsite``...) or a list of items
  ``{"name": ..., "cost": ..., "tags": [...]}`` the plan is made of;
- ``constraints``: a non-empty list of ``{"kind": ..., <fields>, "hidden": bool,
  "answer": optional wording}`` (kinds and fields: `constraints`);
- ``date_options`` (optional): the start dates a reference assistant guesses
  between; default: the dates of the start date's month on its weekday (or the
  first four of June 2026 on the kind's weekday when there is no start date).

``domain`` may be omitted (it must be ``planning`` if given).
``task_uncertainty`` is validated but recomputed from the constraints, like
for generated tasks (`task_record` writes the computed value). Every error
names the file, the line and the field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from proact_env.domains.planning.catalogues import CatalogueItem
from proact_env.domains.planning.constraints import RecordReader, StartDate, constraint_from_record
from proact_env.domains.planning.kinds import KINDS, TaskKind
from proact_env.domains.planning.spec import (
    PlanningSpec,
    build_spec,
    candidate_dates,
    make_task,
)
from proact_env.errors import SchemaError
from proact_env.io import read_jsonl
from proact_env.rng import pick
from proact_env.types import State, Task

STATE_FIELDS = ("id", "domain", "query", "dialogue_turn", "prev_reject", "task_uncertainty")
PLANNING_FIELDS = ("kind", "catalogue", "constraints", "date_options")
_DEFAULT_MONTH = (2026, 6)


@dataclass(frozen=True)
class PlanningState:
    """One line of a planning states file: the decision point it describes and its task."""

    state: State
    task: Task


def load_planning_states(path: str | Path) -> list[PlanningState]:
    """Every line of a planning states file, validated (`SchemaError` names ``path:line`` and the field)."""
    loaded: list[PlanningState] = []
    first_seen: dict[str, str] = {}
    for where, record in read_jsonl(Path(path)):
        entry = planning_state_from_record(record, where)
        if entry.state.id in first_seen:
            raise SchemaError(where, "id", f"duplicate id {entry.state.id!r} (first at {first_seen[entry.state.id]})")
        first_seen[entry.state.id] = where
        loaded.append(entry)
    return loaded


def is_planning_record(record: Mapping[str, Any]) -> bool:
    """A states-file line that carries a planning task (its constraints), as opposed to a plain seed state."""
    return "constraints" in record and record.get("domain", "planning") == "planning"


def task_from_record(record: Mapping[str, Any], where: str) -> Task:
    """The task of one planning line of a mixed states file (`proact generate --mode dataset`)."""
    return planning_state_from_record(record, where).task


def tasks_from_states(path: str | Path) -> list[Task]:
    """The tasks of a planning states file (what `proact generate --domain planning` plays)."""
    return [entry.task for entry in load_planning_states(path)]


def planning_state_from_record(record: Any, where: str) -> PlanningState:
    """Validate one states-file record and build its task."""
    if not isinstance(record, Mapping):
        raise SchemaError(where, None, f"expected a JSON object, got {type(record).__name__}")
    unknown = sorted(set(record) - set(STATE_FIELDS) - set(PLANNING_FIELDS))
    if unknown:
        raise SchemaError(where, unknown[0], f"unknown field (a planning state has {', '.join(STATE_FIELDS + PLANNING_FIELDS)})")
    if record.get("domain", "planning") != "planning":
        raise SchemaError(where, "domain", f"expected 'planning' (or no domain), got {record['domain']!r}")
    state = State.from_dict({**record, "domain": "planning"}, where=where)
    reader = RecordReader(record, where, "")
    kind_name = reader.text("kind")
    if kind_name not in KINDS:
        raise SchemaError(where, "kind", f"expected one of {', '.join(KINDS)}, got {kind_name!r}")
    kind = KINDS[kind_name]
    catalogue_name, catalogue = _catalogue(kind, reader.get("catalogue"), where)
    raw_constraints = reader.get("constraints")
    if not isinstance(raw_constraints, list) or not raw_constraints:
        raise SchemaError(where, "constraints", f"expected a non-empty list of constraint objects, got {raw_constraints!r}")
    constraints = tuple(constraint_from_record(c, where, f"constraints[{i}]") for i, c in enumerate(raw_constraints))
    dates = _date_options(kind, record.get("date_options"), constraints, where)
    spec = build_spec(kind, catalogue_name, catalogue, constraints, dates, where)
    return PlanningState(state, make_task(state.id, state.query, spec, source="planning-states"))


def _catalogue(kind: TaskKind, value: Any, where: str) -> tuple[str | None, tuple[CatalogueItem, ...]]:
    if isinstance(value, str):
        try:
            return value, kind.catalogue(value).catalogue
        except KeyError:
            names = ", ".join(s.key for s in kind.subjects)
            raise SchemaError(where, "catalogue", f"unknown {kind.name} catalogue {value!r}: built-in ones are "
                                                  f"{names}, or give a list of items") from None
    if not isinstance(value, list) or not value:
        raise SchemaError(where, "catalogue", "expected a built-in catalogue name or a non-empty list of items")
    items = []
    for i, raw in enumerate(value):
        prefix = f"catalogue[{i}]"
        if not isinstance(raw, Mapping):
            raise SchemaError(where, prefix, f"expected an item object, got {type(raw).__name__}")
        unknown = sorted(set(raw) - {"name", "cost", "tags"})
        if unknown:
            raise SchemaError(where, f"{prefix}.{unknown[0]}", "unknown field (an item has name, cost, tags)")
        reader = RecordReader(raw, where, prefix)
        cost = raw.get("cost", 0)
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0 <= cost < float("inf"):
            raise reader.fail("cost", f"expected a number >= 0, got {cost!r}")
        tags = reader.phrases("tags", default=())
        items.append(CatalogueItem(reader.text("name"), float(cost), tags))
    for i, item in enumerate(items):
        for j, other in enumerate(items):
            if i != j and item.name_words <= other.name_words:
                raise SchemaError(where, f"catalogue[{i}].name", f"{item.name!r} also names {other.name!r} "
                                  f"(catalogue[{j}]): every item needs a name no other item contains")
    return None, tuple(items)


def _date_options(kind: TaskKind, value: Any, constraints: tuple, where: str) -> tuple[date, ...]:
    if value is None:
        start = next((c.date for c in constraints if isinstance(c, StartDate)), None)
        if start is None:
            return candidate_dates(*_DEFAULT_MONTH, kind.weekday)
        return candidate_dates(start.year, start.month, start.weekday(), count=5)
    if not isinstance(value, list) or not value:
        raise SchemaError(where, "date_options", "expected a non-empty list of dates \"YYYY-MM-DD\"")
    reader = RecordReader({str(i): v for i, v in enumerate(value)}, where, "date_options")
    return tuple(reader.iso_date(str(i)) for i in range(len(value)))


def task_record(task: Task, dialogue_turn: int = 0, prev_reject: int = 0) -> dict[str, Any]:
    """A planning task as a states-file line (`load_planning_states` reads it back to the same task)."""
    spec = task.payload
    if not isinstance(spec, PlanningSpec):
        raise TypeError(f"task_record writes planning tasks only, got a {task.source!r} task")
    state = task.state(dialogue_turn, prev_reject)
    catalogue: str | list = spec.catalogue_name or [item.to_record() for item in spec.catalogue]
    return {
        **state.to_dict(),
        "kind": spec.kind.name,
        "catalogue": catalogue,
        "date_options": [d.isoformat() for d in spec.date_options],
        "constraints": [c.to_record() for c in spec.constraints],
    }


class PlanningStatesSource:
    """Draws tasks uniformly from a planning states file (`gymnasium.make(..., states_path=...)`)."""

    def __init__(self, tasks: list[Task] | tuple[Task, ...], path: str | None = None) -> None:
        if not tasks:
            raise ValueError("PlanningStatesSource needs at least one task")
        self.tasks = tuple(tasks)
        self.path = path

    @classmethod
    def from_file(cls, path: str | Path) -> "PlanningStatesSource":
        return cls(tasks_from_states(path), str(path))

    def sample(self, rng: random.Random) -> Task:
        return pick(rng, self.tasks)

    def describe(self) -> dict[str, Any]:
        return {"source": "planning-states", "path": self.path, "tasks": len(self.tasks)}
