"""Upload and download a large file through ``specrun.client.Client`` with flat memory.

    .venv/bin/python benchmarks/client_memory.py [--size-mb 200]

Starts a tiny Batch-API-shaped HTTP server in a *separate process* (so its buffers do
not count), writes a JSONL file of the given size, then measures this process's
resident memory (sampled every 5 ms) while the client uploads it (multipart, streamed
from disk) and downloads it back (streamed to a temp file, then renamed). Prints the
peak RSS growth over the baseline for each phase; both should be a few MB whatever
the file size.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 1024 * 1024


# ------------------------------------------------------------------ the server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stored: dict[str, int] = {}

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # POST /v1/files: read and discard the multipart body
        remaining = int(self.headers["content-length"])
        received = 0
        while remaining:
            chunk = self.rfile.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            received += len(chunk)
        file_id = f"file-{len(self.stored) + 1}"
        self.stored[file_id] = received
        self._json({"id": file_id, "object": "file", "bytes": received, "filename": "big.jsonl",
                    "purpose": "batch", "status": "processed", "created_at": int(time.time())})

    def do_GET(self) -> None:  # GET /v1/files/{id}/content: stream generated JSONL
        size = int(self.path.rsplit("/", 2)[-2].split("-", 1)[1]) if "/content" in self.path else 0
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(size))
        self.end_headers()
        line = b'{"custom_id": "x", "response": {"status_code": 200}, "pad": "' + b"p" * 900 + b'"}\n'
        block = line * (CHUNK // len(line))
        sent = 0
        while sent < size:
            piece = block[: size - sent]
            self.wfile.write(piece)
            sent += len(piece)


def serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Handler).serve_forever()


# ------------------------------------------------------------------ the client


class RssSampler:
    """Samples this process's RSS in a thread and keeps the peak."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return self._process.memory_info().rss

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> RssSampler:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("benchmark server did not start")


def _write_jsonl(path: Path, size: int) -> None:
    line = b'{"custom_id": "r", "method": "POST", "url": "/v1/chat/completions", "body": {"pad": "' + b"a" * 900 + b'"}}\n'
    block = line * (CHUNK // len(line))
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            written += len(piece)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from specrun.client import Client

    size = args.size_mb * 1024 * 1024
    port = _free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory() as tmp, Client(f"http://127.0.0.1:{port}") as client:
            source = Path(tmp) / "big.jsonl"
            _write_jsonl(source, size)
            with RssSampler() as sampler:
                baseline = sampler.rss()
                started = time.perf_counter()
                uploaded = client.upload_file(source)
                upload_seconds = time.perf_counter() - started
            upload_peak = sampler.peak - baseline

            dest = Path(tmp) / "back.jsonl"
            with RssSampler() as sampler:
                baseline = sampler.rss()
                started = time.perf_counter()
                written = client.download_file(f"file-{size}", dest)
                download_seconds = time.perf_counter() - started
            download_peak = sampler.peak - baseline

            assert uploaded.bytes is not None and uploaded.bytes > size, uploaded
            assert written == size == dest.stat().st_size

            # For contrast: what buffering the whole file (files={"file": data}) would cost.
            with RssSampler() as sampler:
                baseline = sampler.rss()
                import httpx

                data = source.read_bytes()
                httpx.post(f"http://127.0.0.1:{port}/v1/files", files={"file": ("big.jsonl", data)},
                           data={"purpose": "batch"}, timeout=60).raise_for_status()
                del data
            naive_peak = sampler.peak - baseline
    finally:
        server.terminate()
        server.wait()

    mb = 1024 * 1024
    print(f"file size:          {size / mb:8.1f} MB")
    print(f"upload:             {upload_seconds:8.2f} s  ({size / mb / upload_seconds:7.1f} MB/s)  "
          f"peak RSS delta {upload_peak / mb:6.2f} MB")
    print(f"download:           {download_seconds:8.2f} s  ({size / mb / download_seconds:7.1f} MB/s)  "
          f"peak RSS delta {download_peak / mb:6.2f} MB")
    print(f"naive upload (read whole file first, for contrast): peak RSS delta {naive_peak / mb:6.1f} MB")
    print(f"flat memory:        {'yes' if max(upload_peak, download_peak) < 0.05 * size else 'NO'} "
          f"(peak delta < 5% of the file size)")


if __name__ == "__main__":
    main()
