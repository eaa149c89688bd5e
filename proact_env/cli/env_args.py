"""`--env ID --env-kwargs JSON`, checked before a run starts (`proact benchmark`, `proact evaluate`).

`gymnasium.make` answers a mistyped id with its own exception class and an
unknown keyword with a `TypeError` from deep inside the constructor; here both
become one line that names the flag, what was wrong and what would be accepted.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from proact_env.errors import SchemaError


def parse_env_kwargs(text: str, flag: str = "--env-kwargs") -> dict[str, Any]:
    """The JSON object given to `flag`."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{flag} is not valid JSON ({exc.msg} at column {exc.colno}): {text!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{flag} must be a JSON object such as '{{\"max_turns\": 4}}', got {text!r}")
    return value


def env_arguments(env_id: str) -> list[str]:
    """The keyword arguments the env behind `env_id` takes (a factory's `**kwargs` go to `ProactEnv`)."""
    import gymnasium as gym

    from proact_env.env import ProactEnv
    from proact_env.importing import resolve

    entry = gym.spec(env_id).entry_point
    target = resolve(entry) if isinstance(entry, str) else entry
    names: list[str] = []
    for callable_ in (target, ProactEnv):
        params = inspect.signature(callable_).parameters.values()
        names += [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in names]
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names


def make_checked_env(env_id: str, env_kwargs: dict[str, Any], flag: str = "--env-kwargs") -> Any:
    """`gymnasium.make(env_id, **env_kwargs)`, or a `ValueError` that says which flag to fix and how."""
    import gymnasium as gym

    from proact_env.registration import ENV_IDS

    try:
        return gym.make(env_id, **env_kwargs)
    except gym.error.Error as exc:
        raise ValueError(f"--env {env_id!r}: {exc} (this package registers {', '.join(ENV_IDS)})") from None
    except TypeError as exc:
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        if unknown is None:
            raise ValueError(f"{flag} for {env_id}: {exc}") from None
        raise ValueError(f"{flag}: {env_id} takes no argument {unknown[1]!r}; it takes "
                         f"{', '.join(env_arguments(env_id))}") from None
    except SchemaError:
        raise
    except ValueError as exc:
        raise ValueError(f"{flag} for {env_id}: {exc}") from None
