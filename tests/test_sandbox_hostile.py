"""Hostile programs against the real sandbox: each one scores as a failure or is contained,
and the grader then grades the next program correctly.

Every attack is written to *win* if the isolation fails: it tries to produce the
expected answer by cheating (reading a canary file, a secret over a socket, an
API key) or to leave a trace (a deleted canary, a surviving process, a signal
received by this test process). The control test shows the same attacks do win
when nothing isolates the code, so these tests can fail.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import pytest

from proact_env.domains.coding.tasks import extract_code
from proact_env.grading import SandboxConfig, SandboxLimits, SandboxUnavailable, grader, run_tests, sandbox
from proact_env.grading.asserts import WHERE_GRADER, WHERE_RUNNER, WHERE_SELF_CHECK, shadowed_names, split_test
from proact_env.grading.expressions import CheckError, evaluate
from proact_env.grading.sandbox import landlock_abi, minimal_env, probe
from proact_env.grading.wire import WireError, check_hash_spread, decode_value
from proact_env.text import count_questions, question_sentences, strip_code
from tests.conftest import REPO

# Each attack runs at every level this machine offers that is meant to stop it: bubblewrap (what
# `make system-deps` installs) and, as root (own uid per job), Landlock with network rules (ABI >= 4).
LEVELS = [
    pytest.param("bwrap", marks=pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")),
    pytest.param("landlock", marks=pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 4,
                                                      reason="the landlock level needs root and Landlock ABI >= 4")),
]
SECRET = "canary-7f3a9c"


@pytest.fixture(params=LEVELS)
def config(request) -> SandboxConfig:
    # generous: a loaded CI machine must not turn a contained attack into a timeout (timeout tests set their own)
    return SandboxConfig(isolation=request.param, limits=SandboxLimits(timeout_s=10.0))


@pytest.fixture
def canary_dir():
    """A temp dir of this test that every user may read and write, so only the sandbox stands in the way."""
    path = Path(tempfile.mkdtemp(prefix="proact-canary-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def grade(program: str, tests: list[str], config: SandboxConfig, **kwargs):
    return run_tests(program, tests, config=config, **kwargs)


def assert_next_program_graded(config: SandboxConfig) -> None:
    """After an attack, an honest program is graded exactly: one test passes, one fails."""
    report = grade("def double(x):\n    return 2 * x\n", ["assert double(2) == 4", "assert double(3) == 7"], config)
    assert (report.passed, report.total, report.status) == (1, 2, "completed")
    assert [o.status for o in report.outcomes] == ["passed", "failed"]


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until_gone(marker: str, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    return processes_with(marker)


def cpu_bound(config: SandboxConfig) -> SandboxConfig:
    """A 1 s CPU limit with a far backstop: a loaded machine (other suites, xdist) must not turn a CPU-limit
    kill into a wall-clock one."""
    return replace(config, limits=replace(config.limits, timeout_s=1.0, wall_factor=15.0))


def test_infinite_loop_is_ended_at_its_cpu_time_limit(config):
    report = grade("def f():\n    while True:\n        pass\n", ["assert f() == 1"], cpu_bound(config))
    assert report.score == 0.0 and report.status == "timeout"
    assert "CPU-time limit" in report.detail
    assert report.outcomes[0].status == "timeout"
    assert_next_program_graded(config)


def test_a_loop_that_ignores_sigxcpu_is_killed_a_second_later(config):
    program = ("import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n"
               "def f():\n    while True:\n        pass\n")
    report = grade(program, ["assert f() == 1"], cpu_bound(config))
    assert report.status == "timeout" and "CPU-time limit" in report.detail
    assert_next_program_graded(config)


def test_sleep_is_killed_at_the_wall_clock_backstop_and_earlier_results_are_kept(config):
    program = "import time\ndef fast():\n    return 1\ndef slow():\n    time.sleep(60)\n    return 2\n"
    backstop = replace(config, limits=replace(config.limits, timeout_s=2.0, wall_factor=1.5))
    start = time.monotonic()
    report = grade(program, ["assert fast() == 1", "assert slow() == 2"], backstop)
    assert 3.0 <= time.monotonic() - start < 30.0  # at the 3 s backstop, long before the 60 s sleep ends
    assert [o.status for o in report.outcomes] == ["passed", "timeout"]
    assert report.score == 0.5 and "wall-clock backstop" in report.detail
    assert_next_program_graded(config)


def test_memory_bomb_fails_without_hurting_the_grader(config):
    program = (
        "def f():\n    blocks = []\n    while True:\n        blocks.append(bytearray(50 * 2**20))\n"
        "def g():\n    return len(bytearray(8 * 2**30))\n"
    )
    small = replace(config, limits=replace(config.limits, memory_mb=256, timeout_s=5.0))  # fills up sooner
    report = grade(program, ["assert f() == 1", "assert g() == 8 * 2**30"], small)
    assert report.score == 0.0
    assert all(o.status == "error" and "MemoryError" in o.detail for o in report.outcomes)
    assert_next_program_graded(config)


def test_bounded_fork_bomb_is_capped_and_leaves_nothing_behind(config):
    marker = f"forkbomb-{os.getpid()}-{time.monotonic_ns()}"
    program = f"""
import os, sys
spawned = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", "{marker}"])
        spawned += 1
    except OSError:
        break
def count():
    return spawned
"""
    report = grade(program, ["assert count() > 3", "assert count() < 64"], config)
    assert report.score == 1.0, report.outcomes  # the forks happened, and the process limit stopped them
    assert wait_until_gone(marker) == []
    assert_next_program_graded(config)


def test_daemon_outliving_its_parent_is_killed(config):
    marker = f"daemon-{os.getpid()}-{time.monotonic_ns()}"
    program = f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", "{marker}"])
    os._exit(0)
def f():
    return 1
"""
    report = grade(program, ["assert f() == 1"], config)
    assert report.score == 1.0, (report.status, report.detail, report.outcomes)
    assert wait_until_gone(marker) == []
    assert_next_program_graded(config)


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_killing_the_namespace_takes_a_daemon_along_without_the_parent_death_signal():
    """The grader's own kill of a bwrap job's namespace, with bubblewrap's `--die-with-parent` (a
    parent-death signal, which races) left out, so only `_kill_namespace` can end the daemon."""
    marker = f"ns-daemon-{os.getpid()}-{time.monotonic_ns()}"
    daemon = (f"import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n"
              f"    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(30)', '{marker}'])\n"
              "time.sleep(30)\n")
    info_r, info_w = os.pipe()
    launcher = sandbox.probe(SandboxConfig(isolation="bwrap"))
    args = [a for a in launcher.bwrap_args if a != "--die-with-parent"]
    proc = subprocess.Popen([*args, "--info-fd", str(info_w), "--", launcher.python, "-c", daemon],
                            pass_fds=(info_w,), start_new_session=True)
    os.close(info_w)
    try:
        deadline = time.monotonic() + 30
        while not processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(marker), "the daemon never started"
        sandbox._kill_namespace(info_r)
        assert wait_until_gone(marker) == []
    finally:
        os.close(info_r)
        proc.kill()
        proc.wait()


def test_writing_and_deleting_files_outside_the_temp_dir_fails(config, canary_dir):
    canary = canary_dir / "keep.txt"
    canary.write_text("precious")
    canary.chmod(0o666)
    program = f"""
import os
def f():
    open({str(canary_dir / 'planted.txt')!r}, 'w').write('x')
    os.remove({str(canary)!r})
    return 'done'
def g():
    open('own-scratch.txt', 'w').write('scratch')
    return open('own-scratch.txt').read()
"""
    report = grade(program, ["assert f() == 'done'", "assert g() == 'scratch'"], config)
    assert [o.status for o in report.outcomes] == ["error", "passed"]  # its own temp dir is writable
    assert canary.read_text() == "precious"
    assert not (canary_dir / "planted.txt").exists()
    assert_next_program_graded(config)


def test_reading_a_file_it_should_not_fails(config, canary_dir, shared_data):
    secret_file = canary_dir / "answer.txt"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    benchmark = shared_data / "mbpp" / "mbpp.jsonl"
    program = f"""
def f():
    return open({str(secret_file)!r}).read()
def g():
    return open({str(benchmark)!r}).read(5)
"""
    report = grade(program, [f"assert f() == {SECRET!r}", f"assert g() == {benchmark.read_text()[:5]!r}"], config)
    assert report.score == 0.0
    assert all(o.status == "error" for o in report.outcomes)
    assert_next_program_graded(config)


def test_socket_to_localhost_fails(config):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(4.0)
    port = server.getsockname()[1]
    connections = []

    def serve():
        try:
            conn, _ = server.accept()
            connections.append(conn)
            conn.sendall(SECRET.encode())
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    program = f"""
import socket
def f():
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as s:
        return s.recv(100).decode()
"""
    try:
        report = grade(program, [f"assert f() == {SECRET!r}"], config)
    finally:
        server.close()
        thread.join(5)
    assert report.score == 0.0 and report.outcomes[0].status == "error"
    assert connections == []
    assert_next_program_graded(config)


def test_api_keys_are_unreachable_from_env_and_proc(config, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", f"sk-{SECRET}")
    program = """
import os
def from_env():
    return os.environ.get("OPENAI_API_KEY")
def from_proc():
    for pid in os.listdir("/proc"):
        try:
            data = open(f"/proc/{pid}/environ", "rb").read()
        except OSError:
            continue
        for item in data.split(b"\\0"):
            if item.startswith(b"OPENAI_API_KEY="):
                return item.split(b"=", 1)[1].decode()
    return None
def environment():
    return set(os.environ)
"""
    allowed = set(minimal_env("/tmp")) | {"PWD"}  # bubblewrap sets PWD after --chdir
    tests = [
        f"assert from_env() == 'sk-{SECRET}'",
        f"assert from_proc() == 'sk-{SECRET}'",
        f"assert environment() <= {allowed!r}",
    ]
    report = grade(program, tests, config)
    assert [o.passed for o in report.outcomes] == [False, False, True]  # the child sees only the minimal env
    assert_next_program_graded(config)


def test_killing_the_parent_does_not_reach_the_grader(config):
    received = []
    previous = signal.signal(signal.SIGUSR1, lambda *_: received.append(True))
    program = f"""
import os, signal
for target, sig in (({os.getpid()}, signal.SIGUSR1), (-1, signal.SIGUSR1), (os.getppid(), signal.SIGKILL)):
    try:
        os.kill(target, sig)
    except OSError:
        pass
def f():
    return 1
"""
    try:
        report = grade(program, ["assert f() == 1"], config)
        time.sleep(0.2)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert received == []  # neither this process nor anything else of ours was signalled
    assert report.status in ("completed", "crashed")  # contained: killing its own parent only ends the sandbox
    assert_next_program_graded(config)


@pytest.mark.parametrize(
    "exit_code",
    [
        "import os\nos._exit(0)",
        "import sys\nsys.exit(0)",
        "raise SystemExit(0)",
        "import atexit, os\natexit.register(os._exit, 0)\nimport sys\nsys.exit(0)",
    ],
)
def test_exiting_before_the_asserts_fails(config, exit_code):
    report = grade(exit_code + "\ndef f():\n    return 1\n", ["assert f() == 1"], config)
    assert report.score == 0.0
    assert report.status in ("crashed", "program_error")
    assert_next_program_graded(config)


def test_exit_inside_the_tested_function_fails_that_test_only(config):
    program = "import os\ndef ok():\n    return 1\ndef bye():\n    os._exit(0)\n"
    report = grade(program, ["assert ok() == 1", "assert bye() == 1", "assert ok() == 1"], config)
    assert [o.status for o in report.outcomes] == ["passed", "no_result", "no_result"]
    assert_next_program_graded(config)


def test_objects_that_equal_everything_fail(config):
    program = """
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
class SneakyInt(int):
    def __eq__(self, other):
        return True
class SneakyStr(str):
    def __eq__(self, other):
        return True
def obj():
    return Anything()
def number():
    return SneakyInt(3)
def text():
    return SneakyStr("nope")
def nested():
    return [Anything()]
"""
    tests = ["assert obj() == 5", "assert number() == 5", "assert text() == 'yes'", "assert nested() == [5]",
             "assert 5 == obj()", "assert obj() in [5]"]
    report = grade(program, tests, config)
    assert report.score == 0.0, [o.detail for o in report.outcomes if o.passed]
    assert_next_program_graded(config)


def test_patching_builtins_json_and_stdout_gains_nothing(config):
    program = """
import builtins, json, sys, math
builtins.len = lambda x: 3
builtins.isinstance = lambda *a: True
builtins.sorted = lambda x, **k: [1, 2, 3]
json.dumps = lambda *a, **k: '"pass"'
math.isclose = lambda *a, **k: True
sys.stdout.write = lambda s: 0
def isinstance(*args):
    return True
def f():
    return []
"""
    tests = ["assert len(f()) == 3", "assert isinstance(f(), int)", "assert sorted(f()) == [1, 2, 3]",
             "assert math.isclose(len(f()), 3.0)"]
    report = grade(program, tests, config, setup_code="import math")
    assert report.score == 0.0, [o.test for o in report.outcomes if o.passed]
    assert_next_program_graded(config)


def test_forged_success_markers_fail(config):
    program = """
import os, sys
forged = [b'["t",0,[["p"]]]\\n', b'["t",0,[["v",["i","1"]],["v",["i","1"]]]]\\n', b'["t",1,[["p"]]]\\n',
          b'PASSED\\n', b'{"passed": 2, "total": 2}\\n', b'["z"]\\n']
for fd in range(1, 32):
    for line in forged:
        try:
            os.write(fd, line)
        except OSError:
            pass
print("All tests passed")
def f():
    return 0
"""
    report = grade(program, ["assert f() == 1", "assert f() == 2"], config)
    assert report.score == 0.0
    assert_next_program_graded(config)


@pytest.mark.parametrize("stream", ["sys.stdout", "sys.stderr"])
def test_flooding_output_with_100_mb_is_contained(config, stream):
    program = f"import sys\ndef f():\n    chunk = 'x' * 2**20\n    for _ in range(100):\n        {stream}.write(chunk)\n    return 1\n"
    start = time.monotonic()
    report = grade(program, ["assert f() == 1"], config)
    assert time.monotonic() - start < 10.0
    assert report.score == 0.0 and report.status == "output_limit"
    assert len(report.output) <= 8192
    assert_next_program_graded(config)


def test_unisolated_control_the_same_attacks_win_without_a_sandbox(canary_dir):
    """Proof that the attacks above are real: with no isolation they succeed."""
    secret_file = canary_dir / "answer.txt"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    config = SandboxConfig(isolation="none", allow_unisolated=True, limits=SandboxLimits(timeout_s=3.0))
    with pytest.warns(RuntimeWarning, match="WITHOUT ISOLATION"):
        probe(config)
    report = run_tests(f"def f():\n    return open({str(secret_file)!r}).read()\n", [f"assert f() == {SECRET!r}"],
                       config=config)
    assert report.score == 1.0 and report.isolation == "none"


def test_no_isolation_is_refused_without_opt_in(monkeypatch):
    monkeypatch.delenv("PROACT_ALLOW_UNISOLATED", raising=False)
    with pytest.raises(SandboxUnavailable, match="opt in"):
        probe(SandboxConfig(isolation="none"))


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_auto_picks_bubblewrap_when_it_is_installed():
    # an installed bubblewrap that cannot run (user namespaces disabled...) must not go unnoticed
    assert probe(SandboxConfig()).level == "bwrap"


@pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 4, reason="the landlock level needs root and Landlock ABI >= 4")
def test_without_bubblewrap_auto_falls_back_to_the_next_level(monkeypatch, tmp_path):
    (tmp_path / "setpriv").symlink_to(shutil.which("setpriv"))
    monkeypatch.setenv("PATH", str(tmp_path))  # bubblewrap is not on this PATH
    monkeypatch.delenv("PROACT_ISOLATION", raising=False)  # CI requires bwrap; "auto" is what is tested here
    monkeypatch.setattr(sandbox, "_probe", functools.lru_cache(maxsize=None)(sandbox._probe.__wrapped__))
    launcher = probe(SandboxConfig())
    assert launcher.level == "landlock"
    report = run_tests("def f():\n    return 1\n", ["assert f() == 1"], config=SandboxConfig())
    assert report.isolation == "landlock" and report.score == 1.0


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid level needs root")
def test_uid_level_runs_jobs_as_their_own_uid_and_kills_what_they_leave(canary_dir):
    """The weakest isolating level: an unprivileged uid of its own (world-readable files stay readable)."""
    marker = f"uid-daemon-{os.getpid()}-{time.monotonic_ns()}"
    config = SandboxConfig(isolation="uid", limits=SandboxLimits(timeout_s=10.0))
    program = f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(30)", "{marker}"])
def ids():
    return os.getuid(), os.geteuid(), os.getgroups()
def write_canary():
    open({str(canary_dir / 'root-only')!r}, 'w').write('x')
"""
    secret = canary_dir / "root-only"
    secret.write_text("")
    secret.chmod(0o600)  # root's file: another uid may not write it
    report = grade(program, [f"assert ids()[0] >= {config.fallback_uid_base} and ids()[0] == ids()[1]",
                             "assert ids()[2] == []", "assert write_canary() is None"], config)
    assert [o.passed for o in report.outcomes] == [True, True, False]
    assert report.isolation == "uid"
    assert wait_until_gone(marker) == []
    assert_next_program_graded(config)


# -- Reading the grader: frames, and names bound at run time ------------------------------

# Walks every frame above it while it loads, looking for the calls the tests will make, and binds its
# one function to every name it finds: a wrong name then passes tests of the right one.
FRAME_READER = """
import re, sys
def solution(a, b):
    return a + b
def _probes(value, depth=0):
    if isinstance(value, str):
        yield value
    elif depth < 3 and isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _probes(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in list(value.values()):
            yield from _probes(item, depth + 1)
found = set()
frame = sys._getframe(1)
while frame is not None:
    for value in list(frame.f_locals.values()):
        for text in _probes(value):
            if "def solution" not in text:  # not this program's own text
                found.update(re.findall(r"([A-Za-z_]\\w*)\\(", text))
    frame = frame.f_back
for name in found - set(dir(__builtins__)) - set(globals()):
    globals()[name] = solution
"""
# Binds at call time instead: any name the namespace lacks resolves, through a builtins dict with
# __missing__, to its one function.
LATE_BINDER = """
import builtins
def solution(a, b):
    return a + b
class _Everything(dict):
    def __missing__(self, name):
        return solution
globals()["__builtins__"] = _Everything(vars(builtins))
"""
NAME_TESTS = ["assert add_numbers(1, 2) == 3", "assert add_numbers(20, 22) == 42"]


@pytest.fixture
def best() -> SandboxConfig:
    """The strongest level here, for attacks on the grader that do not depend on the isolation level."""
    return SandboxConfig(isolation=probe(SandboxConfig()).level, limits=SandboxLimits(timeout_s=10.0))


@pytest.mark.parametrize("attack", [FRAME_READER, LATE_BINDER], ids=["frame-reader", "late-binder"])
def test_a_name_the_program_never_defines_cannot_be_bound_by_reading_the_grader(best, attack):
    report = grade(attack, NAME_TESTS, best)
    assert report.score == 0.0
    assert all("add_numbers" in o.detail and "before it ran" in o.detail for o in report.outcomes)
    assert_next_program_graded(best)


@pytest.fixture
def without_name_checks(monkeypatch):
    """The grader as it was: it neither reads from the program's syntax tree which names it defines
    (a test calling another name is sent anyway) nor routes such a test away from the program."""
    monkeypatch.setattr(grader, "undefined_names", lambda *args: {})
    monkeypatch.setattr(grader, "_route", lambda test, setup: WHERE_GRADER)


def test_control_frame_reading_wins_where_probes_sit_in_a_frame(best, without_name_checks, monkeypatch):
    """Without the name checks, and with the probes shipped in the job as the old harness did (a local of
    the harness's `main`), the frame reader binds the right name and passes."""
    started = sandbox.Job.__init__

    def with_probes_in_the_job(self, job, config, launcher=None):
        if job["role"] == "program":
            job = {**job, "tests": [p for t in NAME_TESTS for p in split_test(t).probes]}
        started(self, job, config, launcher)

    monkeypatch.setattr(sandbox.Job, "__init__", with_probes_in_the_job)
    assert grade(FRAME_READER, NAME_TESTS, best).score == 1.0


def test_control_without_the_name_checks_the_frame_reader_still_finds_nothing(best, without_name_checks):
    """With the name checks off, probes sent one at a time still leave nothing in a frame at load time..."""
    report = grade(FRAME_READER, NAME_TESTS, best)
    assert report.score == 0.0 and all("NameError" in o.detail for o in report.outcomes)
    # ...but a name bound at call time wins: that is what the name checks are for
    assert grade(LATE_BINDER, NAME_TESTS, best).score == 1.0


# -- Forging verdicts of tests that cannot be split ------------------------------------------

FORGERIES = {
    # a ready line, then a passing verdict for every test, on every fd that may be the results channel
    "forged records": """
import os
for fd in range(3, 64):
    try:
        os.write(fd, b'["r"]\\n' + b''.join(b'["t",%d,["p"]]\\n' % i for i in range(200)))
    except OSError:
        pass
""",
    # running a test's code does nothing (imports, which exec too, still work)
    "no-op exec": """
import builtins
_exec = builtins.exec
def _skip_tests(code, *args, **kwargs):
    if getattr(code, "co_filename", "") != "<test>":
        return _exec(code, *args, **kwargs)
builtins.exec = _skip_tests
""",
    "always-true __eq__": """
class _Anything(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__
""",
    "hooked os.write": """
import os, re
_write = os.write
def _passing(fd, data):
    if fd > 2 and data.startswith(b'["t",'):
        _write(fd, re.sub(rb'^\\["t",(\\d+),.*', rb'["t",\\1,["p"]]', data))
        return len(data)
    return _write(fd, data)
os.write = _passing
""",
}
FORGED_TASKS = ("humaneval/32", "humaneval/38", "humanevalcomm/32/1a")
# an always-equal answer only helps where a test compares it (HumanEval/38); the others feed it to poly()
FORGED = [(task, attack) for attack in FORGERIES for task in FORGED_TASKS
          if attack != "always-true __eq__" or task == "humaneval/38"]


@functools.lru_cache(maxsize=None)
def coding_problem(task_id: str):
    from proact_env.domains.coding.humaneval import load_humaneval, load_humanevalcomm
    from tests.conftest import SHARED_DATA

    if task_id.startswith("humanevalcomm/"):
        problems = load_humanevalcomm(SHARED_DATA / "humanevalcomm" / "HumanEvalComm.jsonl", variants=("1a",))
    else:
        problems = load_humaneval(SHARED_DATA / "humaneval" / "HumanEval.jsonl.gz")
    return next(p for p in problems if p.id == task_id)


def forgery(name: str, problem) -> str:
    """The attack, then a stub body (returning an always-equal object where the attack needs one)."""
    value = "_Anything('x')" if name == "always-true __eq__" else "None"
    return f"{FORGERIES[name]}\ndef {problem.entry_point}(*args, **kwargs):\n    return {value}\n"


@pytest.mark.needs_data("humaneval", "humanevalcomm")
@pytest.mark.parametrize(("task_id", "attack"), FORGED)
def test_a_stub_cannot_forge_the_verdict_of_a_test_that_runs_whole(best, task_id, attack):
    problem = coding_problem(task_id)
    report = grade(forgery(attack, problem), problem.tests, best, setup_code=problem.setup_code)
    assert {o.where for o in report.outcomes} == {WHERE_RUNNER}  # these tests cannot be split
    assert report.score == 0.0, [o.detail for o in report.outcomes if o.passed][:3]
    reference = grade(problem.reference, problem.tests, best, setup_code=problem.setup_code)
    assert reference.score == 1.0, [o.detail for o in reference.outcomes if not o.passed][:3]


@pytest.mark.needs_data("humaneval", "humanevalcomm")
@pytest.mark.parametrize(("task_id", "attack"), FORGED)
def test_control_every_forgery_wins_where_the_tests_run_beside_the_program(best, task_id, attack, monkeypatch):
    """The old design ran these tests in the program's own interpreter: the same stub scores 1.0 there."""
    planned = grader.plan_tests

    def program_beside_the_tests(program, tests, setup_code=""):
        plan = planned(program, tests, setup_code)
        return replace(plan, runner_setup=program + "\n" + setup_code, remote=())

    monkeypatch.setattr(grader, "plan_tests", program_beside_the_tests)
    problem = coding_problem(task_id)
    assert grade(forgery(attack, problem), problem.tests, best, setup_code=problem.setup_code).score == 1.0


def test_an_expected_value_the_setup_computes_never_reaches_the_program(best):
    """HumanEval/151 computes `odd_sum` in its setup: a program that returns it from its own namespace
    would pass if the setup ran beside it."""
    program = "def double_the_difference(lst):\n    return globals().get('odd_sum', -1)\n"
    setup = "candidate = double_the_difference\nlst = list(range(-99, 100, 2))\nodd_sum = sum(i * i for i in lst if i > 0)\n"
    report = grade(program, ["assert candidate(lst) == odd_sum"], best, setup_code=setup)
    assert report.outcomes[0].where == WHERE_RUNNER and report.score == 0.0


def test_tests_whose_every_side_comes_from_the_program_leave_the_score(best):
    program = "def f(x):\n    return 0\n"
    tests = ["assert f(1) == f(2)", "assert f(3) == 0", "assert f(4) == 1"]
    report = grade(program, tests, best)
    assert [o.where for o in report.outcomes] == [WHERE_SELF_CHECK, WHERE_GRADER, WHERE_GRADER]
    assert (report.passed, report.total, [o.scored for o in report.unscored]) == (1, 2, [False])
    counted = grade(program, tests, best, count_self_checks=True)
    assert (counted.passed, counted.total) == (2, 3)


# -- Stalling the grader -------------------------------------------------------------------

MERSENNE = (1 << 61) - 1  # ints that differ by a multiple of it share a hash


def colliding_ints(n: int) -> list[int]:
    return [1 + k * MERSENNE for k in range(n)]


def flood_program(n: int) -> str:
    """Answers its one probe with a set of `n` equal-hash ints, written on the results channel itself."""
    return f"""
import os
items = ",".join('["i","%x"]' % (1 + k * {MERSENNE}) for k in range({n}))
line = ('["v",["S",[' + items + ']]]\\n').encode()
def f():
    for fd in range(3, 16):
        try:
            os.write(fd, line)
        except OSError:
            pass
    return 1
"""


def test_a_hash_flooded_answer_is_refused_at_once(best):
    start = time.monotonic()
    report = grade(flood_program(60_000), ["assert f() == 1"], best)  # 1.6 MB; unguarded: about 110 s
    assert report.score == 0.0 and report.outcomes[0].status == "tampered", (report.status, report.detail)
    assert time.monotonic() - start < 60.0  # about 1 s idle; well under the unguarded 110 s even when loaded
    assert "share one hash" in report.outcomes[0].detail
    assert_next_program_graded(best)


def test_control_a_set_of_equal_hash_items_costs_quadratic_work():
    """Why the guard exists: each item of equal hash is compared with all before it."""
    compared = [0]

    class Colliding:
        def __init__(self, n):
            self.n = n

        def __hash__(self):
            return 7

        def __eq__(self, other):
            compared[0] += 1
            return self.n == other.n

    set(Colliding(i) for i in range(2_000))
    assert compared[0] >= 2_000 * 1_999 // 2
    # and the same for the real payload: unguarded, a set of equal-hash ints takes far longer than the check
    payload = ["S", [["i", format(value, "x")] for value in colliding_ints(6_000)]]
    start = time.perf_counter()
    with pytest.raises(WireError, match="share one hash"):
        decode_value(payload)
    guarded = time.perf_counter() - start
    start = time.perf_counter()
    set(colliding_ints(6_000))
    assert time.perf_counter() - start > 20 * guarded


def test_set_and_dict_calls_in_a_check_refuse_flooded_answers():
    assert not check_hash_spread([0] * 100_000)  # equal items are fine (they find their twin at once)
    check_hash_spread(list(range(100_000)))
    with pytest.raises(CheckError, match="share one hash"):
        evaluate(split_test("assert set(f()) == set()").check, {"__probe_0__": colliding_ints(1_000)})
    with pytest.raises(CheckError, match="share one hash"):
        evaluate(split_test("assert dict(f()) == {}").check, {"__probe_0__": [(k, 0) for k in colliding_ints(1_000)]})
    with pytest.raises(CheckError, match="too slow"):  # a quadratic division of two huge answers
        evaluate(split_test("assert f() % g() == 0").check, {"__probe_0__": 7 ** 500_000, "__probe_1__": 3 ** 400_000})


# Each pattern over LLM text or program text, the worst input we know for its old form, and its old form.
OLD_QUESTION = re.compile(r"[^.!?\n]*[A-Za-z][^.!?\n]*\?[?!]*")
OLD_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
OLD_DEFINES = re.compile(r"^\s*(?:async\s+def|def|class)\s", re.M)
OLD_SHADOWED = re.compile(r"([A-Za-z_]\w*)\s*:=")


@pytest.mark.parametrize(("read", "worst"), [
    (count_questions, lambda n: "a" * n),  # a long line with no "?"
    (question_sentences, lambda n: ("word, " * n)[:n] + "?"),
    (extract_code, lambda n: "```" + "a" * n),  # a fence with no line after it
    (extract_code, lambda n: "```python\n" + "\n" * n),  # blank lines under a fence
    (lambda text: shadowed_names(text), lambda n: "x = '" + "a" * n + "'"),  # a long string literal
], ids=["questions", "question-sentences", "fence", "blank-lines", "string-literal"])
def test_reading_a_megabyte_of_hostile_text_takes_linear_time(read, worst):
    """Four times the text costs at most about four times as much (a quadratic reader: sixteen). Ratios of
    best-of-three timings, not absolute times, so a loaded machine does not decide the result."""
    small, large = best_time(read, worst(250_000)), best_time(read, worst(1_000_000))
    assert large < 8 * small + 0.05, (small, large)


@pytest.mark.parametrize(("old", "worst", "n", "growth"), [
    (OLD_QUESTION.findall, lambda n: "a" * n, 500, 4),
    (OLD_FENCE.findall, lambda n: "``` a" * (n // 5), 10_000, 4),
    # superlinear but short of quadratic at sizes a test can afford (about 10x for 4x the input, which a
    # loaded machine pushed under 8x): measured over 8x the input instead
    (OLD_DEFINES.search, lambda n: "\n" * n, 1_500, 8),
    (OLD_SHADOWED.findall, lambda n: "a" * n, 4_000, 4),
], ids=["questions", "fence", "blank-lines", "string-literal"])
def test_control_the_old_patterns_are_superlinear_on_the_same_inputs(old, worst, n, growth):
    """`growth` times the input costs each old pattern more than twice `growth` times as much (linear: `growth`
    times), the bound the new readers stay under."""
    small, large = best_time(old, worst(n)), best_time(old, worst(growth * n))
    assert large > 2 * growth * small, (small, large)


def best_time(function: Callable[[str], object], text: str, repeats: int = 3) -> float:
    """The fastest of `repeats` runs: what the code costs, with as little of the machine's other load as can be."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(text)
        times.append(time.perf_counter() - start)
    return min(times)


def test_the_linear_question_pattern_finds_what_the_old_one_found():
    rng = random.Random(0)
    for _ in range(20_000):
        text = "".join(rng.choice("ab1 .!?\n") for _ in range(rng.randint(0, 12)))
        assert question_sentences(text) == tuple(OLD_QUESTION.findall(strip_code(text))), text


# -- Files: capped at every level -----------------------------------------------------------

FILLER = """
import os
def fill(where):
    written = 0
    try:
        for i in range(8):
            with open(os.path.join(where, 'blob%d' % i), 'wb') as f:
                f.write(b'x' * (4 << 20))
            written += 4
    except OSError as exc:
        return written, exc.errno
    return written, 0
"""


def capped(config: SandboxConfig) -> SandboxConfig:
    return replace(config, limits=replace(config.limits, tmpfs_mb=12))


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_bubblewrap_caps_tmp_and_dev_shm_and_keeps_the_rest_read_only():
    config = capped(SandboxConfig(isolation="bwrap", limits=SandboxLimits(timeout_s=10.0)))
    report = grade(FILLER, ["assert fill('/tmp') == (12, 28)", "assert fill('/dev/shm') == (12, 28)",
                            "assert fill('/') == (0, 30)", "assert fill('/dev') == (0, 30)"], config)
    assert report.score == 1.0, [o.detail for o in report.outcomes if not o.passed]  # ENOSPC, ENOSPC, EROFS, EROFS


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_control_bubblewrap_without_the_caps_lets_a_job_fill_dev_shm_and_root(monkeypatch):
    config = capped(SandboxConfig(isolation="bwrap", limits=SandboxLimits(timeout_s=10.0)))
    command = sandbox.Launcher.command

    def uncapped(self, *args):
        parts = command(self, *args)
        cut = parts.index("/dev/shm") - 1  # --tmpfs /dev/shm and the two --remount-ro after it
        size = 2 if parts[cut - 2] == "--size" else 0
        return parts[: cut - size] + parts[cut + 6:]

    monkeypatch.setattr(sandbox.Launcher, "command", uncapped)
    report = grade(FILLER, ["assert fill('/dev/shm') == (32, 0)", "assert fill('/') == (32, 0)"], config)
    assert report.score == 1.0, [o.detail for o in report.outcomes if not o.passed]


@pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 1, reason="needs root and Landlock")
@pytest.mark.parametrize("level", ["landlock", "uid"])
def test_below_bubblewrap_a_root_job_writes_into_a_capped_tmpfs_of_its_own(level):
    config = capped(SandboxConfig(isolation=level, limits=SandboxLimits(timeout_s=10.0)))
    tests = ["assert fill('.') == (12, 28)"] + (["assert fill('/dev/shm')[0] == 0"] if level == "uid" else [])
    report = grade(FILLER, tests, config)
    assert report.score == 1.0, [o.detail for o in report.outcomes if not o.passed]


@pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 1, reason="needs root and Landlock")
def test_control_without_its_own_tmpfs_a_landlock_job_fills_the_hosts_tmp(monkeypatch):
    confinement = sandbox.Launcher.confinement
    monkeypatch.setattr(sandbox.Launcher, "confinement", lambda self, *a: {**confinement(self, *a), "private_tmp": None})
    config = capped(SandboxConfig(isolation="landlock", limits=SandboxLimits(timeout_s=10.0)))
    assert grade(FILLER, ["assert fill('.') == (32, 0)"], config).score == 1.0


# -- Sockets the Landlock level used to leave open -------------------------------------------

SOCKETS = """
import socket
def udp(port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"{secret}", ("127.0.0.1", port))
    return "sent"
def unix(path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        return s.recv(100).decode()
"""


@pytest.fixture
def listeners():
    """A UDP listener on 127.0.0.1 and a unix socket that hands out the secret, for one test.

    The socket lives in /run: below bubblewrap a root job gets a /tmp of its own and would not see /tmp's.
    """
    folder = Path(tempfile.mkdtemp(prefix="proact-sock-", dir="/run"))
    folder.chmod(0o755)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(1.0)
    path = str(folder / "secret.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    os.chmod(path, 0o777)
    unix.listen(1)
    unix.settimeout(0.1)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = unix.accept()
            except OSError:
                continue
            conn.sendall(SECRET.encode())
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield udp, path
    stop.set()
    thread.join(2)
    udp.close()
    unix.close()
    shutil.rmtree(folder, ignore_errors=True)


def received(udp: socket.socket) -> bytes:
    try:
        return udp.recv(100)
    except OSError:
        return b""


@pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 1, reason="needs root and Landlock")
def test_landlock_jobs_reach_no_udp_or_unix_listener(listeners):
    udp, path = listeners
    config = SandboxConfig(isolation="landlock", limits=SandboxLimits(timeout_s=10.0))
    tests = [f"assert udp({udp.getsockname()[1]}) == 'sent'", f"assert unix({path!r}) == {SECRET!r}"]
    report = grade(SOCKETS.format(secret=SECRET), tests, config)
    assert report.score == 0.0 and all("PermissionError" in o.detail for o in report.outcomes)
    assert received(udp) == b""


@pytest.mark.skipif(os.geteuid() != 0 or landlock_abi() < 1, reason="needs root and Landlock")
def test_control_without_seccomp_landlock_jobs_reach_both(listeners, monkeypatch):
    udp, path = listeners
    confinement = sandbox.Launcher.confinement
    monkeypatch.setattr(sandbox.Launcher, "confinement", lambda self, *a: {**confinement(self, *a), "seccomp": False})
    config = SandboxConfig(isolation="landlock", limits=SandboxLimits(timeout_s=10.0))
    tests = [f"assert udp({udp.getsockname()[1]}) == 'sent'", f"assert unix({path!r}) == {SECRET!r}"]
    assert grade(SOCKETS.format(secret=SECRET), tests, config).score == 1.0
    assert received(udp) == SECRET.encode()


# -- Leftovers of non-root jobs ---------------------------------------------------------------


def run_unprivileged(level: str, variant: str) -> dict:
    """tests/sandbox_nonroot.py as an unprivileged user: when this test runs as root, a uid of its own, so
    that no other process of that user (bwrap jobs run as 65534) counts against the job's process limit."""
    helper = [str(Path(__file__).with_name("sandbox_nonroot.py")), level, variant]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp",
           "PYTHONPATH": os.pathsep.join([str(REPO)] + site.getsitepackages())}
    if os.geteuid() != 0:
        command = [sys.executable, *helper]
    else:
        uid = 1_990_000_000 + os.getpid() % 1_000_000
        drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        python = sys.executable  # the venv's interpreter, or a system one of the same version it cannot reach
        if subprocess.run([*drop, python, "-c", "pass"], capture_output=True, env=env).returncode != 0:
            python = shutil.which(f"python{sys.version_info[0]}.{sys.version_info[1]}", path="/usr/bin:/usr/local/bin")
        command = [*drop, python, *helper]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd="/tmp", timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


NONROOT = pytest.mark.skipif(landlock_abi() < 6 or (os.geteuid() == 0 and shutil.which("setpriv") is None),
                             reason="needs Landlock ABI >= 6 (signal scoping) and a way to run unprivileged")


@NONROOT
@pytest.mark.parametrize("level", ["landlock", "none"])
def test_a_non_root_job_leaves_no_daemon_or_fork_chain(level):
    result = run_unprivileged(level, "fixed")
    assert result["uid"] != 0 and result["isolation"] == level and result["score"] == 1.0
    assert result["alive"] == 0  # the reaper got the double fork and every hop of the chain
    if level == "landlock":  # seccomp: its grader's limits are not its to change (at "none" nothing is stopped)
        assert result["nofile"] > 8 and result["next"] == 1.0


@NONROOT
def test_control_without_the_reaper_and_seccomp_a_non_root_job_leaves_processes_and_breaks_its_grader():
    result = run_unprivileged("landlock", "control")
    assert result["uid"] != 0 and result["score"] == 1.0
    assert result["alive"] >= 1 and result["nofile"] == 8 and result["next"] != 1.0


@NONROOT
def test_a_non_root_landlock_job_that_writes_past_its_share_is_stopped():
    """No tmpfs of its own without root: its temp dir is measured every 50 ms and the job stopped past tmpfs_mb."""
    result = run_unprivileged("landlock", "files")
    assert result["uid"] != 0 and result["score"] == 0.0 and result["status"] == "file_limit"


# -- Levels that speak ---------------------------------------------------------------------------


@pytest.fixture
def fresh_probe(monkeypatch):
    """probe() as in a new process: nothing cached, nothing announced."""
    monkeypatch.setattr(sandbox, "_probe", functools.lru_cache(maxsize=None)(sandbox._probe.__wrapped__))
    monkeypatch.setattr(sandbox, "_ANNOUNCED", set())
    monkeypatch.delenv("PROACT_ISOLATION", raising=False)


@pytest.mark.skipif(landlock_abi() < 1, reason="needs Landlock")
def test_a_level_below_bubblewrap_says_once_on_stderr_what_it_does_not_stop(fresh_probe, capsys):
    config = SandboxConfig(isolation="landlock", limits=SandboxLimits(timeout_s=10.0))
    assert grade("def f():\n    return 1\n", ["assert f() == 1"], config).score == 1.0
    grade("def f():\n    return 1\n", ["assert f() == 1"], config)
    err = capsys.readouterr().err
    assert err.count("isolation level 'landlock'") == 1 and "does not stop:" in err and "stat" in err
    if landlock_abi() < 6:
        assert f"Landlock ABI {landlock_abi()} < 6" in err


def test_requiring_bubblewrap_fails_when_it_is_missing(fresh_probe, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on this PATH
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        probe(SandboxConfig(isolation="bwrap"))
    monkeypatch.setenv("PROACT_ISOLATION", "bwrap")  # what CI sets: "auto" must not fall back
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        run_tests("def f():\n    return 1\n", ["assert f() == 1"])


def test_ci_grades_at_the_bubblewrap_level():
    if os.environ.get("CI", "").lower() != "true" and os.environ.get("PROACT_ISOLATION") != "bwrap":
        pytest.skip("only CI must have bubblewrap")
    assert probe(SandboxConfig()).level == "bwrap"


def test_each_level_names_what_it_does_not_stop():
    landlock = sandbox.Launcher(level="landlock", python=sys.executable, python_flags=(), harness="",
                                run_as_root=False, landlock_abi=5, seccomp=True)
    assert any("Landlock ABI 5 < 6" in gap for gap in landlock.gaps())  # below ABI 6: not used silently
    assert any("TCP" in gap for gap in replace(landlock, landlock_abi=3, seccomp=False).gaps())
    assert replace(landlock, run_as_root=True).gaps() == ["learning which paths exist (stat) outside its directory"]
    assert any("world-readable" in gap for gap in replace(landlock, level="uid", run_as_root=True).gaps())
    assert replace(landlock, level="bwrap").gaps() == []
