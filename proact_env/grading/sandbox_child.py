"""The code that runs *inside* the sandbox, in a fresh interpreter, before and around the program.

This file is never imported by the package: `proact_env.grading.sandbox` reads its
text, compiles it and ships it to each new interpreter, which runs `main()`.
It therefore uses only modules built into the interpreter (no site-packages:
the sandbox runs ``python -s -S``).

Order of events in the child, and why:

1. Lower the resource limits (memory, CPU, file size, open files, processes):
   nothing the program does later can raise them again.
2. Read the job from the payload fd and close it; apply Landlock when the
   sandbox level asks for it (the bubblewrap level does not need it).
3. Compile and run the program, then the test setup code (setup comes after
   the solution: MBPP tasks 367 and 927 need that order).
4. For every test, evaluate its *probes* (the calls into the program; the
   expected values never come here) and write each result, encoded as plain
   data, as one JSON line on the results fd. Tests that could not be split
   run whole here and report pass/fail; the parent marks those as in-sandbox.

The program runs in this very process and can tamper with anything here. That
is acceptable by design: the child never holds an expected value, so whatever
it writes on the results fd is just another answer, which the parent compares
with values the child never saw. Tampering can only lose points (a test with
two records is marked as tampered and fails).

Wire format (one JSON value per line, every string hex-encoded UTF-8 so the
encoder needs no json module):
  ["t", i, [r, ...]]   results of test i: r = ["v", value] | ["e", type, message]
                       or, for an in-sandbox test, ["p"] (passed) | ["e", ...]
  ["a", stage, ["e", type, message]]   aborted before the tests (program or setup raised)
  ["z"]                all tests done
Values: null/true/false, ["i", hex], ["f", float.hex], ["c", re, im], ["s", hex],
["b", hex], ["ba", hex], ["l"|"t"|"S"|"F"|"it"|"dk"|"dv", [...]], ["d"|"di", [[k, v], ...]],
["r", start, stop, step], ["x", type, truth value] (not plain data).
"""

MAX_DEPTH = 100
MAX_ITEMS = 1000000  # items read from a returned iterator (it may never end)
MESSAGE_CHARS = 2000


def _hex(text):
    return text.encode("utf-8", "surrogatepass").hex()


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


def _landlock(readable, writable):
    """Restrict this process (and what it starts) to reading `readable` and writing `writable`.

    Network (TCP bind/connect, ABI >= 4) and signals/abstract sockets outside
    the sandbox (ABI >= 6) are denied too. Raises if Landlock is unavailable:
    the parent only asks for it after probing that it works.
    """
    import ctypes
    import os

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
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
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    read_rights = 1 | 4 | 8  # execute, read file, read dir
    for paths, rights in ((readable, read_rights), (writable, fs_rights)):
        for path in paths:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            allowed = rights if os.path.isdir(path) else rights & file_rights
            rule = PathBeneath(allowed, fd)
            if libc.syscall(445, ruleset, 1, ctypes.byref(rule), 0) < 0:
                raise OSError(ctypes.get_errno(), "landlock_add_rule failed for %s" % path)
            os.close(fd)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(446, ruleset, 0) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)


def main(job, results_fd):
    import builtins
    import os
    import sys

    limits, landlock, program, setup, tests = job
    _set_limits(limits)
    if landlock is not None:
        _landlock(*landlock)

    def emit(line):
        data = (line + "\n").encode()
        while data:
            data = data[os.write(results_fd, data):]

    namespace = {"__name__": "__solution__", "__builtins__": builtins}
    for stage, source in (("program", program), ("setup", setup)):
        if not source:
            continue
        try:
            exec(compile(source, "<%s>" % stage, "exec"), namespace)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the program chose to stop
            emit('["a","%s",%s]' % (_hex(stage), _error(exc)))
            return
    if "random" in sys.modules:  # tests that draw random inputs see the same ones on every run
        sys.modules["random"].seed(0)
    for index, (kind, sources) in enumerate(tests):
        results = []
        if kind == "probes":
            for source in sources:
                try:
                    results.append('["v",%s]' % _encode(eval(compile(source, "<test>", "eval"), namespace)))
                except BaseException as exc:
                    results.append(_error(exc))
        else:
            try:
                exec(compile(sources[0], "<test>", "exec"), namespace)
                results.append('["p"]')
            except BaseException as exc:
                results.append(_error(exc))
        emit('["t",%d,[%s]]' % (index, ",".join(results)))
    emit('["z"]')
