"""Typed configs from what users pass: the dataclass itself, None for its defaults, or a dict of its fields.

Env arguments arrive from `gymnasium.make(...)`, JSON on the command line
(`--env-kwargs`) and config files, where a dict is the natural form; a
misspelt key must fail with the list of real ones, not be ignored.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Mapping, TypeVar

T = TypeVar("T")


def field_aliases(cls: type) -> Mapping[str, str]:
    """Other names a dataclass accepts for its fields (``FIELD_ALIASES``: alias -> field), e.g. the seed's ``w1``."""
    return getattr(cls, "FIELD_ALIASES", {})


def check_known(options: Mapping[str, Any], cls: type, option: str) -> None:
    """Fail on keys that are neither fields of dataclass `cls` nor their aliases, listing the fields."""
    aliases = field_aliases(cls)
    known = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(known) - set(aliases))
    if unknown:
        alias_of = {name: alias for alias, name in aliases.items()}
        listed = ", ".join(f"{name} ({alias_of[name]})" if name in alias_of else name for name in known)
        raise ValueError(f"unknown {option} option(s) {unknown}: {cls.__name__} has {listed}")


def resolve_aliases(options: Mapping[str, Any], cls: type, option: str) -> dict[str, Any]:
    """`options` with every alias replaced by its field's name; giving both is an error."""
    resolved = dict(options)
    for alias, name in field_aliases(cls).items():
        if alias in resolved:
            if name in resolved:
                raise ValueError(f"{option}: {alias!r} and {name!r} name the same {cls.__name__} field; give one")
            resolved[name] = resolved.pop(alias)
    return resolved


def config_from(value: T | Mapping[str, Any] | None, cls: type[T], option: str) -> T:
    """`value` as a `cls`: itself, `cls()` for None, or `cls(**value)` for a dict of its fields (or their aliases)."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, Mapping):
        check_known(value, cls, option)
        return cls(**resolve_aliases(value, cls, option))
    raise ValueError(f"{option} must be a {cls.__name__} or a dict of its fields, got {type(value).__name__}")
