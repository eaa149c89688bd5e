"""OpenAI-compatible chat completions with the real `openai` client: the OpenAI API or any server
that speaks the protocol (vLLM, Ollama, llama.cpp, `transformers serve`) through `base_url`.

The client's own retries are off; ours classify each error, honour
`Retry-After`, back off with jitter and, after the last retry, turn the item
into a `CallFailure` so the run goes on. Errors that would fail every item
(no key, key rejected, unknown model) stop the run at once with
`LLMSetupError`. The key is read from the environment and never appears in a
message: every reason goes through `scrub_secrets`.
"""

from __future__ import annotations

import importlib
import json
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Sequence

from proact_env.errors import require
from proact_env.llm.chat import CallFailure, ChatRequest, Completion, LLMSetupError, ResultCallback
from proact_env.llm.config import LLMConfig
from proact_env.llm.limits import request_slots
from proact_env.llm.retry import RetryPolicy, parse_retry_after, scrub_secrets
from proact_env.llm.usage import UsageTally

#: Placeholder key for local servers that do not check keys (vLLM, Ollama, llama.cpp accept any).
LOCAL_SERVER_KEY = "EMPTY"
_RETRYABLE_STATUS = {408, 409, 425, 429}


def served_name(model: str) -> str:
    """The model id sent to the server: a registered local name (``smollm2-135m-instruct``) goes as its
    converted folder, the id under which ``transformers serve "$(proact fetch-model NAME)"`` serves it."""
    from proact_env.llm.local_models import converted_path, is_local_name

    return str(converted_path(model)) if is_local_name(model) else model


def resolve_base_url(config: LLMConfig) -> str | None:
    """The configured base URL, else ``$OPENAI_BASE_URL``, else None (the OpenAI API)."""
    return config.base_url or os.environ.get("OPENAI_BASE_URL") or None


def resolve_api_key(config: LLMConfig) -> str:
    """The key from ``$<api_key_env>``; a local server (a base URL) may go without one."""
    key = os.environ.get(config.api_key_env, "").strip()
    if key:
        return key
    if resolve_base_url(config) is not None:
        return LOCAL_SERVER_KEY
    raise LLMSetupError(
        f"no API key: the environment variable {config.api_key_env} is not set. "
        f"Set it (export {config.api_key_env}=...) or point --base_url at an OpenAI-compatible server"
    )


class OpenAIChatClient:
    """Chat completions over HTTP, at most `config.concurrency` in flight across all callers.

    Arguments:
        config: model, base URL, key variable, sampling, timeout and retry settings.
        tally: counts every attempt (and retry) sent.
        sleep: how to wait between retries (tests pass a recorder).
    """

    provider = "openai"

    def __init__(self, config: LLMConfig, tally: UsageTally, *, sleep: Callable[[float], None] = time.sleep) -> None:
        openai = require("openai", "llm")
        self._errors = openai
        self.model = str(config.model)
        self.served_model = served_name(self.model)
        self.base_url = resolve_base_url(config)
        self._key = resolve_api_key(config)
        self._key_env = config.api_key_env
        self._client = openai.OpenAI(
            api_key=self._key, base_url=self.base_url, timeout=config.request_timeout, max_retries=0
        )
        # The client's generic `post` (its documented way to call any endpoint) with the
        # raw HTTP response: `chat.completions.create` spends twice the CPU per request
        # validating parameters and building pydantic models, and at high concurrency
        # that CPU is what bounds throughput. Errors still come as the client's classes.
        self._response_type = _http_response_class(openai)
        self._params: dict[str, Any] = {"temperature": config.temperature, "max_tokens": config.max_tokens}
        self._seed = config.seed
        self._timeout = config.request_timeout
        self.retry = RetryPolicy(config.max_retries, config.backoff_base, config.backoff_max)
        self.tally = tally
        self._sleep = sleep
        self._jitter = random.Random()
        self._in_flight = request_slots(config)  # this process's semaphore, or a cluster-wide limiter
        self._pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="proact-llm")

    def complete_many(
        self, requests: Sequence[ChatRequest], on_result: ResultCallback | None = None
    ) -> list[Completion | CallFailure]:
        def one(index: int) -> Completion | CallFailure:
            result = self.complete(requests[index])
            if on_result is not None:
                on_result(index, result)
            return result

        if len(requests) == 1:
            return [one(0)]
        return list(self._pool.map(one, range(len(requests))))

    def complete(self, request: ChatRequest) -> Completion | CallFailure:
        """One request with retries; a `CallFailure` once they are spent."""
        reason = "no attempt made"
        for attempt in range(self.retry.max_retries + 1):
            self.tally.add_attempt(retry=attempt > 0)
            try:
                with self._in_flight:
                    response = self._client.post(
                        "/chat/completions", body=self._body(request), cast_to=self._response_type
                    )
                    payload = json.loads(response.content)
            except Exception as exc:  # noqa: BLE001 - classified below; unknown errors propagate
                reason, retry_after = self._classify(exc)
            else:
                result = read_completion(payload)
                if isinstance(result, Completion):
                    return result
                if not result.reason.startswith("malformed"):
                    return CallFailure(result.reason, attempts=attempt + 1)
                reason, retry_after = result.reason, None
            if attempt < self.retry.max_retries:
                self._sleep(self.retry.delay(attempt, retry_after, self._jitter))
        return CallFailure(reason=reason, attempts=self.retry.max_retries + 1)

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body = {"model": self.served_model, "messages": request.message_dicts(), **self._params}
        if self._seed is not None:
            body["seed"] = self._seed + request.sample_index
        return body

    def list_models(self) -> list[str]:
        """Model names the server offers (empty if it cannot list them)."""
        try:
            return sorted(m.id for m in self._client.models.list())
        except Exception:  # noqa: BLE001 - listing is a hint for error messages only
            return []

    def _classify(self, exc: Exception) -> tuple[str, float | None]:
        """(reason, Retry-After) of a transient error; raises `LLMSetupError` for hopeless ones."""
        errors = self._errors
        if isinstance(exc, errors.APITimeoutError):
            return f"timeout: no response within {self._timeout:g}s", None
        if isinstance(exc, errors.APIConnectionError):
            cause = exc.__cause__ or exc
            return self._scrub(f"connection error: {type(cause).__name__}: {cause}"), None
        if isinstance(exc, errors.APIStatusError):
            status = exc.status_code
            detail = self._scrub(_error_detail(exc))
            if status >= 500 or status in _RETRYABLE_STATUS:
                return f"HTTP {status}: {detail}", parse_retry_after(exc.response.headers)
            if status == 401:
                raise LLMSetupError(f"the API key in ${self._key_env} was rejected (HTTP 401): {detail}") from None
            if status == 403:
                raise LLMSetupError(f"permission denied for model {self.model!r} (HTTP 403): {detail}") from None
            if status == 404:
                raise LLMSetupError(
                    f"HTTP 404 from {self.base_url or 'the OpenAI API'}: model {self.model!r} not found "
                    f"(or the base URL is wrong: it usually ends in /v1): {detail}"
                    + (f"; a named local model is requested as its folder {self.served_model}: serve that "
                       f"folder (transformers serve {self.served_model})" if self.served_model != self.model else "")
                ) from None
            return f"HTTP {status} (not retried): {detail}", None
        if isinstance(exc, (errors.APIResponseValidationError, json.JSONDecodeError, UnicodeDecodeError)):
            return self._scrub(f"malformed response: {type(exc).__name__}: {exc}"), None
        raise exc

    def _scrub(self, text: str) -> str:
        return scrub_secrets(text, self._key)


def _http_response_class(openai: Any) -> type:
    """The HTTP library's `Response` class: httpx's for openai 1.x-2.x, httpx2's for 3.x."""
    http_client = openai.DefaultHttpxClient.__mro__[1]
    return importlib.import_module(http_client.__module__.split(".")[0]).Response


def read_completion(payload: Any) -> Completion | CallFailure:
    """The text and usage of a chat-completion response body; a malformed or empty one is a `CallFailure`.

    A reason starting with "malformed" is retried (a garbled response is
    usually transient); an empty completion is the model's answer and is not.
    """
    try:
        choice = payload["choices"][0]
        text = choice["message"]["content"]
    except (IndexError, TypeError, KeyError):
        return CallFailure("malformed response: no choices[0].message.content")
    if text is not None and not isinstance(text, str):
        return CallFailure(f"malformed response: content is {type(text).__name__}, not text")
    if not text or not text.strip():
        return CallFailure(f"empty completion (finish_reason={choice.get('finish_reason')})")
    usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
    return Completion(
        text=text,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _error_detail(exc: Any) -> str:
    """The server's error message (``{"error": {"message": ...}}`` or ``{"message": ...}``), shortened."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or getattr(exc, "message", exc))[:300]
