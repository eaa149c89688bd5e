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
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from proact_env.grading import SandboxConfig, SandboxLimits, SandboxUnavailable, run_tests, sandbox
from proact_env.grading.sandbox import landlock_abi, minimal_env, probe

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
    assert 3.0 <= time.monotonic() - start < 6.0
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
