"""The scripted offline backbone: no model, no network; each domain's reference assistant writes.

`ScriptedBackbone` dispatches a request to the scripted writer of the task's
domain (`SCRIPTED_WRITERS`), so one env can play tasks of several domains (a
states file may mix coding, planning and plain seed states). The helpers below
are shared by every domain's writer.
"""

from __future__ import annotations

from typing import Any, Callable

from proact_env.importing import resolve
from proact_env.types import MessageRequest, ReferenceWriter, Task


def check_questions_per_turn(value: int) -> None:
    """Scripted writers ask one or two questions per Clarify, as the prompts ask LLMs to."""
    if value not in (1, 2):
        raise ValueError(f"questions_per_turn must be 1 or 2, got {value!r}")


def payload_for(writer: object, task: Task, kind: type) -> Any:
    """The task's payload, if it is the kind this scripted writer knows how to write for."""
    payload = task.payload
    if not isinstance(payload, kind):
        raise TypeError(
            f"{type(writer).__name__} writes for {kind.__name__} tasks only, got a {task.source!r} task; "
            "use ScriptedBackbone (any task) or an LLM backbone"
        )
    return payload


#: payload class name -> "module:ScriptedWriter" for each offline task source.
SCRIPTED_WRITERS: dict[str, str] = {
    "SyntheticSpec": "proact_env.domains.synthetic.writer:ScriptedSyntheticBackbone",
    "PlanningSpec": "proact_env.domains.planning.writer:ScriptedPlanningBackbone",
    "CodingSpec": "proact_env.domains.coding.writer:ScriptedCodingBackbone",
}


class ScriptedBackbone:
    """The offline backbone for any task: dispatches to the scripted writer of the task's source.

    Used where one env plays tasks of several sources (a states file may mix
    coding, planning and plain seed states).
    """

    def __init__(self) -> None:
        self._writers: dict[type, ReferenceWriter] = {}
        self._write_for: dict[type, Callable[[Task, MessageRequest], str]] = {}  # the writers' bound write_for

    def writer(self, kind: type) -> ReferenceWriter:
        """The scripted writer for tasks whose payload is of class `kind`."""
        writer = self._writers.get(kind)
        if writer is None:
            target = SCRIPTED_WRITERS.get(kind.__name__)
            if target is None:
                raise TypeError(f"no scripted backbone for {kind.__name__} tasks: pass an LLM backbone")
            writer = self._writers[kind] = resolve(target)()
        return writer

    def write_for(self, task: Task, request: MessageRequest) -> str:
        kind = type(task.payload)
        write = self._write_for.get(kind)  # one look-up per message, not a call to `writer` and an attribute
        if write is None:
            write = self._write_for[kind] = self.writer(kind).write_for
        return write(task, request)
