"""Fixtures for the local provider: embedded clients, a real uvicorn server, request files."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import httpx
import pytest
import uvicorn

from specrun.local import EMBEDDED_BASE_URL, create_app, embedded_transport
from specrun.local.app import bind_socket

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
TERMINAL = {"completed", "failed", "expired", "cancelled"}


def request_line(custom_id: str, content: str, *, model: str = MODEL, **overrides: Any) -> dict[str, Any]:
    line = {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": model, "messages": [{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": content}]},
    }
    line.update(overrides)
    return line


def jsonl(lines: Iterable[Any]) -> bytes:
    return b"".join((json.dumps(x) if not isinstance(x, str) else x).encode() + b"\n" for x in lines)


def requests_file(count: int, *, fail: Iterable[int] = (), model: str = MODEL) -> bytes:
    failing = set(fail)
    return jsonl(request_line(f"r-{i}", f"question {i}" + (" [[fail]]" if i in failing else ""), model=model)
                 for i in range(count))


def upload(client: httpx.Client, content: bytes, filename: str = "input.jsonl") -> str:
    response = client.post("/files", files={"file": (filename, content)}, data={"purpose": "batch"})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def create_batch(client: httpx.Client, content: bytes) -> dict[str, Any]:
    response = client.post("/batches", json={"input_file_id": upload(client, content),
                                             "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(client: httpx.Client, batch_id: str, predicate: Callable[[dict[str, Any]], bool] | set[str] = TERMINAL,
             timeout: float = 10.0) -> dict[str, Any]:
    """Poll a batch until ``predicate`` holds (or its status is in the given set)."""
    check = (lambda b: b["status"] in predicate) if isinstance(predicate, set) else predicate
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        batch = client.get(f"/batches/{batch_id}").json()
        seen.append(batch["status"])
        if check(batch):
            return batch
        if time.monotonic() > deadline:
            raise AssertionError(f"batch {batch_id} never got there; statuses seen: {sorted(set(seen))}: {batch}")
        time.sleep(0.01)


def read_jsonl(client: httpx.Client, file_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/files/{file_id}/content")
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Callable[..., httpx.Client]]:
    """``embedded(**options)`` → an httpx client on an embedded provider; all closed at teardown."""
    transports = []

    def make(data_dir: Path | None = None, **options: Any) -> httpx.Client:
        transport = embedded_transport(data_dir or tmp_path / "local", **options)
        transports.append(transport)
        return httpx.Client(transport=transport, base_url=EMBEDDED_BASE_URL)

    yield make
    for transport in transports:
        transport.close()


class ThreadedApp:
    """An ASGI app on a real uvicorn server, on an ephemeral port, in a thread (``url`` ends in /v1)."""

    def __init__(self, app: Any, *, lifespan: str = "on") -> None:
        self.app = app
        self.socket = bind_socket("127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/v1"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> "ThreadedApp":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class ThreadedServer(ThreadedApp):
    """``specrun serve``'s app on a ThreadedApp."""

    def __init__(self, data_dir: Path, **options: Any) -> None:
        super().__init__(create_app(data_dir, **options))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[..., ThreadedServer]]:
    """``served(**options)`` → a running ThreadedServer; stopped at teardown."""
    servers: list[ThreadedServer] = []

    def start(data_dir: Path | None = None, **options: Any) -> ThreadedServer:
        server = ThreadedServer(data_dir or tmp_path / "serve", **options).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
