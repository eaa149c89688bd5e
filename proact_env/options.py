"""Typed configs from what users pass: the dataclass itself, None for its defaults, or a dict of its fields.

Env arguments arrive from `gymnasium.make(...)`, JSON on the command line
(`--env-kwargs`) and config files, where a dict is the natural form; a
misspelt key must fail with the list of real ones, not be ignored.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


def check_known(options: Mapping[str, Any], cls: type, option: str) -> None:
    """Fail on keys that are not fields of dataclass `cls`, listing the fields."""
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"unknown {option} option(s) {unknown}: {cls.__name__} has {', '.join(known)}")


def config_from(value: T | Mapping[str, Any] | None, cls: type[T], option: str) -> T:
    """`value` as a `cls`: itself, `cls()` for None, or `cls(**value)` for a dict of its fields."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        check_known(value, cls, option)
        return cls(**value)
    raise ValueError(f"{option} must be a {cls.__name__} or a dict of its fields, got {type(value).__name__}")
