"""Hostile programs graded by an unprivileged user, for tests/test_sandbox_hostile.py (not collected by pytest).

Run as ``python tests/sandbox_nonroot.py LEVEL VARIANT`` by a non-root user:
grades a program that starts a double-forked daemon and a fork-hopping chain
and sets its grader's open-file limit to 8, then prints as JSON what is left:
the job's processes still alive a second later, this process's open-file limit,
and whether the next program is graded. VARIANT ``control`` takes the reaper
and the seccomp filter out of the harness (what a non-root job had before),
so that the same attack is seen to win. VARIANT ``files`` grades a program
that writes 800 MiB into its temp dir instead, with 12 MiB allowed.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time

from proact_env.grading import SandboxConfig, SandboxLimits, run_tests, sandbox

ATTACK = """
import os, sys, resource
started = 0
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", "{marker}-daemon"])
    os._exit(0)
started += 1
HOP = "import os, time\\nfor _ in range(300):\\n    if os.fork():\\n        os._exit(0)\\n    time.sleep(0.02)\\n"
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", HOP, "{marker}-hop"])
started += 1
try:
    resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (8, 8))
except OSError:
    pass
def f():
    return started
"""


def job_processes(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def kill_leftovers(marker: str) -> None:
    """What the control lets survive is this test's to clean up (the hop chain needs a few rounds)."""
    for _ in range(50):
        pids = job_processes(marker)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.02)


FILLER = """
import os
def fill():
    for i in range(200):
        with open('blob%d' % i, 'wb') as f:
            f.write(b'x' * (4 << 20))
    return 1
"""


def main(level: str, variant: str) -> dict:
    if variant == "files":
        config = SandboxConfig(isolation=level, limits=SandboxLimits(timeout_s=10.0, tmpfs_mb=12))
        report = run_tests(FILLER, ["assert fill() == 1"], config=config)
        return {"uid": os.getuid(), "isolation": report.isolation, "score": report.score, "status": report.status}
    if variant == "control":
        confinement = sandbox.Launcher.confinement

        def without_reaper_or_seccomp(self, *args):
            return {**confinement(self, *args), "reaper": False, "seccomp": False}

        sandbox.Launcher.confinement = without_reaper_or_seccomp
    config = SandboxConfig(isolation=level, allow_unisolated=True, limits=SandboxLimits(timeout_s=10.0))
    marker = f"nonroot-{os.getpid()}-{time.monotonic_ns()}"
    report = run_tests(ATTACK.format(marker=marker), ["assert f() == 2"], config=config)  # both forks happened
    time.sleep(1.0)
    result = {"uid": os.getuid(), "isolation": report.isolation, "score": report.score,
              "alive": len(job_processes(marker)), "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}
    kill_leftovers(marker)
    try:
        result["next"] = run_tests("def g():\n    return 2\n", ["assert g() == 2"], config=config).score
    except OSError as exc:
        result["next"] = f"{type(exc).__name__}: {exc}"
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
    sys.stdout.flush()
    os._exit(0)
