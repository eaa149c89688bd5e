"""`proact ui`: the web page (127.0.0.1 by default) to play either side and browse episodes and results."""

from __future__ import annotations

import argparse
from pathlib import Path

from proact_env.cli.session_args import add_session_arguments, backbone_factory, session_template


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ui",
        help="serve the web page: play either side, browse trajectories and benchmark results",
        description="A small web app for user studies (FastAPI): participants play the user or the assistant "
        "(every turn appended to --out), and the Browse tab opens a trajectories file or a 'proact benchmark' "
        "folder under --root. Listens on 127.0.0.1 unless --host says otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only; any other is announced "
                        "with a warning: there is no login)")
    p.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    p.add_argument("--root", type=Path, default=Path("."),
                   help="the Browse tab opens files and folders under this folder only (default: the current folder)")
    p.add_argument("--instructions", type=Path, default=None, metavar="FILE",
                   help="consent and instructions text shown before a session (default: a short built-in text)")
    p.add_argument("--side", choices=("user", "assistant"), default=None,
                   help="offer only this side (default: the participant chooses)")
    add_session_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.human.web import DEFAULT_INSTRUCTIONS, UISettings, serve

    instructions = args.instructions.read_text(encoding="utf-8").strip() if args.instructions else DEFAULT_INSTRUCTIONS
    settings = UISettings(out=Path(args.out), root=args.root, instructions=instructions,
                          template=session_template(args), fixed_side=args.side,
                          backbone_factory=backbone_factory(args))
    serve(settings, host=args.host, port=args.port)
    return 0
