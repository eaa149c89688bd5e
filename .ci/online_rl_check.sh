#!/usr/bin/env bash
# The verl and verifiers adapters, each tested in a venv of its own (run by .ci/run after the suite;
# `make online-rl-check`). Their releases pin what our stack cannot take:
#   verl 0.7.1 (the last release with verl.interactions.BaseInteraction; 0.8.0 removed it) pins numpy<2,
#     so pyarrow < 21 and datasets 3.6 (datasets 5.x needs pyarrow >= 24, which needs numpy 2);
#   verifiers 0.3.1 (the last release with MultiTurnEnv; 0.4.0 replaced it with verifiers.v1) pulls
#     openai-agents, anthropic, mcp and the prime-* packages, none of which the main venv needs.
# Each venv is reused while this script and setup.cfg are unchanged. PROACT_REQUIRE_ONLINE_RL=1
# makes a missing library a failure instead of a skip.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
python=${PYTHON:-python3}
stamp_of() { cat "$0" setup.cfg setup.py pyproject.toml | sha256sum | cut -c1-16; }

build() {  # build VENV PIP-ARGS...: a fresh venv with proact_env (editable, no deps) and the packages given
  local venv=$1; shift
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$(stamp_of)" ]; then return; fi
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet torch==2.13.0
  "$venv/bin/python" -m pip install --quiet "$@" pytest
  "$venv/bin/python" -m pip install --quiet --no-deps -e .
  "$venv/bin/python" -m pip check
  stamp_of >"$venv/.stamp"
}

build .venv-verl verl==0.7.1 transformers==5.24.0 "pyarrow>=19,<21" datasets==3.6.0 cachetools \
  gymnasium==1.4.0 tqdm tokenizers
build .venv-verifiers verifiers==0.3.1 -c constraints.txt gymnasium tqdm datasets

export PROACT_REQUIRE_ONLINE_RL=1 OMP_NUM_THREADS=1
.venv-verl/bin/python -m pytest -q -p no:cacheprovider tests/test_verl_interaction.py
.venv-verifiers/bin/python -m pytest -q -p no:cacheprovider tests/test_verifiers_env.py
