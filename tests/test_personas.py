"""Persona presets and sampling."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proact_env import SchemaError
from proact_env.personas import PRESETS, Persona, get_preset, sample_persona


def test_the_five_documented_presets_exist_and_are_described():
    for name in ("impatient_expert", "patient_novice", "busy_manager", "cooperative_collaborator", "terse_user"):
        assert len(PRESETS[name].description) > 40


@given(seed=st.integers(0, 2**32))
def test_sampled_personas_are_valid_and_seeded(seed):
    a = sample_persona(random.Random(seed))
    assert a == sample_persona(random.Random(seed))
    a.validate()
    assert all(0.0 <= f <= 1.0 for f in a.features())


def test_round_trip_and_preset_by_name():
    persona = PRESETS["terse_user"]
    assert Persona.from_dict(persona.to_dict()) == persona
    assert Persona.from_dict({"name": "busy_manager"}) is PRESETS["busy_manager"]


@pytest.mark.parametrize(
    "change,field",
    [({"patience": "extreme"}, "patience"), ({"p_answer": 1.5}, "p_answer"), ({"p_silence": 0.5}, "p_answer"),
     ({"question_tolerance": -1}, "question_tolerance"), ({"color": "blue"}, "color")],
)
def test_bad_persona_records_name_the_field(change, field):
    record = PRESETS["terse_user"].to_dict() | change
    with pytest.raises(SchemaError, match=f"personas.jsonl:3: field '{field}'"):
        Persona.from_dict(record, where="personas.jsonl:3")


def test_unknown_preset_lists_the_valid_names():
    with pytest.raises(ValueError, match="impatient_expert"):
        get_preset("grumpy")
