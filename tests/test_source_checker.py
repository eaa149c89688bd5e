"""`check_task_source` on deliberately broken task sources: each fault is found, placed and given a fix,
and every task source the package ships passes."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym
import pytest

from proact_env import HiddenFact, Task, TaskScore, check_task_source
from proact_env.cli import main
from proact_env.source_checker import TaskSourceError, find_problems


@dataclass(frozen=True)
class RecipePayload:
    """A custom payload no scripted writer knows: the checker plays it with its plain stand-in."""

    uncertainty_scale: float = 1.0
    score_value: float = 0.5
    details: Any = field(default_factory=dict)
    bad_partial: bool = False

    def score(self, message: str) -> TaskScore:
        value = 1.5 if message.startswith("ANSWER") else self.score_value
        return TaskScore(value, int(value >= 1), 1, self.details)

    def uncertainty(self, revealed: frozenset[str]) -> float:
        if self.bad_partial and len(revealed) == 1:
            return -0.25
        return self.uncertainty_scale * 0.8 ** (1 + len(revealed))


@dataclass
class RecipeSource:
    """A valid custom source; each test breaks one thing with `replace` or a subclass."""

    domain: str = "planning"
    payload: RecipePayload = field(default_factory=RecipePayload)
    keys: tuple[str, ...] = ("diet", "time")

    def sample(self, rng: random.Random) -> Task:
        n = rng.randrange(1000)
        hidden = tuple(HiddenFact(key, f"The {key} is {n}.", (key,)) for key in self.keys)
        return Task(id=f"recipe-{n}", domain=self.domain, query=f"Plan dinner number {n}.", hidden=hidden,
                    payload=self.payload, source="recipes")

    def describe(self) -> dict:
        return {"name": "recipes", "domain": self.domain}


class GlobalRandomSource(RecipeSource):
    def sample(self, rng: random.Random) -> Task:
        return super().sample(random.Random(random.random()))


class CountingSource(RecipeSource):
    counter = itertools.count()

    def sample(self, rng: random.Random) -> Task:
        return replace(super().sample(rng), id=f"recipe-{next(self.counter)}")


class DictSource(RecipeSource):
    def sample(self, rng: random.Random) -> Any:
        return {"query": "Plan dinner."}


class RaisingSource(RecipeSource):
    def sample(self, rng: random.Random) -> Task:
        raise KeyError("menu")


class UnjsonableSource(RecipeSource):
    def describe(self) -> dict:
        return {"payload": RecipePayload()}


class NoDescribe:
    sample = RecipeSource.sample
    domain, keys, payload = "planning", ("a",), RecipePayload()


class ScriptedAnswers:
    """A backbone whose answers the broken scorer grades 1.5 (it only shows in the env)."""

    def write(self, request) -> str:
        return "Which diet?" if request.action == 0 else "ANSWER: pasta"


#: (source, what the error says, a word of its fix)
BROKEN = [
    (RecipeSource(domain="cooking"), "task.domain is 'cooking', not one of coding, planning", "map your domain"),
    (RecipeSource(payload=RecipePayload(uncertainty_scale=1.5 / 0.8)),
     "task.uncertainty(frozenset()) is 1.5, outside [0, 1]", "a number in [0, 1]"),
    (RecipeSource(payload=RecipePayload(bad_partial=True)), "task.uncertainty({'diet'}) is -0.25, outside [0, 1]",
     "probability that executing now fails"),
    (GlobalRandomSource(), "sampling is not deterministic", "draw everything from the rng passed to sample"),
    (CountingSource(), "sampling is not deterministic", "a counter kept between calls"),
    (RecipeSource(keys=("diet", "diet")), "hidden fact keys are not unique ('diet' repeated)",
     "give every fact its own key"),
    (RecipeSource(payload=RecipePayload(score_value=1.2)), "task.score('').score is 1.2, outside [0, 1]",
     "share of requirements met"),
    (RecipeSource(payload=RecipePayload(details={"when": object()})), "details is not JSON-serialisable",
     "trajectory files store them"),
    (UnjsonableSource(), "describe() failed or is not JSON-serialisable", "results.json records it"),
    (NoDescribe(), "NoDescribe has no describe() method", "JSON-able dict"),
    (DictSource(), "sample returned a dict, not a proact_env.Task", "build and return Task"),
    (RaisingSource(), "sample raised KeyError: 'menu'", "must return a Task for any seed"),
]


@pytest.mark.parametrize("source,what,fix", BROKEN, ids=[f"{type(b[0]).__name__}-{b[1][:30]}" for b in BROKEN])
def test_a_broken_source_is_refused_saying_what_and_how_to_fix_it(source, what, fix):
    with pytest.raises(TaskSourceError) as caught:
        check_task_source(source, warn=False)
    matching = [p for p in caught.value.problems if what in p.what]
    assert matching, str(caught.value)
    assert fix in matching[0].fix and matching[0].severity == "error"
    assert what in str(caught.value) and "Fix: " in str(caught.value)


def test_the_issues_example_gets_both_errors_at_once():
    """Domain 'cooking' and uncertainty 1.5 together, as reported: every problem is listed, not the first."""
    source = RecipeSource(domain="cooking", payload=RecipePayload(uncertainty_scale=1.5 / 0.8))
    whats = [p.what for p in find_problems(source)]
    assert any("'cooking'" in w for w in whats) and any("is 1.5, outside [0, 1]" in w for w in whats)


def test_observations_outside_the_space_are_caught_in_the_env():
    """A scorer that grades the env's answers 1.5 passes the static probes; the played episodes catch it."""
    problems = find_problems(RecipeSource(), backbone=ScriptedAnswers(), episodes=5)
    outside = [p for p in problems if p.what.startswith("an observation is outside the observation space")]
    assert outside and "last_score=1.5 not in [0, 1]" in outside[0].what and "episode seed" in outside[0].where


def test_a_valid_custom_source_passes_with_a_warning_about_its_backbone():
    with pytest.warns(UserWarning, match="no offline backbone writes RecipePayload tasks"):
        check_task_source(RecipeSource())


@pytest.mark.parametrize("env_id", ["proact_env/Synthetic-v0", "proact_env/Planning-v0"])
def test_the_shipped_sources_pass(env_id):
    assert find_problems(gym.make(env_id).unwrapped.task_source) == []


def test_the_command_checks_an_import_spec(capsys):
    spec = "import:tests.test_source_checker:RecipeSource"
    assert main(["check-source", spec, "--kwargs", '{"domain": "cooking"}', "--samples", "4"]) == 1
    out = capsys.readouterr().out
    assert "- ERROR: task.domain is 'cooking'" in out and out.strip().endswith("the env would misbehave with this source")
    assert main(["check-source", spec, "--episodes", "2"]) == 0
    assert "OK: no error (1 warning(s))" in capsys.readouterr().out
    assert main(["check-source", "tests.test_source_checker:NoSuchSource"]) == 2
    assert "cannot import 'tests.test_source_checker:NoSuchSource'" in capsys.readouterr().err
