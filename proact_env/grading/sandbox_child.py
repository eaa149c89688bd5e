"""The code that runs *inside* the sandbox, in a fresh interpreter, before and around the program.

This file is never imported by the package: `proact_env.grading.sandbox` reads its
text, compiles it and ships it to each new interpreter, which runs `main()`.
It therefore uses only modules built into the interpreter (no site-packages:
the sandbox runs ``python -s -S``).

A job has one of two roles.

``program``: the interpreter that runs the untrusted program. In order, and why:

1. Confine the process (`_confine`): below the bubblewrap level, a reaper
   that outlives the job's daemons (non-root), a private mount namespace with
   a size-capped /tmp and a uid of the job's own (root), then resource limits,
   Landlock and a seccomp filter. Nothing the program does later can undo them.
2. Run the program, then the test setup code (setup comes after the
   solution: MBPP tasks 367 and 927 need that order), then say it is ready.
3. Answer *probes* (calls into the program, never an expected value), one at
   a time: the grader sends the next one only after the previous answer
   arrived. No probe is in this process before it is asked, so a program that
   walks the frames (`sys._getframe`, `gc`) at load time finds none, and
   whatever it writes on the results fd is only another answer, compared by the
   grader with values this process never held. Nothing here reports a verdict.

``tests``: an interpreter that runs, apart from the program, the tests that
cannot be split into probes (loops, random inputs, statement blocks, expected
values the setup code computes). Each name the program defines is a proxy
here: calling it sends the call, with its arguments as plain data, through
the grader to the program's interpreter, and returns the answer rebuilt as
plain data. No code of the program ever runs in this process, so its verdicts
(``["t", i, ...]``) can be trusted.

Wire format: every line the parent reads is one JSON value; strings are
hex-encoded UTF-8 so that the encoder needs no json module:
  ["r"]                              ready: the program and setup ran (or the test setup ran)
  ["a", stage, ["e", type, message]] aborted before any probe (program or setup raised)
  ["v", value] | ["e", type, message]   the answer to the last probe
  ["c", name, [args], {kwargs}]      (tests role) a call into the program
  ["t", i, ["p"] | ["e", type, message]]   (tests role) the verdict of test i
Values: null/true/false, ["i", hex], ["f", float.hex], ["c", re, im], ["s", hex],
["b", hex], ["ba", hex], ["l"|"t"|"S"|"F"|"it"|"dk"|"dv", [...]], ["d"|"di", [[k, v], ...]],
["r", start, stop, step], ["x", type, truth value] (not plain data).
The parent writes one line per request: the hex of a probe's source
(program role); ``run <i>``, or the answer to a call as ``v <hex of a Python
literal>`` / ``e <hex type> <hex message>`` (tests role).
"""

MAX_DEPTH = 100
MAX_ITEMS = 1000000  # items read from a returned iterator (it may never end)
MESSAGE_CHARS = 2000


def _hex(text):
    return text.encode("utf-8", "surrogatepass").hex()


def _text(hex_text):
    return bytes.fromhex(hex_text).decode("utf-8", "surrogatepass")


def _encode(value, depth=0):
    """Plain data as the parent can rebuild it; anything else becomes ["x", type name, truth value]."""
    if depth > MAX_DEPTH:
        raise ValueError("result nested deeper than %d levels" % MAX_DEPTH)
    kind = type(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return '["i","%x"]' % value
    if kind is float:
        return '["f","%s"]' % value.hex()
    if kind is str:
        return '["s","%s"]' % _hex(value)
    if kind is list or kind is tuple:
        return '["%s",[%s]]' % ("l" if kind is list else "t", ",".join([_encode(v, depth + 1) for v in value]))
    if kind is dict:
        return '["d",[%s]]' % ",".join(["[%s,%s]" % (_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in value.items()])
    if kind is set or kind is frozenset:
        return '["%s",[%s]]' % ("S" if kind is set else "F", ",".join([_encode(v, depth + 1) for v in value]))
    if kind is complex:
        return '["c","%s","%s"]' % (value.real.hex(), value.imag.hex())
    if kind is bytes:
        return '["b","%s"]' % value.hex()
    if kind is bytearray:
        return '["ba","%s"]' % bytes(value).hex()
    if kind is range:
        return '["r",%s,%s,%s]' % (_encode(value.start), _encode(value.stop), _encode(value.step))
    return _encode_other(value, depth)


def _encode_other(value, depth):
    """Subclasses of plain types travel as their base type; iterators and dict views as their items."""
    for base in (int, float, str, complex, bytes):
        if isinstance(value, base):
            return _encode(base(value) if base is not int else int.__index__(value), depth)
    for base in (list, tuple, set, frozenset):
        if isinstance(value, base):
            return _encode(base(base.__iter__(value)), depth)
    if isinstance(value, dict):
        return _encode(dict(dict.items(value)), depth)
    name = type(value).__name__
    if name in ("dict_keys", "dict_values", "dict_items"):
        tag = {"dict_keys": "dk", "dict_values": "dv", "dict_items": "di"}[name]
        items = list(value)
        if tag == "di":
            return '["di",[%s]]' % ",".join(["[%s,%s]" % (_encode(k, depth + 1), _encode(v, depth + 1)) for k, v in items])
        return '["%s",[%s]]' % (tag, ",".join([_encode(v, depth + 1) for v in items]))
    if hasattr(type(value), "__next__") and hasattr(type(value), "__iter__"):
        items = []
        for item in value:
            if len(items) == MAX_ITEMS:
                raise ValueError("the returned iterator yields more than %d items" % MAX_ITEMS)
            items.append(_encode(item, depth + 1))
        return '["it",[%s]]' % ",".join(items)
    try:
        truth = "true" if value else "false"
    except BaseException:
        truth = "null"
    return '["x","%s",%s]' % (_hex(name[:200]), truth)


def _error(exc):
    try:
        message = str(exc)[:MESSAGE_CHARS]
    except BaseException:
        message = "(unprintable message)"
    return '["e","%s","%s"]' % (_hex(type(exc).__name__[:200]), _hex(message))


# -- Confinement -------------------------------------------------------------------


def _libc():
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result, what):
    import ctypes
    import os

    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, "%s failed: %s" % (what, os.strerror(errno)))


def _set_limits(limits):
    import resource

    memory, cpu, file_size, open_files, processes = limits
    for name, value in (
        ("RLIMIT_AS", memory),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_FSIZE", file_size),
        ("RLIMIT_NOFILE", open_files),
        ("RLIMIT_NPROC", processes),
        ("RLIMIT_CORE", 0),
    ):
        # CPU: SIGXCPU at the limit (a clear exit status), SIGKILL a second later for a program that ignores it
        resource.setrlimit(getattr(resource, name), (value, value + 1 if name == "RLIMIT_CPU" else value))


def _private_tmp(workdir, size, uid):
    """As root: a mount namespace of this job's own whose /tmp (and /dev/shm, /var/tmp) is one tmpfs of `size` bytes.

    The working directory `workdir` (under /tmp) is recreated inside it, owned
    by `uid`. Everything the job writes there is capped by the kernel and
    disappears with the namespace; nothing propagates to the host's mounts.
    """
    import os

    libc = _libc()
    _check(libc.unshare(0x00020000 | 0x08000000), "unshare(CLONE_NEWNS | CLONE_NEWIPC)")  # mounts, SysV IPC
    _check(libc.mount(None, b"/", None, 16384 | (1 << 18), None), "making / private")  # MS_REC | MS_PRIVATE
    options = ("size=%d,mode=1777" % size).encode()
    _check(libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 2 | 4, options), "mounting a tmpfs on /tmp")  # nosuid, nodev
    os.makedirs(workdir, mode=0o700)
    os.chown(workdir, uid, uid)
    for shared in ("/dev/shm", "/var/tmp"):
        if os.path.isdir(shared):
            inner = "/tmp/.%s" % shared.strip("/").replace("/", "-")
            os.mkdir(inner, 0o1777)
            os.chmod(inner, 0o1777)
            _check(libc.mount(inner.encode(), shared.encode(), None, 4096, None), "binding %s" % shared)  # MS_BIND
    os.chdir(workdir)


def _drop_privileges(uid):
    import os

    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def _landlock(readable, writable):
    """Restrict this process (and what it starts) to reading `readable` and writing `writable`.

    Network (TCP bind/connect, ABI >= 4) and signals/abstract sockets outside
    the sandbox (ABI >= 6) are denied too. Raises if Landlock is unavailable:
    the parent only asks for it after probing that it works.
    """
    import ctypes
    import os

    libc = _libc()
    abi = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    if abi < 1:
        raise OSError(ctypes.get_errno(), "Landlock is not available")
    fs_rights = (1 << 13) - 1
    for version, right in ((2, 1 << 13), (3, 1 << 14), (5, 1 << 15)):
        if abi >= version:
            fs_rights |= right
    file_rights = 1 | 2 | 4 | ((1 << 14) if abi >= 3 else 0)  # execute, write, read, truncate

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = RulesetAttr(fs_rights, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc.syscall(444, ctypes.byref(attr), size, 0)
    _check(ruleset, "landlock_create_ruleset")
    read_rights = 1 | 4 | 8  # execute, read file, read dir
    for paths, rights in ((readable, read_rights), (writable, fs_rights)):
        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            allowed = rights if os.path.isdir(path) else rights & file_rights
            rule = PathBeneath(allowed, fd)
            _check(libc.syscall(445, ruleset, 1, ctypes.byref(rule), 0), "landlock_add_rule for %s" % path)
            os.close(fd)
    _check(libc.prctl(38, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(libc.syscall(446, ruleset, 0), "landlock_restrict_self")
    os.close(ruleset)


# Syscalls the seccomp filter refuses, by architecture: (audit arch, {name: number}).
_SYSCALLS = {
    "x86_64": (0xC000003E, {"socket": 41, "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
                            "add_key": 248, "request_key": 249, "keyctl": 250, "prlimit64": 302,
                            "setpriority": 141, "sched_setparam": 142, "sched_setscheduler": 144,
                            "sched_setaffinity": 203, "sched_setattr": 314, "ioprio_set": 251,
                            "kill": 62, "tkill": 200, "tgkill": 234}),
    "aarch64": (0xC00000B7, {"socket": 198, "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180,
                             "add_key": 217, "request_key": 218, "keyctl": 219, "prlimit64": 261,
                             "setpriority": 140, "sched_setparam": 118, "sched_setscheduler": 119,
                             "sched_setaffinity": 122, "sched_setattr": 274, "ioprio_set": 30,
                             "kill": 129, "tkill": 130, "tgkill": 131}),
}
# Refused outright: sockets of any family (UDP, unix and netlink reach outside; socketpair stays
# allowed), SysV IPC, POSIX message queues and kernel keys (they outlive the job).
_DENIED = ("socket", "shmget", "semget", "msgget", "mq_open", "add_key", "request_key", "keyctl")
# Allowed only when aimed at this process ((argument, value) pairs that must all hold): limits,
# priority and CPU placement of the grader or of anything else of the same user are refused.
_SELF_ONLY = {
    "prlimit64": ((0, 0),), "sched_setparam": ((0, 0),), "sched_setscheduler": ((0, 0),),
    "sched_setaffinity": ((0, 0),), "sched_setattr": ((0, 0),),
    "setpriority": ((0, 0), (1, 0)),  # PRIO_PROCESS, this process (PRIO_USER 0 would be the whole user)
    "ioprio_set": ((0, 1), (1, 0)),  # IOPRIO_WHO_PROCESS, this process
}
# Refused with pid -1: a signal to every process the job may signal.
_NOT_BROADCAST = ("kill", "tkill", "tgkill")


def _seccomp(machine):
    """A seccomp filter that refuses what reaches past the job without touching files (see `_DENIED`).

    Syscalls of another ABI on this machine (i386 or x32 on x86_64) are refused
    wholesale, since their numbers differ. Raises KeyError on an unknown
    architecture (the parent only asks for it where `_SYSCALLS` knows it).
    """
    import ctypes

    arch, numbers = _SYSCALLS[machine]
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, ..JGE.., BPF_RET|BPF_K
    code = [(load, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny), (load, 0, 0, 0)]
    if machine == "x86_64":
        code += [(jge, 0, 1, 0x40000000), (ret, 0, 0, deny)]
    for name in _DENIED:
        code += [(jeq, 0, 1, numbers[name]), (ret, 0, 0, deny)]
    for name, conditions in sorted(_SELF_ONLY.items()):
        # nr == N ? (each condition: load the argument's low word; != value ? deny) ; allow : next
        code.append((jeq, 0, 2 * len(conditions) + 2, numbers[name]))
        for position, (arg, value) in enumerate(conditions):
            code += [(load, 0, 0, 16 + 8 * arg), (jeq, 0, 2 * (len(conditions) - 1 - position) + 1, value)]
        code += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    for name in _NOT_BROADCAST:
        code += [(jeq, 0, 4, numbers[name]), (load, 0, 0, 16), (jeq, 0, 1, 0xFFFFFFFF), (ret, 0, 0, deny),
                 (ret, 0, 0, allow)]
    code.append((ret, 0, 0, allow))

    class Instruction(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]

    instructions = (Instruction * len(code))(*[Instruction(*i) for i in code])
    program = Program(len(code), instructions)
    libc = _libc()
    _check(libc.prctl(38, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    _check(libc.prctl(22, 2, ctypes.byref(program), 0, 0), "prctl(PR_SET_SECCOMP)")  # SECCOMP_MODE_FILTER


def _children_of(pid):
    import os

    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, "rb") as stat:
                    if int(stat.read().rsplit(b")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


class _Stop(Exception):
    pass


def _become_reaper(job_fds):
    """Fork; the child returns and becomes the job. This process stays behind, runs nothing of the
    program, and when the job ends (or the grader sends SIGTERM) kills every process the job left.

    It is a child subreaper: a daemon that leaves its parent is re-parented here,
    not to init, so no fork chain or double fork gets away. It then exits with
    the job's status, as bubblewrap would (128 + signal for a killed job).
    """
    import os
    import signal
    import time

    _check(_libc().prctl(36, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")
    child = os.fork()
    if child == 0:
        return
    for fd in job_fds:
        os.close(fd)

    def stop(*_):
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    status = None
    try:
        status = os.waitpid(child, 0)[1]
    except _Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    me = os.getpid()
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break  # no child left: every descendant is gone, since orphans come here
        if pid == child:
            status = code
        if pid == 0:
            for leftover in _children_of(me):
                try:
                    os.kill(leftover, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.001)
    code = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    os._exit(code if code >= 0 else 128 - code)


def _confine(confine, limits, fds):
    """Apply every restriction the parent asked for, strongest last; see the module docstring."""
    import os

    if confine.get("reaper"):
        _become_reaper(fds)
    if confine.get("private_tmp"):
        _private_tmp(*confine["private_tmp"])
    if confine.get("uid") is not None:
        _drop_privileges(confine["uid"])
    _set_limits(limits)
    if confine.get("landlock"):
        _landlock(*confine["landlock"])
    if confine.get("seccomp"):
        _seccomp(os.uname().machine)


# -- Serving ------------------------------------------------------------------------


def _lines(fd):
    """Each line the parent writes on `fd`, until it closes it."""
    import os

    pending = b""
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, _, pending = pending.partition(b"\n")
            yield line


def _run_stages(stages, namespace, emit):
    """Run each (stage, source) in `namespace`; on an exception report it and return False."""
    import sys

    for stage, source in stages:
        if not source:
            continue
        try:
            exec(compile(source, "<%s>" % stage, "exec"), namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the code chose to stop
            emit('["a","%s",%s]' % (_hex(stage), _error(exc)))
            return False
    if "random" in sys.modules:  # tests that draw random inputs see the same ones on every run
        sys.modules["random"].seed(0)
    emit('["r"]')
    return True


def _serve_program(job, emit, requests):
    import builtins

    namespace = {"__name__": "__solution__", "__builtins__": builtins}
    if not _run_stages((("program", job["program"]), ("setup", job["setup"])), namespace, emit):
        return
    for line in requests:
        try:
            answer = '["v",%s]' % _encode(eval(compile(_text(line.decode()), "<test>", "eval"), namespace))
        except BaseException as exc:
            answer = _error(exc)
        emit(answer)


class _Opaque:
    """A value of the program's own type: it equals only itself, and its truth value came from the program."""

    __slots__ = ("type_name", "truth")

    def __init__(self, type_name, truth):
        self.type_name, self.truth = type_name, truth

    def __bool__(self):
        if self.truth is None:
            raise TypeError("the truth value of this %s object raised in the program" % self.type_name)
        return self.truth

    def __repr__(self):
        return "<%s object (not plain data)>" % self.type_name


def _program_error(type_name, message):
    """The exception a call into the program raised, as a builtin exception class where one has that name."""
    import builtins

    kind = getattr(builtins, type_name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = RuntimeError
        message = "%s: %s" % (type_name, message)
    try:
        return kind(message)
    except BaseException:
        return RuntimeError("%s: %s" % (type_name, message))


def _serve_tests(job, emit, requests):
    import builtins

    literals = {"__builtins__": builtins, "_opaque": _Opaque}

    def call(name, args, kwargs):
        emit('["c","%s",%s,%s]' % (_hex(name), _encode(list(args)), _encode(kwargs)))
        reply = next(requests, None)
        if reply is None:
            raise SystemExit("the grader stopped the tests")
        kind, _, rest = reply.decode().partition(" ")
        if kind == "v":
            return eval(_text(rest), literals)
        type_name, _, message = rest.partition(" ")
        raise _program_error(_text(type_name), _text(message))

    class Remote:
        """A name the program defines: calling it calls the program's own, in its interpreter."""

        __slots__ = ("name",)

        def __init__(self, name):
            self.name = name

        def __call__(self, *args, **kwargs):
            return call(self.name, args, kwargs)

        def __repr__(self):
            return "<the program's %s>" % self.name

    namespace = {"__name__": "__tests__", "__builtins__": builtins}
    namespace.update({name: Remote(name) for name in job["remote"]})
    if not _run_stages((("test setup", job["setup"]),), namespace, emit):
        return
    for line in requests:
        index = int(line.decode().split()[1])
        try:
            exec(compile(job["tests"][index], "<test>", "exec"), namespace)
            verdict = '["p"]'
        except BaseException as exc:
            verdict = _error(exc)
        emit('["t",%d,%s]' % (index, verdict))


def main(job, results_fd, requests_fd):
    import os

    _confine(job["confine"], job["limits"], (results_fd, requests_fd))

    def emit(line):
        data = (line + "\n").encode()
        while data:
            data = data[os.write(results_fd, data):]

    serve = _serve_program if job["role"] == "program" else _serve_tests
    serve(job, emit, _lines(requests_fd))
