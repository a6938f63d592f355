"""End-to-end fixtures: a real `specrun serve` process and a way to run the real CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pytest

MODEL = "meta-llama/Llama-3.1-8B-Instruct"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    data_dir: Path

    def batches(self) -> list[dict]:
        response = httpx.get(f"{self.url}/batches", params={"limit": 100}, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def files(self) -> list[dict]:
        """Uploaded request files (the provider's own output files excluded)."""
        response = httpx.get(f"{self.url}/files", timeout=10)
        response.raise_for_status()
        return [f for f in response.json()["data"] if f.get("purpose") == "batch"]


def start_server(tmp_path: Path, *extra: str) -> Server:
    port = _free_port()
    data_dir = tmp_path / "serve-data"
    log = open(tmp_path / "serve.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "specrun", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir), *extra],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"specrun serve exited: {(tmp_path / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{url}/active-models", timeout=1).status_code == 200:
                return Server(url, process, data_dir)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("specrun serve did not come up")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    yield srv
    srv.process.terminate()
    srv.process.wait(10)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator:
    started: list[Server] = []

    def make(*extra: str) -> Server:
        srv = start_server(tmp_path, *extra)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.process.terminate()
        srv.process.wait(10)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def posts(self) -> list[str]:
        """The POST calls the client logged with -v (``POST /v1/... -> 200 (3 ms)``)."""
        return [line for line in self.stderr.splitlines() if line.startswith("POST ")]


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> Result:
    """Run the real `specrun` CLI in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SPECRUN_")}
    full_env["NO_COLOR"] = "1"
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "specrun", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def write_project(root: Path, base_url: str | None, *, rows: int = 5, jobs: tuple[str, ...] = ("greet",),
                  content: str = "Say hello to {{ row.name }}.", max_requests: int | None = None,
                  fail_rows: tuple[int, ...] = ()) -> Path:
    """A spec with inline-free CSV data; rows listed in ``fail_rows`` carry the echo engine's fail marker."""
    root.mkdir(parents=True, exist_ok=True)
    data = root / "data"
    data.mkdir(exist_ok=True)
    lines = ["id,name"]
    for i in range(rows):
        name = f"person {i}" + (" [[fail]]" if i in fail_rows else "")
        lines.append(f"{i},{name}")
    (data / "people.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    provider = f"provider:\n  base_url: {base_url}\n" if base_url else "provider: local\n"
    limits = f"    limits: {{max_requests: {max_requests}}}\n" if max_requests else ""
    body = "".join(
        f"  {job}:\n"
        f"    data: data/people.csv\n"
        f"    id: \"{job}-{{{{ row.id }}}}\"\n"
        f"    messages:\n"
        f"      - {{role: user, content: \"{content}\"}}\n"
        f"{limits}"
        for job in jobs
    )
    spec = root / "specrun.yaml"
    spec.write_text(
        f"version: 1\n{provider}defaults:\n  model: {MODEL}\n  params: {{max_tokens: 32}}\njobs:\n{body}",
        encoding="utf-8",
    )
    return spec


def read_results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
