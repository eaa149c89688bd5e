"""One style for every `proact` flag, applied in one place so that a new sub-command gets it for free.

- Every long flag answers to its snake_case and its kebab-case spelling: the
  seed's ``--n_states`` and ``--n-states``, ``--no-progress`` and ``--no_progress``.
  The negative flag of a `BooleanOptionalAction` keeps its ``--no-`` dash (argparse
  recognises it by that prefix): ``--no-precompute-ref-log-probs``.
- ``--out`` and ``--output`` name the same flag wherever a command writes something.
- Every flag's help shows its default; a flag whose default is None must say in its
  help what happens without it (`tests/test_cli_conventions.py` checks both).

The spellings are added when a parser first parses or prints its help, so flags
registered by any module (or argument group) are covered without calling anything.
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

EPILOG = ("Every flag takes its snake_case or kebab-case spelling (--n_states or --n-states); "
          "--out and --output are the same flag.")

#: spellings that name one flag wherever either is registered
SYNONYMS: tuple[frozenset[str], ...] = (frozenset({"--out", "--output"}),)


def spellings(option: str, negation: bool = False) -> list[str]:
    """The other spellings `option` answers to (its snake/kebab twin and synonyms).

    With `negation` (the options of a `BooleanOptionalAction`), a leading ``--no-``
    keeps its dash: argparse tells the negative flag by that prefix.
    """
    if not option.startswith("--") or len(option) <= 3:
        return []
    negative = negation and option.startswith("--no-")
    prefix, name = ("--no-", option[5:]) if negative else ("--", option[2:])
    found = {prefix + name.replace("_", "-"), prefix + name.replace("-", "_")}
    for group in SYNONYMS:
        if option in group:
            found |= group
    found.discard(option)
    return sorted(found)


class HelpFormatter(argparse.HelpFormatter):
    """Shows every default, and a flag's spellings once: ``--n_states, --n-states N_STATES``."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        args = self._format_args(action, self._get_default_metavar_for_optional(action))
        return f"{', '.join(action.option_strings)} {args}"

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if not action.option_strings or "default" in text.lower() or action.default is argparse.SUPPRESS:
            return text
        if action.required:
            return f"{text} (required)"
        if action.nargs == 0 and isinstance(action.default, bool):
            return f"{text} (default: {'on' if action.default else 'off'})"
        if action.default is None:
            return text
        return f"{text} (default: %(default)s)"


class ArgumentParser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` with the conventions above; sub-command parsers inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("epilog", EPILOG)
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None):
        self.add_spellings()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self.add_spellings()
        return super().format_help()

    def format_usage(self) -> str:
        self.add_spellings()
        return super().format_usage()

    def add_spellings(self) -> None:
        """Register each flag's other spellings; one that another flag already uses is left to it."""
        for action in self._actions:
            negation = isinstance(action, argparse.BooleanOptionalAction)
            for option in list(action.option_strings):
                for other in spellings(option, negation):
                    if other not in self._option_string_actions:
                        action.option_strings.append(other)
                        self._option_string_actions[other] = action
