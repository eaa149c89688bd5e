"""Run one job in a fresh, isolated Python interpreter and collect what it reports.

Every job gets a new interpreter (never a fork of a process that holds expected
values or secrets), a fresh private temporary directory, a minimal environment
(no API keys, nothing inherited), stdin on /dev/null, its own session and
process group, resource limits set before the program runs, and a cap on what
it may write.

Time is judged in CPU seconds, not wall-clock seconds: a job's verdict must
depend on the program, not on how loaded the machine is (a reference solution
that needs 2.7 s of CPU takes 2.7 s alone and three times that beside other
work). ``RLIMIT_CPU`` ends a program that computes past ``timeout_s``; a
wall-clock backstop, ``wall_factor`` times longer, ends one that sleeps or
blocks instead, and bounds a job that a starved machine cannot finish.

Isolation comes from the strongest mechanism this machine offers, probed once
per process (`probe`), strongest first:

- ``bwrap``: bubblewrap with every namespace unshared (no network, own pid
  namespace so nothing outlives the job, no view of other processes), only
  the system and interpreter directories mounted read-only, a private tmpfs
  as /tmp and working directory, and no further user namespaces. When the
  caller is root, bubblewrap itself runs as an unprivileged uid.
- ``landlock``: no bubblewrap, but Landlock confines the interpreter to reading
  the system and interpreter directories and writing its temp dir, denies TCP
  (ABI >= 4) and signals to processes outside it (ABI >= 6). Run as an
  unprivileged uid of its own when the caller is root.
- ``uid``: only an unprivileged uid of its own (caller is root, no Landlock):
  world-readable files stay readable and the network stays reachable.
- ``none``: rlimits and timeouts only. Refused unless the caller opts in
  (`SandboxConfig.allow_unisolated` or ``PROACT_ALLOW_UNISOLATED=1``), with a
  loud warning.

Interpreter flags are ``-s -S -P -B`` with ``PYTHONHASHSEED=0`` rather than
``-I``: ``-I`` also ignores PYTHONHASHSEED, which would make the iteration
order of sets of strings (and so some graded results) change from run to run.
The environment is built from scratch, so what ``-E`` guards against is absent.
"""

from __future__ import annotations

import fcntl
import functools
import marshal
import math
import os
import select
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any

from proact_env.grading.wire import ProbeResult, parse_records

ISOLATION_LEVELS = ("bwrap", "landlock", "uid", "none")  # strongest first
ALLOW_UNISOLATED_ENV = "PROACT_ALLOW_UNISOLATED"

_MiB = 1 << 20
_CHILD_SOURCE = Path(__file__).with_name("sandbox_child.py")
# Reads the job from the payload fd, then runs the harness on it. Kept tiny:
# everything else arrives precompiled in the payload.
_BOOT = (
    "import marshal,os,sys\n"
    "f=int(sys.argv[1])\n"
    "d=b''.join(iter(lambda:os.read(f,1<<20),b''))\n"
    "os.close(f)\n"
    "h,j=marshal.loads(d)\n"
    "g={'__name__':'sandbox_child'}\n"
    "exec(compile(h,'sandbox_child','exec') if isinstance(h,str) else h,g)\n"
    "del d,h\n"
    "g['main'](j,int(sys.argv[2]))\n"
)
_VERSION_SCRIPT = "import sys;print(*sys.version_info[:2])"
_KEEP_OUTPUT = 8192
_DONE = b'["z"]\n'  # the harness's last record: every test has reported
_EXIT_GRACE_S = 0.5  # how long a job whose pipes closed may take to exit before it is killed
# How a job ends at RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one; as the
# interpreter's own status or as bubblewrap reports it (128 + signal).
_CPU_LIMIT_STATUSES = frozenset({-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL})


class SandboxUnavailable(RuntimeError):
    """No isolation level that the configuration accepts works on this machine."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one job (a program and all its tests).

    Attributes:
        timeout_s: the time limit a job is judged by, in CPU seconds (user +
            system) of each of its processes (RLIMIT_CPU; the kernel counts whole
            seconds, so it is rounded up). Load does not move it. Default 10 s.
        wall_factor: the wall-clock backstop is ``wall_factor * timeout_s`` from
            launch to the last result, startup included; the whole sandbox is
            killed when it passes. It ends jobs that sleep or block rather than
            compute; generous, so that only a machine more than `wall_factor`
            times oversubscribed can starve a passing program. Default 4.
        memory_mb: address-space limit (RLIMIT_AS). Default 1024 MiB.
        file_size_mb: largest file the job may write (RLIMIT_FSIZE). Default 16 MiB.
        open_files: file descriptors (RLIMIT_NOFILE). Default 64.
        processes: processes and threads (RLIMIT_NPROC, per sandbox user). Default 32.
        output_bytes: stdout + stderr the job may write before it is killed. Default 1 MiB.
        result_bytes: size of the results channel before the job is killed. Default 16 MiB.
        tmpfs_mb: size of the private /tmp (bubblewrap level). Default 64 MiB.
    """

    timeout_s: float = 10.0
    wall_factor: float = 4.0
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 32
    output_bytes: int = _MiB
    result_bytes: int = 16 * _MiB
    tmpfs_mb: int = 64

    def __post_init__(self) -> None:
        if not self.timeout_s > 0:
            raise ValueError(f"SandboxLimits.timeout_s must be > 0, got {self.timeout_s!r}")
        if not self.wall_factor >= 1:
            raise ValueError(f"SandboxLimits.wall_factor must be >= 1 (the backstop may not cut a job "
                             f"before its CPU limit), got {self.wall_factor!r}")
        for name in ("memory_mb", "file_size_mb", "open_files", "processes", "output_bytes", "result_bytes", "tmpfs_mb"):
            if getattr(self, name) < 1:
                raise ValueError(f"SandboxLimits.{name} must be >= 1, got {getattr(self, name)!r}")

    @property
    def cpu_seconds(self) -> int:
        """RLIMIT_CPU's soft limit: `timeout_s` rounded up to whole seconds."""
        return math.ceil(self.timeout_s)

    @property
    def wall_s(self) -> float:
        """The wall-clock backstop, in seconds from launch."""
        return self.timeout_s * self.wall_factor

    def rlimits(self) -> tuple[int, int, int, int, int]:
        """(address space, cpu seconds, file size, open files, processes), as the child sets them."""
        return (self.memory_mb * _MiB, self.cpu_seconds, self.file_size_mb * _MiB, self.open_files, self.processes)


@dataclass(frozen=True)
class SandboxConfig:
    """How untrusted code is isolated.

    Attributes:
        isolation: ``"auto"`` (the strongest level that works, default) or one
            of `ISOLATION_LEVELS` to require that level.
        allow_unisolated: accept level ``"none"`` (no isolation at all) when
            nothing stronger works. Default False; the environment variable
            ``PROACT_ALLOW_UNISOLATED=1`` opts in too.
        python: the interpreter that runs jobs. Default: this interpreter when
            the sandbox user can reach it, else a system ``pythonX.Y`` of the
            same version.
        sandbox_uid, sandbox_gid: the unprivileged ids the bubblewrap level
            runs as when the caller is root. Default 65534 (nobody).
        fallback_uid_base: when the caller is root and bubblewrap is missing,
            each job runs as a uid of its own from a pool of 4096 starting
            here, so that every process it leaves behind can be found and
            killed. Default 2_000_000_000 (far above any account).
        limits: the `SandboxLimits` of every job.
    """

    isolation: str = "auto"
    allow_unisolated: bool = False
    python: str | None = None
    sandbox_uid: int = 65534
    sandbox_gid: int = 65534
    fallback_uid_base: int = 2_000_000_000
    limits: SandboxLimits = field(default_factory=SandboxLimits)

    def __post_init__(self) -> None:
        if self.isolation != "auto" and self.isolation not in ISOLATION_LEVELS:
            raise ValueError(f"isolation must be 'auto' or one of {ISOLATION_LEVELS}, got {self.isolation!r}")

    @property
    def unisolated_allowed(self) -> bool:
        return self.allow_unisolated or os.environ.get(ALLOW_UNISOLATED_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class RunResult:
    """What one job left behind: the results channel and diagnostics. Nothing here is trusted."""

    records: bytes
    output: bytes
    timed_out: bool  # killed at the wall-clock backstop
    output_exceeded: bool
    results_exceeded: bool
    returncode: int | None
    wall_s: float
    isolation: str
    cpu_exceeded: bool = False  # ended by the kernel at its CPU-time limit
    cpu_s: float | None = None  # CPU seconds of the job's processes, where the kernel reported them


@dataclass(frozen=True)
class Launcher:
    """A probed way to start sandboxed interpreters: the level, the interpreter and the fixed arguments."""

    level: str
    python: str
    python_flags: tuple[str, ...]
    harness: Any  # the compiled harness (same bytecode version as the sandbox's) or its source
    run_as_root: bool
    bwrap_args: tuple[str, ...] = ()  # everything before the tmpfs size, for the bwrap level

    def command(self, config: SandboxConfig, payload_fd: int, results_fd: int, fallback_uid: int | None) -> list[str]:
        command = [self.python, *self.python_flags, "-c", _BOOT, str(payload_fd), str(results_fd)]
        ids = (fallback_uid, fallback_uid) if fallback_uid is not None else None
        if self.level == "bwrap":
            size = (str(config.limits.tmpfs_mb * _MiB),) if self.bwrap_args[-1] == "--size" else ()
            command = [*self.bwrap_args, *size, "--tmpfs", "/tmp", "--chdir", "/tmp", "--", *command]
            ids = (config.sandbox_uid, config.sandbox_gid) if self.run_as_root else None
        if ids is not None:
            # setpriv drops to the sandbox uid without making this (possibly huge)
            # process fork: subprocess can only vfork when no uid change is asked.
            command = ["setpriv", f"--reuid={ids[0]}", f"--regid={ids[1]}", "--clear-groups", "--", *command]
        return command


def _bwrap_args(python: str) -> tuple[str, ...]:
    """bubblewrap's fixed arguments: every namespace unshared, system directories read-only, nothing else.

    The trailing ``--size`` marks that this bubblewrap can size the tmpfs (its value comes per job).
    """
    usage = subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=30).stdout
    args = ["bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"]
    if "--disable-userns" in usage:
        args.append("--disable-userns")
    args += ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in _python_prefix(python):
        args += ["--ro-bind", path, path]
    args += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--dev", "/dev"]
    return tuple(args) + (("--size",) if "--size" in usage else ())


def minimal_env(home: str) -> dict[str, str]:
    """The whole environment of a job: nothing inherited, so no API key or token can leak in."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
    }


def probe(config: SandboxConfig = SandboxConfig()) -> Launcher:
    """The strongest isolation level the configuration accepts that really works here (cached).

    Each candidate level is tried by launching a job through it, so a level is
    only chosen when it runs. Raises `SandboxUnavailable` when none does.
    """
    return _probe(config.isolation, config.python, config.unisolated_allowed, config.sandbox_uid, config.sandbox_gid)


@functools.lru_cache(maxsize=None)
def _probe(isolation: str, python: str | None, allow_unisolated: bool, uid: int, gid: int) -> Launcher:
    wanted = ISOLATION_LEVELS if isolation == "auto" else (isolation,)
    is_root = os.geteuid() == 0
    reasons = []
    if not allow_unisolated and "none" in wanted:
        wanted = tuple(level for level in wanted if level != "none")
        reasons.append("none: running without isolation needs an explicit opt-in")
    for level in wanted:
        reason = _level_prerequisite(level, is_root)
        if reason:
            reasons.append(f"{level}: {reason}")
            continue
        for candidate in _interpreter_candidates(python):
            launcher = _try_launcher(level, candidate, is_root, uid, gid)
            if isinstance(launcher, Launcher):
                if level == "none":
                    _warn_unisolated()
                return launcher
            reasons.append(f"{level} with {candidate}: {launcher}")
    hint = (
        "install bubblewrap (e.g. 'apt-get install bubblewrap' or 'make system-deps')"
        if isolation == "auto"
        else f"choose another isolation level than {isolation!r}"
    )
    raise SandboxUnavailable(
        "cannot run untrusted code with the requested isolation: "
        + "; ".join(reasons)
        + f". Fix: {hint}, or opt in to running without isolation with "
        f"SandboxConfig(allow_unisolated=True) or {ALLOW_UNISOLATED_ENV}=1 (unsafe)."
    )


def _level_prerequisite(level: str, is_root: bool) -> str:
    """Why `level` cannot work here, or '' when it may."""
    if level == "bwrap" and shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    if level in ("bwrap", "landlock", "uid") and is_root and shutil.which("setpriv") is None:
        return "setpriv (util-linux) is needed to drop root privileges"
    if level == "landlock" and landlock_abi() < 1:
        return "the kernel does not offer Landlock"
    if level == "uid" and not is_root:
        return "switching to another uid needs root; the code would run as the caller"
    return ""


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when unavailable)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        return max(0, int(libc.syscall(444, None, 0, 1)))
    except (OSError, AttributeError):
        return 0


def _warn_unisolated() -> None:
    message = (
        "proact_env: RUNNING UNTRUSTED CODE WITHOUT ISOLATION. Generated programs can read and "
        "write your files, use the network and see your processes. Install bubblewrap to isolate them."
    )
    warnings.warn(message, RuntimeWarning, stacklevel=4)
    print(f"WARNING: {message}", file=sys.stderr)


def _interpreter_candidates(python: str | None) -> list[str]:
    if python is not None:
        return [python]
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    own = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    others = [os.path.realpath(p) for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}", shutil.which(version)) if p]
    return list(dict.fromkeys([own] + [p for p in others if os.path.exists(p)]))


def _python_prefix(python: str) -> tuple[str, ...]:
    """Directories outside /usr that the interpreter needs mounted (its installation prefix)."""
    real = os.path.realpath(python)
    if real.startswith("/usr/"):
        return ()
    return (str(Path(real).parent.parent),)


@functools.lru_cache(maxsize=None)
def _python_version(python: str) -> tuple[int, int]:
    out = subprocess.run([python, "-s", "-S", "-c", _VERSION_SCRIPT], capture_output=True, text=True, timeout=30)
    major, minor = out.stdout.split()
    return int(major), int(minor)


def _try_launcher(level: str, python: str, is_root: bool, uid: int, gid: int) -> Launcher | str:
    """A working launcher for (level, python), or the reason it does not work."""
    try:
        version = _python_version(python)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return f"cannot run the interpreter ({exc})"
    if version[0] != 3 or version < (3, 10):
        return f"needs Python >= 3.10, found {version[0]}.{version[1]}"
    source = _CHILD_SOURCE.read_text(encoding="utf-8")
    launcher = Launcher(
        level=level,
        python=python,
        python_flags=("-s", "-S", "-B") + (("-P",) if version >= (3, 11) else ()),
        harness=source,
        run_as_root=is_root,
        bwrap_args=_bwrap_args(python) if level == "bwrap" else (),
    )
    config = SandboxConfig(isolation=level, python=python, sandbox_uid=uid, sandbox_gid=gid,
                           limits=SandboxLimits(timeout_s=30))
    probes = (
        "__import__('sys').version_info[:2]",
        "__import__('importlib.util').util.MAGIC_NUMBER",
        # the sandbox user must reach the interpreter itself, or a program could not start Python again
        "__import__('os').access(__import__('sys').executable, 1)",
    )
    result = run_job(("", "", (("probes", probes),)), config, launcher=launcher)
    records = parse_records(result.records, 1)
    values = [r.value for r in records.results.get(0, []) if isinstance(r, ProbeResult) and r.error is None]
    if len(values) != len(probes) or values[0] != version:
        detail = (result.output or result.records).decode(errors="replace").strip()[-500:]
        return f"a test job did not run (exit {result.returncode}): {detail or 'no output'}"
    if values[2] is not True:
        return "the sandbox user cannot execute the interpreter (is its directory private?)"
    if version == sys.version_info[:2] and values[1] == MAGIC_NUMBER:
        # Same bytecode: ship the harness compiled once instead of compiling it per job.
        launcher = Launcher(**{**launcher.__dict__, "harness": compile(source, "sandbox_child", "exec")})
    return launcher


# -- Running a job ---------------------------------------------------------------


class _UidSlots:
    """Distinct uids for concurrent fallback jobs, so that each job's leftovers can be found and killed.

    A uid is held through an exclusive lock on a file named after it, so that
    jobs of different processes (parallel test workers, vector envs) never
    share one, and a uid is only handed out when no process of it is left
    (killed leftovers linger until reaped, and would count against the next
    job's process limit). Uids rotate through a pool of `POOL` values.
    """

    POOL = 4096

    def __init__(self) -> None:
        self._dir = Path(tempfile.gettempdir()) / "proact-sandbox-uids"
        self._next = os.getpid() % self.POOL

    def acquire(self, base: int) -> tuple[int, int]:
        """(uid, lock fd) of a free uid from `base` upward."""
        self._dir.mkdir(mode=0o700, exist_ok=True)
        for _ in range(self.POOL):
            index, self._next = self._next, (self._next + 1) % self.POOL
            fd = os.open(self._dir / f"{base + index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            if not _processes_of(base + index):
                return base + index, fd
            os.close(fd)
        raise SandboxUnavailable(f"no free sandbox uid in {base}..{base + self.POOL - 1}")

    @staticmethod
    def release(lock_fd: int) -> None:
        os.close(lock_fd)  # closing drops the lock


_SLOTS = _UidSlots()


def run_job(job: tuple, config: SandboxConfig = SandboxConfig(), *, launcher: Launcher | None = None) -> RunResult:
    """Run `job` = (program, setup, tests) in a fresh sandboxed interpreter; see `sandbox_child`."""
    launcher = launcher or probe(config)
    limits = config.limits
    landlock = None
    lock = uid = None
    workdir = None
    if launcher.level != "bwrap":
        workdir = tempfile.mkdtemp(prefix="proact-job-")
        if launcher.run_as_root and launcher.level != "none":
            uid, lock = _SLOTS.acquire(config.fallback_uid_base)
            os.chown(workdir, uid, uid)
        if launcher.level == "landlock":
            readable = ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/dev/urandom") + _python_prefix(launcher.python)
            landlock = (readable, (workdir, "/dev/null"))
    payload = marshal.dumps((launcher.harness, (limits.rlimits(), landlock) + tuple(job)))
    try:
        return _launch(launcher, config, payload, workdir, uid)
    finally:
        if uid is not None:
            _kill_uid(uid)
            _SLOTS.release(lock)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _launch(launcher: Launcher, config: SandboxConfig, payload: bytes, workdir: str | None, uid: int | None) -> RunResult:
    limits = config.limits
    payload_fd = os.memfd_create("proact-job", os.MFD_CLOEXEC)
    results_r, results_w = os.pipe()
    output_r, output_w = os.pipe()
    start = time.monotonic()
    try:
        os.write(payload_fd, payload)
        os.lseek(payload_fd, 0, os.SEEK_SET)
        command = launcher.command(config, payload_fd, results_w, uid)
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output_w,
            stderr=output_w,
            pass_fds=(payload_fd, results_w),
            cwd=workdir or "/",
            env=minimal_env(workdir or "/tmp"),
            start_new_session=True,
        )
    except BaseException:
        for fd in (results_r, output_r):
            os.close(fd)
        raise
    finally:
        for fd in (payload_fd, results_w, output_w):
            os.close(fd)
    ended_alone = False
    try:
        collected = _collect(proc, results_r, output_r, start + limits.wall_s, limits)
        records, output, timed_out, output_exceeded, results_exceeded = collected
        if not (timed_out or output_exceeded or results_exceeded or records.endswith(_DONE)):
            # The job's pipes closed before it reported everything: it is exiting. Let it, so that
            # its exit status (SIGXCPU?) and CPU time are its own rather than our SIGKILL's.
            ended_alone = _exits_within(proc, _EXIT_GRACE_S)
    finally:
        usage = _kill_group(proc)
        os.close(results_r)
        os.close(output_r)
    cpu_s = usage.ru_utime + usage.ru_stime if usage is not None and ended_alone else None
    return RunResult(
        records=records,
        output=output,
        timed_out=timed_out,
        output_exceeded=output_exceeded,
        results_exceeded=results_exceeded,
        returncode=proc.returncode,
        wall_s=time.monotonic() - start,
        isolation=launcher.level,
        cpu_exceeded=ended_alone and proc.returncode in _CPU_LIMIT_STATUSES,
        cpu_s=cpu_s,
    )


def _exits_within(proc: subprocess.Popen, seconds: float) -> bool:
    """Whether the job's process ends by itself within `seconds` (left unreaped for `_kill_group`)."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        return bool(select.select([pidfd], [], [], seconds)[0])
    finally:
        os.close(pidfd)


def _collect(proc: subprocess.Popen, results_r: int, output_r: int, deadline: float, limits: SandboxLimits):
    """Read both pipes until the job says it is done, exits, overflows or runs out of time."""
    records = bytearray()
    output = bytearray()
    output_total = 0
    timed_out = output_exceeded = results_exceeded = False
    pidfd = os.pidfd_open(proc.pid)
    selector = selectors.DefaultSelector()
    try:
        selector.register(results_r, selectors.EVENT_READ, "results")
        selector.register(output_r, selectors.EVENT_READ, "output")
        selector.register(pidfd, selectors.EVENT_READ, "exit")
        open_pipes = 2
        exited = False
        while open_pipes and not records.endswith(_DONE):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            events = selector.select(remaining if not exited else 0)
            if not events and exited:
                break  # the job is gone and its pipes are drained (a leftover process may hold them open)
            for key, _ in events:
                if key.data == "exit":
                    exited = True
                    selector.unregister(pidfd)
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    open_pipes -= 1
                elif key.data == "results":
                    records += chunk
                    results_exceeded = len(records) > limits.result_bytes
                else:
                    output_total += len(chunk)
                    if len(output) < _KEEP_OUTPUT:
                        output += chunk[: _KEEP_OUTPUT - len(output)]
                    output_exceeded = output_total > limits.output_bytes
            if output_exceeded or results_exceeded:
                break
    finally:
        selector.close()
        os.close(pidfd)
    return bytes(records), bytes(output), timed_out, output_exceeded, results_exceeded


def _kill_group(proc: subprocess.Popen) -> Any:
    """Kill the job's process group and reap it, returning its resource usage (None if already reaped).

    bubblewrap's pid namespace takes everything inside with it. The usage counts
    the processes the job itself waited for: all of them when it ended alone.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except ChildProcessError:
        proc.wait()
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


def _processes_of(uid: int) -> list[int]:
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    pids.append(int(entry.name))
            except FileNotFoundError:
                continue
    return pids


def _kill_uid(uid: int) -> None:
    """Kill every process left running as a fallback job's own uid (daemons that left the process group)."""
    for _ in range(20):
        pids = _processes_of(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
