"""Prompt templates: packaged, validated at load time, rendered through render_state."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

import proact_env.prompts as prompts
from proact_env import ProactEnv, render_state
from proact_env.llm.prompting import GENERIC_PLAN_SCHEMA, PromptConfig, assistant_messages
from proact_env.prompts import PLACEHOLDERS, TemplateError, load_all, load_template, parse_template
from proact_env.types import Action, MessageRequest

REPO = Path(__file__).resolve().parents[1]


def test_every_packaged_template_loads_and_uses_exactly_its_placeholders():
    templates = load_all()
    assert set(templates) == {"coding_clarify", "coding_execute", "planning_clarify", "planning_execute", "user_simulator",
                              "policy_decide", "model_decides"}
    for name, template in templates.items():
        assert template.placeholders == PLACEHOLDERS[name]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Hello {state} and {oops}", "unknown placeholder {oops}"),
        ("Hello, no placeholder at all", "missing placeholder {state}"),
        ("Schema: {state} {\"steps\": []}", "is not a plain name"),
        ("Broken {state", "cannot parse"),
    ],
)
def test_a_bad_template_fails_at_load_naming_file_and_placeholder(text, problem):
    with pytest.raises(TemplateError) as err:
        parse_template("coding_clarify", text, frozenset({"state"}))
    assert "coding_clarify.txt" in str(err.value)
    assert problem in str(err.value)


def test_a_broken_packaged_file_is_caught_by_load_template(tmp_path, monkeypatch):
    (tmp_path / "coding_execute.txt").write_text("Solve it: {state}\nAlso {user_name}\n")
    monkeypatch.setattr(prompts.resources, "files", lambda _package: tmp_path)
    load_template.cache_clear()
    try:
        with pytest.raises(TemplateError, match=r"coding_execute\.txt: unknown placeholder \{user_name\}"):
            load_template("coding_execute")
    finally:
        load_template.cache_clear()


def test_render_refuses_missing_or_extra_values():
    template = load_template("coding_clarify")
    with pytest.raises(TemplateError, match="missing \\['state'\\]"):
        template.render()
    with pytest.raises(TemplateError, match="unexpected \\['extra'\\]"):
        template.render(state="s", extra="x")


def test_templates_load_from_the_installed_package_beside_a_users_own_prompts_package(tmp_path):
    # a user's own prompts/ in the working directory used to shadow ours ("cannot import name 'load_template'")
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "__init__.py").write_text("MINE = True\n")
    code = ("import prompts; from proact_env.prompts import load_all; from proact_env.llm.prompting import load_template; "
            "print(prompts.MINE, len(load_all()))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, check=True)
    assert out.stdout.strip() == "True 7"


def _request(env: ProactEnv, action: Action) -> MessageRequest:
    ep = env.unwrapped.episode
    return MessageRequest(action=action, state=ep.state(), transcript=ep.transcript, revealed=ep.revealed,
                          persona=ep.persona, rng=random.Random(0), hints=ep.task.hints)


@pytest.mark.parametrize("domain", ["coding", "planning"])
@pytest.mark.parametrize("action", [Action.CLARIFY, Action.EXECUTE])
def test_assistant_prompt_embeds_render_state_of_the_decision_point(domain, action):
    env = ProactEnv(domain=domain)
    env.reset(seed=7)
    env.step(Action.CLARIFY)  # a transcript with one exchange
    ep = env.episode
    (message,) = assistant_messages(_request(env, action))
    rendered = render_state(ep.state(), None, ep.transcript)
    assert message.role == "user"
    assert rendered in message.content
    assert f"decided to {action.label}" in message.content
    assert ep.persona.name.replace("_", " ") not in message.content  # the assistant does not know its user
    if domain == "planning" and action is Action.EXECUTE:
        assert GENERIC_PLAN_SCHEMA in message.content


def test_prompt_config_can_show_the_persona_and_add_a_system_prompt():
    env = ProactEnv(domain="coding")
    env.reset(seed=1)
    system, user = assistant_messages(_request(env, Action.CLARIFY), PromptConfig(show_persona=True, system_prompt="Be brief."))
    assert system == ("system", "Be brief.")
    assert env.episode.persona.name.replace("_", " ") in user.content
