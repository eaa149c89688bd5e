"""`ast.parse` for code the package reads (benchmark solutions, tests, generated programs): safe from any thread.

CPython 3.11's AST constructor keeps its recursion-depth counter in module
state shared by all threads, so two threads parsing at once can fail with
"SystemError: AST constructor recursion depth mismatch" (CPython gh-106905);
the grader parses in worker threads (`grade_many`). `warnings.catch_warnings`
swaps process-wide state too. One lock serialises both; parsing is cheap
beside running the code.

Benchmark code is full of invalid escape sequences ("\\w" in a normal string):
their warnings are the code's business, not the caller's, so they are silenced.
"""

from __future__ import annotations

import ast
import threading
import warnings

_LOCK = threading.Lock()


def parse_python(source: str) -> ast.Module:
    """`ast.parse(source)`, thread-safe and quiet; raises SyntaxError (ValueError for null bytes) as it does."""
    with _LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.11 reports invalid escapes this way
        return ast.parse(source)
