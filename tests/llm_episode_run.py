"""A generation run as a user would script it: episodes of ProactEnv with an LLM backbone and an LLM user.

Run by tests in a subprocess (so its stdout, stderr and log file can be
searched for the API key): it writes one JSONL line per step to --out and
prints the LLM summaries at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

from proact_env import ProactEnv
from proact_env.cli.llm_args import add_llm_arguments, backbone_from_args, llm_config_from_args, print_llm_summary


def main() -> int:
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    parser.add_argument("--out", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--episodes", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(filename=args.log, level=logging.DEBUG)  # the chattiest logging the libraries do
    backbone = backbone_from_args(args)
    user = {"kind": "llm", **dataclasses.asdict(llm_config_from_args(args))}
    env = ProactEnv(domain="mixed", backbone=backbone, simulator=user, max_turns=4)
    with open(args.out, "w", encoding="utf-8") as out:
        for episode in range(args.episodes):
            env.reset(seed=episode)
            done = False
            while not done:
                action = "Clarify" if env.episode.turn == 0 else "Execute"
                _, reward, terminated, truncated, info = env.step(action)
                out.write(json.dumps({"episode": episode, "action": action, "reward": reward,
                                      "assistant_msg": info["assistant_msg"], "user_reply": info["user_reply"],
                                      "meta": info["meta"], "revealed": info["revealed"]}) + "\n")
                done = terminated or truncated
    print_llm_summary(backbone, env.simulator, file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
