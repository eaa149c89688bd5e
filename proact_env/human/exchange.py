"""A web page plays through the same episode loop as the terminal: the loop runs on its own thread and waits here.

`SessionRunner` asks its `Person` and blocks until the answer comes (a person playing
the user is asked from inside `env.step`, through `HumanSimulator`). For a web page,
`WebPerson` posts each question as a *prompt* and waits on a condition variable; an
HTTP request reads the prompt, and the next request hands the person's answer back
and waits for the following prompt. The env never learns that a browser is involved,
and `env.step` needs no second half.
"""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable, Mapping

from proact_env.human.log import SessionLog
from proact_env.human.session import AssistantMove, SessionConfig, SessionRunner
from proact_env.simulator.human import HumanReply, UserTurn, check_reply
from proact_env.types import Action


class SessionClosed(Exception):
    """The page closed the session while its loop waited for the person."""


class Exchange:
    """One prompt at a time from the episode thread, one answer at a time back."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._prompt: dict[str, Any] = {"kind": "starting"}
        self._version = 0
        self._answer: Any = None
        self._closed = False

    # the episode thread
    def ask(self, prompt: dict[str, Any]) -> Any:
        with self._cond:
            self._publish(prompt)
            while self._answer is None and not self._closed:
                self._cond.wait()
            if self._closed:
                raise SessionClosed()
            answer, self._answer = self._answer, None
            return answer

    def post(self, prompt: dict[str, Any]) -> None:
        """A prompt that needs no answer (the session finished or failed)."""
        with self._cond:
            self._publish(prompt)

    def _publish(self, prompt: dict[str, Any]) -> None:
        self._prompt = prompt
        self._version += 1
        self._cond.notify_all()

    # the web requests
    def current(self) -> dict[str, Any]:
        with self._cond:
            return self._prompt

    def wait_for_prompt(self, timeout: float) -> dict[str, Any]:
        """The current prompt once the thread has posted a real one (not 'starting')."""
        with self._cond:
            self._cond.wait_for(lambda: self._prompt["kind"] != "starting", timeout=timeout)
            return self._prompt

    def answer(self, expected_kind: str, make: Callable[[Mapping[str, Any]], Any], timeout: float) -> dict[str, Any]:
        """Validate and hand over an answer to the current prompt, then wait for the next prompt."""
        with self._cond:
            prompt = self._prompt
            if prompt["kind"] != expected_kind:
                raise ValueError(f"the session is not waiting for that (it waits for: {prompt['kind']})")
            self._answer = make(prompt)
            version = self._version
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._version > version, timeout=timeout)
            return self._prompt

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class WebPerson:
    """The `Person` behind a web page: every question becomes a prompt the page shows."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def decide(self, view: Mapping[str, Any]) -> AssistantMove:
        return self.exchange.ask({"kind": "assistant", **view})

    def react(self, view: Mapping[str, Any], turn: UserTurn) -> HumanReply:
        return self.exchange.ask({"kind": "user", **view, "_turn": turn})

    def episode_over(self, view: Mapping[str, Any]) -> None:
        self.exchange.ask({"kind": "episode_over", **view})


class WebSession:
    """A participant's session served to a page: the loop on a daemon thread, the page's answers through `Exchange`."""

    def __init__(self, config: SessionConfig, log: SessionLog, backbone_factory: Callable[[], Any] | None = None) -> None:
        self.config = config
        self.exchange = Exchange()
        self.runner = SessionRunner(config, log, WebPerson(self.exchange), backbone_factory=backbone_factory)
        self.thread = threading.Thread(target=self._run, name=f"session-{config.session_id}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            outcomes = self.runner.run()
            self.exchange.post({"kind": "finished", "session_id": self.config.session_id, "played": outcomes,
                                "episodes": self.config.episodes})
        except SessionClosed:
            pass
        except Exception as exc:  # shown on the page: the loop cannot go on
            traceback.print_exc()
            self.exchange.post({"kind": "error", "error": f"{type(exc).__name__}: {exc}"})

    def state(self, timeout: float = 30.0) -> dict[str, Any]:
        return public(self.exchange.wait_for_prompt(timeout))

    def move(self, payload: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        def make(prompt: Mapping[str, Any]) -> AssistantMove:
            try:
                action = Action.parse(payload.get("action"))
            except ValueError:
                raise ValueError("choose Clarify or Execute") from None
            text = str(payload.get("text") or "")
            if not text.strip():
                raise ValueError("write the message: your question(s) or your solution")
            return AssistantMove(action, text)

        return public(self.exchange.answer("assistant", make, timeout))

    def reply(self, payload: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        def make(prompt: Mapping[str, Any]) -> HumanReply:
            reply = HumanReply.from_dict(payload)
            check_reply(reply, prompt["_turn"])  # refused here, before the env's step sees it
            return reply

        return public(self.exchange.answer("user", make, timeout))

    def next_episode(self, timeout: float) -> dict[str, Any]:
        return public(self.exchange.answer("episode_over", lambda prompt: True, timeout))

    def close(self) -> None:
        self.exchange.close()


def public(prompt: Mapping[str, Any]) -> dict[str, Any]:
    """The prompt as the page gets it (JSON: no Python objects)."""
    return {k: v for k, v in prompt.items() if not k.startswith("_")}
