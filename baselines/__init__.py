"""Heuristic and reference policies, each built for an env: `Policy(env, **options)`.

They implement `proact_env.policy.Policy` and see only what an agent sees (the
observation and `info`), except `OptimalPolicy`, the exact oracle of the
synthetic domain. `BlindOptimalPolicy` is the exact persona-blind optimum: it
knows the task and the persona prior, never the user.
"""

from proact_env.baselines.blind_optimal import BlindOptimalPolicy
from proact_env.baselines.fixed import AlwaysClarify, AlwaysExecute, ClarifyOnce
from proact_env.baselines.optimal import OptimalPolicy
from proact_env.baselines.random_policy import RandomPolicy
from proact_env.baselines.seed_rule import SeedRulePolicy
from proact_env.baselines.threshold import ThresholdPolicy

__all__ = [
    "AlwaysClarify",
    "AlwaysExecute",
    "BlindOptimalPolicy",
    "ClarifyOnce",
    "OptimalPolicy",
    "RandomPolicy",
    "SeedRulePolicy",
    "ThresholdPolicy",
]
