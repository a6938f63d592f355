"""Batch lifecycle on the embedded provider: every status, validation, cancel, expiry, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from specrun.local.store import Store

from conftest import MODEL, create_batch, jsonl, read_jsonl, request_line, requests_file, wait_for


def test_batch_completes_with_output_error_file_and_timestamps(embedded):
    client = embedded()
    started = time.monotonic()
    batch = create_batch(client, requests_file(10, fail={3, 7}))
    assert batch["status"] == "validating"
    assert batch["id"].startswith("batch_") and batch["object"] == "batch"
    done = wait_for(client, batch["id"], timeout=2)
    assert time.monotonic() - started < 1.0  # the quickstart polls this
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 10, "completed": 8, "failed": 2}
    assert done["model"] == MODEL
    assert done["created_at"] <= done["in_progress_at"] <= done["finalizing_at"] <= done["completed_at"]
    assert done["expires_at"] == done["created_at"] + 86400

    outputs = read_jsonl(client, done["output_file_id"])
    assert [o["custom_id"] for o in outputs] == [f"r-{i}" for i in range(10) if i not in (3, 7)]
    first = outputs[0]
    assert first["error"] is None and first["id"].startswith("batch_req_")
    assert first["response"]["status_code"] == 200
    body = first["response"]["body"]
    assert body["object"] == "chat.completion" and body["model"] == MODEL
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "echo: question 0"}
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0

    errors = read_jsonl(client, done["error_file_id"])
    assert [e["custom_id"] for e in errors] == ["r-3", "r-7"]
    assert errors[0]["response"]["status_code"] == 400
    assert errors[0]["response"]["body"]["error"]["code"] == "echo_fail_marker"

    output_file = client.get(f"/files/{done['output_file_id']}").json()
    assert output_file["purpose"] == "batch_output"
    assert output_file["filename"] == f"{batch['id']}_output.jsonl"


def test_echo_replies_are_deterministic_and_respect_max_tokens(embedded):
    client = embedded()
    line = request_line("a", "x" * 100)
    line["body"]["max_tokens"] = 5
    contents = []
    for _ in range(2):
        done = wait_for(client, create_batch(client, jsonl([line]))["id"])
        body = read_jsonl(client, done["output_file_id"])[0]["response"]["body"]
        contents.append((body["id"], body["choices"][0]))
    assert contents[0] == contents[1]
    assert contents[0][1]["message"]["content"] == ("echo: " + "x" * 100)[:20]
    assert contents[0][1]["finish_reason"] == "length"


def test_no_error_file_when_nothing_failed(embedded):
    client = embedded()
    done = wait_for(client, create_batch(client, requests_file(3))["id"])
    assert done["error_file_id"] is None and done["output_file_id"]


def test_in_progress_shows_live_counts_and_finalizing_is_reached(embedded):
    client = embedded(delay_ms=10, finalize_delay_ms=300)
    batch = create_batch(client, requests_file(40))
    live = wait_for(client, batch["id"], lambda b: b["status"] == "in_progress" and 0 < b["request_counts"]["completed"] < 40)
    assert live["request_counts"]["total"] == 40
    finalizing = wait_for(client, batch["id"], {"finalizing", "completed"})
    assert finalizing["status"] == "finalizing"
    assert finalizing["request_counts"]["completed"] == 40
    assert wait_for(client, batch["id"])["status"] == "completed"


@pytest.mark.parametrize("lines, line_number, code", [
    (["{not json"], 1, "invalid_json_line"),
    ([request_line("a", "x"), request_line("a", "y")], 2, "duplicate_custom_id"),
    ([request_line("a", "x"), request_line("b", "y", url="/v1/embeddings")], 2, "invalid_url"),
    ([request_line("a", "x", method="GET")], 1, "invalid_method"),
    ([request_line("a", "x"), request_line("b", "y", model="Qwen/Qwen2.5-7B-Instruct")], 2, "mismatched_model"),
    ([request_line("a", "x", model="no-such/model")], 1, "model_not_found"),
    ([{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {"model": MODEL}}], 1,
     "missing_required_parameter"),
])
def test_validation_failures_name_the_line(embedded, lines, line_number, code):
    client = embedded()
    done = wait_for(client, create_batch(client, jsonl(lines))["id"])
    assert done["status"] == "failed"
    assert done["failed_at"] and done["output_file_id"] is None
    errors = done["errors"]
    assert errors["object"] == "list"
    assert {"code": code, "line": line_number} in [{"code": e["code"], "line": e["line"]} for e in errors["data"]]
    assert f"line {line_number}" in errors["data"][0]["message"]


def test_validation_lists_every_bad_line(embedded):
    client = embedded()
    lines = [request_line(f"r{i}", "x") if i % 3 else "{oops" for i in range(9)]
    done = wait_for(client, create_batch(client, jsonl(lines))["id"])
    assert [e["line"] for e in done["errors"]["data"]] == [1, 4, 7]


def test_empty_file_fails(embedded):
    client = embedded()
    done = wait_for(client, create_batch(client, b"\n\n")["id"])
    assert done["status"] == "failed" and done["errors"]["data"][0]["code"] == "empty_file"


def test_extra_models_become_active(embedded):
    client = embedded(models=["acme/tiny-1b"])
    assert "acme/tiny-1b" in client.get("/active-models").json()["active_models"]
    done = wait_for(client, create_batch(client, requests_file(2, model="acme/tiny-1b"))["id"])
    assert done["status"] == "completed"


@pytest.mark.parametrize("how", ["post-cancel", "delete"])
def test_cancel_keeps_partial_output(embedded, how):
    client = embedded(delay_ms=20)
    batch = create_batch(client, requests_file(200))
    wait_for(client, batch["id"], lambda b: b["request_counts"]["completed"] >= 5)
    response = (client.post(f"/batches/{batch['id']}/cancel") if how == "post-cancel"
                else client.delete(f"/batches/{batch['id']}"))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelling" and response.json()["cancelling_at"]
    done = wait_for(client, batch["id"], timeout=3)
    assert done["status"] == "cancelled" and done["cancelled_at"]
    completed = done["request_counts"]["completed"]
    assert 5 <= completed < 200
    assert len(read_jsonl(client, done["output_file_id"])) == completed
    # cancelling again is harmless; cancelling a finished batch is a conflict
    assert client.post(f"/batches/{batch['id']}/cancel").json()["status"] == "cancelled"
    finished = wait_for(client, create_batch(client, requests_file(1))["id"])
    conflict = client.post(f"/batches/{finished['id']}/cancel")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "batch_not_cancellable"


def test_cancel_while_validating(embedded):
    client = embedded(delay_ms=50)
    batch = create_batch(client, requests_file(100))
    client.post(f"/batches/{batch['id']}/cancel")
    done = wait_for(client, batch["id"], timeout=3)
    assert done["status"] == "cancelled"
    assert done["request_counts"]["completed"] < 100


def test_expiry_keeps_partial_output(embedded):
    client = embedded(delay_ms=20, completion_window="1s")
    batch = create_batch(client, requests_file(500))
    assert batch["completion_window"] == "1s"
    assert batch["expires_at"] - batch["created_at"] in (0, 1)
    done = wait_for(client, batch["id"], timeout=4)
    assert done["status"] == "expired" and done["expired_at"]
    completed = done["request_counts"]["completed"]
    assert 0 < completed < 500
    assert len(read_jsonl(client, done["output_file_id"])) == completed


def test_restart_resumes_without_answering_a_line_twice(embedded, tmp_path):
    data_dir = tmp_path / "resume"
    first = embedded(data_dir, delay_ms=10)
    batch = create_batch(first, requests_file(150))
    wait_for(first, batch["id"], lambda b: b["request_counts"]["completed"] >= 20)
    first._transport.close()  # the specrun process stops mid-batch
    store = Store(data_dir)
    interrupted = store.get_batch(batch["id"])
    store.close()
    assert interrupted.status == "in_progress" and 20 <= interrupted.completed < 150

    second = embedded(data_dir)
    done = wait_for(second, batch["id"], timeout=5)
    assert done["status"] == "completed"
    assert done["request_counts"] == {"total": 150, "completed": 150, "failed": 0}
    ids = [o["custom_id"] for o in read_jsonl(second, done["output_file_id"])]
    assert ids == [f"r-{i}" for i in range(150)]


_CRASHER = textwrap.dedent("""
    import json, sys, time, httpx
    from specrun.local import embedded_transport
    client = httpx.Client(transport=embedded_transport(sys.argv[1], delay_ms=10), base_url="http://specrun.local/v1")
    lines = b"".join(json.dumps({"custom_id": f"r-{i}", "method": "POST", "url": "/v1/chat/completions",
        "body": {"model": "meta-llama/Llama-3.1-8B-Instruct", "messages": [{"role": "user", "content": str(i)}]}}).encode() + b"\\n"
        for i in range(300))
    file_id = client.post("/files", files={"file": ("in.jsonl", lines)}, data={"purpose": "batch"}).json()["id"]
    batch = client.post("/batches", json={"input_file_id": file_id}).json()
    while client.get(f"/batches/{batch['id']}").json()["request_counts"]["completed"] < 30:
        time.sleep(0.01)
    print(batch["id"], flush=True)
    time.sleep(60)
""")


def test_killed_process_batch_resumes_at_once(embedded, tmp_path):
    data_dir = tmp_path / "crash"
    process = subprocess.Popen([sys.executable, "-c", _CRASHER, str(data_dir)], stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    try:
        batch_id = process.stdout.readline().strip()
        assert batch_id.startswith("batch_")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    client = embedded(data_dir)
    done = wait_for(client, batch_id, timeout=8)
    assert done["status"] == "completed"
    ids = [o["custom_id"] for o in read_jsonl(client, done["output_file_id"])]
    assert ids == [f"r-{i}" for i in range(300)]


def test_two_processes_never_share_a_batch(embedded, tmp_path):
    data_dir = tmp_path / "shared"
    first = embedded(data_dir, delay_ms=5)
    second = embedded(data_dir, delay_ms=5)
    batch = create_batch(first, requests_file(100))
    done = wait_for(second, batch["id"], timeout=5)
    ids = [o["custom_id"] for o in read_jsonl(second, done["output_file_id"])]
    assert ids == [f"r-{i}" for i in range(100)]


def test_a_batch_that_breaks_the_worker_fails_with_the_reason(embedded):
    client = embedded()
    engine = client._transport.api.engine

    def broken_map(requests, should_stop):
        raise RuntimeError("disk on fire")
        yield  # pragma: no cover

    engine.map = broken_map
    done = wait_for(client, create_batch(client, requests_file(3))["id"], timeout=3)
    assert done["status"] == "failed"
    assert "disk on fire" in done["errors"]["data"][0]["message"]
