"""Reading what a sandboxed job wrote on its results channel.

The child (`sandbox_child`) encodes results as JSON lines of tagged plain data.
Everything here treats those bytes as hostile: values are rebuilt only as
builtin types (a subclass in the child arrives as its base type, so no
`__eq__` of the program's ever runs in the grader), every record is checked
for shape, and anything malformed is reported, never trusted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class WireError(ValueError):
    """A record or value on the results channel is malformed."""


class Unserialisable:
    """A result that was not plain data (an instance of the program's own class, a function...).

    It cannot be compared in the grader, so any test that compares it fails. Its
    truth value, computed in the sandbox (`truth`, None if that raised), serves
    tests like ``assert re_match(s)``: the program could as well have returned a bool.
    """

    __slots__ = ("type_name", "truth")

    def __init__(self, type_name: str, truth: bool | None = None) -> None:
        self.type_name = type_name
        self.truth = truth

    def __repr__(self) -> str:
        return f"<{self.type_name} object (not plain data)>"


class ConsumedIterator:
    """An iterator or generator the child consumed: it can be iterated again (by `list`, `sorted`...),
    and, as in Python, it equals nothing but itself."""

    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<iterator over {self.items!r}>"


@dataclass(frozen=True)
class ProbeResult:
    """One probe's value, or the exception it raised (`error` = (type name, message))."""

    value: Any = None
    error: tuple[str, str] | None = None


@dataclass
class ChannelRecords:
    """The results channel, parsed: per-test results, how the job ended, and anything suspicious."""

    results: dict[int, list[ProbeResult | bool]] = field(default_factory=dict)
    abort: tuple[str, str, str] | None = None  # (stage, exception type, message)
    done: bool = False
    tampered: set[int] = field(default_factory=set)
    malformed: int = 0


def _text(hex_text: Any) -> str:
    if not isinstance(hex_text, str):
        raise WireError(f"expected a hex string, got {type(hex_text).__name__}")
    try:
        return bytes.fromhex(hex_text).decode("utf-8", "surrogatepass")
    except ValueError as exc:
        raise WireError(f"bad hex text: {exc}") from None


def _items(node: Any) -> list:
    if not isinstance(node, list):
        raise WireError("expected a list of items")
    return [decode_value(item) for item in node]


def _pairs(node: Any) -> list[tuple]:
    if not isinstance(node, list) or not all(isinstance(p, list) and len(p) == 2 for p in node):
        raise WireError("expected a list of [key, value] pairs")
    return [(decode_value(k), decode_value(v)) for k, v in node]


def _float(hex_text: Any) -> float:
    if not isinstance(hex_text, str):
        raise WireError("expected a float in hex")
    return float.fromhex(hex_text)


def _int(hex_text: Any) -> int:
    if not isinstance(hex_text, str) or len(hex_text) > 1 << 20:
        raise WireError("expected an integer in hex")
    return int(hex_text, 16)


_DECODERS = {
    "i": (1, lambda a: _int(a[0])),
    "f": (1, lambda a: _float(a[0])),
    "c": (2, lambda a: complex(_float(a[0]), _float(a[1]))),
    "s": (1, lambda a: _text(a[0])),
    "b": (1, lambda a: bytes.fromhex(a[0])),
    "ba": (1, lambda a: bytearray.fromhex(a[0])),
    "l": (1, lambda a: _items(a[0])),
    "t": (1, lambda a: tuple(_items(a[0]))),
    "S": (1, lambda a: set(_items(a[0]))),
    "F": (1, lambda a: frozenset(_items(a[0]))),
    "d": (1, lambda a: dict(_pairs(a[0]))),
    "it": (1, lambda a: ConsumedIterator(_items(a[0]))),
    "dk": (1, lambda a: dict.fromkeys(_items(a[0])).keys()),
    "dv": (1, lambda a: dict(enumerate(_items(a[0]))).values()),
    "di": (1, lambda a: dict(_pairs(a[0])).items()),
    "r": (3, lambda a: range(*(decode_value(x) for x in a))),
    "x": (2, lambda a: Unserialisable(_text(a[0]), a[1] if a[1] in (True, False) else None)),
}


def decode_value(node: Any) -> Any:
    """Rebuild one value from its wire form as builtin types only; raise `WireError` if malformed."""
    if node is None or node is True or node is False:
        return node
    if not isinstance(node, list) or not node or not isinstance(node[0], str) or node[0] not in _DECODERS:
        raise WireError(f"unknown value encoding {str(node)[:80]!r}")
    arity, build = _DECODERS[node[0]]
    if len(node) != arity + 1:
        raise WireError(f"value tag {node[0]!r} expects {arity} field(s)")
    try:
        return build(node[1:])
    except (TypeError, ValueError, OverflowError) as exc:  # unhashable set items, bad hex, range of non-ints
        raise WireError(f"bad {node[0]!r} value: {exc}") from None


def _decode_result(node: Any) -> ProbeResult | bool:
    if node == ["p"]:
        return True
    if isinstance(node, list) and len(node) == 2 and node[0] == "v":
        return ProbeResult(value=decode_value(node[1]))
    if isinstance(node, list) and len(node) == 3 and node[0] == "e":
        return ProbeResult(error=(_text(node[1]), _text(node[2])))
    raise WireError("unknown result record")


def parse_records(raw: bytes, n_tests: int) -> ChannelRecords:
    """Parse the results channel of a job with `n_tests` tests.

    A test with more than one record is marked tampered (only the program can
    have written the extra one); lines after the end marker are ignored.
    """
    parsed = ChannelRecords()
    for line in raw.split(b"\n"):
        if not line or parsed.done:
            continue
        try:
            record = json.loads(line)
            _apply(record, parsed, n_tests)
        except (WireError, ValueError, RecursionError, TypeError):
            parsed.malformed += 1
    return parsed


def _apply(record: Any, parsed: ChannelRecords, n_tests: int) -> None:
    if record == ["z"]:
        parsed.done = True
    elif isinstance(record, list) and len(record) == 3 and record[0] == "t":
        index, results = record[1], record[2]
        if type(index) is not int or not 0 <= index < n_tests or not isinstance(results, list):
            raise WireError("bad test record")
        if index in parsed.results:
            parsed.tampered.add(index)
            return
        parsed.results[index] = [_decode_result(r) for r in results]
    elif isinstance(record, list) and len(record) == 3 and record[0] == "a" and parsed.abort is None:
        error = _decode_result(record[2])
        if not isinstance(error, ProbeResult) or error.error is None:
            raise WireError("bad abort record")
        parsed.abort = (_text(record[1]),) + error.error
    else:
        raise WireError("unknown record")
