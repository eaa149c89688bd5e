"""Stand-in participants: a simulated person who answers as a persona would (to test the fit and the pages).

`SimulatedPerson` plays the user through the same `Person` interface a web page or a
terminal implements, by asking the rule-based simulator what a user of `persona`
would do and answering with that choice. Its replies are exactly what a person of that
persona would leave in a study file, so `proact fit-personas` must recover the persona
from them.
"""

from __future__ import annotations

import random
from typing import Any, Mapping

from proact_env.human.session import AssistantMove
from proact_env.personas import Persona
from proact_env.simulator.human import HumanReply, UserTurn
from proact_env.simulator.rules import RuleBasedSimulator
from proact_env.solver_blind import reaction_kind
from proact_env.text import message_stats
from proact_env.types import Action


class SimulatedPerson:
    """Reacts as the rule-based user of `persona` would (play it in an env with the same persona)."""

    def __init__(self, persona: Persona, seed: int = 0) -> None:
        self.persona = persona
        self.rng = random.Random(seed)
        self.simulator = RuleBasedSimulator()

    def react(self, view: Mapping[str, Any], turn: UserTurn) -> HumanReply:
        reaction = self.simulator.react(turn.query, turn.assistant_msg, self.persona, context=turn.context,
                                        rng=self.rng)
        meta = reaction.meta
        if reaction.gave_up:
            choice = "give_up"
        elif turn.action is Action.EXECUTE:
            choice = "accept" if turn.success else "complain"
        else:  # reject, answer, silence or off_topic, named as the persona-blind solver names reactions
            choice = reaction_kind(Action.CLARIFY, meta.to_dict(), False)
        too_long = message_stats(turn.assistant_msg).prose_words > self.persona.long_turn_tolerance
        revealed = reaction.revealed if choice in ("answer", "complain") else ()
        return HumanReply(choice, reaction.user_reply, tuple(revealed), too_long)

    def decide(self, view: Mapping[str, Any]) -> AssistantMove:
        raise NotImplementedError("SimulatedPerson plays the user side only")

    def episode_over(self, view: Mapping[str, Any]) -> None:
        """Nothing to acknowledge."""
