"""Hostile command lines: numbers that are not numbers, URLs that are not URLs, an exposed server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from specrun.cli.serve_cmd import _is_loopback
from tests.hostile.conftest import assert_one_clean_error, cli, local_spec


@pytest.mark.parametrize("args, piece", [
    (["plan", "--max-cost", "nan"], "--max-cost"),
    (["plan", "--max-cost", "inf"], "--max-cost"),
    (["plan", "--max-cost", "-1"], "--max-cost"),
    (["plan", "--lock-timeout", "nan"], "--lock-timeout"),
    (["plan", "--lock-timeout", "-5"], "--lock-timeout"),
    (["apply", "--poll-interval", "-1"], "--poll-interval"),
    (["apply", "--poll-interval", "0"], "--poll-interval"),
    (["apply", "--poll-interval", "nan"], "--poll-interval"),
    (["apply", "--timeout", "-1"], "--timeout"),
    (["apply", "--timeout", "nan"], "--timeout"),
    (["apply", "--timeout", "lots"], "--timeout"),
    (["apply", "--max-cost", "NaN"], "--max-cost"),
    (["destroy", "--lock-timeout", "inf"], "--lock-timeout"),
    (["serve", "--latency", "nan"], "--latency"),
    (["serve", "--fault-rate", "nan"], "--fault-rate"),
    (["serve", "--timeout", "-1"], "--timeout"),
])
def test_numbers_that_are_not_usable_are_usage_errors(project: Path, args: list, piece: str):
    result = cli(*args, cwd=project)
    assert_one_clean_error(result, piece)
    assert not (project / ".specrun" / "state.json").exists()


@pytest.mark.parametrize("url, piece", [
    ("http://[::1", "Invalid IPv6 URL"),
    ("http://host:99999/v1", "Port out of range"),
    ("http://host:port/v1", "invalid provider base URL"),
    ("http://:8080/v1", "invalid provider base URL"),
    ("ftp://host/v1", "invalid provider base URL"),
    ("http://ho st/v1", "spaces or control characters"),
    ("http://host/v1\x1b[2J", "control characters"),
    ("http://host/v1?x=1", "query string"),
])
@pytest.mark.parametrize("command", [["plan"], ["models"], ["batches", "ls"]])
def test_a_broken_base_url_is_one_clear_error(project: Path, url: str, piece: str, command: list):
    result = cli(*command, "--base-url", url, cwd=project)
    assert_one_clean_error(result, piece)
    assert "\x1b" not in result.output  # shown escaped, never sent to the terminal


def test_a_broken_base_url_from_the_environment_is_one_clear_error(project: Path, monkeypatch):
    monkeypatch.setenv("SPECRUN_BASE_URL", "http://[::1")
    assert_one_clean_error(cli("plan", cwd=project), "Invalid IPv6 URL")


def test_serve_refuses_a_blank_api_key(tmp_path: Path):
    for key in ("", "   "):
        result = cli("serve", "--api-key", key, "--data-dir", str(tmp_path / "d"))
        assert_one_clean_error(result, "--api-key", "cannot be empty or blank")


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False),
])
def test_loopback_hosts(host: str, loopback: bool):
    assert _is_loopback(host) is loopback


def test_serve_on_all_interfaces_without_keys_warns_loudly(tmp_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "specrun", "serve", "--host", "0.0.0.0", "--port", "0",
         "--data-dir", str(tmp_path / "d")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        stderr = ""
        while time.monotonic() < deadline and "WARNING" not in stderr:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
            stderr += line
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # never leave a server listening on every interface behind
            process.kill()
            process.wait(timeout=15)
    assert "WARNING: specrun serve is listening on 0.0.0.0 with no API key" in stderr
    assert "--api-key" in stderr


def test_an_output_that_is_a_directory_is_refused_before_anything_is_sent(tmp_path: Path):
    (tmp_path / "out").mkdir()
    (tmp_path / "specrun.yaml").write_text(local_spec("a").replace("    rows:", "    output: out\n    rows:"))
    result = cli("apply", "--auto-approve", cwd=tmp_path)
    assert_one_clean_error(result, "job 'a'", "out")
    state = tmp_path / ".specrun" / "state.json"
    assert not state.exists() or '"batch_id": "' not in state.read_text()
