"""`check_task_source`: is a custom task source fit for the env? In the spirit of SB3's `check_env`.

A task source the env accepts without complaint can still break it quietly: a
domain the observation has no feature for, an uncertainty of 1.5 that puts the
observation outside its `Box`, sampling that ignores the generator it is given
(so a seeded reset is not reproducible), two hidden facts with one key (so one
of them can never be revealed). The checker samples tasks, scores messages,
plays a few episodes, runs Gymnasium's own `check_env` on the result, and says
for each problem what is wrong, where it saw it, and how to fix it.

    from proact_env import check_task_source
    check_task_source(MySource())          # raises TaskSourceError listing every problem

or, from the shell, ``proact check-source import:my_pkg.tasks:MySource``.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from proact_env.types import DOMAINS, HiddenFact, MessageRequest, Task, TaskPayload, TaskScore

#: messages every check scores: an empty one and a plain answer (scoring must cope with both)
PROBE_MESSAGES = ("", "Here is the solution you asked for.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a task source: what, where it was seen, and the fix."""

    severity: str  # "error": the env misbehaves; "warning": it works, but probably not as meant
    what: str
    fix: str
    where: str = ""

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.severity.upper()}: {self.what}{where}. Fix: {self.fix}"


class TaskSourceError(ValueError):
    """The task source has problems that would make the env misbehave; the message lists each and its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) with the task source:\n" + "\n".join(f"- {p}" for p in problems))


class _PlainBackbone:
    """Writes a generic question or answer: lets the checker play a source no scripted writer knows."""

    def write(self, request: MessageRequest) -> str:
        return "Could you tell me more about what you need?" if request.action == 0 else PROBE_MESSAGES[1]


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, severity: str, what: str, fix: str, where: str = "") -> None:
        """Record a problem; one with the same fix as an earlier one (the same fault in another sample) is not."""
        if (severity, fix) not in self._seen:
            self._seen.add((severity, fix))
            self.problems.append(Problem(severity, what, fix, where))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def find_problems(source: Any, *, samples: int = 20, seed: int = 0, episodes: int = 5, backbone: Any = None,
                  scored: int = 3) -> list[Problem]:
    """Every problem the checks find in `source` (errors first), without raising.

    `samples` tasks are drawn with generators seeded `seed, seed + 1, ...`; the first
    `scored` of them score `PROBE_MESSAGES` (scoring may run code in a sandbox, so not
    every sample); `episodes` episodes are played in a `ProactEnv` with `backbone`
    (default: the source's `default_backbone()`, the domain's scripted writer, or a
    plain stand-in when neither knows the source's tasks).
    """
    report = _Report()
    if not callable(getattr(source, "sample", None)):
        report.add("error", f"{type(source).__name__} has no sample(rng) method",
                   "implement sample(self, rng: random.Random) -> proact_env.Task (see proact_env.TaskSource)")
        return report.problems
    tasks = _check_sampling(source, report, samples, seed, scored)
    _check_describe(source, report)
    if tasks and not report.errors:  # an env built on a broken source fails for the reasons above
        _check_in_env(source, report, backbone, episodes, seed)
    return sorted(report.problems, key=lambda p: p.severity != "error")


def check_task_source(source: Any, *, samples: int = 20, seed: int = 0, episodes: int = 5, backbone: Any = None,
                      warn: bool = True) -> None:
    """Raise `TaskSourceError` listing every error in `source`; emit its warnings with `warnings.warn`."""
    problems = find_problems(source, samples=samples, seed=seed, episodes=episodes, backbone=backbone)
    if warn:
        for problem in problems:
            if problem.severity == "warning":
                warnings.warn(str(problem), UserWarning, stacklevel=2)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise TaskSourceError(errors)


# -- sampling -----------------------------------------------------------------------------------

def _draw(source: Any, rng_seed: int, report: _Report) -> Task | None:
    where = f"sample(random.Random({rng_seed}))"
    try:
        task = source.sample(random.Random(rng_seed))
    except Exception as exc:  # noqa: BLE001 - the checker reports whatever the user's code raises
        report.add("error", f"sample raised {type(exc).__name__}: {exc}", "sample must return a Task for any seed",
                   where)
        return None
    if not isinstance(task, Task):
        report.add("error", f"sample returned a {type(task).__name__}, not a proact_env.Task",
                   "build and return Task(id, domain, query, hidden, payload, source)", where)
        return None
    return task


def _fingerprint(task: Task) -> tuple:
    return task.id, task.domain, task.query, tuple(task.hidden), task.source


def _check_sampling(source: Any, report: _Report, samples: int, seed: int, scored: int) -> list[Task]:
    tasks = []
    for i in range(samples):
        rng_seed = seed + i
        task = _draw(source, rng_seed, report)
        if task is None:
            return tasks
        where = f"task {task.id!r} from random.Random({rng_seed})"
        _check_fields(task, report, where)
        _check_uncertainty(task, report, where)
        if i < scored:
            _check_scores(task, report, where)
        tasks.append(task)
    _check_determinism(source, report, seed, tasks)
    return tasks


def _check_fields(task: Task, report: _Report, where: str) -> None:
    for name in ("id", "query", "source"):
        value = getattr(task, name)
        if not isinstance(value, str) or not value.strip():
            report.add("error", f"task.{name} is {value!r}, not a non-empty string",
                       f"give every task a {name} string (ids name tasks in trajectory files and results)", where)
    if task.domain not in DOMAINS:
        report.add("error", f"task.domain is {task.domain!r}, not one of {', '.join(DOMAINS)}",
                   "map your domain onto the closest one ('coding' for a request for code, 'planning' for a plan): "
                   "the observation has one feature per domain and the prompts and scripted writers exist for "
                   "these only", where)
    if not isinstance(task.payload, TaskPayload):
        report.add("error", f"task.payload ({type(task.payload).__name__}) lacks score(message) or "
                            "uncertainty(revealed)", "give the payload both methods (see proact_env.TaskPayload)",
                   where)
    hints = getattr(task.payload, "hints", None)
    if hints is not None and not (isinstance(hints, Mapping) and all(isinstance(k, str) and isinstance(v, str)
                                                                       for k, v in hints.items())):
        report.add("error", f"task.payload.hints is {type(hints).__name__}, not a mapping of strings to strings",
                   "make hints a dict[str, str] (what the task states openly about the answer's form)", where)
    _check_hidden(task, report, where)


def _check_hidden(task: Task, report: _Report, where: str) -> None:
    if not isinstance(task.hidden, (tuple, list)):
        report.add("error", f"task.hidden is a {type(task.hidden).__name__}, not a tuple of HiddenFact",
                   "give task.hidden as a tuple of proact_env.HiddenFact(key, answer, keywords)", where)
        return
    for fact in task.hidden:
        if not isinstance(fact, HiddenFact):
            report.add("error", f"task.hidden holds a {type(fact).__name__}, not a HiddenFact",
                       "build each with proact_env.HiddenFact(key, answer, keywords)", where)
            return
        if not (isinstance(fact.key, str) and fact.key and isinstance(fact.answer, str)
                and all(isinstance(k, str) for k in fact.keywords)):
            report.add("error", f"hidden fact {fact.key!r} has a non-string key, answer or keyword",
                       "keys, answers and keywords are strings (a question is matched to facts by its words)", where)
        if not fact.keywords:
            report.add("warning", f"hidden fact {fact.key!r} has no keywords",
                       "add the words a question about it would use: the rule-based user reveals a fact only "
                       "when a question mentions one of them", where)
    repeated = sorted(key for key, n in Counter(f.key for f in task.hidden).items() if n > 1)
    if repeated:
        report.add("error", f"hidden fact keys are not unique ({', '.join(map(repr, repeated))} repeated)",
                   "give every fact its own key: revealed facts are tracked by key, so facts sharing one are "
                   "revealed together or never", where)


def _probability(value: Any) -> bool:
    return isinstance(value, (int, float, np.floating)) and not isinstance(value, bool) and math.isfinite(value) \
        and 0.0 <= value <= 1.0


def _check_uncertainty(task: Task, report: _Report, where: str) -> None:
    keys = [f.key for f in task.hidden if isinstance(f, HiddenFact)]
    reveals = [("uncertainty(frozenset())", frozenset()), ("uncertainty(every hidden key)", frozenset(keys))]
    reveals += [(f"uncertainty({{{key!r}}})", frozenset({key})) for key in keys]
    try:
        values = [(label, task.uncertainty(revealed)) for label, revealed in reveals]
    except Exception as exc:  # noqa: BLE001
        report.add("error", f"task.uncertainty raised {type(exc).__name__}: {exc}",
                   "uncertainty(revealed) must accept any frozenset of hidden-fact keys", where)
        return
    before, after = values[0][1], values[1][1]
    for label, value in values:
        if not _probability(value):
            report.add("error", f"task.{label} is {value!r}, outside [0, 1]",
                       "return the probability that executing now fails: a number in [0, 1] (it is an "
                       "observation feature, and the observation space is Box(0, 1))", where)
            return
    if after > before + 1e-9:
        report.add("warning", f"revealing every hidden fact raises the uncertainty ({before:.3f} -> {after:.3f})",
                   "uncertainty should not grow as the user reveals what they want: a question's value comes "
                   "from the uncertainty it removes", where)


def _check_scores(task: Task, report: _Report, where: str) -> None:
    for message in PROBE_MESSAGES:
        try:
            result = task.score(message)
        except Exception as exc:  # noqa: BLE001
            report.add("error", f"task.score({message!r}) raised {type(exc).__name__}: {exc}",
                       "score any message, empty or wrong ones included (0.0 is a fine score)", where)
            return
        if not isinstance(result, TaskScore):
            report.add("error", f"task.score returned a {type(result).__name__}, not a TaskScore",
                       "return proact_env.TaskScore(score, passed, total, details)", where)
            return
        if not _probability(result.score):
            report.add("error", f"task.score({message!r}).score is {result.score!r}, outside [0, 1]",
                       "R_task is the share of requirements met: a number in [0, 1]", where)
        if not (isinstance(result.passed, int) and isinstance(result.total, int) and 0 <= result.passed <= result.total):
            report.add("error", f"task.score({message!r}) has passed={result.passed!r}, total={result.total!r}",
                       "passed and total are integers with 0 <= passed <= total", where)
        try:
            json.dumps(dict(result.details))
        except (TypeError, ValueError) as exc:
            report.add("error", f"task.score({message!r}).details is not JSON-serialisable ({exc})",
                       "keep details to dicts, lists, strings, numbers and booleans: trajectory files store them",
                       where)


def _check_determinism(source: Any, report: _Report, seed: int, tasks: list[Task]) -> None:
    """Same generator seed, same task, whatever the global random state; sampling leaves that state alone."""
    if not tasks:
        return
    saved = random.getstate()
    try:
        for offset, task in enumerate(tasks[:5]):
            rng_seed = seed + offset
            random.seed(12345 + offset)
            again = _draw(source, rng_seed, report)
            moved = random.getstate() != _state_after_seed(12345 + offset)
            if again is not None and _fingerprint(again) != _fingerprint(task):
                report.add("error", f"sampling is not deterministic: random.Random({rng_seed}) gave task "
                                    f"{task.id!r}, then {again.id!r}" + (" (or the same id with other content)"
                                                                         if again.id == task.id else ""),
                           "draw everything from the rng passed to sample (never the random module, numpy's global "
                           "generator, time or a counter kept between calls): a seeded reset must replay its task",
                           f"random.Random({rng_seed})")
                return
            if moved:
                report.add("error", "sample draws from the global random module",
                           "use only the rng passed to sample(rng): the global state is shared with everything "
                           "else in the process", f"random.Random({rng_seed})")
                return
    finally:
        random.setstate(saved)
    if len(tasks) >= 5 and all(_fingerprint(t) == _fingerprint(tasks[0]) for t in tasks):
        report.add("warning", f"all {len(tasks)} samples are the same task",
                   "draw the task from the rng, so different seeds give different tasks")


def _state_after_seed(value: int) -> Any:
    probe = random.Random(value)
    return probe.getstate()


def _check_describe(source: Any, report: _Report) -> None:
    describe: Callable[[], Any] | None = getattr(source, "describe", None)
    if not callable(describe):
        report.add("error", f"{type(source).__name__} has no describe() method",
                   "return a JSON-able dict that says how to rebuild the source (benchmark results record it)")
        return
    try:
        first, second = describe(), describe()
        json.dumps(first)
    except Exception as exc:  # noqa: BLE001
        report.add("error", f"describe() failed or is not JSON-serialisable ({type(exc).__name__}: {exc})",
                   "return a dict of strings, numbers, lists and dicts (results.json records it)")
        return
    if not isinstance(first, Mapping):
        report.add("error", f"describe() returned a {type(first).__name__}, not a dict",
                   "return a dict such as {'name': ..., 'version': ..., 'options': ...}")
    elif first != second:
        report.add("warning", "describe() changes between calls",
                   "describe the configuration, not a counter or the time: results compare runs by it")


# -- in the env ---------------------------------------------------------------------------------

def _check_in_env(source: Any, report: _Report, backbone: Any, episodes: int, seed: int) -> None:
    from gymnasium.utils.env_checker import check_env

    from proact_env.env import ProactEnv

    backbone = backbone if backbone is not None else _offline_backbone(source, report)
    try:
        env = ProactEnv(task_source=source, backbone=backbone)
        names = env.feature_names
        rng = random.Random(seed)
        for episode in range(episodes):
            obs, _ = env.reset(seed=seed + episode)
            step, done = 0, False
            while not done:
                if not _observation_ok(env, obs, names, report, f"episode seed {seed + episode}, step {step}"):
                    return
                obs, reward, terminated, truncated, _ = env.step(rng.randrange(2))
                if not math.isfinite(reward):
                    report.add("error", f"a step returned the reward {reward!r}",
                               "task scores must be finite numbers in [0, 1]", f"episode seed {seed + episode}")
                    return
                step, done = step + 1, terminated or truncated
            if not _observation_ok(env, obs, names, report, f"episode seed {seed + episode}, end"):
                return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(ProactEnv(task_source=source, backbone=backbone), skip_render_check=True)
        for warning in caught:
            report.add("warning", f"gymnasium's check_env warns: {warning.message}",
                       "see the Gymnasium env checker's documentation for this warning")
    except Exception as exc:  # noqa: BLE001
        report.add("error", f"the env failed with this source: {type(exc).__name__}: {exc}",
                   "fix the error above (the checks before this one passed, so it comes from playing the tasks)")


#: observation features a task source feeds, and what to fix when one leaves [0, 1]
_FEATURE_FIXES = {
    "task_uncertainty": "task.uncertainty(revealed) must return a probability in [0, 1]",
    "remaining_uncertainty": "task.uncertainty(revealed) must return a probability in [0, 1] for every set of "
                             "revealed keys",
    "last_score": "task.score(message).score must be in [0, 1], for the messages the backbone writes too",
}


def _observation_ok(env: Any, obs: np.ndarray, names: list[str], report: _Report, where: str) -> bool:
    if env.observation_space.contains(obs):
        return True
    outside = [(name, value) for name, value in zip(names, obs) if not 0.0 <= value <= 1.0]
    fixes = sorted({_FEATURE_FIXES.get(name, "keep every task field in its documented range") for name, _ in outside})
    report.add("error", "an observation is outside the observation space ("
               + ", ".join(f"{name}={value:.3g}" for name, value in outside) + " not in [0, 1])",
               "; ".join(fixes) or "return observations of the space's shape and dtype", where)
    return False


def _offline_backbone(source: Any, report: _Report) -> Any:
    """What `ProactEnv(task_source=source)` would write with; a plain stand-in if that cannot write its tasks."""
    from proact_env.domains.scripted import SCRIPTED_WRITERS, ScriptedBackbone

    make = getattr(source, "default_backbone", None)
    if make is not None:
        return make()
    payload = type(source.sample(random.Random(0)).payload)
    if payload.__name__ in SCRIPTED_WRITERS:
        return ScriptedBackbone()
    report.add("warning", f"no offline backbone writes {payload.__name__} tasks",
               "give the env a backbone (ProactEnv(task_source=..., backbone=...): an LLM backbone or your own "
               "Backbone), or a default_backbone() method on the source; the checker played with a plain stand-in")
    return _PlainBackbone()
