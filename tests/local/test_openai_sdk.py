"""Conformance: the official openai SDK, validating every response strictly, against `specrun serve`."""

from __future__ import annotations

import json
import time

import openai
import pytest

from conftest import MODEL, jsonl, requests_file


@pytest.fixture
def sdk(served):
    server = served(api_keys=["sk-local-test"], delay_ms=2)
    client = openai.OpenAI(base_url=server.url, api_key="sk-local-test", max_retries=0,
                           _strict_response_validation=True)
    yield client
    client.close()


def _wait(sdk, batch_id, statuses=("completed", "failed", "expired", "cancelled"), timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        batch = sdk.batches.retrieve(batch_id)
        if batch.status in statuses:
            return batch
        assert time.monotonic() < deadline, batch
        time.sleep(0.02)


def test_upload_create_retrieve_download(sdk):
    uploaded = sdk.files.create(file=("requests.jsonl", requests_file(5, fail={2})), purpose="batch")
    assert uploaded.id.startswith("file-") and uploaded.purpose == "batch" and uploaded.filename == "requests.jsonl"
    assert sdk.files.retrieve(uploaded.id) == uploaded
    assert sdk.files.content(uploaded.id).content == requests_file(5, fail={2})

    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                               completion_window="24h", metadata={"job": "conformance"})
    assert batch.status == "validating" and batch.metadata == {"job": "conformance"}
    done = _wait(sdk, batch.id)
    assert done.status == "completed"
    assert done.request_counts.total == 5 and done.request_counts.completed == 4 and done.request_counts.failed == 1
    assert done.model == MODEL and done.completed_at is not None

    output = [json.loads(line) for line in sdk.files.content(done.output_file_id).text.splitlines()]
    assert [o["custom_id"] for o in output] == ["r-0", "r-1", "r-3", "r-4"]
    errors = sdk.files.content(done.error_file_id).text.splitlines()
    assert json.loads(errors[0])["custom_id"] == "r-2"
    assert sdk.files.retrieve(done.output_file_id).purpose == "batch_output"


def test_list_with_pagination(sdk):
    file_ids = [sdk.files.create(file=(f"f{i}.jsonl", requests_file(1)), purpose="batch").id for i in range(5)]
    page = sdk.files.list(limit=2)
    assert [f.id for f in page.data] == file_ids[::-1][:2] and page.has_more
    assert [f.id for f in sdk.files.list(limit=2)] == file_ids[::-1]  # auto-pagination follows `after`
    assert [f.id for f in sdk.files.list(order="asc")] == file_ids

    batch_ids = [sdk.batches.create(input_file_id=fid, endpoint="/v1/chat/completions",
                                    completion_window="24h").id for fid in file_ids[:3]]
    first = sdk.batches.list(limit=2)
    assert [b.id for b in first.data] == batch_ids[::-1][:2] and first.has_next_page()
    assert [b.id for b in first.get_next_page().data] == batch_ids[:1]
    assert [b.id for b in sdk.batches.list(limit=1)] == batch_ids[::-1]
    for batch_id in batch_ids:
        _wait(sdk, batch_id)


def test_cancel(sdk):
    uploaded = sdk.files.create(file=("big.jsonl", requests_file(2000)), purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h")
    cancelling = sdk.batches.cancel(batch.id)
    assert cancelling.status == "cancelling"
    done = _wait(sdk, batch.id)
    assert done.status == "cancelled" and done.cancelled_at is not None
    assert done.request_counts.completed < 2000


def test_models_and_errors(sdk):
    assert [m.id for m in sdk.models.list()][0] == MODEL
    with pytest.raises(openai.NotFoundError) as missing:
        sdk.batches.retrieve("batch_missing")
    assert missing.value.code == "not_found"
    with pytest.raises(openai.BadRequestError):
        sdk.files.list(limit=0)
    wrong_key = openai.OpenAI(base_url=str(sdk.base_url), api_key="sk-wrong", max_retries=0,
                              _strict_response_validation=True)
    with pytest.raises(openai.AuthenticationError):
        wrong_key.files.list()
    deleted = sdk.files.delete(sdk.files.create(file=("x.jsonl", b"{}\n"), purpose="batch").id)
    assert deleted.deleted is True


def test_sdk_retries_through_injected_faults(served):
    server = served(fault_rate=0.3, fault_seed=5, fault_retry_after=0.01)
    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=8, _strict_response_validation=True)
    for _ in range(8):  # some 500/502 carry no Retry-After: the SDK backs off ~0.5 s
        assert client.models.list().data


def _batch_bodies(sdk, lines: list[dict], endpoint: str) -> tuple[openai.types.Batch, list[dict]]:
    """Create a batch through the SDK on ``endpoint``, wait, and return it with each output line's body."""
    uploaded = sdk.files.create(file=("requests.jsonl", jsonl(lines)), purpose="batch")
    batch = sdk.batches.create(input_file_id=uploaded.id, endpoint=endpoint, completion_window="24h")
    assert batch.endpoint == endpoint
    done = _wait(sdk, batch.id)
    assert done.status == "completed" and done.request_counts.completed == len(lines)
    output = [json.loads(line) for line in sdk.files.content(done.output_file_id).text.splitlines()]
    assert [o["custom_id"] for o in output] == [line["custom_id"] for line in lines]
    return done, [o["response"]["body"] for o in output]


def test_embeddings_batch_answers_parse_strictly_as_the_sdk_types(sdk):
    lines = [{"custom_id": f"e-{i}", "method": "POST", "url": "/v1/embeddings",
              "body": {"model": "BAAI/bge-m3", "input": f"text {i}", **({"dimensions": 16} if i else {})}}
             for i in range(3)]
    done, bodies = _batch_bodies(sdk, lines, "/v1/embeddings")
    assert done.model == "BAAI/bge-m3"
    for index, body in enumerate(bodies):
        answer = openai.types.CreateEmbeddingResponse.model_validate(body, strict=True)
        assert answer.object == "list" and answer.model == "BAAI/bge-m3"
        [item] = answer.data
        assert len(item.embedding) == (16 if index else 256) and answer.usage.prompt_tokens > 0


def test_responses_batch_answers_parse_strictly_as_the_sdk_types(sdk):
    lines = [{"custom_id": f"r-{i}", "method": "POST", "url": "/v1/responses",
              "body": {"model": MODEL, "input": f"question {i}", "instructions": "Be brief.",
                       "max_output_tokens": 64 if i else 2}}
             for i in range(3)]
    _, bodies = _batch_bodies(sdk, lines, "/v1/responses")
    for index, body in enumerate(bodies):
        answer = openai.types.responses.Response.model_validate(body, strict=True)
        assert answer.status == ("completed" if index else "incomplete")
        assert answer.output_text == f"echo: question {index}"[: 8 if not index else None]
        assert answer.usage is not None and answer.usage.total_tokens == answer.usage.input_tokens \
            + answer.usage.output_tokens
