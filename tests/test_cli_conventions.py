"""One CLI style across every sub-command: both spellings of every flag, --out/--output, help and a default
shown for every flag. Checked over the real parser, so a flag added later is held to the same rules."""

from __future__ import annotations

import argparse

import pytest

from proact_env.cli import COMMANDS, build_parser, main
from proact_env.cli.conventions import HelpFormatter, spellings


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    root = build_parser()
    action = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    for parser in action.choices.values():
        parser.add_spellings()
    return dict(action.choices)


def _flags(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]


@pytest.fixture(scope="module")
def parsers() -> dict[str, argparse.ArgumentParser]:
    return _subparsers()


def test_every_command_is_checked(parsers):
    assert set(parsers) == set(COMMANDS)


def test_every_flag_has_help_and_shows_its_default(parsers):
    formatter = HelpFormatter("proact")
    missing = []
    for name, parser in parsers.items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            shown = formatter._get_help_string(action)
            if not (action.help or "").strip():
                missing.append(f"{name} {action.option_strings or action.dest}: no help")
            elif action.option_strings and "default" not in shown.lower() and "required" not in shown:
                missing.append(f"{name} {action.option_strings[0]}: help says nothing of the default: {shown!r}")
    assert missing == []


def test_every_flag_answers_to_both_spellings(parsers):
    for name, parser in parsers.items():
        table = parser._option_string_actions
        for action in _flags(parser):
            negation = isinstance(action, argparse.BooleanOptionalAction)
            for option in action.option_strings:
                for other in spellings(option, negation):
                    assert table.get(other) is action, f"proact {name}: {option} has no {other}"


def test_out_and_output_are_one_flag_wherever_a_command_writes(parsers):
    writers = [name for name, parser in parsers.items() if {"--out", "--output"} & set(parser._option_string_actions)]
    assert set(writers) >= {"generate", "rewards", "benchmark", "train-dpo", "evaluate", "make-tiny-model",
                            "convert-mbpp", "fetch-data", "plot"}
    for name in writers:
        table = parsers[name]._option_string_actions
        assert table["--out"] is table["--output"], name


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "--help" in capsys.readouterr().out


def test_the_seeds_spelling_and_kebab_case_give_the_same_run(tmp_path):
    snake, kebab = tmp_path / "snake.jsonl", tmp_path / "kebab.jsonl"
    assert main(["generate", "--n_states", "3", "--max_turns", "3", "--multi_turn", "--mainline_action", "Clarify",
                 "--out", str(snake), "--no_progress"]) == 0
    assert main(["generate", "--n-states", "3", "--max-turns", "3", "--multi-turn", "--mainline-action", "Clarify",
                 "--output", str(kebab), "--no-progress"]) == 0
    assert snake.read_bytes() == kebab.read_bytes()


def test_a_boolean_flag_keeps_its_negation_in_both_spellings(parsers):
    parser = parsers["train-dpo"]
    base = ["--data", "p", "--model", "m", "--output", "o"]
    for flag, value in (("--no-precompute-ref-log-probs", False), ("--no-precompute_ref_log_probs", False),
                        ("--precompute-ref-log-probs", True), ("--precompute_ref_log_probs", True)):
        assert parser.parse_args([*base, flag]).precompute_ref_log_probs is value, flag


def test_a_flag_added_by_a_new_command_gets_the_conventions():
    root = build_parser()
    sub = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    new = sub.add_parser("new-step", help="a sub-command someone adds later")
    group = new.add_argument_group("its options")
    group.add_argument("--shard_size", type=int, default=4, help="units per shard")
    new.add_argument("--output", help="where it writes (default: nowhere)")
    args = root.parse_args(["new-step", "--shard-size", "9", "--out", "x"])
    assert (args.shard_size, args.output) == (9, "x")
    assert "--shard_size, --shard-size SHARD_SIZE" in new.format_help() and "(default: 4)" in new.format_help()


def test_the_seeds_reward_weights_and_the_field_names_are_the_same_flags(tmp_path):
    traj = tmp_path / "t.jsonl"
    assert main(["generate", "--n_states", "20", "--out", str(traj), "--no-progress"]) == 0
    seed, named = tmp_path / "seed.jsonl", tmp_path / "named.jsonl"
    assert main(["rewards", "--trajectories", str(traj), "--out", str(seed), "--w1", "0.2", "--w4", "0.3"]) == 0
    assert main(["rewards", "--input", str(traj), "--output", str(named), "--w-questions", "0.2",
                 "--w_off_topic", "0.3"]) == 0
    assert seed.read_bytes() == named.read_bytes()
    meta = (tmp_path / "seed.jsonl.meta.json").read_text()
    assert '"w_questions": 0.2' in meta and '"w_off_topic": 0.3' in meta
