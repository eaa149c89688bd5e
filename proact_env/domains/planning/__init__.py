"""Planning tasks: requests with hidden constraints, and a checker that scores a structured JSON plan.

- `plan`: the plan schema (`plan_schema_text` for prompts) and its parser;
- `constraints`: the constraint kinds and the rule the checker applies for each;
- `kinds`, `catalogues`: trip / meal / study / event layouts and what plans are made of;
- `reference`: the reference assistant's drafts and their exact odds (`task_uncertainty`);
- `spec`: a task's payload (`score`, `uncertainty`) and feasibility checks;
- `generator`: seeded tasks (`PlanningTaskSource`, `PlanningConfig`);
- `states`: hand-written JSONL states files (`load_planning_states`, `task_record`);
- `environment`: `make_planning_env`, the entry point of `proact_env/Planning-v0`.
"""

from proact_env.domains.planning.generator import PlanningConfig, PlanningTaskSource
from proact_env.domains.planning.plan import Plan, PlanError, parse_plan, plan_schema_text
from proact_env.domains.planning.spec import PlanningSpec
from proact_env.domains.planning.states import (
    PlanningState,
    PlanningStatesSource,
    load_planning_states,
    task_record,
    tasks_from_states,
)

__all__ = [
    "Plan",
    "PlanError",
    "PlanningConfig",
    "PlanningSpec",
    "PlanningState",
    "PlanningStatesSource",
    "PlanningTaskSource",
    "load_planning_states",
    "parse_plan",
    "plan_schema_text",
    "task_record",
    "tasks_from_states",
]
