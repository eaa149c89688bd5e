"""The original design's persona rule for the mainline action of generated trajectories.

Kept exactly as the seed states it, because trajectory files generated with it
must stay comparable:

1. low patience → Execute
2. high patience and low task_uncertainty → Clarify
3. previous turn rejected → Execute
4. late in the dialogue → Execute
5. otherwise → Execute

Two oddities, kept on purpose and worth knowing: rule 2 asks questions when the
task is *clear* (low uncertainty), which is the opposite of what the value of
information suggests; and since rules 3-5 all answer Execute, the rule reduces
to "Clarify iff patience is high and uncertainty is low", even right after a
rejection.
"""

from __future__ import annotations

from proact_env.types import Action

#: `task_uncertainty` below this is "low".
LOW_UNCERTAINTY = 0.5
#: from this dialogue turn on the dialogue is "late".
LATE_TURN = 3


def seed_rule_action(patience: str, task_uncertainty: float, prev_reject: bool, dialogue_turn: int) -> Action:
    """The seed's mainline action for a decision point (rules applied in order)."""
    if patience == "low":
        return Action.EXECUTE
    if patience == "high" and task_uncertainty < LOW_UNCERTAINTY:
        return Action.CLARIFY
    if prev_reject:
        return Action.EXECUTE
    if dialogue_turn >= LATE_TURN:
        return Action.EXECUTE
    return Action.EXECUTE
