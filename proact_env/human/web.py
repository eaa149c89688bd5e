"""`proact ui`: the web page for a small user study: play either side, browse episodes and benchmark results.

Built on FastAPI (already in the `serve` extra with uvicorn): plain JSON routes and one
static page whose script writes every piece of text with `textContent`, so what a
person types is shown as text wherever it appears, never run as markup. The routes
read files only under `root`, run no code a request names (benchmark episodes are
replayed with built-in policies only; generated code is run by the env's sandbox
grader), and answer malformed files with the same ``file:line: field`` message as the
command line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from proact_env.benchmark.registry import BUILTIN
from proact_env.errors import MissingExtraError, SchemaError, require
from proact_env.human.browse import PLOTS, load_results, load_trajectories, replay_episode
from proact_env.human.exchange import WebSession
from proact_env.human.log import SessionLog
from proact_env.human.session import SIDES, SessionConfig, session_progress
from proact_env.personas import PRESETS
from proact_env.registration import ENV_IDS

DEFAULT_INSTRUCTIONS = (
    "You are taking part in a study of when an assistant should ask a question and when it should just do the "
    "task. You will play a few short conversations. If you play the user, you see the facts you have in mind "
    "but did not say; answer the assistant's questions as you naturally would, or reject them, ignore them, "
    "change the subject or give up. If you play the assistant, decide at each turn whether to ask (Clarify) or "
    "to deliver (Execute), and write the message. What you choose and type is saved under your participant id "
    "(never your name) for research. You may stop at any time."
)
#: how long a request waits for the episode thread (an LLM backbone may take a while)
ANSWER_TIMEOUT_S = 120.0


@dataclass
class UISettings:
    """What `proact ui` serves.

    Attributes:
        out: the study's trajectories file every session appends to.
        root: the folder the page may open files and results folders under.
        instructions: the consent and instructions text shown before a session starts.
        template: the session settings every participant gets (side and participant come from the page
            unless `side` is fixed).
        fixed_side: only this side is offered (None: the participant picks).
        backbone_factory: builds the user-side backbone (None: the env's scripted writer).
    """

    out: Path
    root: Path
    instructions: str = DEFAULT_INSTRUCTIONS
    template: dict[str, Any] = field(default_factory=dict)
    fixed_side: str | None = None
    backbone_factory: Callable[[], Any] | None = None


def create_app(settings: UISettings):
    """The FastAPI application (`uvicorn.run(create_app(settings), host="127.0.0.1")`)."""
    fastapi = require("fastapi", "human")
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse

    app = fastapi.FastAPI(title="proact ui", docs_url=None, redoc_url=None, openapi_url=None)
    log = SessionLog(settings.out)
    sessions: dict[str, WebSession] = {}
    lock = threading.Lock()
    static = resources.files("proact_env.human") / "static"

    @app.exception_handler(SchemaError)
    @app.exception_handler(ValueError)
    @app.exception_handler(FileNotFoundError)
    @app.exception_handler(MissingExtraError)
    async def user_error(request, exc: Exception):  # the CLI's message, as it prints it
        return JSONResponse({"error": str(exc)}, status_code=400)

    @app.middleware("http")
    async def headers(request, call_next):
        response = await call_next(request)
        # the page's own script and styles only: an injected <script> or inline handler would not run
        response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                       "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/", response_class=HTMLResponse)
    def index():
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    @app.get("/static/{name}")
    def asset(name: str):
        kinds = {"app.js": "text/javascript", "style.css": "text/css"}
        if name not in kinds:
            raise fastapi.HTTPException(404)
        return PlainTextResponse((static / name).read_text(encoding="utf-8"), media_type=kinds[name])

    @app.get("/api/config")
    def config():
        return {"instructions": settings.instructions, "sides": [settings.fixed_side] if settings.fixed_side else
                list(SIDES), "template": settings.template, "out": str(settings.out), "root": str(settings.root),
                "env_ids": list(ENV_IDS), "presets": list(PRESETS), "policies": list(BUILTIN)}

    @app.post("/api/sessions")
    def start(body: dict[str, Any]):
        side = settings.fixed_side or str(body.get("side", ""))
        participant = str(body.get("participant", "")).strip()
        if not participant:
            raise ValueError("enter your participant id")
        session_config = SessionConfig(side=side, participant=participant, **settings.template)
        with lock:
            running = sessions.get(session_config.session_id)
            if running is not None and running.thread.is_alive():
                return {"session_id": session_config.session_id, **running.state()}
            session = WebSession(session_config, log, settings.backbone_factory)
            sessions[session_config.session_id] = session
        return {"session_id": session_config.session_id, **session.state()}

    def session_of(session_id: str) -> WebSession:
        session = sessions.get(session_id)
        if session is None:
            raise fastapi.HTTPException(404, f"no session {session_id!r}: start it from the page")
        return session

    @app.get("/api/sessions/{session_id}")
    def state(session_id: str):
        return session_of(session_id).state()

    @app.post("/api/sessions/{session_id}/move")
    def move(session_id: str, body: dict[str, Any]):
        return session_of(session_id).move(body, ANSWER_TIMEOUT_S)

    @app.post("/api/sessions/{session_id}/reply")
    def reply(session_id: str, body: dict[str, Any]):
        return session_of(session_id).reply(body, ANSWER_TIMEOUT_S)

    @app.post("/api/sessions/{session_id}/next")
    def next_episode(session_id: str):
        return session_of(session_id).next_episode(ANSWER_TIMEOUT_S)

    @app.get("/api/sessions/{session_id}/export")
    def export(session_id: str):
        from proact_env.io import dumps_line

        lines = log.session_lines(session_id)
        progress = [{"episode": e, "turns": n, "finished": f} for e, n, f in session_progress(lines)]
        body = "".join(dumps_line(line) for line in lines)
        return PlainTextResponse(body, media_type="application/x-ndjson", headers={
            "Content-Disposition": f'attachment; filename="{session_id}.jsonl"',
            "X-Episodes": str(len(progress))})

    def inside_root(path: str) -> Path:
        target = (settings.root / path).resolve()
        root = settings.root.resolve()
        if target != root and root not in target.parents:
            raise ValueError(f"{path}: the page opens files under {root} only (proact ui --root)")
        if not target.exists():
            raise FileNotFoundError(f"{path}: no such file or folder under {root}")
        return target

    @app.get("/api/browse")
    def browse(path: str):
        target = inside_root(path)
        if target.is_dir():
            return {"kind": "results", "path": path, **load_results(target)}
        return {"kind": "trajectories", "path": path, "episodes": load_trajectories(target)}

    @app.get("/api/browse/replay")
    def replay(path: str, policy: str, episode: int):
        results = load_results(inside_root(path))
        row = next((r for r in results["episodes"] if r["policy"] == policy and r["episode"] == episode), None)
        if row is None:
            raise ValueError(f"{path}: no episode {episode} of policy {policy!r} in episodes.csv")
        return replay_episode(results["summary"], row)

    @app.get("/api/browse/plot")
    def plot(path: str, name: str):
        if name not in PLOTS:
            raise fastapi.HTTPException(404)
        target = inside_root(path) / name
        if not target.is_file():
            raise fastapi.HTTPException(404)
        return FileResponse(target, media_type="image/png")

    app.state.sessions = sessions
    return app


def serve(settings: UISettings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the page until interrupted; any address but the loopback is said loudly."""
    import sys

    uvicorn = require("uvicorn", "human")
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"WARNING: proact ui is listening on {host}, not only on this machine: anyone who can reach "
              f"{host}:{port} can play sessions that write to {settings.out} and read files under "
              f"{settings.root}. There is no login.", file=sys.stderr)
    print(f"proact ui: http://{'127.0.0.1' if host in ('127.0.0.1', 'localhost') else host}:{port}/ "
          f"(saving to {settings.out}; opening files under {settings.root})", flush=True)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
