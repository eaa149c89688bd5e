#!/usr/bin/env bash
# What users install is the wheel, not this checkout: build the wheel and the sdist, install the
# wheel into a fresh venv, and run the main commands from another folder (so nothing here is on
# sys.path), including the OpenAI path against the stub server on 127.0.0.1 and openai-agents
# (import name `agents`) installed beside us. Run by .ci/run after the suite; `make wheel-check`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
work=$(mktemp -d)
trap 'kill "${stub_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
bin="$work/venv/bin"
"$bin/python" -m pip install --quiet build
"$bin/python" -m build --outdir "$work/dist" "$repo" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
sdist=$(ls "$work"/dist/*.tar.gz)
"$bin/python" "$repo/.ci/check_dist_contents.py" "$repo" "$wheel" "$sdist"

# the core and the OpenAI client are all these commands need (no torch)
"$bin/python" -m pip install --quiet "$wheel[llm,plot]" -c "$repo/constraints.txt"
cd "$work"
"$bin/proact" --version
"$bin/python" -m proact_env --version
"$bin/proact" generate --mode synthetic --n_states 20 --multi_turn --max_turns 6 --out traj.jsonl --no-progress
"$bin/proact" rewards --trajectories traj.jsonl --out prefs.jsonl
"$bin/proact" benchmark --episodes 50 --out bench --no-progress
test -s bench/results.json && test -s prefs.jsonl

"$bin/python" -m proact_env.llm.stub_server --port 0 >stub.log 2>&1 &
stub_pid=$!
for _ in $(seq 50); do grep -q listening stub.log && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*/v1' stub.log)
OPENAI_API_KEY=stub "$bin/proact" generate --mode synthetic --n_states 3 --llm_provider openai \
  --llm_model stub-model --base_url "$url" --out llm_traj.jsonl --no-progress
test "$(wc -l <llm_traj.jsonl)" -ge 3

# openai-agents installs the top-level package `agents`: both must import side by side
"$bin/python" -m pip install --quiet openai-agents
"$bin/python" -c "from agents import Agent; import proact_env.agents, proact_env.baselines, proact_env.prompts; \
from proact_env.benchmark.registry import make_policy; import gymnasium as gym; \
make_policy('threshold', gym.make('proact_env/Synthetic-v0')); print('openai-agents and proact_env import side by side')"
echo "wheel check passed: $(basename "$wheel")"
