"""Throughput of the local provider; prints figures (not part of the test run).

    python benchmarks/serve.py [--requests 100000] [--upstream-requests 20000]

1. echo engine, 100,000-request batch: upload → completed → download, both through
   `specrun serve` (a separate process, over HTTP) and the embedded transport.
2. openai engine against a stub upstream (separate process) answering every
   /chat/completions after 20 ms, at --concurrency 64: the ceiling is
   64 / 0.02 s = 3,200 requests/s; the ratio to it is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from specrun.local import EMBEDDED_BASE_URL, embedded_transport  # noqa: E402

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def request_lines(count: int, model: str = MODEL) -> bytes:
    return b"".join(
        json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions",
                    "body": {"model": model, "max_tokens": 64, "messages": [
                        {"role": "system", "content": "Summarize in one sentence."},
                        {"role": "user", "content": f"Article {i}: " + "lorem ipsum dolor sit amet " * 8}]}},
                   separators=(",", ":")).encode() + b"\n"
        for i in range(count)
    )


def run_batch(client: httpx.Client, content: bytes) -> dict[str, float]:
    """Upload, create, poll to completion, download; seconds per phase."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    file_id = client.post("/files", files={"file": ("bench.jsonl", content)}, data={"purpose": "batch"},
                          timeout=120).json()["id"]
    times["upload"] = time.perf_counter() - started
    batch = client.post("/batches", json={"input_file_id": file_id, "endpoint": "/v1/chat/completions",
                                          "completion_window": "24h"}).json()
    mark = time.perf_counter()
    while batch["status"] not in ("completed", "failed", "expired", "cancelled"):
        time.sleep(0.05)
        batch = client.get(f"/batches/{batch['id']}").json()
    assert batch["status"] == "completed", batch
    times["process"] = time.perf_counter() - mark
    mark = time.perf_counter()
    downloaded = 0
    with client.stream("GET", f"/files/{batch['output_file_id']}/content", timeout=120) as response:
        for chunk in response.iter_bytes():
            downloaded += chunk.count(b"\n")
    assert downloaded == batch["request_counts"]["total"], (downloaded, batch["request_counts"])
    times["download"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    return times


def report(label: str, count: int, times: dict[str, float], ceiling: float | None = None) -> None:
    rate = count / times["total"]
    phases = ", ".join(f"{k} {v:.2f}s" for k, v in times.items() if k != "total")
    line = f"{label:<44} {count:>7,} requests in {times['total']:6.2f}s = {rate:8,.0f} req/s  ({phases})"
    if ceiling:
        line += f"\n{'':<44} ratio to the {ceiling:,.0f} req/s ceiling: {rate / ceiling:.2f}"
    print(line, flush=True)


# ---- the served process and the stub upstream ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data_dir: str, port: int) -> None:
    from specrun.local import serve
    serve(Path(data_dir), host="127.0.0.1", port=port)


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_STUB_BODY = json.dumps({
    "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "stub/model",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "ok"}}],
    "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
}).encode()


def _stub_upstream(port: int, latency: float) -> None:
    """A minimal HTTP/1.1 keep-alive server: every POST waits ``latency``, then answers."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                if head.startswith(b"GET /v1/models"):
                    body = b'{"object":"list","data":[{"id":"stub/model","object":"model"}]}'
                else:
                    await asyncio.sleep(latency)
                    body = _STUB_BODY
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000, help="echo batch size")
    parser.add_argument("--upstream-requests", type=int, default=20_000, help="openai-engine batch size")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    print(f"specrun local provider benchmark (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")

    with tempfile.TemporaryDirectory() as tmp:
        content = request_lines(args.requests)
        print(f"echo input: {args.requests:,} requests, {len(content) / 1e6:.1f} MB")

        # 1a. echo, served over HTTP by a separate `specrun serve` process
        port = _free_port()
        server = context.Process(target=_serve, args=(str(Path(tmp) / "served"), port), daemon=True)
        server.start()
        try:
            url = f"http://127.0.0.1:{port}/v1"
            _wait_up(url + "/active-models")
            with httpx.Client(base_url=url, timeout=60) as client:
                report("echo, specrun serve (HTTP)", args.requests, run_batch(client, content))
        finally:
            server.terminate()
            server.join(10)

        # 1b. echo, embedded (in-process transport)
        with embedded_transport(Path(tmp) / "embedded") as transport, \
                httpx.Client(transport=transport, base_url=EMBEDDED_BASE_URL) as client:
            report("echo, embedded transport", args.requests, run_batch(client, content))

        # 2. openai engine → stub upstream with fixed latency
        port = _free_port()
        stub = context.Process(target=_stub_upstream, args=(port, args.latency_ms / 1000), daemon=True)
        stub.start()
        try:
            upstream = f"http://127.0.0.1:{port}/v1"
            _wait_up(upstream + "/models")
            ceiling = args.concurrency / (args.latency_ms / 1000)
            with embedded_transport(Path(tmp) / "openai", engine="openai", upstream=upstream,
                                    concurrency=args.concurrency) as transport, \
                    httpx.Client(transport=transport, base_url=EMBEDDED_BASE_URL) as client:
                times = run_batch(client, request_lines(args.upstream_requests, "stub/model"))
                report(f"openai engine, {args.latency_ms:g} ms upstream, concurrency {args.concurrency}",
                       args.upstream_requests, times, ceiling)
                print(f"{'':<44} processing only: {args.upstream_requests / times['process']:,.0f} req/s "
                      f"= {args.upstream_requests / times['process'] / ceiling:.2f} of the ceiling")
        finally:
            stub.terminate()
            stub.join(10)


if __name__ == "__main__":
    main()
