"""`proact play`: a person plays in the terminal (plain prompts on stdin, so it also runs from a script or tmux)."""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping, TextIO

from proact_env.human.session import AssistantMove
from proact_env.simulator.human import HumanReply, UserTurn, check_reply
from proact_env.types import Action

_KEYS = {"a": "answer", "r": "reject", "s": "silence", "o": "off_topic", "g": "give_up", "y": "accept",
         "c": "complain"}


class TerminalPerson:
    """Asks on `read` (default: input) and shows on `out`; re-asks until an answer is valid."""

    def __init__(self, read: Callable[[str], str] = input, out: TextIO | None = None) -> None:
        self.read = read
        self.out = out or sys.stdout

    def _say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _header(self, view: Mapping[str, Any]) -> None:
        self._say(f"\n=== episode {view['episode'] + 1}/{view['episodes']} (session {view['session_id']}) ===")
        self._say(f"request: {view['query']}")
        for turn in view["turns"][-1:]:
            self._say(f"last turn: {turn['action']} -> reply {turn['user_reply'] or '(no reply)'!r}; reward "
                      f"{turn['reward']:+.3f} (C_interrupt {turn['reward_terms']['c_interrupt']:.3f})"
                      + (f"; lost value {turn['solver']['lost_value']:.3f}" if turn.get("solver") else ""))

    def decide(self, view: Mapping[str, Any]) -> AssistantMove:
        self._header(view)
        self._say(view["prompt"])
        while True:
            answer = self.read("[c]larify or [e]xecute? ").strip().lower()
            if answer[:1] in ("c", "e"):
                break
            self._say("type c or e")
        action = Action.CLARIFY if answer[:1] == "c" else Action.EXECUTE
        self._say("your message (end with a line holding only '.'):")
        lines = []
        while (line := self.read("")) != ".":
            lines.append(line)
        return AssistantMove(action, "\n".join(lines))

    def react(self, view: Mapping[str, Any], turn: UserTurn) -> HumanReply:
        self._header(view)
        self._say("your brief (what you want but did not say):")
        for number, fact in enumerate(turn.hidden, start=1):
            self._say(f"  {number}. {fact.key}: {fact.answer}" + ("  (already said)" if fact.key in turn.revealed else ""))
        self._say(f"\nthe assistant ({turn.action.label}):\n{turn.assistant_msg}\n")
        if turn.score is not None:
            self._say(f"the checker scores it {turn.score:.2f}: {'it meets every requirement' if turn.success else 'it falls short'}")
        keys = {k: c for k, c in _KEYS.items() if c in turn.choices}
        menu = " ".join(f"[{k}]{c.replace('_', ' ')}" for k, c in keys.items())
        while True:
            choice = keys.get(self.read(f"{menu}? ").strip().lower()[:1])
            if choice is None:
                self._say(f"type one of {', '.join(keys)}")
                continue
            text = "" if choice == "silence" else self.read("your reply: ")
            revealed: tuple[str, ...] = ()
            if choice in ("answer", "complain") and turn.unrevealed:
                picked = self.read("numbers of the facts your reply gives (e.g. 1,3; empty for none): ")
                numbers = [int(n) for n in picked.replace(",", " ").split() if n.isdigit()]
                revealed = tuple(turn.hidden[n - 1].key for n in numbers if 1 <= n <= len(turn.hidden))
            too_long = self.read("was the message too long to read? [y/N] ").strip().lower().startswith("y")
            try:
                return check_reply(HumanReply(choice, text, revealed, too_long), turn)
            except ValueError as exc:
                self._say(f"{exc}; try again")

    def episode_over(self, view: Mapping[str, Any]) -> None:
        outcome = view["outcome"]
        how = "task completed" if outcome["success"] else "the user gave up" if outcome["gave_up"] else "turns ran out"
        self._say(f"--- episode over: {how} after {outcome['turns']} turns, return {outcome['return']:+.3f}")
