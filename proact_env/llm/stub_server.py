"""A small OpenAI-compatible server on 127.0.0.1 that can misbehave on purpose.

Tests and `benchmarks/llm_throughput.py` point the real `openai` client at it
to prove the retry, timeout, cache and concurrency paths against real HTTP:
it answers ``POST /v1/chat/completions`` after a configurable delay, counts
every request it receives (``GET /stats``), checks the key when asked to, and
plays a queue of faults, one per request:

``429`` (with ``Retry-After``), ``500``, ``hang`` (no answer until long after
the client's timeout), ``drop`` (close the connection without answering),
``malformed`` (HTTP 200 with a body that is not JSON), ``empty`` (a completion
with empty content) and ``no_choices``.

It only ever binds the loopback address. Run it alone with
``python -m proact_env.llm.stub_server --delay 0.05``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable

LOOPBACK = "127.0.0.1"
FAULTS = ("429", "500", "hang", "drop", "malformed", "empty", "no_choices")
Responder = Callable[[list[dict[str, Any]]], str]


def echo_responder(messages: list[dict[str, Any]]) -> str:
    """A deterministic answer that depends on the prompt (so different prompts get different text)."""
    digest = hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()[:10]
    return f"Stub answer {digest} to a prompt of {sum(len(str(m.get('content', ''))) for m in messages)} characters."


class StubOpenAIServer:
    """An OpenAI-compatible chat server on 127.0.0.1 (a free port unless `port` is given).

    Arguments:
        delay: seconds before each answer (simulates model latency).
        responder: messages -> completion text.
        api_key: if set, requests without ``Authorization: Bearer <api_key>`` get HTTP 401.
        models: model names served; others get HTTP 404 (None: any name).
        faults: initial fault queue (see `FAULTS`), e.g. ``["429", "500"]``.
        retry_after: the ``Retry-After`` header (seconds) sent with a 429.
        hang_seconds: how long a ``hang`` fault keeps the request waiting.
    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        responder: Responder = echo_responder,
        api_key: str | None = None,
        models: Iterable[str] | None = None,
        faults: Iterable[str] = (),
        retry_after: float = 1.0,
        hang_seconds: float = 5.0,
        port: int = 0,
    ) -> None:
        self.delay = delay
        self.responder = responder
        self.api_key = api_key
        self.models = None if models is None else set(models)
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.faults: deque[str] = deque()
        self.add_faults(faults)
        self.chat_requests = 0
        self.in_flight = 0
        self.max_in_flight = 0  # most chat requests being answered at once: checks client-side bounds
        self.request_log: list[tuple[float, str]] = []  # (time received, fault played or "ok")
        self.bodies: list[dict[str, Any]] = []  # every chat request body, in order received
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((LOOPBACK, port), _handler_for(self), bind_and_activate=False)
        self._httpd.daemon_threads = True
        self._httpd.request_queue_size = 256  # the default backlog of 5 resets bursts of concurrent connects
        try:
            self._httpd.server_bind()
            self._httpd.server_activate()
        except OSError:
            self._httpd.server_close()
            raise
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1"

    def add_faults(self, faults: Iterable[str]) -> None:
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}: choose from {', '.join(FAULTS)}")
            self.faults.append(fault)

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` (or Ctrl-C in `main`)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def start(self) -> "StubOpenAIServer":
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="stub-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "StubOpenAIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _next_fault(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.chat_requests += 1
            self.bodies.append(body)
            fault = self.faults.popleft() if self.faults else "ok"
            self.request_log.append((time.monotonic(), fault))
            return fault


def _handler_for(server: StubOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: one connection serves many requests
        # Headers and body go out in two writes; with Nagle's algorithm the body
        # would wait for the client's delayed ACK (~40 ms) on every request.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence per-request logging
            return

        def do_GET(self) -> None:  # noqa: N802 - http.server naming
            if self.path.rstrip("/").endswith("/stats"):
                self._json(200, {"chat_requests": server.chat_requests, "max_in_flight": server.max_in_flight})
            elif self.path.rstrip("/").endswith("/models"):
                if not self._authorised():
                    return
                names = sorted(server.models or {"stub-model"})
                self._json(200, {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "stub"} for n in names]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            fault = server._next_fault(body)
            server._enter()
            try:
                self._answer(fault, body)
            finally:
                server._leave()

        def _answer(self, fault: str, body: dict[str, Any]) -> None:
            if not self._authorised():
                return
            model = body.get("model", "")
            if server.models is not None and model not in server.models:
                self._json(404, {"error": {"message": f"The model '{model}' does not exist", "code": "model_not_found"}})
                return
            if fault == "drop":
                self._drop()
                return
            if fault == "hang":
                time.sleep(server.hang_seconds)
                self._drop()
                return
            if fault == "429":
                self._json(429, {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
                           headers={"Retry-After": f"{server.retry_after:g}"})
                return
            if fault == "500":
                self._json(500, {"error": {"message": "internal error (injected)"}})
                return
            if server.delay:
                time.sleep(server.delay)
            if fault == "malformed":
                self._raw(200, b'{"id": "chatcmpl-broken", "choices": [{"message": ', "application/json")
                return
            if fault == "no_choices":
                self._json(200, {"id": "chatcmpl-x", "object": "chat.completion", "model": model, "choices": []})
                return
            text = "" if fault == "empty" else server.responder(body.get("messages", []))
            self._json(200, _completion(model, text, body))

        def _authorised(self) -> bool:
            if server.api_key is None or self.headers.get("Authorization") == f"Bearer {server.api_key}":
                return True
            given = self.headers.get("Authorization", "")[7:]
            masked = f"{given[:3]}***{given[-2:]}" if len(given) > 6 else "***"
            self._json(401, {"error": {"message": f"Incorrect API key provided: {masked}", "code": "invalid_api_key"}})
            return False

        def _drop(self) -> None:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _raw(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _completion(model: str, text: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion_tokens = len(text.split())
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A stub OpenAI-compatible server on 127.0.0.1 for tests and benchmarks.")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one, printed on start)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)
    server = StubOpenAIServer(delay=args.delay, port=args.port)
    print(f"listening {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
