"""type: anthropic — the Message Batches client behind the Provider seam, on recorded API shapes.

The answers below follow Anthropic's documented Message Batches objects (message_batch,
the results JSONL, the error envelope). The end-to-end runs against the local provider's
Anthropic surface live in tests/e2e.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from specrun.client import anthropic as anthropic_module
from specrun.client.anthropic import AnthropicClient
from specrun.errors import OutcomeUnknown, SpecrunError
from specrun.provider import Provider
from specrun.results import load_results

ROOT = "https://api.anthropic.test"
BATCHES = f"{ROOT}/v1/messages/batches"
KEY_A, KEY_B = "a" * 64, "b" * 64


def _now(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(time.time() + offset))


def message_batch(batch_id: str, status: str = "in_progress", *, processing: int = 2, succeeded: int = 0,
                  errored: int = 0, canceled: int = 0, expired: int = 0, created: str | None = None,
                  ) -> dict:
    ended = status == "ended"
    return {
        "id": batch_id, "type": "message_batch", "processing_status": status,
        "request_counts": {"processing": processing, "succeeded": succeeded, "errored": errored,
                           "canceled": canceled, "expired": expired},
        "ended_at": _now() if ended else None, "created_at": created or _now(),
        "expires_at": _now(86400), "archived_at": None, "cancel_initiated_at": _now() if canceled else None,
        "results_url": f"{BATCHES}/{batch_id}/results" if ended else None,
    }


def page(*batches: dict, has_more: bool = False) -> dict:
    return {"data": list(batches), "has_more": has_more,
            "first_id": batches[0]["id"] if batches else None, "last_id": batches[-1]["id"] if batches else None}


def results_jsonl(*lines: dict) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def succeeded(custom_id: str, text: str = "hello") -> dict:
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": 4}}}}


@pytest.fixture
def shard(tmp_path):
    path = tmp_path / "specrun-job-0.jsonl"
    lines = [
        {"custom_id": KEY_A, "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "claude-sonnet-4-5", "max_tokens": 64, "stop": "END", "temperature": 0,
                  "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]}},
        {"custom_id": KEY_B, "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "claude-sonnet-4-5", "max_tokens": 64,
                  "messages": [{"role": "user", "content": [{"type": "text", "text": "yo"}]}]}},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def client(tmp_path):
    with AnthropicClient(ROOT, "sk-ant-test", data_dir=tmp_path / "anthropic", max_retries=0) as c:
        yield c


def test_it_is_a_provider_and_sends_anthropic_headers(client, httpx_mock):
    httpx_mock.add_response(url=f"{ROOT}/v1/models?limit=1000",
                            json={"data": [{"type": "model", "id": "claude-sonnet-4-5", "display_name": "S"}],
                                  "has_more": False, "first_id": "claude-sonnet-4-5", "last_id": "claude-sonnet-4-5"})
    assert isinstance(client, Provider)
    assert client.active_models() == ["claude-sonnet-4-5"]
    request = httpx_mock.get_requests()[0]
    assert request.headers["x-api-key"] == "sk-ant-test"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers


def test_the_base_url_is_the_api_root(tmp_path):
    with pytest.raises(SpecrunError, match="without /v1"):
        AnthropicClient("https://api.anthropic.com/v1", None, data_dir=tmp_path)
    assert AnthropicClient("https://api.anthropic.com/", None, data_dir=tmp_path).base_url == \
        "https://api.anthropic.com"


def test_create_sends_the_requests_inline_in_anthropic_shape(client, shard, httpx_mock):
    httpx_mock.add_response(method="POST", url=BATCHES, json=message_batch("msgbatch_01"))
    uploaded = client.upload_file(shard)
    assert uploaded.filename == shard.name and uploaded.bytes == shard.stat().st_size
    assert client.upload_file(shard).id == uploaded.id      # the same file, the same id: no second copy
    batch = client.create_batch(uploaded.id)
    assert batch.id == "msgbatch_01" and batch.input_file_id == uploaded.id
    assert batch.status.value == "in_progress" and batch.request_counts.total == 2
    body = json.loads(httpx_mock.get_requests()[0].content)
    first, second = body["requests"]
    assert first == {"custom_id": KEY_A, "params": {
        "model": "claude-sonnet-4-5", "max_tokens": 64, "stop_sequences": ["END"], "temperature": 0,
        "system": "Be brief.", "messages": [{"role": "user", "content": "hi"}]}}
    assert second["params"]["messages"] == [{"role": "user", "content": [{"type": "text", "text": "yo"}]}]
    assert "system" not in second["params"]
    # the journal ties the batch to its file, for the next run
    again = AnthropicClient(ROOT, None, data_dir=client.files.root.parent.parent)
    assert again.journal.batches == {"msgbatch_01": uploaded.id}


@pytest.mark.parametrize(("raw", "status", "output", "errors"), [
    (dict(status="in_progress"), "in_progress", False, False),
    (dict(status="canceling"), "cancelling", False, False),
    (dict(status="ended", processing=0, succeeded=2), "completed", True, False),
    (dict(status="ended", processing=0, succeeded=1, errored=1), "completed", True, True),
    (dict(status="ended", processing=0, succeeded=1, expired=1), "expired", True, False),
    (dict(status="ended", processing=0, errored=1, canceled=1), "cancelled", False, True),
])
def test_processing_status_maps_to_batch_status(client, httpx_mock, raw, status, output, errors):
    httpx_mock.add_response(url=f"{BATCHES}/msgbatch_01", json=message_batch("msgbatch_01", **raw))
    batch = client.get_batch("msgbatch_01")
    assert batch.status.value == status
    assert bool(batch.output_file_id) is output and bool(batch.error_file_id) is errors


def test_results_download_as_openai_output_lines(client, httpx_mock, tmp_path):
    httpx_mock.add_response(url=f"{BATCHES}/msgbatch_01/results", content=results_jsonl(
        succeeded(KEY_A, "hi there"),
        {"custom_id": KEY_B, "result": {"type": "errored", "error": {
            "type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: too big"}}}},
        {"custom_id": "c" * 64, "result": {"type": "expired"}},
        {"custom_id": "d" * 64, "result": {"type": "canceled"}},
    ))                                              # fetched once for both halves
    ok, bad = tmp_path / "ok.jsonl", tmp_path / "bad.jsonl"
    client.download_file("msgbatch_01.succeeded", ok)
    client.download_file("msgbatch_01.errored", bad)
    results = load_results([("o", ok), ("e", bad)])
    assert set(results) == {KEY_A, KEY_B}          # expired and canceled requests have no answer
    assert results[KEY_A].status == "ok" and results[KEY_A].content == "hi there"
    assert results[KEY_A].usage == {"prompt_tokens": 16, "completion_tokens": 3, "total_tokens": 19}
    assert results[KEY_B].status == "error"
    assert results[KEY_B].error["message"] == "max_tokens: too big"
    assert not list(tmp_path.glob(".*"))            # no temp files left behind


def test_a_lost_answer_adopts_the_one_batch_created_meanwhile(client, shard, httpx_mock):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), method="POST", url=BATCHES)
    file_id = client.upload_file(shard).id
    with pytest.raises(OutcomeUnknown):
        client.create_batch(file_id)
    assert file_id in client.journal.intents
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page(
        message_batch("msgbatch_new", processing=2), message_batch("msgbatch_other", processing=7)))
    found = client.find_batches(file_id)
    assert [b.id for b in found] == ["msgbatch_new"] and found[0].input_file_id == file_id
    assert client.journal.batches["msgbatch_new"] == file_id and not client.journal.intents
    assert len([r for r in httpx_mock.get_requests() if r.method == "POST"]) == 1


def test_two_batches_that_could_be_the_shards_stop_specrun(client, shard, httpx_mock):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), method="POST", url=BATCHES)
    file_id = client.upload_file(shard).id
    with pytest.raises(OutcomeUnknown):
        client.create_batch(file_id)
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page(
        message_batch("msgbatch_x"), message_batch("msgbatch_y")))
    with pytest.raises(SpecrunError) as info:
        client.batches_by_input_file([file_id])
    message = info.value.message
    assert "msgbatch_x" in message and "msgbatch_y" in message and "2 requests" in message
    assert "Nothing was created" in message


def test_an_error_answer_to_the_create_means_nothing_was_made(client, shard, httpx_mock):
    httpx_mock.add_response(method="POST", url=BATCHES, status_code=500,
                            json={"type": "error", "error": {"type": "api_error", "message": "boom"}})
    file_id = client.upload_file(shard).id
    with pytest.raises(OutcomeUnknown):
        client.create_batch(file_id)
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page())
    assert client.find_batches(file_id) == []       # settled: the next create may go ahead
    assert not client.journal.intents


def test_a_lost_answer_in_transit_waits_before_concluding_nothing_was_made(client, shard, httpx_mock,
                                                                         monkeypatch):
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), method="POST", url=BATCHES)
    file_id = client.upload_file(shard).id
    with pytest.raises(OutcomeUnknown):
        client.create_batch(file_id)
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page(), is_reusable=True)
    with pytest.raises(SpecrunError, match=r"may still be creating it\. Run `specrun apply` again in \d+s"):
        client.find_batches(file_id)
    later = time.time() + client._sender.timeout + 61
    monkeypatch.setattr(anthropic_module.time, "time", lambda: later)
    assert client.find_batches(file_id) == []
    assert not client.journal.intents


def test_an_ended_batch_is_adopted_when_its_results_are_the_files(client, shard, httpx_mock):
    file_id = client.upload_file(shard).id
    # The state records the file without a batch, and the journal knows nothing of it: a run
    # on another machine kept the file and stopped, perhaps right after creating the batch.
    client.remember({}, unfinished=[file_id])
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page(
        message_batch("msgbatch_stranger", "ended", processing=0, succeeded=2),
        message_batch("msgbatch_ours", "ended", processing=0, succeeded=2)))
    httpx_mock.add_response(url=f"{BATCHES}/msgbatch_stranger/results",
                            content=results_jsonl(succeeded("e" * 64), succeeded("f" * 64)))
    httpx_mock.add_response(url=f"{BATCHES}/msgbatch_ours/results",
                            content=results_jsonl(succeeded(KEY_B), succeeded(KEY_A)))
    assert [b.id for b in client.find_batches(file_id)] == ["msgbatch_ours"]


def test_a_running_stranger_of_the_same_size_stops_specrun_only_with_a_reason_to_suspect_it(client, shard,
                                                                                            httpx_mock):
    file_id = client.upload_file(shard).id
    # A new file: another spec's batch of the same size is not looked at (nor even listed).
    assert client.find_batches(file_id) == []
    assert httpx_mock.get_requests() == []
    # The state records the file without a batch: a same-size running stranger may be its batch.
    httpx_mock.add_response(url=f"{BATCHES}?limit=1000", json=page(message_batch("msgbatch_z")),
                            is_reusable=True)
    client.remember({}, unfinished=[file_id])
    with pytest.raises(SpecrunError, match="cannot tell whether specrun-job-0.jsonl already has"):
        client.find_batches(file_id)
    # ... unless the state knows that batch as another shard's.
    client.remember({"msgbatch_z": "file-of-another-shard"})
    assert client.find_batches(file_id) == []


def test_limits_are_checked_before_anything_is_sent(client, shard, httpx_mock, monkeypatch):
    file_id = client.upload_file(shard).id
    monkeypatch.setattr(anthropic_module, "MAX_REQUESTS", 1)
    with pytest.raises(SpecrunError, match="takes at most 1: lower limits.max_requests"):
        client.create_batch(file_id)
    monkeypatch.setattr(anthropic_module, "MAX_REQUESTS", 100_000)
    monkeypatch.setattr(anthropic_module, "MAX_BYTES", 100)
    with pytest.raises(SpecrunError, match="lower limits.max_bytes"):
        client.create_batch(file_id)
    assert httpx_mock.get_requests() == [] and not client.journal.intents


def test_other_endpoints_are_refused(client, shard):
    with pytest.raises(SpecrunError, match="no /v1/embeddings endpoint"):
        client.create_batch(client.upload_file(shard).id, endpoint="/v1/embeddings")


def test_structured_output_becomes_output_format():
    from specrun.client._anthropic_wire import request_params

    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    params = request_params({"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "x"}],
                             "response_format": {"type": "json_schema",
                                                 "json_schema": {"name": "out", "strict": True, "schema": schema}}})
    assert params["output_format"] == {"type": "json_schema", "schema": schema}
    assert "response_format" not in params
