"""The numeric observation: a fixed, documented layout of normalised features.

Every feature lies in [0, 1], so the `Box` works with stable-baselines3's
`MlpPolicy` as it is. The layout is the same for every task source, which lets
one learned policy be evaluated on several of them.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from proact_env.personas import PERSONA_FEATURES, Persona

#: How counts become features in [0, 1]; `proact_env.policy.ObservationView` decodes with the same numbers.
UNKNOWN_FACTS_CAP = 8
QUESTIONS_PER_TURN = 2  # questions_asked is divided by QUESTIONS_PER_TURN * max_turns

#: (name, meaning) of the base features, in order.
BASE_FEATURES = (
    ("turn", "dialogue turn / max_turns"),
    ("prev_reject", "1 if the user rejected the previous turn"),
    ("task_uncertainty", "probability that executing at turn 0 fails"),
    ("remaining_uncertainty", "probability that executing now fails, given what is revealed"),
    ("info_revealed", "share of the hidden facts revealed so far (1 if none was hidden)"),
    ("unknown_facts", f"hidden facts still unknown / {UNKNOWN_FACTS_CAP} (capped at 1)"),
    ("questions_asked", f"questions asked so far / ({QUESTIONS_PER_TURN} * max_turns) (capped at 1)"),
    ("last_score", "R_task of the latest solution (0 before any)"),
    ("failed_attempts", "solutions the user turned down / max_turns"),
    ("rejections", "questions the user rejected / max_turns"),
    ("domain_coding", "1 for a coding task"),
    ("domain_planning", "1 for a planning task"),
)


def feature_names(observe_persona: bool) -> list[str]:
    names = [name for name, _ in BASE_FEATURES]
    if observe_persona:
        names += [f"persona_{name}" for name, _ in PERSONA_FEATURES]
    return names


def observation_space(observe_persona: bool) -> spaces.Box:
    size = len(BASE_FEATURES) + (len(PERSONA_FEATURES) if observe_persona else 0)
    return spaces.Box(low=0.0, high=1.0, shape=(size,), dtype=np.float32)


def static_features(domain: str, persona: Persona | None) -> tuple[float, ...]:
    """The features fixed for a whole episode (domain and persona), computed once at reset."""
    domain_bits = (float(domain == "coding"), float(domain == "planning"))
    return domain_bits + persona.features() if persona is not None else domain_bits


#: Features that change during an episode: the head of the vector (all but the two domain features),
#: before `static_features`.
N_DYNAMIC = len(BASE_FEATURES) - 2


def new_observation(static: tuple[float, ...]) -> np.ndarray:
    """The observation array of one episode, its fixed tail (domain, persona) filled in once, at reset.

    `build_observation` writes the dynamic head into it on every step and returns a copy.
    """
    out = np.zeros(N_DYNAMIC + len(static), dtype=np.float32)
    out[N_DYNAMIC:] = static
    return out


def build_observation(
    out: np.ndarray,
    turn: int,
    max_turns: int,
    prev_reject: bool,
    task_uncertainty: float,
    remaining_uncertainty: float,
    n_hidden: int,
    n_unknown: int,
    questions_asked: int,
    last_score: float,
    failed_attempts: int,
    rejections: int,
) -> np.ndarray:
    """The observation vector in the order of `BASE_FEATURES` (+ persona features).

    Writes the dynamic features into `out` (from `new_observation`) and returns a copy, so an
    observation a caller keeps never changes. Positional: the env calls it on every step, and a
    preallocated array costs less than building one from a list of floats (the float32 rounding is
    the same).
    """
    questions = questions_asked / (QUESTIONS_PER_TURN * max_turns)
    out[:N_DYNAMIC] = (  # the caps as conditionals, not min(): the same values, fewer calls
        turn / max_turns,
        float(prev_reject),
        task_uncertainty,
        remaining_uncertainty,
        1.0 - n_unknown / n_hidden if n_hidden else 1.0,
        (n_unknown if n_unknown < UNKNOWN_FACTS_CAP else UNKNOWN_FACTS_CAP) / UNKNOWN_FACTS_CAP,
        questions if questions < 1.0 else 1.0,
        last_score,
        failed_attempts / max_turns if failed_attempts < max_turns else 1.0,
        rejections / max_turns if rejections < max_turns else 1.0,
    )
    return out.copy()
