"""`proact_env/Planning-v0`: the Clarify/Execute env on planning tasks, generated or read from a states file."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from proact_env.domains.planning.generator import PlanningConfig, PlanningTaskSource
from proact_env.domains.planning.states import PlanningStatesSource
from proact_env.env import ProactEnv
from proact_env.options import config_from


def make_planning_env(
    *,
    states_path: str | Path | None = None,
    task_config: PlanningConfig | Mapping[str, Any] | None = None,
    **env_kwargs: Any,
) -> ProactEnv:
    """A `ProactEnv` on planning tasks.

    Arguments:
        states_path: a planning states file (`states`); its tasks are drawn
            uniformly. Default None: generated tasks.
        task_config: the generator's `PlanningConfig`, or a dict of its fields
            (JSON-friendly, for ``--env-kwargs``). Default `PlanningConfig()`.
        env_kwargs: every other `ProactEnv` argument (``persona``, ``max_turns``,
            ``reward``, ``backbone``...).
    """
    if "task_source" in env_kwargs:
        raise ValueError("Planning-v0 builds its own task source: pass states_path= or task_config=, "
                         "or build proact_env.ProactEnv(task_source=...) directly")
    if states_path is not None and task_config is not None:
        raise ValueError("pass either states_path= (tasks from a file) or task_config= (generated tasks), not both")
    if states_path is not None:
        return ProactEnv(task_source=PlanningStatesSource.from_file(states_path), **env_kwargs)
    return ProactEnv(task_source=PlanningTaskSource(config_from(task_config, PlanningConfig, "task_config")), **env_kwargs)
