"""`proact play`: a person plays the user or the assistant in the terminal; each turn is saved as it happens."""

from __future__ import annotations

import argparse
from pathlib import Path

from proact_env.cli.session_args import add_session_arguments, backbone_factory, session_template


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "play",
        help="play the user or the assistant yourself, in the terminal (saved as trajectories with source 'human')",
        description="Playing the user: a policy decides, the backbone writes, you answer, reject, stay silent, "
        "change the subject or give up, with the task's hidden facts as your brief. Playing the assistant: you "
        "choose Clarify or Execute and write; the simulated user reacts and the reward terms show. Every turn is "
        "appended to --out at once; running the same command again resumes the session.",
    )
    p.add_argument("--side", choices=("user", "assistant"), required=True, help="which side you play")
    p.add_argument("--participant", default="anonymous",
                   help="participant id (a study id, not a name); the session id is PARTICIPANT-SIDE (default: %(default)s)")
    add_session_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.human.log import SessionLog
    from proact_env.human.session import SessionConfig, SessionRunner, session_progress
    from proact_env.human.terminal import TerminalPerson

    config = SessionConfig(side=args.side, participant=args.participant, **session_template(args))
    log = SessionLog(Path(args.out))
    done = [e for e, _, finished in session_progress(log.session_lines(config.session_id)) if finished]
    if done:
        print(f"resuming session {config.session_id}: {len(done)} of {config.episodes} episodes already played")
    try:
        outcomes = SessionRunner(config, log, TerminalPerson(), backbone_factory=backbone_factory(args)).run()
    except EOFError:
        print(f"\nstopped; the turns played so far are in {args.out}: run the same command to resume")
        return 0
    print(f"session {config.session_id}: {len(outcomes)} episodes played now; saved in {args.out}")
    return 0
