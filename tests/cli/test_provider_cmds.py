"""`specrun models`, `specrun files ...`, `specrun batches ...` driven through click's CliRunner."""

from __future__ import annotations

import json
import logging
import re

import pytest
from click.testing import CliRunner

from specrun.cli import main

BASE = "http://api.test/v1"
KEY = "sk-cli-SECRET-987"


@pytest.fixture(autouse=True)
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no specrun.yaml here: commands run from --base-url/SPECRUN_BASE_URL
    return tmp_path


@pytest.fixture(autouse=True)
def fresh_logging():
    # `-v` attaches a handler bound to the stderr of the run that made it; start clean each time.
    logger = logging.getLogger("specrun")
    saved = (list(logger.handlers), logger.level)
    logger.handlers.clear()
    yield
    logger.handlers[:], logger.level = saved[0], saved[1]


def run(*args: str, env: dict | None = None):
    environment = {"SPECRUN_BASE_URL": BASE, "MITHRIL_API_KEY": KEY}
    environment.update(env or {})
    return CliRunner().invoke(main, list(args), env=environment)


def batch_json(batch_id="batch_1", status="in_progress", total=10, completed=4, failed=1, **extra):
    body = {"id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": "file-in",
            "completion_window": "24h", "status": status, "output_file_id": None, "error_file_id": None,
            "created_at": 1714000000, "request_counts": {"total": total, "completed": completed, "failed": failed},
            "errors": None}
    body.update(extra)
    return body


FILES = [
    {"id": "file-aaa", "object": "file", "bytes": 1234567, "created_at": 1714000000,
     "filename": "specrun-summarize-0123456789abcdef.jsonl", "purpose": "batch", "status": "processed"},
    {"id": "file-b", "object": "file", "bytes": 12, "created_at": 1714000100, "filename": "x.jsonl",
     "purpose": "batch", "status": "processed", "vendor_extra": {"a": 1}},
]


def test_models_table_from_model_config(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/model-config", json={"active_models": [
        {"id": "big-model", "context_length": 131072, "input_price_cents": 15, "output_price_cents": 60,
         "status": "active", "display_order": 2},
        {"id": "small", "context_length": 8192, "input_price_cents": 0.5, "output_price_cents": 2,
         "status": "active", "display_order": 1},
    ]})
    result = run("models")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "MODEL      CONTEXT  INPUT $/1M  OUTPUT $/1M  STATUS",
        "small        8,192      $0.005        $0.02  active",
        "big-model  131,072       $0.15        $0.60  active",
    ]


def test_models_json_is_exactly_the_providers_objects(httpx_mock):
    entries = [{"id": "m", "context_length": 4096, "unknown": [1, 2]}]
    httpx_mock.add_response(url=f"{BASE}/model-config", json={"active_models": entries})
    result = run("models", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == entries


def test_models_falls_back_to_active_models(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/model-config", status_code=404)
    httpx_mock.add_response(url=f"{BASE}/active-models", json={"active_models": ["m-1"]})
    result = run("models")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1].split() == ["m-1", "-", "-", "-", "-"]


def test_files_ls_table_and_limit(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/files?limit=2", json={"data": FILES, "has_more": True, "last_id": "file-b"})
    result = run("files", "ls", "--limit", "2")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ID        FILENAME                                      BYTES  PURPOSE  STATUS     CREATED",
        "file-aaa  specrun-summarize-0123456789abcdef.jsonl  1,234,567  batch    processed  2024-04-24 23:06:40",
        "file-b    x.jsonl                                          12  batch    processed  2024-04-24 23:08:20",
    ]
    assert len(httpx_mock.get_requests()) == 1  # --limit reached: no second page fetched


def test_files_ls_json(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/files?limit=20", json={"data": FILES, "has_more": False})
    result = run("files", "ls", "--json")
    assert json.loads(result.stdout) == FILES


def test_files_ls_unsupported_is_a_clear_error(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/files?limit=20", status_code=405, json={"detail": "Method Not Allowed"})
    result = run("files", "ls")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: this provider does not support listing files (")


def test_files_get_and_upload(httpx_mock, workdir):
    path = workdir / "requests.jsonl"
    path.write_bytes(b'{"custom_id": "a"}\n')
    httpx_mock.add_response(method="POST", url=f"{BASE}/files", json=FILES[1])
    httpx_mock.add_response(url=f"{BASE}/files/file-b", json=FILES[1])

    uploaded = run("files", "upload", str(path), "--filename", "x.jsonl")
    assert uploaded.exit_code == 0, uploaded.output
    assert "id:" in uploaded.stdout and "file-b" in uploaded.stdout
    body = httpx_mock.get_requests()[0].read()
    assert b'filename="x.jsonl"' in body and b'name="purpose"\r\n\r\nbatch' in body

    shown = run("files", "get", "file-b", "--json")
    assert json.loads(shown.stdout) == FILES[1]


def test_files_upload_lost_answer_is_explained(httpx_mock, workdir):
    path = workdir / "r.jsonl"
    path.write_bytes(b"{}\n")
    httpx_mock.add_response(method="POST", url=f"{BASE}/files", status_code=502)
    result = run("files", "upload", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: POST /v1/files: the answer was lost (answer 502)")
    assert "Traceback" not in result.output
    assert len(httpx_mock.get_requests()) == 1


def test_files_download(httpx_mock, workdir):
    httpx_mock.add_response(url=f"{BASE}/files/file-out/content", content=b'{"a": 1}\n', is_reusable=True)
    result = run("files", "download", "file-out", "-o", "results/out.jsonl")
    assert result.exit_code == 0, result.output
    assert (workdir / "results" / "out.jsonl").read_bytes() == b'{"a": 1}\n'
    assert result.stdout == "Downloaded file-out to results/out.jsonl (9 bytes).\n"
    default = run("files", "download", "file-out")
    assert default.exit_code == 0 and (workdir / "file-out.jsonl").is_file()


def test_batches_ls_get_cancel_delete(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=20", json={"data": [
        batch_json("batch_1", "in_progress"), batch_json("batch_2", "completed", completed=10, failed=0,
                                                         output_file_id="file-out")], "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/batches/batch_1", json=batch_json("batch_1"))
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/batch_1/cancel",
                            json=batch_json("batch_1", "cancelling"))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/batches/batch_1", json=batch_json("batch_1", "cancelled"))

    listed = run("batches", "ls")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "PROGRESS", "INPUT", "FILE", "OUTPUT", "FILE", "CREATED"]
    assert re.match(r"batch_1\s+in_progress\s+5/10 \(1 failed\)\s+file-in\s+-\s+2024-04-24 23:06:40$", lines[1])
    assert re.match(r"batch_2\s+completed\s+10/10\s+file-in\s+file-out\s+2024-04-24 23:06:40$", lines[2])
    # columns line up: every row starts its STATUS where the header does
    assert {line.index("in_progress") if "in_progress" in line else line.index("completed")
            for line in lines[1:]} == {lines[0].index("STATUS")}

    got = run("batches", "get", "batch_1")
    assert got.exit_code == 0
    assert "requests:" in got.stdout and "10 total, 4 completed, 1 failed" in got.stdout

    cancelled = run("batches", "cancel", "batch_1", "--json")
    assert json.loads(cancelled.stdout)["status"] == "cancelling"

    deleted = run("batches", "delete", "batch_1")
    assert re.search(r"status:\s+cancelled", deleted.stdout)


def test_batches_wait_shows_progress_on_stderr_and_exits_0(httpx_mock):
    for status, done in (("validating", 0), ("in_progress", 5), ("completed", 10)):
        httpx_mock.add_response(url=f"{BASE}/batches/b1",
                                json=batch_json("b1", status, completed=done, failed=0))
    result = run("batches", "wait", "b1", "--poll-interval", "0")
    assert result.exit_code == 0, result.output
    progress = result.stderr.splitlines()
    assert [re.sub(r" \(\d+s\)$", "", line) for line in progress] == [
        "b1: validating, 0/10 done", "b1: in_progress, 5/10 done", "b1: completed, 10/10 done"]
    assert re.search(r"status:\s+completed", result.stdout)


def test_batches_wait_on_a_failed_batch_exits_1(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json(
        "b1", "failed", errors={"object": "list", "data": [{"code": "invalid", "message": "bad model", "line": 2}]}))
    result = run("batches", "wait", "b1", "--poll-interval", "0")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "Error: batch b1 ended failed: line 2: bad model"


def test_batches_wait_json(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1", "completed"))
    result = run("batches", "wait", "b1", "--json")
    assert json.loads(result.stdout)["id"] == "b1"


def test_verbose_logs_calls_but_never_the_key(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1"))
    result = run("batches", "get", "b1", "-v")
    assert result.exit_code == 0, result.output
    assert re.search(r"^GET /v1/batches/b1 -> 200 \(\d+ ms\)$", result.stderr, re.M)
    assert KEY not in result.output


def test_auth_error_is_one_clean_line(httpx_mock):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=20", status_code=401, json={"detail": "Invalid token"})
    result = run("batches", "ls", env={"MITHRIL_API_KEY": ""})
    assert result.exit_code == 1
    assert result.stderr == ("Error: authentication failed (401 on GET /v1/batches): set MITHRIL_API_KEY "
                             "(or provider.api_key_env); no API key was sent: Invalid token\n")


def test_base_url_option_beats_env(httpx_mock):
    httpx_mock.add_response(url="http://other:8080/v1/batches/b1", json=batch_json("b1"))
    result = run("batches", "get", "b1", "--base-url", "http://other:8080")
    assert result.exit_code == 0, result.output


def test_no_base_url_says_how_to_set_one():
    result = run("models", env={"SPECRUN_BASE_URL": ""})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no provider base URL: pass --base-url URL, set SPECRUN_BASE_URL")
