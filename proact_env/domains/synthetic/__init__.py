"""Synthetic tasks: requests with hidden single-word requirements, whose optimum `proact_env.solver` computes exactly.

`tasks` draws tasks (`SyntheticTaskSource`, `SyntheticSpec` scores a solution);
`writer` is the scripted assistant whose message lengths the solver knows.
"""

from proact_env.domains.synthetic.tasks import SyntheticSpec, SyntheticTaskSource

__all__ = ["SyntheticSpec", "SyntheticTaskSource"]
