"""Simulated-user personas: named presets and seeded sampling.

A persona fixes how a user reacts to questions and solutions. The numbers are
probabilities the rule-based simulator samples from and the synthetic solver
reads exactly, so a persona is plain, validated, hashable data.
"""

from __future__ import annotations

import json
import os
import random
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from proact_env.errors import SchemaError
from proact_env.rng import pick, pick_index

LEVELS = ("low", "medium", "high")

#: Patience points a user starts with. A rejected question and a failed solution
#: each cost one; at zero the user gives up and the episode ends.
PATIENCE_BUDGET = {"low": 2, "medium": 3, "high": 5}

#: How the persona's counts become observation features in [0, 1] (`Persona.features`); policies
#: that read the observation decode them with the same numbers (`proact_env.policy.ObservationView`).
PATIENCE_SCALE = max(PATIENCE_BUDGET.values())
QUESTION_TOLERANCE_CAP = 8
LONG_TURN_TOLERANCE_CAP = 200


@dataclass(frozen=True, slots=True)
class Persona:
    """How a simulated user behaves.

    Attributes:
        name: preset name, or ``"sampled_<patience>_patience"`` for a sampled persona
            (so per-persona breakdowns group sampled users by patience).
        patience: ``low``/``medium``/``high``; sets the patience budget
            (`PATIENCE_BUDGET`): rejections and failed solutions spend it.
        expertise: ``low``/``medium``/``high``; experts answer precisely and say
            exactly what is wrong with a solution.
        question_tolerance: questions the user accepts over the conversation
            before pushback grows (each question beyond it raises the reject
            probability, see `SimulatorConfig.over_tolerance_reject`).
        long_turn_tolerance: words of prose (code excluded) in one assistant turn
            before the turn counts as long.
        p_answer, p_reject, p_silence, p_off_topic: how the user reacts to a
            clarification within tolerance; they sum to 1.
        answer_precision: chance that each asked-about fact is actually revealed
            when the user answers (vague users reveal less).
        feedback_rate: chance that the user's complaint about a failed solution
            names one fact the solution got wrong.
        description: what the preset tolerates and how it answers, for humans.
    """

    name: str
    patience: str
    expertise: str
    question_tolerance: int
    long_turn_tolerance: int
    p_answer: float
    p_reject: float
    p_silence: float
    p_off_topic: float
    answer_precision: float
    feedback_rate: float
    description: str = ""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self, where: str = "persona") -> None:
        for level_field in ("patience", "expertise"):
            if getattr(self, level_field) not in LEVELS:
                raise SchemaError(where, level_field, f"expected one of {LEVELS}, got {getattr(self, level_field)!r}")
        for int_field in ("question_tolerance", "long_turn_tolerance"):
            value = getattr(self, int_field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise SchemaError(where, int_field, f"expected an integer >= 0, got {value!r}")
        for prob_field in ("p_answer", "p_reject", "p_silence", "p_off_topic", "answer_precision", "feedback_rate"):
            value = getattr(self, prob_field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                raise SchemaError(where, prob_field, f"expected a probability in [0, 1], got {value!r}")
        total = self.p_answer + self.p_reject + self.p_silence + self.p_off_topic
        if abs(total - 1.0) > 1e-6:
            raise SchemaError(where, "p_answer", f"p_answer + p_reject + p_silence + p_off_topic must be 1, got {total:.6f}")

    @property
    def patience_budget(self) -> int:
        return PATIENCE_BUDGET[self.patience]

    def to_dict(self) -> dict[str, Any]:
        """Field by field (every field is a plain value): `asdict`'s deep copy costs more than a generation step."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "persona") -> "Persona":
        """Read a persona written by `to_dict`, or a preset given by name alone."""
        if isinstance(record, str):
            return get_preset(record)
        if not isinstance(record, abc.Mapping):
            raise SchemaError(where, None, f"expected a persona object or preset name, got {type(record).__name__}")
        if set(record) <= {"name", "description"} and "name" in record:
            return get_preset(record["name"])
        names = [f for f in cls.__dataclass_fields__]
        missing = [f for f in names if f not in record and f != "description"]
        if missing:
            raise SchemaError(where, missing[0], "missing required persona field")
        unknown = sorted(set(record) - set(names))
        if unknown:
            raise SchemaError(where, unknown[0], f"unknown persona field (known: {', '.join(names)})")
        try:
            return cls(**{name: record[name] for name in names if name in record})
        except SchemaError as exc:
            raise SchemaError(where, exc.field, exc.problem) from None

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Persona":
        """A persona saved as JSON (`to_dict`), e.g. fitted to people's replies by `proact fit-personas`."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such persona file")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SchemaError(str(path), None, f"invalid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_dict(record, where=str(path))

    def features(self) -> tuple[float, ...]:
        """The persona as numbers in [0, 1], in the order of `PERSONA_FEATURES`."""
        return (
            self.patience_budget / PATIENCE_SCALE,
            LEVELS.index(self.expertise) / (len(LEVELS) - 1),
            min(self.question_tolerance, QUESTION_TOLERANCE_CAP) / QUESTION_TOLERANCE_CAP,
            min(self.long_turn_tolerance, LONG_TURN_TOLERANCE_CAP) / LONG_TURN_TOLERANCE_CAP,
            self.p_answer,
            self.p_reject,
            self.p_silence,
            self.p_off_topic,
            self.answer_precision,
            self.feedback_rate,
        )


PERSONA_FEATURES = (
    ("patience", f"patience budget / {PATIENCE_SCALE}"),
    ("expertise", "0 low, 0.5 medium, 1 high"),
    ("question_tolerance", f"questions tolerated / {QUESTION_TOLERANCE_CAP} (capped at 1)"),
    ("long_turn_tolerance", f"words tolerated per turn / {LONG_TURN_TOLERANCE_CAP} (capped at 1)"),
    ("p_answer", "probability of answering a question within tolerance"),
    ("p_reject", "probability of rejecting a question within tolerance"),
    ("p_silence", "probability of not replying to a question"),
    ("p_off_topic", "probability of drifting off topic"),
    ("answer_precision", "chance each asked fact is revealed by an answer"),
    ("feedback_rate", "chance a complaint names what a failed solution got wrong"),
)


PRESETS: dict[str, Persona] = {
    p.name: p
    for p in (
        Persona(
            name="impatient_expert",
            patience="low",
            expertise="high",
            question_tolerance=1,
            long_turn_tolerance=40,
            p_answer=0.7,
            p_reject=0.25,
            p_silence=0.05,
            p_off_topic=0.0,
            answer_precision=0.95,
            feedback_rate=0.9,
            description=(
                "Knows exactly what they want and answers one question precisely; a second "
                "question is likely to be rejected ('just write it'). Two strikes and they leave. "
                "When a solution is wrong they say exactly what is wrong."
            ),
        ),
        Persona(
            name="patient_novice",
            patience="high",
            expertise="low",
            question_tolerance=6,
            long_turn_tolerance=150,
            p_answer=0.8,
            p_reject=0.02,
            p_silence=0.1,
            p_off_topic=0.08,
            answer_precision=0.6,
            feedback_rate=0.35,
            description=(
                "Happy to answer many questions and to read long messages, but unsure of the "
                "details: answers are often vague and reveal less, and complaints about a wrong "
                "solution rarely say what is wrong. Sometimes drifts off topic."
            ),
        ),
        Persona(
            name="busy_manager",
            patience="low",
            expertise="medium",
            question_tolerance=1,
            long_turn_tolerance=25,
            p_answer=0.55,
            p_reject=0.15,
            p_silence=0.25,
            p_off_topic=0.05,
            answer_precision=0.8,
            feedback_rate=0.6,
            description=(
                "Short on time: tolerates one question and short messages (long turns cost), "
                "often does not reply at all, and gives up after two strikes."
            ),
        ),
        Persona(
            name="cooperative_collaborator",
            patience="high",
            expertise="high",
            question_tolerance=4,
            long_turn_tolerance=120,
            p_answer=0.9,
            p_reject=0.04,
            p_silence=0.04,
            p_off_topic=0.02,
            answer_precision=0.9,
            feedback_rate=0.9,
            description=(
                "Engaged and precise: answers several questions fully, gives exact feedback, "
                "and has the patience for a back-and-forth."
            ),
        ),
        Persona(
            name="terse_user",
            patience="medium",
            expertise="medium",
            question_tolerance=2,
            long_turn_tolerance=30,
            p_answer=0.6,
            p_reject=0.1,
            p_silence=0.3,
            p_off_topic=0.0,
            answer_precision=0.7,
            feedback_rate=0.5,
            description=(
                "Replies in a few words or not at all; tolerates two questions and short "
                "messages; answers reveal most of what was asked, feedback about half the time."
            ),
        ),
    )
}


def get_preset(name: str) -> Persona:
    """A named preset; the error lists the valid names."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown persona {name!r}: choose one of {', '.join(PRESETS)}, 'presets' or 'sampled'") from None


def sample_persona(rng: random.Random, name: str | None = None) -> Persona:
    """Draw a new persona: levels uniformly, behaviour correlated with them.

    Patient users tolerate more questions and longer turns; experts answer more
    precisely and give better feedback. Reaction probabilities come from a
    Dirichlet around a profile that depends on patience, so impatient users reject
    more. Same generator state, same persona.
    """
    patience = pick(rng, LEVELS)
    expertise = pick(rng, LEVELS)
    p_level = LEVELS.index(patience)
    e_level = LEVELS.index(expertise)
    question_tolerance = 1 + 2 * p_level + pick_index(rng, 2)
    long_turn_tolerance = 20 + 40 * p_level + pick_index(rng, 40 + 10 * p_level)
    profile = (0.65 + 0.1 * p_level, 0.25 - 0.1 * p_level, 0.1, 0.05 + 0.02 * (2 - e_level))
    draws = [rng.gammavariate(30.0 * a, 1.0) for a in profile]
    total = sum(draws)
    p_reject, p_silence, p_off_topic = (round(d / total, 4) for d in draws[1:])
    return Persona(
        name=name or f"sampled_{patience}_patience",
        patience=patience,
        expertise=expertise,
        question_tolerance=question_tolerance,
        long_turn_tolerance=long_turn_tolerance,
        p_answer=round(1.0 - p_reject - p_silence - p_off_topic, 4),
        p_reject=p_reject,
        p_silence=p_silence,
        p_off_topic=p_off_topic,
        answer_precision=round(rng.uniform(0.5 + 0.15 * e_level, 0.7 + 0.15 * e_level), 4),
        feedback_rate=round(rng.uniform(0.3 + 0.25 * e_level, 0.5 + 0.25 * e_level), 4),
        description=f"sampled: {patience} patience, {expertise} expertise",
    )
