"""A verdict depends on the program, not on the machine's load.

The sandbox judges time in CPU seconds (RLIMIT_CPU) and keeps wall-clock time
only as a backstop `wall_factor` times longer. Here a program that needs 1 s of
CPU runs beside busy loops that oversubscribe every core about four times, so
it takes several wall-clock seconds: it passes with a 3 s CPU limit, and the
control shows that the same run judged by wall-clock time alone (the backstop
at 1x) times out, so the test can fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from proact_env.grading import SandboxConfig, SandboxLimits, run_tests

PROGRAM = """
import time
def work():
    start = time.process_time()
    while time.process_time() - start < 1.0:
        pass
    return 1
"""
TESTS = ["assert work() == 1"]
LIMITS = SandboxLimits(timeout_s=3.0)


@pytest.fixture
def loaded_machine():
    """Busy loops, four per core, for as long as the test runs.

    Each in a session of its own, as every sandbox job is: with autogroup
    scheduling the kernel shares the CPU between sessions, so loops in this
    test's session would together weigh no more than one job.
    """
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
                for _ in range(4 * (os.cpu_count() or 1))]
    time.sleep(0.5)  # let the scheduler spread them
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


def test_a_cpu_bound_pass_stays_a_pass_on_a_loaded_machine(loaded_machine):
    start = time.monotonic()
    report = run_tests(PROGRAM, TESTS, config=SandboxConfig(limits=LIMITS))
    took = time.monotonic() - start
    assert report.score == 1.0, (report.status, report.detail)
    assert took > LIMITS.timeout_s, f"the load did not slow the job down ({took:.1f} s), so this test proves nothing"


def test_control_the_same_run_judged_by_wall_clock_time_times_out(loaded_machine):
    wall_only = SandboxConfig(limits=replace(LIMITS, wall_factor=1.0))
    report = run_tests(PROGRAM, TESTS, config=wall_only)
    assert report.score == 0.0 and report.status == "timeout"
    assert "wall-clock backstop" in report.detail
