"""`specrun serve` as users run it: startup line, auth from the environment, clean shutdown."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from conftest import create_batch, requests_file, wait_for
from specrun.cli import main

ROOT = Path(__file__).parents[2]


def _start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "specrun", "serve", "--port", "0", "--data-dir", str(tmp_path / "data"), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )
    line = process.stdout.readline()
    match = re.match(r"specrun serve: listening on (http://127\.0\.0\.1:\d+/v1) \(engine echo, data .*\)", line)
    assert match, (line, process.stderr.read() if process.poll() is not None else "")
    root = match.group(1).removesuffix("/v1")
    assert process.stdout.readline().startswith(f"specrun serve: Anthropic Message Batches at {root} ")
    return process, match.group(1)


def _stop(process: subprocess.Popen, sig: int = signal.SIGINT) -> int:
    process.send_signal(sig)
    return process.wait(10)


def test_serve_announces_its_url_and_serves(tmp_path):
    process, url = _start(tmp_path)
    try:
        client = httpx.Client(base_url=url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.get("/active-models")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        done = wait_for(client, create_batch(client, requests_file(3))["id"])
        assert done["status"] == "completed"
        started = time.monotonic()
        for _ in range(50):  # keep-alive answers must not wait for delayed ACKs (TCP_NODELAY)
            client.get(f"/batches/{done['id']}")
        assert time.monotonic() - started < 1.0
    finally:
        assert _stop(process) == 0


def test_api_keys_from_the_environment(tmp_path):
    process, url = _start(tmp_path, "--api-key", "k1", env={"SPECRUN_SERVE_API_KEYS": "k2, k3"})
    try:
        time.sleep(0.3)
        statuses = [httpx.get(f"{url}/files", headers=h, timeout=5).status_code for h in
                    ({}, {"Authorization": "Bearer k1"}, {"Authorization": "Bearer k3"}, {"Authorization": "Bearer x"})]
        assert statuses == [401, 200, 200, 401]
    finally:
        assert _stop(process, signal.SIGTERM) == 0
    assert "specrun serve: stopped" in process.stderr.read()


def test_bad_option_is_one_clean_error(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--engine", "openai", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "engine 'openai' needs an upstream URL" in result.output
    result = CliRunner().invoke(main, ["serve", "--completion-window", "soon", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "must be a duration" in result.output


def test_port_in_use_is_a_clean_error(tmp_path):
    from specrun.local.app import bind_socket
    taken = bind_socket("127.0.0.1", 0)
    try:
        result = CliRunner().invoke(main, ["serve", "--port", str(taken.getsockname()[1]),
                                           "--data-dir", str(tmp_path)])
    finally:
        taken.close()
    assert result.exit_code == 1 and "cannot listen on 127.0.0.1" in result.output
