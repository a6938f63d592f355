"""End-to-end fixtures: a real `specrun serve` per module, and the CLI in-process or in a subprocess.

Most end-to-end tests run the CLI in-process (``cli``: click's CliRunner) against the
embedded provider or ``server``, a per-test tenant of ONE ``specrun serve`` process
started per module. The server is started with a pool of API keys and ``specrun serve``
shows each key only its own files and batches, so every test sees an empty provider
without paying for a server start. ``run_cli`` drives the real CLI in a subprocess:
only the smoke tests (``test_smoke.py``, marker ``smoke``) use it, for what needs a real
process (kill -9, Ctrl-C, two runs at once, a lock held by another process).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
API_KEY_ENV = "MITHRIL_API_KEY"  # the key env var of a spec without provider.api_key_env
#: Keys a shared server accepts: one per test in a module (a tenant each).
TENANT_KEYS = tuple(f"e2e-tenant-{i:03d}" for i in range(200))
_next_key = itertools.count()
#: Loggers the CLI configures per run (``-v``), put back as they were after each in-process run.
_CLI_LOGGERS = ("specrun", "specrun.client")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running `specrun serve`, seen with one API key (or none)."""

    url: str
    process: subprocess.Popen
    data_dir: Path
    api_key: str | None = None

    def _get(self, path: str, **params: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = httpx.get(f"{self.url}{path}", params=params, headers=headers, timeout=10)
        response.raise_for_status()
        return response

    def batches(self) -> list[dict]:
        return self._get("/batches", limit=100).json()["data"]

    def files(self) -> list[dict]:
        """Uploaded request files (the provider's own output files excluded)."""
        return [f for f in self._get("/files").json()["data"] if f.get("purpose") == "batch"]

    def file_content(self, file_id: str) -> str:
        return self._get(f"/files/{file_id}/content").text

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start_server(directory: Path, *extra: str, api_keys: tuple[str, ...] = ()) -> Server:
    port = _free_port()
    data_dir = directory / "serve-data"
    env = {**os.environ, "SPECRUN_SERVE_API_KEYS": ",".join(api_keys)}
    with open(directory / "serve.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "specrun", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(data_dir), *extra],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}/v1"
    headers = {"Authorization": f"Bearer {api_keys[0]}"} if api_keys else {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"specrun serve exited: {(directory / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{url}/active-models", headers=headers, timeout=1).status_code == 200:
                return Server(url, process, data_dir)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("specrun serve did not come up")


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `specrun serve` for the whole module; tests reach it through ``server``."""
    srv = start_server(tmp_path_factory.mktemp("serve"), api_keys=TENANT_KEYS)
    yield srv
    srv.stop()


@pytest.fixture
def server(shared_server: Server, monkeypatch: pytest.MonkeyPatch) -> Server:
    """This test's own tenant of the module's server: its key is in the env the CLI reads."""
    key = TENANT_KEYS[next(_next_key) % len(TENANT_KEYS)]
    monkeypatch.setenv(API_KEY_ENV, key)
    tenant = Server(shared_server.url, shared_server.process, shared_server.data_dir, api_key=key)
    assert tenant.files() == [] and tenant.batches() == [], "tenant key reused within one server"
    return tenant


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``server_factory(*serve_options)`` → a server of this test's own (stopped at teardown)."""
    started: list[Server] = []

    def make(*extra: str) -> Server:
        directory = tmp_path / f"serve-{len(started)}"
        directory.mkdir()
        srv = start_server(directory, *extra)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def posts(self) -> list[str]:
        """The POST calls the client logged with -v (``POST /v1/... -> 200 (3 ms)``)."""
        return [line for line in self.stderr.splitlines() if line.startswith("POST ")]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPECRUN_")}
    env["NO_COLOR"] = "1"
    return env


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> Result:
    """Run the real `specrun` CLI in a subprocess (smoke tests only)."""
    full_env = {**_clean_env(), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "specrun", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)


@dataclass
class InProcessCLI:
    """``cli(*args, cwd=...)``: the CLI in this process, as ``run_cli`` runs it in a subprocess.

    Same environment (no SPECRUN_* variables, NO_COLOR=1), stdin not a TTY, stdout and
    stderr apart. A bug escaping the CLI's error boundary is re-raised, not turned into
    an exit code; a command that leaves threads behind (an embedded provider not closed)
    fails the test, since a subprocess would have taken them down with it.
    """

    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, cwd: Path, env: dict | None = None) -> Result:
        if env and "SPECRUN_CRASH_AT" in env:
            raise AssertionError("SPECRUN_CRASH_AT kills the process: use run_cli (a subprocess)")
        self.monkeypatch.chdir(cwd)
        threads_before = set(threading.enumerate())
        loggers = [logging.getLogger(name) for name in _CLI_LOGGERS]
        saved = [(logger, logger.level, logger.handlers[:]) for logger in loggers]
        for logger in loggers:  # so that -v adds a handler on this run's own stderr
            logger.handlers.clear()
        try:
            outcome = CliRunner().invoke(_main(), list(args), env=env)
        finally:
            for logger, level, handlers in saved:
                logger.setLevel(level)
                logger.handlers[:] = handlers
        if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
            raise outcome.exception.with_traceback(outcome.exc_info[2] if outcome.exc_info else None)
        _wait_for_threads(threads_before, args)
        return Result(outcome.exit_code, outcome.stdout, outcome.stderr)


def _main():  # imported on use: if specrun.cli cannot be imported, each test says so
    from specrun.cli import main

    return main


def _wait_for_threads(before: set[threading.Thread], args: tuple[str, ...], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not left:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"`specrun {' '.join(args)}` left threads running: {[t.name for t in left]}")
        time.sleep(0.01)


def in_process_cli(monkeypatch: pytest.MonkeyPatch) -> InProcessCLI:
    """An ``InProcessCLI`` whose cwd and env changes ``monkeypatch`` undoes."""
    for name in list(os.environ):
        if name.startswith("SPECRUN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NO_COLOR", "1")
    return InProcessCLI(monkeypatch)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> InProcessCLI:
    """Run ``specrun ARGS`` in-process with cwd=``cwd``; cwd and env are restored after the test."""
    return in_process_cli(monkeypatch)


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


def write_local_project(root: Path, *, rows: int = 4, delay_ms: int = 300, window: str = "24h") -> Path:
    """A spec on the embedded provider (echo engine, ``delay_ms`` per request), job ``count`` over inline rows."""
    root.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(f"      - {{n: {i}}}" for i in range(rows))
    spec = root / "specrun.yaml"
    spec.write_text(
        "version: 1\n"
        f"provider:\n  local: {{engine: echo, delay_ms: {delay_ms}, completion_window: {window}}}\n"
        "jobs:\n"
        "  count:\n"
        f"    model: {MODEL}\n"
        "    messages:\n"
        "      - {role: user, content: \"Say the number {{ row.n }}.\"}\n"
        "    rows:\n"
        f"{lines}\n",
        encoding="utf-8",
    )
    return spec


def plan_jobs(cli: Callable[..., Result], cwd: Path, *args: str) -> dict[str, dict]:
    """``specrun plan --json ARGS`` in ``cwd``, its jobs by name (the plan must succeed)."""
    result = cli("plan", "--json", *args, cwd=cwd)
    assert result.code == 0, result.stderr
    return {job["job"]: job for job in json.loads(result.stdout)["jobs"]}


def uploaded(cli: Callable[..., Result], cwd: Path) -> list[tuple[dict, dict]]:
    """``(batch, request line)`` for every line of every batch's input file on the provider."""
    listed = cli("batches", "ls", "--json", "--limit", "100", cwd=cwd)
    assert listed.code == 0, listed.stderr
    lines = []
    for batch in json.loads(listed.stdout):
        dest = cwd.parent / f"audit-{batch['input_file_id']}.jsonl"
        assert cli("files", "download", batch["input_file_id"], "-o", str(dest), cwd=cwd).code == 0
        lines += [(batch, json.loads(line)) for line in dest.read_text(encoding="utf-8").splitlines()]
        dest.unlink()
    return lines


def read_results(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
