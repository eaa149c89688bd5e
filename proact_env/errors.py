"""Errors that tell the user what to fix, and the lazy importer of optional dependencies."""

from __future__ import annotations

import importlib
from types import ModuleType


class SchemaError(ValueError):
    """A record in a user's file does not match the expected schema.

    The message always starts with where the record came from (``path:line``) and
    the offending field, so the user can jump straight to it.
    """

    def __init__(self, where: str, field: str | None, problem: str) -> None:
        self.where = where
        self.field = field
        self.problem = problem
        location = f"{where}: field '{field}'" if field else where
        super().__init__(f"{location}: {problem}")


class RunFailedError(RuntimeError):
    """A run went through, but every item of it failed (every state, every pair...): nothing usable was made.

    The command line exits non-zero on it, so a script or CI job does not carry on
    with an empty result (a wrong API key fails every LLM call, for instance).
    """


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message gives the exact install command."""


def require(module: str, extra: str) -> ModuleType:
    """Import an optional dependency, or fail with the `pip install` that provides it.

    Heavy libraries (torch, transformers, trl, peft, openai, ray...) are only
    imported inside the functions that use them, through this helper, so that
    `import proact_env` stays fast and works with the core install alone.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module!r} is needed for this feature but is not installed ({exc}). "
            f"Install it with: pip install 'proact-env[{extra}]'"
        ) from exc
