"""Conformance: the official anthropic SDK, validating every response strictly, against `specrun serve`."""

from __future__ import annotations

import time

import anthropic
import pytest
from anthropic.types import Message, TextBlock
from anthropic.types.messages import (
    DeletedMessageBatch,
    MessageBatch,
    MessageBatchCanceledResult,
    MessageBatchErroredResult,
    MessageBatchIndividualResponse,
    MessageBatchSucceededResult,
)

from conftest import MODEL

KEY = "sk-ant-local-test"
CLAUDE = "claude-sonnet-4-5"


@pytest.fixture
def server(served):
    return served(api_keys=[KEY], delay_ms=2, models=[CLAUDE])


@pytest.fixture
def sdk(server):
    client = anthropic.Anthropic(base_url=server.url.removesuffix("/v1"), api_key=KEY, max_retries=0,
                                 _strict_response_validation=True)
    yield client
    client.close()


def _request(custom_id: str, text: str, *, model: str = CLAUDE, **params):
    return {"custom_id": custom_id,
            "params": {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": text}], **params}}


def _wait(sdk, batch_id: str, timeout: float = 10.0) -> MessageBatch:
    deadline = time.monotonic() + timeout
    while True:
        batch = sdk.messages.batches.retrieve(batch_id)
        if batch.processing_status == "ended":
            return batch
        assert time.monotonic() < deadline, batch
        time.sleep(0.02)


def test_create_retrieve_and_read_results(sdk, server):
    batch = sdk.messages.batches.create(requests=[
        _request("first", "Hello there", system="Be brief."),
        _request("second", "Fail this one [[fail]]"),
        _request("third", "And a llama", model=MODEL, stop_sequences=["\n"], temperature=0),
        _request("fourth", "Who?", model="claude-unknown"),
    ])
    assert isinstance(batch, MessageBatch) and batch.id.startswith("msgbatch_")
    assert batch.type == "message_batch" and batch.processing_status in ("in_progress", "ended")
    assert batch.request_counts.processing + batch.request_counts.errored == 4
    assert (batch.expires_at - batch.created_at).total_seconds() == 24 * 3600
    assert batch.created_at.tzinfo is not None

    done = _wait(sdk, batch.id)
    assert done.request_counts.succeeded == 2 and done.request_counts.errored == 2
    assert done.request_counts.processing == done.request_counts.canceled == done.request_counts.expired == 0
    assert done.ended_at is not None and done.ended_at >= done.created_at
    assert done.results_url == f"{server.url}/messages/batches/{batch.id}/results"
    assert sdk.messages.batches.retrieve(batch.id) == done

    results = {r.custom_id: r.result for r in sdk.messages.batches.results(batch.id)}
    assert set(results) == {"first", "second", "third", "fourth"}
    first = results["first"]
    assert isinstance(first, MessageBatchSucceededResult) and isinstance(first.message, Message)
    assert first.message.model == CLAUDE and first.message.role == "assistant"
    assert first.message.content == [TextBlock(type="text", text="echo: Hello there")]
    assert first.message.stop_reason == "end_turn" and first.message.usage.output_tokens > 0
    assert results["third"].message.model == MODEL
    second = results["second"]
    assert isinstance(second, MessageBatchErroredResult)
    assert second.error.error.type == "invalid_request_error" and "[[fail]]" in second.error.error.message
    assert results["fourth"].error.error.type == "not_found_error"
    for line in sdk.messages.batches.results(batch.id):
        assert isinstance(line, MessageBatchIndividualResponse)


def test_list_paginates_newest_first(sdk):
    ids = [sdk.messages.batches.create(requests=[_request("only", f"q{i}")]).id for i in range(5)]
    newest_first = ids[::-1]
    page = sdk.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2] and page.has_more and page.has_next_page()
    assert page.first_id == newest_first[0] and page.last_id == newest_first[1]
    assert [b.id for b in page.get_next_page().data] == newest_first[2:4]
    assert [b.id for b in sdk.messages.batches.list(limit=2)] == newest_first   # auto-pagination follows after_id
    assert [b.id for b in sdk.messages.batches.list(limit=2, after_id=ids[3]).data] == newest_first[2:4]
    assert [b.id for b in sdk.messages.batches.list(limit=10, before_id=ids[2]).data] == newest_first[:2]
    for batch_id in ids:
        _wait(sdk, batch_id)


def test_cancel_and_delete(sdk):
    batch = sdk.messages.batches.create(requests=[_request(f"r{i}", f"question {i}") for i in range(2000)])
    canceling = sdk.messages.batches.cancel(batch.id)
    # (a batch whose requests had not started yet may end at once: ended is a fine answer too)
    assert canceling.processing_status in ("canceling", "ended") and canceling.cancel_initiated_at is not None
    done = _wait(sdk, batch.id)
    assert done.request_counts.canceled > 0
    assert done.request_counts.succeeded + done.request_counts.canceled == 2000
    canceled = [r for r in sdk.messages.batches.results(batch.id) if isinstance(r.result, MessageBatchCanceledResult)]
    assert len(canceled) == done.request_counts.canceled

    deleted = sdk.messages.batches.delete(batch.id)
    assert deleted == DeletedMessageBatch(id=batch.id, type="message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        sdk.messages.batches.retrieve(batch.id)


def test_errors_raise_the_sdk_exceptions(sdk, server):
    with pytest.raises(anthropic.NotFoundError) as missing:
        sdk.messages.batches.retrieve("msgbatch_nope")
    assert missing.value.body["error"]["type"] == "not_found_error" and missing.value.request_id.startswith("req_")
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        sdk.messages.batches.create(requests=[{"custom_id": "a", "params": {
            "model": CLAUDE, "messages": [{"role": "user", "content": "hi"}]}}])  # type: ignore[typeddict-item]
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        sdk.messages.batches.create(requests=[_request("same", "a"), _request("same", "b")])
    in_progress = sdk.messages.batches.create(requests=[_request(f"r{i}", "x") for i in range(1000)])
    with pytest.raises(anthropic.AnthropicError, match="results_url"):   # the SDK checks before asking
        sdk.messages.batches.results(in_progress.id)
    with pytest.raises(anthropic.BadRequestError, match="still in progress"):
        sdk.messages.batches.delete(in_progress.id)
    sdk.messages.batches.cancel(in_progress.id)

    stranger = anthropic.Anthropic(base_url=server.url.removesuffix("/v1"), api_key="sk-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        stranger.messages.batches.list()
    stranger.close()


def test_the_sdk_retries_through_injected_faults(served):
    server = served(fault_rate=0.3, fault_seed=11, fault_retry_after=0.01)
    client = anthropic.Anthropic(base_url=server.url.removesuffix("/v1"), api_key="any", max_retries=20,
                                 _strict_response_validation=True)
    batch = client.messages.batches.create(requests=[_request("a", "hi", model=MODEL)])
    deadline = time.monotonic() + 10
    while client.messages.batches.retrieve(batch.id).processing_status != "ended":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert [r.result.type for r in client.messages.batches.results(batch.id)] == ["succeeded"]
    client.close()
