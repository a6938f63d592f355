"""Engines answer the requests of a batch: ``echo`` (deterministic) and ``openai`` (upstream).

An engine lists its models and maps requests to results *in input order*; how
many it works on at once is its own business (the openai engine keeps up to
``concurrency`` upstream calls in flight).

The echo engine replies ``"echo: " + <last user message>``, cut to
``max_tokens * 4`` characters (``finish_reason: "length"`` then), with usage counted
as one token per four characters. A last user message containing ``[[fail]]``
gets a per-line 400 error instead, so pipelines can test partial failures. It answers
``/v1/responses`` (a Responses API object with the same text) and ``/v1/embeddings``
(deterministic unit vectors) too: see ``_echo``. The openai engine sends each request to
the upstream's path for the batch's endpoint (``<upstream>/chat/completions``,
``/embeddings``, ``/responses``).

Asked for structured output, it answers JSON: for ``response_format`` ``json_schema``
a deterministic instance of the schema (``schema_instance``: values drawn from a hash
of the last user message, the echo text in the first free-form string), for
``json_object`` ``{"echo": <last user message>}``. Two markers let tests exercise the
checks downstream: ``[[invalid-json]]`` answers text that is not JSON, ``[[off-schema]]``
JSON that breaks the schema.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import logging
import os
import ssl
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from specrun.errors import SpecrunError
from specrun.local._echo import ECHO_FAIL_MARKER, echo_answer
from specrun.local._instances import ECHO_INVALID_JSON_MARKER, ECHO_OFF_SCHEMA_MARKER, schema_instance
from specrun.local._options import LocalOptions

__all__ = [
    "ECHO_FAIL_MARKER", "ECHO_INVALID_JSON_MARKER", "ECHO_OFF_SCHEMA_MARKER", "DEFAULT_ECHO_MODELS", "ModelInfo",
    "EngineRequest", "EngineResult", "Engine", "EchoEngine", "OpenAIEngine", "EngineUnavailable", "make_engine",
    "echo_reply", "schema_instance",
]

log = logging.getLogger("specrun.local")


@dataclass(frozen=True)
class ModelInfo:
    """One active model, with the fields of ``/model-config``."""

    id: str
    name: str | None = None
    description: str = ""
    input_price_cents: float = 0.0     # cents per million input tokens
    output_price_cents: float = 0.0    # cents per million output tokens
    num_parameters_billions: float | None = None
    num_experts: int | None = None
    context_length: int = 8192
    license_url: str | None = None

    def config(self, display_order: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name or self.id.rsplit("/", 1)[-1],
            "description": self.description,
            "input_price_cents": self.input_price_cents,
            "output_price_cents": self.output_price_cents,
            "model_code": self.id,
            "num_parameters_billions": self.num_parameters_billions,
            "num_experts": self.num_experts,
            "context_length": self.context_length,
            "display_order": display_order,
            "license_url": self.license_url,
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
            "status": "active",
        }


DEFAULT_ECHO_MODELS = (
    ModelInfo("meta-llama/Llama-3.1-8B-Instruct", "Llama 3.1 8B Instruct",
              "Meta's 8B instruction-tuned model (echo engine).", 5.0, 5.0, 8.0, None, 131072,
              "https://www.llama.com/llama3_1/license/"),
    ModelInfo("meta-llama/Llama-3.3-70B-Instruct", "Llama 3.3 70B Instruct",
              "Meta's 70B instruction-tuned model (echo engine).", 35.0, 40.0, 70.0, None, 131072,
              "https://www.llama.com/llama3_3/license/"),
    ModelInfo("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5 7B Instruct",
              "Alibaba's 7B instruction-tuned model (echo engine).", 5.0, 5.0, 7.6, None, 32768,
              "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct/blob/main/LICENSE"),
    ModelInfo("mistralai/Mistral-7B-Instruct-v0.3", "Mistral 7B Instruct v0.3",
              "Mistral AI's 7B instruction-tuned model (echo engine).", 5.0, 5.0, 7.2, None, 32768,
              "https://www.apache.org/licenses/LICENSE-2.0"),
    ModelInfo("BAAI/bge-m3", "BGE-M3", "BAAI's multilingual embedding model (echo engine: deterministic "
              "vectors, 256 numbers unless dimensions says otherwise).", 1.0, 0.0, 0.57, None, 8192,
              "https://huggingface.co/BAAI/bge-m3"),
)


@dataclass(frozen=True)
class EngineRequest:
    custom_id: str
    body: dict[str, Any]
    url: str = "/v1/chat/completions"  # the batch's endpoint: what the body asks for


@dataclass(frozen=True)
class EngineResult:
    """``status_code`` + ``body`` as the upstream answered, or ``error`` when there was no answer."""

    status_code: int | None
    body: dict[str, Any] | None
    error: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and self.status_code < 400


class EngineUnavailable(Exception):
    """The engine cannot say which models it serves (upstream down)."""


class Engine(Protocol):
    name: str

    def models(self) -> list[ModelInfo]: ...

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        """Results in input order; stops early (without error) once ``should_stop()``.

        A generator: the worker closes it when it stops early, so an engine can clean up.
        """
        ...

    def close(self) -> None: ...


# ---- echo ------------------------------------------------------------------------------


def echo_reply(custom_id: str, body: dict[str, Any], *, created: int | None = None,
               url: str = "/v1/chat/completions") -> EngineResult:
    """The echo engine's deterministic answer to one request body sent to ``url`` (see ``_echo``)."""
    status, answer = echo_answer(custom_id, body, url, created)
    return EngineResult(status, answer)


class EchoEngine:
    """Deterministic replies, instantly (or after ``delay_ms`` per request)."""

    name = "echo"

    def __init__(self, extra_models: Iterable[str] = (), delay_ms: float = 0.0) -> None:
        known = {m.id for m in DEFAULT_ECHO_MODELS}
        self._models = list(DEFAULT_ECHO_MODELS) + [
            ModelInfo(m, description="Extra model served by the echo engine.") for m in dict.fromkeys(extra_models)
            if m not in known
        ]
        self._delay = delay_ms / 1000.0

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        created = int(time.time())
        for request in requests:
            if self._delay:
                time.sleep(self._delay)
                created = int(time.time())
            yield echo_reply(request.custom_id, request.body, created=created, url=request.url)
            if should_stop():
                return

    def close(self) -> None:
        pass


# ---- openai (an OpenAI-compatible upstream) ----------------------------------------------------


def upstream_path(url: str) -> str:
    """The upstream path of a batch endpoint: ``/v1/embeddings`` → ``/embeddings`` (the upstream URL ends in /v1)."""
    return url.removeprefix("/v1")


class OpenAIEngine:
    """Sends each request to the upstream's path for its endpoint (``<upstream>/chat/completions``,
    ``/embeddings``, ``/responses``), ``concurrency`` at a time."""

    name = "openai"
    _RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})

    def __init__(self, upstream: str, *, api_key: str | None = None, concurrency: int = 16,
                 timeout: float = 300.0, max_retries: int = 3, models: Iterable[str] = ()) -> None:
        self.upstream = upstream.rstrip("/")
        self.concurrency = concurrency
        self.max_retries = max_retries
        self._upstream = _Upstream(self.upstream, api_key=api_key, timeout=timeout)
        self._fixed_models = [ModelInfo(m, description="Served by the upstream.") for m in dict.fromkeys(models)]
        self._listed: tuple[float, list[ModelInfo]] | None = None
        self._closed = threading.Event()

    def models(self) -> list[ModelInfo]:
        if self._fixed_models:
            return list(self._fixed_models)
        if self._listed and time.monotonic() - self._listed[0] < 60:
            return list(self._listed[1])
        try:
            status, _, payload = self._upstream.request("GET", "/models")
            if status != 200:
                raise ValueError(f"HTTP {status}")
            ids = [m["id"] for m in json.loads(payload)["data"]]
        except (OSError, http.client.HTTPException, ValueError, KeyError, TypeError) as exc:
            raise EngineUnavailable(
                f"cannot list the upstream's models at {self.upstream}/models ({exc}); "
                "name them with --model (or `models:` under provider.local)"
            ) from exc
        listed = [ModelInfo(i, description="Served by the upstream.") for i in ids]
        self._listed = (time.monotonic(), listed)
        return list(listed)

    def complete(self, request: EngineRequest) -> EngineResult:
        """One request, retrying upstream 429/5xx and connection errors."""
        body = dict(request.body)
        body.pop("stream", None)  # batch lines want whole answers
        payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        attempt = 0
        while True:
            delay: float | None = None
            try:
                status, headers, content = self._upstream.request("POST", upstream_path(request.url), payload)
            except (OSError, http.client.HTTPException) as exc:
                if attempt >= self.max_retries or self._closed.is_set():
                    return EngineResult(None, None, {
                        "code": "upstream_unreachable",
                        "message": f"upstream {self.upstream}: {type(exc).__name__}: {exc}",
                    })
            else:
                if status not in self._RETRY_STATUSES or attempt >= self.max_retries:
                    try:
                        answer = json.loads(content)
                    except ValueError:
                        answer = None
                    if not isinstance(answer, dict):
                        return EngineResult(None, None, {
                            "code": "upstream_invalid_response",
                            "message": f"upstream answered {status} with a non-JSON body",
                        })
                    return EngineResult(status, answer)
                delay = _retry_after(headers)
            attempt += 1
            if delay is None:
                delay = min(8.0, 0.25 * 2 ** (attempt - 1))
            if self._closed.wait(min(delay, 60.0)):
                return EngineResult(None, None, {"code": "engine_stopped", "message": "the server stopped"})

    def map(
        self, requests: Iterable[EngineRequest], should_stop: Callable[[], bool],
    ) -> Generator[EngineResult, None, None]:
        window: deque[concurrent.futures.Future[EngineResult]] = deque()
        executor = concurrent.futures.ThreadPoolExecutor(self.concurrency, thread_name_prefix="specrun-upstream")
        source = iter(requests)
        try:
            exhausted = False
            while True:
                # Keep enough requests queued that no worker thread ever idles.
                while not exhausted and len(window) < self.concurrency * 4:
                    request = next(source, None)
                    if request is None:
                        exhausted = True
                        break
                    window.append(executor.submit(self.complete, request))
                if not window:
                    return
                head = window[0]
                while not head.done():
                    concurrent.futures.wait([head], timeout=0.1)
                    if should_stop():
                        return
                window.popleft()
                yield head.result()
                if should_stop():
                    return
        finally:
            for future in window:
                future.cancel()
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._closed.set()
        self._upstream.close()


class _Upstream:
    """Keep-alive HTTP(S) connections to the upstream, one per thread.

    The stdlib client, not httpx: with dozens of threads, httpx's shared pool costs
    ~1-2 ms of CPU per call and caps an engine near 500-900 requests/s; one plain
    connection per thread costs ~0.2 ms.
    """

    def __init__(self, base_url: str, *, api_key: str | None, timeout: float) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpecrunError(f"local provider: upstream must be an http(s) URL, got {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path.rstrip("/")
        self._timeout = timeout
        self._headers = {"Content-Type": "application/json", "Accept": "application/json",
                         "User-Agent": "specrun-local"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        with self._lock:
            self._all.add(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None
        with self._lock:
            self._all.discard(connection)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Mapping[str, str], bytes]:
        for attempt in range(2):
            connection = getattr(self._local, "connection", None)
            reused = connection is not None
            if connection is None:
                connection = self._local.connection = self._connect()
            try:
                connection.request(method, self._path + path, body=body, headers=self._headers)
                response = connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop(connection)
                if reused and attempt == 0:
                    continue  # the upstream closed an idle keep-alive connection: reconnect once
                raise
            except BaseException:
                self._drop(connection)
                raise
            if response.will_close:
                self._drop(connection)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            connections, self._all = list(self._all), set()
        for connection in connections:
            connection.close()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    milliseconds = headers.get("retry-after-ms")
    seconds = headers.get("retry-after")
    try:
        if milliseconds is not None:
            return max(0.0, float(milliseconds) / 1000)
        if seconds is not None:
            return max(0.0, float(seconds))
    except ValueError:
        return None
    return None


def make_engine(options: LocalOptions) -> Engine:
    """Build the engine the options name."""
    if options.engine == "echo":
        return EchoEngine(options.models, delay_ms=options.delay_ms)
    api_key = None
    if options.upstream_key_env:
        api_key = os.environ.get(options.upstream_key_env)
        if not api_key:
            raise SpecrunError(
                f"local provider: environment variable {options.upstream_key_env} "
                "(named by upstream_key_env) is not set"
            )
    assert options.upstream is not None
    return OpenAIEngine(options.upstream, api_key=api_key, concurrency=options.concurrency,
                        timeout=options.timeout, max_retries=options.max_retries, models=options.models)
