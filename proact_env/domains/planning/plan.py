"""The plan schema: what a planning Execute must deliver, its text for prompts, and its parser.

A plan is one JSON object: a start date and a list of days, each a list of
items (what happens, when, for how long, at what cost, with which properties).
The fields are defined once, in `PLAN_FIELDS`; the prompt text
(`plan_schema_text`) and the validator (`validate_plan`) both read them, so
what the LLM is asked for and what the checker accepts cannot drift apart.

`parse_plan` finds the JSON in a message (a ```json fence, a bare object, or an
object embedded in prose), validates it and returns a `Plan`; anything else is
a `PlanError` whose `kind` (``no_json``, ``invalid_json``, ``schema``) and
`reason` the checker records.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from proact_env.domains.planning.matching import item_words
from proact_env.text import fenced_blocks


@dataclass(frozen=True, slots=True)
class SchemaField:
    """One field of the plan schema: where it sits, its JSON type, an example and its rule."""

    path: str
    json_type: str
    example: Any
    rule: str
    required: bool = True


#: The plan schema. Paths: top level, `days[]` (each day) and `items[]` (each item of a day).
PLAN_FIELDS: tuple[SchemaField, ...] = (
    SchemaField("start_date", "string", "2026-06-13", 'date of the first day, "YYYY-MM-DD"'),
    SchemaField("days", "array", None, "one object per day, in order; the plan lasts as many days as it lists"),
    SchemaField("days[].items", "array", None, "what happens that day, in order (at least one item)"),
    SchemaField("items[].name", "string", "Belem Tower", "what it is: the place, dish, topic or activity, by its usual name"),
    SchemaField("items[].start", "string", "09:00", 'start time, 24-hour "HH:MM"'),
    SchemaField("items[].hours", "number", 2.5, "how long it takes, in hours (> 0)"),
    SchemaField("items[].cost", "number", 24, "cost in euros per person (0 if free)"),
    SchemaField(
        "items[].tags", "array of strings", ["step-free", "outdoor"],
        'properties that matter for the user\'s needs, e.g. "vegetarian", "gluten-free", "step-free", "outdoor"',
        required=False,
    ),
)

_FIELD = {f.path: f for f in PLAN_FIELDS}
_ITEM_FIELDS = tuple(f for f in PLAN_FIELDS if f.path.startswith("items[]."))


def plan_schema_text() -> str:
    """The schema as prompt text: an example object, then one line per field with its rule.

    The LLM layer inserts this into ``prompts/planning_execute.txt`` (its
    ``{plan_schema}`` placeholder).
    """
    item = {f.path.split(".", 1)[1]: f.example for f in _ITEM_FIELDS}
    example = {"start_date": _FIELD["start_date"].example, "days": [{"items": [item]}]}
    lines = [json.dumps(example), "Fields:"]
    for f in PLAN_FIELDS:
        need = "required" if f.required else "optional"
        lines.append(f"- {f.path} ({f.json_type}, {need}): {f.rule}")
    lines.append("Other fields are allowed and ignored. Put the whole plan in one JSON object.")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One validated item. `day` counts from 0; `start` is minutes after midnight.

    `tags` are normalised (`normalise_tag`); `name_words` and `words` (name
    and tags together) are what the name and trigger-word rules look at.
    """

    name: str
    day: int
    start: int
    hours: float
    cost: float
    tags: frozenset[str]
    name_words: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated plan. `items` lists every item chronologically: by day, then start time, then as written."""

    start_date: date
    days: tuple[tuple[PlanItem, ...], ...]
    items: tuple[PlanItem, ...]


class PlanError(ValueError):
    """A message holds no usable plan. `kind` is ``no_json``, ``invalid_json`` or ``schema``."""

    def __init__(self, kind: str, reason: str) -> None:
        self.kind = kind
        self.reason = reason
        super().__init__(f"{kind}: {reason}")


def parse_plan(message: str) -> Plan:
    """The plan in an assistant message, validated against the schema."""
    return validate_plan(extract_json(message))


_FENCE_TAG = re.compile(r"[ \t]*([A-Za-z0-9_+-]*)")  # the language after a fence (`text.fenced_blocks`)
_MAX_EMBEDDED_TRIES = 50


def extract_json(message: str) -> dict[str, Any]:
    """The JSON object a message delivers as its plan.

    Looks, in order, at fenced code blocks (``json``-labelled ones first), the
    whole message, and objects embedded in prose. Among the objects found it
    prefers the first with a ``days`` field, so a stray ``{"note": ...}``
    before the plan does not hide it.
    """
    candidates: list[dict[str, Any]] = []
    first_error: str | None = None
    blocks = fenced_blocks(message, _FENCE_TAG, closed_only=True)
    blocks.sort(key=lambda block: block[0].lower() != "json")
    texts = [body for _, body in blocks] + [message]
    for text in texts:
        stripped = text.strip()
        if not stripped.startswith("{"):
            continue
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            first_error = first_error or f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            continue
        if isinstance(value, dict):
            candidates.append(value)
    if not any("days" in c for c in candidates):
        candidates.extend(_embedded_objects(message))
    for candidate in candidates:
        if "days" in candidate:
            return candidate
    if candidates:
        return candidates[0]
    if first_error is not None or "{" in message:
        raise PlanError("invalid_json", first_error or "no complete JSON object could be decoded from the message")
    raise PlanError("no_json", "the message contains no JSON object")


def _embedded_objects(message: str) -> list[dict[str, Any]]:
    """JSON objects that start at a "{" somewhere in prose (the first few tries only)."""
    decoder = json.JSONDecoder()
    found = []
    position = message.find("{")
    tries = 0
    while position != -1 and tries < _MAX_EMBEDDED_TRIES:
        tries += 1
        try:
            value, end = decoder.raw_decode(message, position)
        except json.JSONDecodeError:
            position = message.find("{", position + 1)
            continue
        if isinstance(value, dict):
            found.append(value)
        position = message.find("{", end)
    return found


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")


def validate_plan(value: Any) -> Plan:
    """Check a decoded JSON value against `PLAN_FIELDS`; errors name the offending path."""
    if not isinstance(value, dict):
        raise PlanError("schema", f"the plan must be a JSON object, got {_json_type(value)}")
    start_date = _date(_required(value, "start_date", "start_date"), "start_date")
    days_value = _required(value, "days", "days")
    if not isinstance(days_value, list) or not days_value:
        raise PlanError("schema", f"days: expected a non-empty array of day objects, got {_json_type(days_value)}")
    days = []
    for d, day_value in enumerate(days_value):
        where = f"days[{d}]"
        if not isinstance(day_value, dict):
            raise PlanError("schema", f"{where}: expected an object with 'items', got {_json_type(day_value)}")
        items_value = _required(day_value, "items", f"{where}.items")
        if not isinstance(items_value, list):
            raise PlanError("schema", f"{where}.items: expected an array, got {_json_type(items_value)}")
        if not items_value:  # an empty day would meet every budget, pace and avoid rule for free
            raise PlanError("schema", f"{where}.items: expected at least one item, got an empty array")
        days.append(tuple(_item(item, d, f"{where}.items[{i}]") for i, item in enumerate(items_value)))
    ordered = sorted(
        ((item.day, item.start, n), item) for n, item in enumerate(i for day in days for i in day)
    )
    return Plan(start_date=start_date, days=tuple(days), items=tuple(item for _, item in ordered))


def _item(value: Any, day: int, where: str) -> PlanItem:
    if not isinstance(value, dict):
        raise PlanError("schema", f"{where}: expected an item object, got {_json_type(value)}")
    name = _required(value, "name", f"{where}.name")
    if not isinstance(name, str) or not name.strip():
        raise PlanError("schema", f"{where}.name: expected a non-empty string, got {_json_type(name)}")
    start = _time(_required(value, "start", f"{where}.start"), f"{where}.start")
    hours = _number(_required(value, "hours", f"{where}.hours"), f"{where}.hours")
    if not 0 < hours <= 24:
        raise PlanError("schema", f"{where}.hours: expected a number of hours in (0, 24], got {hours!r}")
    cost = _number(_required(value, "cost", f"{where}.cost"), f"{where}.cost")
    if cost < 0:
        raise PlanError("schema", f"{where}.cost: expected a cost >= 0, got {cost!r}")
    tags_value = value.get("tags", [])
    if not isinstance(tags_value, list) or not all(isinstance(t, str) for t in tags_value):
        raise PlanError("schema", f"{where}.tags: expected an array of strings, got {_json_type(tags_value)}")
    name_words, words, tags = item_words(name, tuple(tags_value))
    return PlanItem(name, day, start, hours, cost, tags, name_words, words)


def _required(record: dict[str, Any], name: str, where: str) -> Any:
    if name not in record:
        raise PlanError("schema", f"{where}: missing required field")
    return record[name]


def _date(value: Any, where: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PlanError("schema", f'{where}: expected a date "YYYY-MM-DD", got {value!r}')


def _time(value: Any, where: str) -> int:
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours < 24 and minutes < 60:
            return hours * 60 + minutes
    raise PlanError("schema", f'{where}: expected a 24-hour time "HH:MM", got {value!r}')


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError("schema", f"{where}: expected a number, got {_json_type(value)} {value!r}")
    return float(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def format_time(minutes: int) -> str:
    """Minutes after midnight as "HH:MM" (the schema's time format)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
