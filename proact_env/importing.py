"""Lazy imports by name: how registries point at code without importing it up front."""

from __future__ import annotations

import importlib
from typing import Any


def resolve(target: str) -> Any:
    """The object at ``"package.module:attr.path"``, imported now."""
    module_name, sep, attr_path = target.partition(":")
    if not sep or not attr_path:
        raise ValueError(f"expected 'package.module:attribute', got {target!r}")
    obj: Any = importlib.import_module(module_name)
    for attr in attr_path.split("."):
        obj = getattr(obj, attr)
    return obj
