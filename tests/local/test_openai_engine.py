"""The openai engine against a stub OpenAI-compatible upstream (a real server in a thread)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conftest import ThreadedApp, create_batch, jsonl, read_jsonl, request_line, wait_for
from specrun.local.app import bind_socket

UPSTREAM_MODEL = "stub/model-1"


class StubUpstream(ThreadedApp):
    """``/v1/models`` and ``/v1/chat/completions`` with scripted trouble, recording concurrency."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: dict[str, int] = {}
        self.auth: set[str | None] = set()
        self._lock = threading.Lock()
        super().__init__(Starlette(routes=[Route("/v1/models", self.models),
                                           Route("/v1/chat/completions", self.chat, methods=["POST"])]),
                         lifespan="off")
        self.__enter__()

    def stop(self) -> None:
        self.__exit__()

    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": UPSTREAM_MODEL, "object": "model"}]})

    async def chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        text = body["messages"][-1]["content"]
        with self._lock:
            self.auth.add(request.headers.get("authorization"))
            self.calls[text] = self.calls.get(text, 0) + 1
            attempt = self.calls[text]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.latency)
            if "flaky" in text and attempt <= 2:
                return JSONResponse({"error": {"message": "slow down"}}, status_code=429,
                                    headers={"retry-after-ms": "10"})
            if "boom" in text:
                return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error"}},
                                    status_code=500)
            if "bad" in text:
                return JSONResponse({"error": {"message": "bad request", "type": "invalid_request_error"}},
                                    status_code=400)
            return JSONResponse({"id": "chatcmpl-x", "object": "chat.completion", "created": 0,
                                 "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": text.upper()}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def upstream():
    stub = StubUpstream(latency=0.01)
    yield stub
    stub.stop()


def test_forwards_requests_with_bounded_concurrency(embedded, upstream, monkeypatch):
    monkeypatch.setenv("STUB_KEY", "sk-upstream")
    client = embedded(engine="openai", upstream=upstream.url, upstream_key_env="STUB_KEY", concurrency=4)
    assert client.get("/active-models").json() == {"active_models": [UPSTREAM_MODEL]}
    lines = [request_line(f"r{i}", f"hello {i}", model=UPSTREAM_MODEL) for i in range(40)]
    done = wait_for(client, create_batch(client, jsonl(lines))["id"])
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 40
    outputs = read_jsonl(client, done["output_file_id"])
    assert [o["custom_id"] for o in outputs] == [f"r{i}" for i in range(40)]  # input order kept
    assert outputs[7]["response"]["body"]["choices"][0]["message"]["content"] == "HELLO 7"
    assert 2 <= upstream.max_in_flight <= 4
    assert upstream.auth == {"Bearer sk-upstream"}


def test_retries_upstream_429_and_records_per_line_failures(embedded, upstream):
    client = embedded(engine="openai", upstream=upstream.url, concurrency=2, max_retries=2)
    lines = [request_line("ok", "fine", model=UPSTREAM_MODEL),
             request_line("flaky", "flaky one", model=UPSTREAM_MODEL),
             request_line("boom", "boom", model=UPSTREAM_MODEL),
             request_line("bad", "bad input", model=UPSTREAM_MODEL)]
    done = wait_for(client, create_batch(client, jsonl(lines))["id"])
    assert done["request_counts"] == {"total": 4, "completed": 2, "failed": 2}
    assert upstream.calls["flaky one"] == 3 and upstream.calls["boom"] == 3 and upstream.calls["bad input"] == 1
    errors = {e["custom_id"]: e for e in read_jsonl(client, done["error_file_id"])}
    assert errors["boom"]["response"]["status_code"] == 500
    assert errors["bad"]["response"]["body"]["error"]["message"] == "bad request"


def test_unreachable_upstream_lines_fail_with_an_error(embedded, tmp_path):
    closed = bind_socket("127.0.0.1", 0)
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
    closed.close()
    client = embedded(engine="openai", upstream=url, models=["m"], max_retries=0, timeout=2)
    done = wait_for(client, create_batch(client, jsonl([request_line("a", "x", model="m")]))["id"])
    assert done["request_counts"]["failed"] == 1
    error = read_jsonl(client, done["error_file_id"])[0]
    assert error["response"] is None and error["error"]["code"] == "upstream_unreachable"
    # without --model, the model list comes from the upstream: unreachable → a clear 502
    listing = embedded(tmp_path / "other", engine="openai", upstream=url).get("/active-models")
    assert listing.status_code == 502 and "--model" in listing.json()["error"]["message"]


def test_model_not_served_upstream_fails_validation(embedded, upstream):
    client = embedded(engine="openai", upstream=upstream.url)
    done = wait_for(client, create_batch(client, jsonl([request_line("a", "x", model="other/model")]))["id"])
    assert done["status"] == "failed" and done["errors"]["data"][0]["code"] == "model_not_found"
