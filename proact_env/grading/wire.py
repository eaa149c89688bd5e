"""What travels between the grader and a sandboxed job, in both directions.

From a job: JSON lines of tagged plain data (`sandbox_child` writes them).
Everything read here is hostile: values are rebuilt only as builtin types (a
subclass in the child arrives as its base type, so no `__eq__` of the
program's ever runs in the grader), every record is checked for shape, and
decoding is bounded in items (`Decoder.max_items`) and in work: a set or dict
whose items share one hash (60,000 ints that differ by multiples of 2**61 - 1
cost 110 s to put in a set) is refused before it is built (`check_hash_spread`).

To a job: values as Python literals (`value_source`), for the arguments of a
call that a test makes into the program and for the answers the test gets back.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

#: Items a job's answers may hold in all, decoded (the results channel is capped in bytes as well).
MAX_ITEMS = 1_000_000
_MAX_INT_HEX = 1 << 20  # hex digits of one int: 4 million bits
#: A set or dict may hold at most this many distinct items with one hash; more is an attack.
HASH_BUCKET_LIMIT = 8
_SMALL = 64  # collections this small are never checked: at most 64 * 64 comparisons
_HASH_MASK = (1 << 60) - 1  # masked hashes are ints whose own hash is themselves: counting them cannot collide
_MAX_LITERAL_DEPTH = 90  # Python's parser refuses 200 nested brackets; frozensets and calls take two


class WireError(ValueError):
    """A record or value on the results channel is malformed, too large, or built to stall the grader."""


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


def check_hash_spread(items: Iterable[Any], what: str = "a set") -> None:
    """Refuse to put `items` in a set or dict when too many distinct ones share a hash.

    A set probes the same slots for items of equal hash, so n such items cost
    n**2 / 2 comparisons: 20,000 ints spaced by 2**61 - 1 take 9 s, 60,000 take
    110 s, in whichever thread builds the set. Equal items (a list of zeros)
    are fine: each finds its twin at once. The check hashes every item once,
    in C for the common case; only buckets holding more than
    `HASH_BUCKET_LIMIT` items are looked at one by one.
    """
    items = items if isinstance(items, (list, tuple)) else list(items)
    if len(items) <= _SMALL:
        return
    try:
        hashes = [hash(item) & _HASH_MASK for item in items]
    except TypeError:
        return  # unhashable: building the set raises on its own
    counts = Counter(hashes)
    if max(counts.values()) <= HASH_BUCKET_LIMIT:
        return
    crowded = {h for h, n in counts.items() if n > HASH_BUCKET_LIMIT}
    distinct: dict[int, list] = {}
    for masked, item in zip(hashes, items):
        if masked in crowded:
            bucket = distinct.setdefault(masked, [])
            if not any(item == seen for seen in bucket):
                bucket.append(item)
                if len(bucket) > HASH_BUCKET_LIMIT:
                    raise WireError(f"more than {HASH_BUCKET_LIMIT} distinct items of {what} share one hash "
                                    "(built to make the grader stall)")


def _no_objects(pairs: list) -> Any:
    raise WireError("JSON objects are not part of the wire format")


def parse_line(line: bytes) -> Any:
    """One line of a job as JSON (arrays and scalars only); raises `WireError` if it is not."""
    try:
        return json.loads(line, object_pairs_hook=_no_objects)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError; so are 4,300-digit ints
        raise WireError(f"not a JSON record: {str(exc)[:80]}") from None


class Decoder:
    """Rebuilds values from their wire form as builtin types only, within an item budget shared by a job.

    Scalars inside a container are decoded in the container's loop, without a
    call each: a 16 MiB answer of small items is read in about a second.
    """

    def __init__(self, max_items: int = MAX_ITEMS) -> None:
        self.max_items = max_items
        self.items_left = max_items
        self._builders = {tag: getattr(self, "_" + tag) for tag in _FIELDS}

    def value(self, node: Any) -> Any:
        """One value; raises `WireError` if malformed, over budget or hash-flooded."""
        self._spend(1)
        return self._value(node)

    def _spend(self, items: int) -> None:
        self.items_left -= items
        if self.items_left < 0:
            raise WireError(f"the answers hold more than {self.max_items} items")

    def _value(self, node: Any) -> Any:
        if node is None or node is True or node is False:
            return node
        if type(node) is not list or not node or node[0] not in self._builders:
            raise WireError(f"unknown value encoding {str(node)[:80]!r}")
        tag = node[0]
        if len(node) != _FIELDS[tag] + 1:
            raise WireError(f"value tag {tag!r} expects {_FIELDS[tag]} field(s)")
        try:
            return self._builders[tag](*node[1:])
        except WireError:
            raise
        except (TypeError, ValueError, OverflowError) as exc:  # unhashable set items, bad hex, range of non-ints
            raise WireError(f"bad {tag!r} value: {exc}") from None
        except RecursionError:
            raise WireError("value nested too deeply") from None

    def answer(self, node: Any) -> ProbeResult:
        """The answer to one probe: ``["v", value]`` or ``["e", type, message]``."""
        if isinstance(node, list) and len(node) == 2 and node[0] == "v":
            return ProbeResult(value=self.value(node[1]))
        if isinstance(node, list) and len(node) == 3 and node[0] == "e":
            return ProbeResult(error=(decode_text(node[1]), decode_text(node[2])))
        raise WireError("not an answer record")

    def _items(self, node: Any) -> list:
        if type(node) is not list:
            raise WireError("expected a list of items")
        self._spend(len(node))
        items = []
        append = items.append
        for item in node:
            if type(item) is list and len(item) == 2:  # the common scalars, without a call each
                tag = item[0]
                if tag == "i" and type(item[1]) is str and len(item[1]) <= _MAX_INT_HEX:
                    append(int(item[1], 16))
                    continue
                if tag == "s" and type(item[1]) is str:
                    append(decode_text(item[1]))
                    continue
            append(self._value(item))
        return items

    def _pairs(self, node: Any) -> list[tuple]:
        if type(node) is not list or not all(type(p) is list and len(p) == 2 for p in node):
            raise WireError("expected a list of [key, value] pairs")
        keys = self._items([k for k, _ in node])
        pairs = list(zip(keys, self._items([v for _, v in node])))
        check_hash_spread(keys, "a dict's keys")
        return pairs

    def _hashed(self, node: Any) -> list:
        items = self._items(node)
        check_hash_spread(items)
        return items

    def _i(self, hex_text: Any) -> int:
        if not isinstance(hex_text, str) or len(hex_text) > _MAX_INT_HEX:
            raise WireError("expected an integer in hex")
        return int(hex_text, 16)

    def _f(self, hex_text: Any) -> float:
        if not isinstance(hex_text, str):
            raise WireError("expected a float in hex")
        return float.fromhex(hex_text)

    def _c(self, real: Any, imag: Any) -> complex:
        return complex(self._f(real), self._f(imag))

    def _s(self, hex_text: Any) -> str:
        return decode_text(hex_text)

    def _b(self, hex_text: Any) -> bytes:
        return bytes.fromhex(hex_text)

    def _ba(self, hex_text: Any) -> bytearray:
        return bytearray.fromhex(hex_text)

    def _l(self, node: Any) -> list:
        return self._items(node)

    def _t(self, node: Any) -> tuple:
        return tuple(self._items(node))

    def _S(self, node: Any) -> set:
        return set(self._hashed(node))

    def _F(self, node: Any) -> frozenset:
        return frozenset(self._hashed(node))

    def _d(self, node: Any) -> dict:
        return dict(self._pairs(node))

    def _it(self, node: Any) -> ConsumedIterator:
        return ConsumedIterator(self._items(node))

    def _dk(self, node: Any) -> Any:
        return dict.fromkeys(self._hashed(node)).keys()

    def _dv(self, node: Any) -> Any:
        return dict(enumerate(self._items(node))).values()

    def _di(self, node: Any) -> Any:
        return dict(self._pairs(node)).items()

    def _r(self, start: Any, stop: Any, step: Any) -> range:
        return range(self.value(start), self.value(stop), self.value(step))

    def _x(self, type_name: Any, truth: Any) -> Unserialisable:
        return Unserialisable(decode_text(type_name), truth if truth in (True, False) else None)


_FIELDS = {"i": 1, "f": 1, "c": 2, "s": 1, "b": 1, "ba": 1, "l": 1, "t": 1, "S": 1, "F": 1, "d": 1,
           "it": 1, "dk": 1, "dv": 1, "di": 1, "r": 3, "x": 2}


def decode_value(node: Any) -> Any:
    """Rebuild one value from its wire form as builtin types only; raise `WireError` if malformed."""
    return Decoder().value(node)


def decode_text(hex_text: Any) -> str:
    """A string of the wire format (hex-encoded UTF-8); raises `WireError` if it is not one."""
    if not isinstance(hex_text, str):
        raise WireError(f"expected a hex string, got {type(hex_text).__name__}")
    try:
        return bytes.fromhex(hex_text).decode("utf-8", "surrogatepass")
    except ValueError as exc:
        raise WireError(f"bad hex text: {exc}") from None


def value_source(value: Any, *, opaque: bool = False, depth: int = 0) -> str:
    """`value` as a Python expression that rebuilds it from builtins alone.

    Used to send a test's arguments to the program and the program's answers
    back to a test. An `Unserialisable` becomes ``_opaque(type name, truth)``
    when `opaque` (the tests' interpreter defines it); otherwise, and for any
    type that is not plain data, this raises `TypeError`: the program's own
    objects cannot be rebuilt anywhere else.
    """
    if depth > _MAX_LITERAL_DEPTH:
        raise TypeError("the value is nested too deeply to pass on")
    kind = type(value)
    inner = depth + 1
    if value is None or kind is bool or kind is str or kind is bytes:
        return repr(value)
    if kind is int:
        return repr(value) if value.bit_length() <= 64 else hex(value)  # no 4,300-digit limit on hex
    if kind is float:
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if kind is complex:
        return f"complex({value_source(value.real)}, {value_source(value.imag)})"
    if kind is bytearray:
        return f"bytearray({bytes(value)!r})"
    if kind is range:
        return f"range({value.start}, {value.stop}, {value.step})"
    if kind is list:
        return "[" + ", ".join(value_source(v, opaque=opaque, depth=inner) for v in value) + "]"
    if kind is tuple:
        items = [value_source(v, opaque=opaque, depth=inner) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if kind is set:
        return "{" + ", ".join(value_source(v, opaque=opaque, depth=inner) for v in value) + "}" if value else "set()"
    if kind is frozenset:
        return f"frozenset({value_source(list(value), opaque=opaque, depth=inner)})"
    if kind is dict:
        return "{" + ", ".join(f"{value_source(k, opaque=opaque, depth=inner)}: "
                               f"{value_source(v, opaque=opaque, depth=inner)}" for k, v in value.items()) + "}"
    if kind is ConsumedIterator:
        return f"iter({value_source(value.items, opaque=opaque, depth=inner)})"
    if kind.__name__ == "dict_keys":
        return f"dict.fromkeys({value_source(list(value), opaque=opaque, depth=inner)}).keys()"
    if kind.__name__ == "dict_values":
        return f"dict(enumerate({value_source(list(value), opaque=opaque, depth=inner)})).values()"
    if kind.__name__ == "dict_items":
        return f"{value_source(dict(value), opaque=opaque, depth=inner)}.items()"
    if kind is Unserialisable and opaque:
        return f"_opaque({value.type_name!r}, {value.truth!r})"
    raise TypeError(f"{value!r} is not plain data and cannot be passed on")
