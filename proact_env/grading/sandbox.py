"""Start isolated Python interpreters for untrusted code, talk to them one line at a time, end them.

Every job gets a new interpreter (never a fork of a process that holds expected
values or secrets), a fresh private temporary directory, a minimal environment
(no API keys, nothing inherited), stdin on /dev/null, its own session and
process group, resource limits set before any of its code runs, and caps on
what it may write: output, results and files. A `Job` is spoken to through
two pipes: the grader writes one request line, the job answers with lines of
its own (`sandbox_child` describes the protocol), so nothing the job is asked
is inside it before it is asked.

Time is judged in CPU seconds, not wall-clock seconds: a job's verdict must
depend on the program, not on how loaded the machine is (a reference solution
that needs 2.7 s of CPU takes 2.7 s alone and three times that beside other
work). ``RLIMIT_CPU`` ends a program that computes past ``timeout_s``; a
wall-clock backstop, ``wall_factor`` times longer, ends one that sleeps or
blocks instead, and bounds a job that a starved machine cannot finish.

Isolation comes from the strongest mechanism this machine offers, probed once
per process (`probe`), strongest first (`Launcher.gaps` lists what each level
does not stop; a level below bubblewrap says so once on stderr):

- ``bwrap``: bubblewrap with every namespace unshared (no network, own pid
  namespace so nothing outlives the job, no view of other processes), only
  the system and interpreter directories mounted read-only, ``/`` and ``/dev``
  read-only, size-capped tmpfs on /tmp (the working directory) and /dev/shm,
  and no further user namespaces. When the caller is root, bubblewrap itself
  runs as an unprivileged uid.
- ``landlock``: Landlock confines the interpreter to reading the system and
  interpreter directories and writing its temp dir, denies TCP (ABI >= 4) and
  signals to processes outside it (ABI >= 6); a seccomp filter refuses
  sockets, SysV and POSIX IPC, kernel keys, and changing the limits or
  priority of other processes. As root, each job runs as a uid of its own in a
  mount namespace of its own whose /tmp is a size-capped tmpfs; otherwise a
  reaper kills whatever the job left and the temp dir's size is polled.
- ``uid``: root without Landlock: a uid of its own, the private capped /tmp
  and the seccomp filter. World-readable files stay readable.
- ``none``: rlimits, timeouts and the reaper only. Refused unless the caller
  opts in (`SandboxConfig.allow_unisolated` or ``PROACT_ALLOW_UNISOLATED=1``),
  with a loud warning.

Interpreter flags are ``-s -S -P -B`` with ``PYTHONHASHSEED=0`` rather than
``-I``: ``-I`` also ignores PYTHONHASHSEED, which would make the iteration
order of sets of strings (and so some graded results) change from run to run.
The environment is built from scratch, so what ``-E`` guards against is absent.
"""

from __future__ import annotations

import fcntl
import functools
import json
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
from dataclasses import dataclass, field, replace
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from typing import Any, Callable

from proact_env.grading.wire import Decoder, ProbeResult, WireError, parse_line

ISOLATION_LEVELS = ("bwrap", "landlock", "uid", "none")  # strongest first
ALLOW_UNISOLATED_ENV = "PROACT_ALLOW_UNISOLATED"
#: When set, the level that ``isolation="auto"`` must get (CI sets ``bwrap``, so a missing bubblewrap fails).
ISOLATION_ENV = "PROACT_ISOLATION"
SECCOMP_MACHINES = ("x86_64", "aarch64")  # architectures whose syscall numbers the seccomp filter knows

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
    "g['main'](j,int(sys.argv[2]),int(sys.argv[3]))\n"
)
_VERSION_SCRIPT = "import sys;print(*sys.version_info[:2])"
_KEEP_OUTPUT = 8192
_EXIT_GRACE_S = 0.5  # how long a job that stopped answering may take to exit before it is killed
_REAPER_GRACE_S = 1.0  # how long the reaper gets to kill what a job left behind
_FILE_POLL_S = 0.05  # how often the temp dir of a job without a capped tmpfs is measured
_MAX_FILES = 10_000  # entries in such a temp dir before the job is stopped
# How a job ends at RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one; as the
# interpreter's own status or as bubblewrap or the reaper report it (128 + signal).
_CPU_LIMIT_STATUSES = frozenset({-signal.SIGXCPU, 128 + signal.SIGXCPU, -signal.SIGKILL, 128 + signal.SIGKILL})
_ANNOUNCED: set[str] = set()


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
        tmpfs_mb: all the files a job may write: the size of its /tmp and of its
            /dev/shm (bubblewrap: each a tmpfs of this size; root below
            bubblewrap: one tmpfs for /tmp, /dev/shm and /var/tmp; otherwise
            its temp dir, measured every 50 ms). Default 64 MiB.
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
        isolation: ``"auto"`` (default: the strongest level that works, or the
            level named by the environment variable ``PROACT_ISOLATION`` when it
            is set) or one of `ISOLATION_LEVELS` to require that level.
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

    @property
    def required_level(self) -> str:
        """`isolation`, with ``"auto"`` resolved through ``PROACT_ISOLATION`` when that is set."""
        if self.isolation != "auto":
            return self.isolation
        wanted = os.environ.get(ISOLATION_ENV, "").strip() or "auto"
        if wanted != "auto" and wanted not in ISOLATION_LEVELS:
            raise ValueError(f"{ISOLATION_ENV}={wanted!r}: expected 'auto' or one of {ISOLATION_LEVELS}")
        return wanted


@dataclass(frozen=True)
class JobEnd:
    """How a job ended: diagnostics only, nothing here is a verdict."""

    output: bytes
    timed_out: bool  # killed at the wall-clock backstop
    output_exceeded: bool
    results_exceeded: bool
    returncode: int | None
    wall_s: float
    isolation: str
    cpu_exceeded: bool = False  # ended by the kernel at its CPU-time limit
    cpu_s: float | None = None  # CPU seconds of the job's processes, where the kernel reported them
    files_exceeded: bool = False  # wrote more files than tmpfs_mb where that is measured, not capped


@dataclass(frozen=True)
class Launcher:
    """A probed way to start sandboxed interpreters: the level, the interpreter and the fixed arguments."""

    level: str
    python: str
    python_flags: tuple[str, ...]
    harness: Any  # the compiled harness (same bytecode version as the sandbox's) or its source
    run_as_root: bool
    bwrap_args: tuple[str, ...] = ()  # the fixed arguments, for the bwrap level
    bwrap_sizes: bool = True  # whether this bubblewrap can size a tmpfs (--size)
    landlock_abi: int = 0
    seccomp: bool = False  # whether the seccomp filter is applied (levels landlock and uid)

    @property
    def reaps(self) -> bool:
        """Whether a reaper process outlives the job to kill what it leaves (no pid namespace, no uid of its own)."""
        return self.level == "none" or (self.level == "landlock" and not self.run_as_root)

    def command(self, config: SandboxConfig, payload_fd: int, results_fd: int, requests_fd: int,
                info_fd: int | None = None) -> list[str]:
        """The job's command line; at the bwrap level `info_fd` receives bubblewrap's JSON with the pid of
        the namespace's first process (`_kill_namespace`)."""
        command = [self.python, *self.python_flags, "-c", _BOOT, str(payload_fd), str(results_fd), str(requests_fd)]
        if self.level != "bwrap":
            return command  # the harness confines itself (`confinement`)
        size = ("--size", str(config.limits.tmpfs_mb * _MiB)) if self.bwrap_sizes else ()
        info = ("--info-fd", str(info_fd)) if info_fd is not None else ()
        command = [*self.bwrap_args, *info, *size, "--tmpfs", "/tmp", *size, "--tmpfs", "/dev/shm",
                   "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--", *command]
        if self.run_as_root:
            # setpriv drops to the sandbox uid without making this (possibly huge)
            # process fork: subprocess can only vfork when no uid change is asked.
            command = ["setpriv", f"--reuid={config.sandbox_uid}", f"--regid={config.sandbox_gid}",
                       "--clear-groups", "--", *command]
        return command

    def confinement(self, workdir: str | None, uid: int | None, limits: SandboxLimits) -> dict[str, Any]:
        """What the harness does to itself before any job code runs (`sandbox_child._confine`)."""
        confine: dict[str, Any] = {"reaper": self.reaps, "seccomp": self.seccomp, "uid": uid}
        if uid is not None:
            confine["private_tmp"] = (workdir, limits.tmpfs_mb * _MiB, uid)
        if self.level == "landlock":
            readable = ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/dev/urandom") + _python_prefix(self.python)
            confine["landlock"] = (readable, (workdir, "/dev/null"))
        return confine

    def gaps(self) -> list[str]:
        """What this level does not stop, in words (empty for bubblewrap with --size)."""
        if self.level == "bwrap":
            return [] if self.bwrap_sizes else ["filling /tmp and /dev/shm (this bubblewrap cannot size a tmpfs)"]
        if self.level == "none":
            return ["anything: programs run as you, with your files, network and processes"]
        gaps = ["learning which paths exist (stat) outside its directory"]
        if not self.seccomp:
            gaps.append(f"UDP, unix and netlink sockets, SysV IPC and kernel keys (no seccomp filter for "
                        f"{os.uname().machine})")
            if self.level == "uid" or self.landlock_abi < 4:
                gaps.append("TCP connections" + (f" (Landlock ABI {self.landlock_abi} < 4)" if self.landlock_abi else ""))
            if not self.run_as_root:
                gaps.append("changing the resource limits and priority of your other processes, this one included")
        if self.level == "uid":
            return gaps + ["reading world-readable files (your data sets, others' homes)",
                           "writing world-writable directories other than /tmp, /var/tmp and /dev/shm"]
        if not self.run_as_root:
            if self.landlock_abi < 6:
                gaps.append(f"signals to your other processes, this one included (Landlock ABI {self.landlock_abi} < 6)")
            gaps.append(f"writing past tmpfs_mb within {_FILE_POLL_S * 1000:.0f} ms: its files are measured, "
                        "not capped by the kernel")
        return gaps


def _bwrap_args(python: str) -> tuple[tuple[str, ...], bool]:
    """bubblewrap's fixed arguments (every namespace unshared, system directories read-only) and
    whether it can size a tmpfs (``--size``)."""
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
    return tuple(args), "--size" in usage


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
    only chosen when it runs. Raises `SandboxUnavailable` when none does. The
    first job at a level below bubblewrap says on stderr which level it got,
    why, and what that level does not stop.
    """
    return _probe(config.required_level, config.python, config.unisolated_allowed, config.sandbox_uid,
                  config.sandbox_gid)


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
                _announce(launcher, reasons)
                return launcher
            reasons.append(f"{level} with {candidate}: {launcher}")
    hint = (
        "install bubblewrap (e.g. 'apt-get install bubblewrap' or 'make system-deps')"
        if isolation == "auto" or isolation == "bwrap"
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
    if level == "bwrap" and is_root and shutil.which("setpriv") is None:
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


def _announce(launcher: Launcher, reasons: list[str]) -> None:
    """Say once per process, on stderr, which level below bubblewrap is in force and what it does not stop."""
    gaps = launcher.gaps()
    if not gaps or launcher.level in _ANNOUNCED:
        return
    _ANNOUNCED.add(launcher.level)
    skipped = [r for r in reasons if not r.startswith(launcher.level)]  # stronger levels, not other interpreters
    why = f" ({'; '.join(skipped)})" if skipped else ""
    if launcher.level == "none":
        message = ("RUNNING UNTRUSTED CODE WITHOUT ISOLATION. Generated programs can read and write your files, "
                   "use the network and see your processes. Install bubblewrap to isolate them.")
        warnings.warn(f"proact_env: {message}", RuntimeWarning, stacklevel=5)
        print(f"WARNING: proact_env: {message}", file=sys.stderr)
        return
    print(f"proact_env sandbox: untrusted code runs at isolation level {launcher.level!r}{why}. "
          f"This level does not stop: {'; '.join(gaps)}. Install bubblewrap ('make system-deps') "
          f"for full isolation.", file=sys.stderr)


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
    bwrap_args, bwrap_sizes = _bwrap_args(python) if level == "bwrap" else ((), True)
    launcher = Launcher(
        level=level,
        python=python,
        python_flags=("-s", "-S", "-B") + (("-P",) if version >= (3, 11) else ()),
        harness=source,
        run_as_root=is_root,
        bwrap_args=bwrap_args,
        bwrap_sizes=bwrap_sizes,
        landlock_abi=landlock_abi() if level == "landlock" else 0,
        seccomp=level in ("landlock", "uid") and os.uname().machine in SECCOMP_MACHINES,
    )
    config = SandboxConfig(isolation=level, python=python, sandbox_uid=uid, sandbox_gid=gid,
                           limits=SandboxLimits(timeout_s=30))
    probes = (
        "__import__('sys').version_info[:2]",
        "__import__('importlib.util').util.MAGIC_NUMBER",
        # the sandbox user must reach the interpreter itself, or a program could not start Python again
        "__import__('os').access(__import__('sys').executable, 1)",
    )
    values, end = ask_program("", "", probes, config, launcher=launcher)
    values = [r.value for r in values if isinstance(r, ProbeResult) and r.error is None]
    if len(values) != len(probes) or values[0] != version:
        detail = end.output.decode(errors="replace").strip()[-500:]
        return f"a test job did not run (exit {end.returncode}): {detail or 'no output'}"
    if values[2] is not True:
        return "the sandbox user cannot execute the interpreter (is its directory private?)"
    if version == sys.version_info[:2] and values[1] == MAGIC_NUMBER:
        # Same bytecode: ship the harness compiled once instead of compiling it per job.
        launcher = replace(launcher, harness=compile(source, "sandbox_child", "exec"))
    return launcher


def ask_program(program: str, setup: str, probes: tuple[str, ...], config: SandboxConfig = SandboxConfig(), *,
                launcher: Launcher | None = None) -> tuple[list[ProbeResult], JobEnd]:
    """Run `program` and `setup` in a fresh sandbox and evaluate each probe expression there, in order.

    Returns the answers that arrived (fewer than the probes when the job ended
    early) and how the job ended. The grader's own use is `grader.run_tests`.
    """
    job = Job({"role": "program", "program": program, "setup": setup}, config, launcher)
    answers: list[ProbeResult] = []
    decoder = Decoder()
    try:
        if job.receive() == b'["r"]':
            for source in probes:
                line = job.ask(source.encode("utf-8", "surrogatepass").hex().encode())
                if line is None:
                    break
                try:
                    answers.append(decoder.answer(parse_line(line)))
                except WireError as exc:
                    answers.append(ProbeResult(error=("WireError", str(exc))))
    finally:
        end = job.end()
    return answers, end


# -- One job ---------------------------------------------------------------------


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


class Job:
    """One sandboxed interpreter running `sandbox_child`, spoken to one line at a time.

    `job` is the harness's job (``role`` and its fields; see `sandbox_child`);
    limits and confinement are added here. `ask` sends a line and returns the
    next line the job writes; `receive` only reads. Both return None once the
    job can answer no more: it exited, overflowed a cap, or passed the
    wall-clock backstop (the reason is in `end()`'s `JobEnd`). A line longer
    than what is left of `result_bytes` counts as an overflow. Always call
    `end()`: it kills everything the job started and frees its temp dir.
    """

    def __init__(self, job: dict[str, Any], config: SandboxConfig = SandboxConfig(),
                 launcher: Launcher | None = None) -> None:
        self.launcher = launcher or probe(config)
        self.limits = config.limits
        self._start_time = time.monotonic()
        self._deadline = self._start_time + self.limits.wall_s
        self._results = bytearray()
        self._scanned = 0  # bytes of _results already searched for a newline
        self._pending = b""  # request bytes not yet written
        self._output = bytearray()
        self._output_total = self._results_total = 0
        self.timed_out = self.output_exceeded = self.results_exceeded = self.files_exceeded = False
        self._exited = self._over = self._ended = False
        self._workdir: str | None = None
        self._uid = self._lock = None
        self._fds: list[int] = []
        self._info_fd: int | None = None  # bubblewrap's --info-fd, read when the job ends
        self._end: JobEnd | None = None
        try:
            self._start(job, config)
        except BaseException:
            self._release()
            raise

    def _start(self, job: dict[str, Any], config: SandboxConfig) -> None:
        launcher = self.launcher
        if launcher.level != "bwrap":
            self._workdir = tempfile.mkdtemp(prefix="proact-job-")
            if launcher.run_as_root and launcher.level in ("landlock", "uid"):
                self._uid, self._lock = _SLOTS.acquire(config.fallback_uid_base)
                os.chown(self._workdir, self._uid, self._uid)  # the job's own tmpfs hides it; its own all the same
        # measured where nothing caps it: a non-root job's temp dir at the landlock level
        self._watch = self._workdir if launcher.level == "landlock" and self._uid is None else None
        self._next_poll = self._start_time + _FILE_POLL_S
        payload = {**job, "limits": self.limits.rlimits(),
                   "confine": launcher.confinement(self._workdir, self._uid, self.limits)}
        payload_fd = os.memfd_create("proact-job", os.MFD_CLOEXEC)
        results_r, results_w = os.pipe()
        requests_r, requests_w = os.pipe()
        output_r, output_w = os.pipe()
        self._fds = [results_r, requests_w, output_r]
        child_ends = [payload_fd, results_w, requests_r, output_w]
        self._info_fd = info_w = None
        if launcher.level == "bwrap":
            self._info_fd, info_w = os.pipe()
            self._fds.append(self._info_fd)
            child_ends.append(info_w)
        try:
            os.write(payload_fd, marshal.dumps((launcher.harness, payload)))
            os.lseek(payload_fd, 0, os.SEEK_SET)
            self._proc = subprocess.Popen(
                launcher.command(config, payload_fd, results_w, requests_r, info_w),
                stdin=subprocess.DEVNULL,
                stdout=output_w,
                stderr=output_w,
                pass_fds=tuple(fd for fd in (payload_fd, results_w, requests_r, info_w) if fd is not None),
                cwd=self._workdir or "/",
                env=minimal_env(self._workdir or "/tmp"),
                start_new_session=True,
            )
        finally:
            for fd in child_ends:
                os.close(fd)
        os.set_blocking(requests_w, False)
        self._results_fd, self._requests_fd, self._output_fd = results_r, requests_w, output_r
        self._pidfd = os.pidfd_open(self._proc.pid)
        self._fds.append(self._pidfd)
        self._selector = selectors.DefaultSelector()
        self._selector.register(results_r, selectors.EVENT_READ, "results")
        self._selector.register(output_r, selectors.EVENT_READ, "output")
        self._selector.register(self._pidfd, selectors.EVENT_READ, "exit")

    # -- talking ----------------------------------------------------------------

    def ask(self, line: bytes) -> bytes | None:
        """Send `line` (no newline in it) and return the job's next line; None if it can answer no more."""
        self.send(line)
        return self.receive()

    def send(self, line: bytes) -> None:
        if self._over:
            return
        self._pending += line + b"\n"
        self._selector.register(self._requests_fd, selectors.EVENT_WRITE, "requests")
        self._pump(lambda: not self._pending)

    def receive(self) -> bytes | None:
        """The next line the job writes, without its newline; None if no more can come."""
        self._pump(self._has_line)
        if not self._has_line():
            return None
        end = self._results.index(b"\n", self._scanned)
        line = bytes(self._results[:end])
        del self._results[: end + 1]
        self._scanned = 0
        return line

    def _has_line(self) -> bool:
        if b"\n" in self._results[self._scanned:]:
            return True
        self._scanned = len(self._results)
        return False

    def _pump(self, done: Callable[[], bool]) -> None:
        """Move bytes between the job and this process until `done()` or the job can go no further."""
        while not done() and not self._over:
            now = time.monotonic()
            if now >= self._deadline:
                self.timed_out = self._over = True
                break
            wait = self._deadline - now
            if self._watch is not None:
                if now >= self._next_poll:
                    self._poll_files()
                    continue
                wait = min(wait, self._next_poll - now)
            events = self._selector.select(0 if self._exited else wait)
            if not events and self._exited:
                self._over = True  # the job is gone and its pipes are drained (a leftover may hold them open)
            for key, _ in events:
                self._handle(key.data)

    def _handle(self, what: str) -> None:
        if what == "exit":
            self._exited = True
            self._selector.unregister(self._pidfd)
        elif what == "requests":
            try:
                written = os.write(self._requests_fd, self._pending[: 1 << 16])
            except BlockingIOError:
                return
            except OSError:  # the job closed its end: it takes no more requests
                self._over = True
                written = len(self._pending)
            self._pending = self._pending[written:]
            if not self._pending:
                self._selector.unregister(self._requests_fd)
        else:
            fd = self._results_fd if what == "results" else self._output_fd
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                self._selector.unregister(fd)
                if what == "results":
                    self._over = True
            elif what == "results":
                self._results += chunk
                self._results_total += len(chunk)
                self.results_exceeded = self._results_total > self.limits.result_bytes
                self._over = self._over or self.results_exceeded
            else:
                self._output_total += len(chunk)
                if len(self._output) < _KEEP_OUTPUT:
                    self._output += chunk[: _KEEP_OUTPUT - len(self._output)]
                self.output_exceeded = self._output_total > self.limits.output_bytes
                self._over = self._over or self.output_exceeded

    def _poll_files(self) -> None:
        self._next_poll = time.monotonic() + _FILE_POLL_S
        size, entries = _tree_usage(self._watch, _MAX_FILES)
        if size > self.limits.tmpfs_mb * _MiB or entries > _MAX_FILES:
            self.files_exceeded = self._over = True

    # -- ending -----------------------------------------------------------------

    def end(self, *, answered: bool = False) -> JobEnd:
        """Stop the job, kill everything it started, and say how it ended.

        A job that stopped answering may be on its way out (SIGXCPU?): it gets
        `_EXIT_GRACE_S` to exit by itself, so that its exit status and CPU time
        are its own rather than our SIGKILL's. One that `answered` everything
        asked is killed at once.
        """
        if self._end is not None:
            return self._end
        os.close(self._requests_fd)  # no more requests: the harness returns and the job exits
        self._fds.remove(self._requests_fd)
        caps = self.timed_out or self.output_exceeded or self.results_exceeded or self.files_exceeded
        ended_alone = not caps and (self._exited or (not answered and _exits_within(self._proc, _EXIT_GRACE_S)))
        if self.launcher.reaps and not ended_alone:
            try:
                self._proc.send_signal(signal.SIGTERM)  # the reaper kills the job and all it left, then exits
            except ProcessLookupError:
                pass
            _exits_within(self._proc, _REAPER_GRACE_S)
        if self._info_fd is not None:
            _kill_namespace(self._info_fd)
        usage = _kill_group(self._proc)
        self._release()
        self._end = JobEnd(
            output=bytes(self._output),
            timed_out=self.timed_out,
            output_exceeded=self.output_exceeded,
            results_exceeded=self.results_exceeded,
            files_exceeded=self.files_exceeded,
            returncode=self._proc.returncode,
            wall_s=time.monotonic() - self._start_time,
            isolation=self.launcher.level,
            cpu_exceeded=ended_alone and self._proc.returncode in _CPU_LIMIT_STATUSES,
            cpu_s=usage.ru_utime + usage.ru_stime if usage is not None and ended_alone else None,
        )
        return self._end

    def _release(self) -> None:
        if getattr(self, "_selector", None) is not None:
            self._selector.close()
            self._selector = None
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        if self._uid is not None:
            _kill_uid(self._uid)
            _SLOTS.release(self._lock)
            self._uid = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _tree_usage(path: str, max_entries: int) -> tuple[int, int]:
    """(bytes allocated, entries) under `path`, counting at most `max_entries` + 1 entries."""
    size = entries = 0
    pending = [path]
    while pending and entries <= max_entries:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        stat = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    size += stat.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
        except OSError:
            continue
    return size, entries


def _exits_within(proc: subprocess.Popen, seconds: float) -> bool:
    """Whether the job's process ends by itself within `seconds` (left unreaped for `_kill_group`)."""
    try:
        pidfd = os.pidfd_open(proc.pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([pidfd], [], [], seconds)[0])
    finally:
        os.close(pidfd)


def _kill_namespace(info_fd: int) -> None:
    """Kill the first process of a bwrap job's pid namespace, which takes every process in it along.

    bubblewrap's `--die-with-parent` does the same when we kill bubblewrap, but through the
    parent-death signal, which is known to race (bubblewrap issues 633 and 700): a daemon the job
    started could outlive it. The pid is read from bubblewrap's `--info-fd` JSON and opened as a
    pidfd, so a pid reused by now is never signalled; bubblewrap's own `bwrap` process name is checked.
    """
    os.set_blocking(info_fd, False)
    try:
        pid = int(json.loads(os.read(info_fd, 4096))["child-pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return  # bubblewrap never got as far as starting the namespace
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return  # already gone: the namespace went with it
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "bwrap":
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass
    finally:
        os.close(pidfd)


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
