"""The Batch API client, over pytest-httpx: request shapes, parsing, paging, retries, errors."""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
import tracemalloc

import httpx
import pytest

from specrun.client import (
    Batch,
    BatchStatus,
    Client,
    FileObject,
    ModelConfig,
    Page,
    RetryPolicy,
    WaitTimeout,
    normalise_base_url,
    resolve_base_url,
)
from specrun.errors import (
    AuthError,
    ConnectionFailed,
    NotFound,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    SpecrunError,
)

BASE = "http://api.test/v1"
KEY = "sk-test-SECRET-0123456789"


class FakeTime:
    """A clock that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake_time: FakeTime):
    with Client(BASE, KEY, max_retries=3, max_retry_seconds=60, sleep=fake_time.sleep,
                clock=fake_time.clock) as c:
        yield c


def batch_json(batch_id: str = "batch_1", status: str = "in_progress", **extra) -> dict:
    body = {
        "id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions",
        "input_file_id": "file-in", "completion_window": "24h", "status": status,
        "output_file_id": None, "error_file_id": None, "created_at": 1714000000,
        "request_counts": {"total": 10, "completed": 4, "failed": 1}, "errors": None,
    }
    body.update(extra)
    return body


def file_json(file_id: str = "file-1", filename: str = "a.jsonl", size: int = 12, **extra) -> dict:
    body = {"id": file_id, "object": "file", "bytes": size, "created_at": 1714000000,
            "filename": filename, "purpose": "batch", "status": "processed"}
    body.update(extra)
    return body


# ---------------------------------------------------------------- request shapes


def test_active_models_sends_bearer_key_and_parses(httpx_mock, client):
    httpx_mock.add_response(method="GET", url=f"{BASE}/active-models",
                            json={"active_models": ["m-1", "m-2"], "extra": True})
    assert client.active_models() == ["m-1", "m-2"]
    request = httpx_mock.get_request()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("specrun/")


def test_no_key_sends_no_authorization_header(httpx_mock, fake_time):
    httpx_mock.add_response(url=f"{BASE}/active-models", json={"active_models": []})
    with Client(BASE, None, sleep=fake_time.sleep) as c:
        assert c.active_models() == []
    assert "authorization" not in httpx_mock.get_request().headers


@pytest.mark.parametrize("status", [404, 405])
def test_active_models_falls_back_to_openai_models(httpx_mock, client, status):
    httpx_mock.add_response(url=f"{BASE}/active-models", status_code=status, json={"detail": "Not Found"})
    httpx_mock.add_response(url=f"{BASE}/models", json={"object": "list", "data": [{"id": "gpt-x", "object": "model"}]})
    assert client.active_models() == ["gpt-x"]


def test_model_config_parses_known_and_keeps_unknown_fields(httpx_mock, client):
    entry = {
        "id": "meta-llama/Llama-3.1-8B-Instruct", "name": "Llama 3.1 8B", "description": "small",
        "input_price_cents": 5, "output_price_cents": 8.5, "model_code": "llama8b",
        "num_parameters_billions": 8, "num_experts": None, "context_length": 131072,
        "display_order": 2, "license_url": "https://x", "created_at": "2024-01-01", "updated_at": None,
        "status": "active", "brand_new_field": {"nested": 1},
    }
    httpx_mock.add_response(method="GET", url=f"{BASE}/model-config", json={"active_models": [entry]})
    [config] = client.model_config()
    assert config == ModelConfig(id="meta-llama/Llama-3.1-8B-Instruct", name="Llama 3.1 8B",
                                 context_length=131072, input_price_cents=5.0, output_price_cents=8.5,
                                 status="active", description="small", display_order=2)
    assert config.raw["brand_new_field"] == {"nested": 1}


def test_model_config_falls_back_to_model_ids(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/model-config", status_code=404)
    httpx_mock.add_response(url=f"{BASE}/active-models", json={"active_models": ["m-1"]})
    assert [m.id for m in client.model_config()] == ["m-1"]


def test_list_files_query_and_parsing_tolerates_extra_and_missing_fields(httpx_mock, client):
    httpx_mock.add_response(
        method="GET", url=f"{BASE}/files?limit=5&after=file-0&order=asc",
        json={"object": "list", "has_more": True, "first_id": "file-1", "last_id": "file-2", "surprise": 1,
              "data": [file_json("file-1", unknown="x"), {"id": "file-2"}]})
    page = client.list_files(limit=5, after="file-0", order="asc")
    assert isinstance(page, Page)
    assert page.has_more and page.first_id == "file-1" and page.last_id == "file-2"
    assert page.data[0] == FileObject(id="file-1", bytes=12, filename="a.jsonl", purpose="batch",
                                      status="processed", created_at=1714000000)
    assert page.data[0].raw["unknown"] == "x"
    assert page.data[1] == FileObject(id="file-2")


def test_list_files_caps_limit_at_api_maximum(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json={"data": [], "has_more": False})
    assert client.list_files(limit=50_000).data == []


def test_get_file(httpx_mock, client):
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-1", json=file_json())
    assert client.get_file("file-1").filename == "a.jsonl"


def test_ids_are_escaped_as_one_path_segment(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches/..%2Fsecret", json=batch_json("x"))
    client.get_batch("../secret")
    assert httpx_mock.get_request().url.raw_path == b"/v1/batches/..%2Fsecret"


def test_upload_file_sends_multipart_file_and_purpose(httpx_mock, client, tmp_path):
    path = tmp_path / "requests.jsonl"
    path.write_bytes(b'{"custom_id": "a"}\n{"custom_id": "b"}\n')
    httpx_mock.add_response(method="POST", url=f"{BASE}/files",
                            json=file_json("file-new", "specrun-job-abc.jsonl", path.stat().st_size))
    uploaded = client.upload_file(path, filename="specrun-job-abc.jsonl")
    assert uploaded.id == "file-new" and uploaded.bytes == path.stat().st_size

    request = httpx_mock.get_request()
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = request.read()
    assert int(request.headers["content-length"]) == len(body)  # sized up front, not chunked
    assert b'name="purpose"\r\n\r\nbatch\r\n' in body
    assert b'name="file"; filename="specrun-job-abc.jsonl"' in body
    assert path.read_bytes() in body


def test_download_file_streams_to_dest_atomically(httpx_mock, client, tmp_path):
    content = b"".join(b'{"custom_id": "r%d"}\n' % i for i in range(1000))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-out/content", content=content,
                            headers={"content-type": "application/octet-stream"})
    dest = tmp_path / "sub" / "out.jsonl"
    assert client.download_file("file-out", dest) == len(content)
    assert dest.read_bytes() == content
    assert [p.name for p in dest.parent.iterdir()] == ["out.jsonl"]  # no temp file left


def test_download_failure_leaves_existing_dest_untouched(httpx_mock, client, tmp_path):
    dest = tmp_path / "out.jsonl"
    dest.write_bytes(b"old results\n")
    httpx_mock.add_response(url=f"{BASE}/files/gone/content", status_code=404, json={"detail": "File not found"})
    with pytest.raises(NotFound, match="File not found"):
        client.download_file("gone", dest)
    assert dest.read_bytes() == b"old results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_download_interrupted_mid_body_is_retried_from_the_start(client, tmp_path, fake_time):
    calls = []

    class BrokenStream(httpx.SyncByteStream):
        def __iter__(self):
            yield b"partial"
            raise httpx.ReadError("connection reset")

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(200, stream=BrokenStream())
        return httpx.Response(200, content=b"complete\n")

    with Client(BASE, transport=httpx.MockTransport(handler), sleep=fake_time.sleep,
                clock=fake_time.clock) as c:
        assert c.download_file("f", tmp_path / "o.jsonl") == 9
    assert (tmp_path / "o.jsonl").read_bytes() == b"complete\n"
    assert len(calls) == 2 and len(fake_time.sleeps) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["o.jsonl"]


def test_get_batch_parses_every_field(httpx_mock, client):
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches/batch_1",
                            json=batch_json(status="completed", output_file_id="file-out",
                                            metadata={"job": "j"}, in_progress_at=1, future_field=[1]))
    batch = client.get_batch("batch_1")
    assert batch.status is BatchStatus.COMPLETED and batch.status.is_terminal
    assert batch.output_file_id == "file-out" and batch.error_file_id is None
    assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (10, 4, 1)
    assert batch.metadata == {"job": "j"}
    assert batch.raw["future_field"] == [1]


def test_batch_tolerates_missing_optional_fields_and_odd_statuses():
    minimal = Batch.from_dict({"id": "b", "status": "in_progress", "request_counts": None})
    assert minimal.input_file_id is None and minimal.request_counts.total == 0
    assert Batch.from_dict({"id": "b", "status": "canceled"}).status is BatchStatus.CANCELLED
    assert Batch.from_dict({"id": "b", "status": "queued"}).status is BatchStatus.VALIDATING
    odd = Batch.from_dict({"id": "b", "status": "thinking"})
    assert odd.status == "thinking" and not odd.status.is_terminal
    assert {s.value for s in BatchStatus} == {"validating", "failed", "in_progress", "finalizing",
                                              "completed", "expired", "cancelling", "cancelled"}


def test_create_batch_body(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches",
                            json=batch_json("batch_new", "validating"))
    batch = client.create_batch("file-in", metadata={"job": "summarize"})
    assert batch.id == "batch_new" and batch.status is BatchStatus.VALIDATING
    request = httpx_mock.get_request()
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"input_file_id": "file-in", "endpoint": "/v1/chat/completions",
                                           "completion_window": "24h", "metadata": {"job": "summarize"}}


def test_cancel_batch_posts_to_cancel(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/batch_1/cancel",
                            json=batch_json(status="cancelling"))
    assert client.cancel_batch("batch_1").status is BatchStatus.CANCELLING
    assert httpx_mock.get_request().content == b""


def test_delete_batch_returns_batch_or_none(httpx_mock, client):
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/batches/batch_1", json=batch_json(status="cancelled"))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/batches/batch_2", status_code=204)
    assert client.delete_batch("batch_1").status is BatchStatus.CANCELLED
    assert client.delete_batch("batch_2") is None


def test_list_batches_query(httpx_mock, client):
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches?limit=2&after=batch_9",
                            json={"object": "list", "data": [batch_json("batch_8")], "has_more": False})
    page = client.list_batches(limit=2, after="batch_9")
    assert [b.id for b in page.data] == ["batch_8"] and not page.has_more
    assert page.first_id == page.last_id == "batch_8"  # derived when the server omits them


# -------------------------------------------------------------------- pagination


def test_iter_files_follows_after_cursor_across_three_pages(httpx_mock, client):
    pages = [["f1", "f2"], ["f3", "f4"], ["f5"]]
    after = None
    for number, ids in enumerate(pages):
        query = "limit=2" + (f"&after={after}" if after else "")
        httpx_mock.add_response(url=f"{BASE}/files?{query}", json={
            "object": "list", "data": [file_json(i) for i in ids], "first_id": ids[0], "last_id": ids[-1],
            "has_more": number < 2})
        after = ids[-1]
    assert [f.id for f in client.iter_files(limit=2)] == ["f1", "f2", "f3", "f4", "f5"]
    assert len(httpx_mock.get_requests()) == 3


def test_iter_batches_is_lazy_and_pages(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json={
        "data": [batch_json("b1"), batch_json("b2")], "has_more": True, "last_id": "b2"})
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100&after=b2", json={
        "data": [batch_json("b3")], "has_more": True, "last_id": "b3"})
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100&after=b3", json={
        "data": [batch_json("b4")], "has_more": False, "last_id": "b4"})
    batches = client.iter_batches()
    assert next(batches).id == "b1"
    assert len(httpx_mock.get_requests()) == 1  # nothing fetched ahead
    assert [b.id for b in batches] == ["b2", "b3", "b4"]
    assert len(httpx_mock.get_requests()) == 3


def test_pagination_stops_when_server_ignores_the_cursor(httpx_mock, client, caplog):
    page = {"data": [file_json("f1")], "has_more": True, "last_id": "f1"}
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json=page)
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000&after=f1", json=page)
    with caplog.at_level(logging.WARNING, logger="specrun.client"):
        assert [f.id for f in client.iter_files()] == ["f1"]
    assert "ignored the `after` cursor" in caplog.text


def test_bare_array_listing_is_one_page(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json=[batch_json("b1")])
    assert [b.id for b in client.iter_batches()] == ["b1"]


# ------------------------------------------------------------------ reconciling


def test_find_files_matches_name_and_size(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", json={"data": [
        file_json("f1", "specrun-j-aaaa.jsonl", 10), file_json("f2", "specrun-j-aaaa.jsonl", 99),
        file_json("f3", "other.jsonl", 10)], "has_more": False}, is_reusable=True)
    assert [f.id for f in client.find_files("specrun-j-aaaa.jsonl")] == ["f1", "f2"]
    assert [f.id for f in client.find_files("specrun-j-aaaa.jsonl", size=10)] == ["f1"]
    assert client.find_files("missing.jsonl") == []
    assert client.supports_file_listing is True


@pytest.mark.parametrize("status", [404, 405])
def test_find_files_without_listing_returns_empty_and_warns_once(httpx_mock, client, caplog, status):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=status, json={"detail": "Method Not Allowed"})
    # Without file listing, files are found through batches; this provider lists neither.
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", status_code=status, json={"detail": "Method Not Allowed"})
    with caplog.at_level(logging.WARNING, logger="specrun.client"):
        assert client.find_files("x.jsonl") == []
        assert client.find_files("y.jsonl") == []
    assert len(httpx_mock.get_requests()) == 2
    assert caplog.text.count("does not list files") == 1
    assert client.supports_file_listing is False


def test_find_files_still_raises_real_errors(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=401)
    with pytest.raises(AuthError):
        client.find_files("x.jsonl")


def test_find_batches_by_input_file(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json={"data": [
        batch_json("b1", input_file_id="file-a"), batch_json("b2", input_file_id="file-b"),
        batch_json("b3", input_file_id="file-a")], "has_more": False})
    assert [b.id for b in client.find_batches("file-a")] == ["b1", "b3"]


def test_wait_batch_polls_until_terminal(httpx_mock, client, fake_time):
    for status in ("validating", "in_progress", "completed"):
        httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1", status))
    seen = []
    batch = client.wait_batch("b1", poll_interval=7, on_update=lambda b: seen.append(b.status.value))
    assert batch.status is BatchStatus.COMPLETED
    assert seen == ["validating", "in_progress", "completed"]
    assert fake_time.sleeps == [7, 7]


def test_wait_batch_timeout(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1", "in_progress"), is_reusable=True)
    with pytest.raises(WaitTimeout, match="batch b1 is still in_progress after 20s"):
        client.wait_batch("b1", poll_interval=5, timeout=20)


# ----------------------------------------------------------------------- retries


def test_retry_after_seconds_is_honoured(httpx_mock, client, fake_time):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=503, headers={"Retry-After": "2"})
    httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=429, headers={"Retry-After": "0.5"})
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1"))
    assert client.get_batch("b1").id == "b1"
    assert fake_time.sleeps == [2.0, 0.5]
    assert len(httpx_mock.get_requests()) == 3


def test_retry_after_http_date_is_honoured(httpx_mock, client, fake_time):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    httpx_mock.add_response(url=f"{BASE}/files/f", status_code=429, headers={"Retry-After": when})
    httpx_mock.add_response(url=f"{BASE}/files/f", json=file_json("f"))
    client.get_file("f")
    [slept] = fake_time.sleeps
    assert 27 <= slept <= 31


def test_retry_after_ms_wins(httpx_mock, client, fake_time):
    httpx_mock.add_response(url=f"{BASE}/files/f", status_code=429,
                            headers={"retry-after-ms": "250", "Retry-After": "9"})
    httpx_mock.add_response(url=f"{BASE}/files/f", json=file_json("f"))
    client.get_file("f")
    assert fake_time.sleeps == [0.25]


def test_backoff_without_hint_is_jittered_exponential(httpx_mock, fake_time):
    for _ in range(4):
        httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=502)
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1"))
    with Client(BASE, max_retries=5, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        c.get_batch("b1")
    ceilings = [0.5, 1.0, 2.0, 4.0]
    assert len(fake_time.sleeps) == 4
    assert all(0 <= slept <= ceiling for slept, ceiling in zip(fake_time.sleeps, ceilings))


def test_retries_are_bounded_by_attempts(httpx_mock, client, fake_time):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", status_code=429, headers={"Retry-After": "1"},
                            json={"error": {"message": "slow down"}}, is_reusable=True)
    with pytest.raises(RateLimited) as caught:
        list(client.iter_batches())
    assert len(httpx_mock.get_requests()) == 4  # 1 + max_retries=3
    assert fake_time.sleeps == [1.0, 1.0, 1.0]
    assert str(caught.value) == "rate limited (429 on GET /v1/batches) after 4 attempts; try again later: slow down"


def test_retries_are_bounded_by_total_time(httpx_mock, fake_time):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", status_code=503, headers={"Retry-After": "50"},
                            is_reusable=True)
    with Client(BASE, max_retries=10, max_retry_seconds=120, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        with pytest.raises(ProviderError, match=r"provider error \(503 on GET /v1/batches/b1\) after 3 attempts"):
            c.get_batch("b1")
    assert fake_time.sleeps == [50.0, 50.0]  # a third 50 s wait would cross 120 s


def test_connect_errors_and_timeouts_on_get_are_retried(httpx_mock, client):
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=f"{BASE}/batches/b1")
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{BASE}/batches/b1")
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1"))
    assert client.get_batch("b1").id == "b1"


def test_cancel_and_delete_are_retried(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/b1/cancel", status_code=500)
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches/b1/cancel", json=batch_json("b1", "cancelling"))
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/batches/b1", status_code=503)
    httpx_mock.add_response(method="DELETE", url=f"{BASE}/batches/b1", json=batch_json("b1", "cancelled"))
    assert client.cancel_batch("b1").status is BatchStatus.CANCELLING
    assert client.delete_batch("b1").status is BatchStatus.CANCELLED


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_create_batch_5xx_is_outcome_unknown_and_not_retried(httpx_mock, client, status):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", status_code=status, text="upstream gone")
    with pytest.raises(OutcomeUnknown) as caught:
        client.create_batch("file-in")
    assert len(httpx_mock.get_requests()) == 1
    assert caught.value.attempted == {"method": "POST", "path": "/v1/batches", "input_file_id": "file-in",
                                      "endpoint": "/v1/chat/completions", "completion_window": "24h"}
    assert caught.value.status_code == status
    message = str(caught.value)
    assert message.startswith(f"POST /v1/batches: the answer was lost (answer {status})")
    assert "may or may not have created the batch for input file file-in" in message


def test_upload_500_is_outcome_unknown_and_not_retried(httpx_mock, client, tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"x" * 100)
    httpx_mock.add_response(method="POST", url=f"{BASE}/files", status_code=500, json={"detail": "boom"})
    with pytest.raises(OutcomeUnknown) as caught:
        client.upload_file(path, filename="specrun-j-1234.jsonl")
    assert len(httpx_mock.get_requests()) == 1
    assert caught.value.attempted == {"method": "POST", "path": "/v1/files", "filename": "specrun-j-1234.jsonl",
                                      "bytes": 100, "purpose": "batch"}
    assert "(boom)" in str(caught.value)


@pytest.mark.parametrize("exc", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"),
                                 httpx.WriteError("broken pipe")])
def test_creating_post_lost_after_sending_is_outcome_unknown(httpx_mock, client, exc):
    httpx_mock.add_exception(exc, method="POST", url=f"{BASE}/batches")
    with pytest.raises(OutcomeUnknown, match="answer was lost"):
        client.create_batch("file-in")
    assert len(httpx_mock.get_requests()) == 1


def test_creating_post_with_unreadable_2xx_is_outcome_unknown(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", text="<html>ok</html>")
    with pytest.raises(OutcomeUnknown):
        client.create_batch("file-in")


def test_creating_post_connect_error_is_retried_because_nothing_was_sent(httpx_mock, client, tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"a": 1}\n')
    httpx_mock.add_exception(httpx.ConnectError("refused"), method="POST", url=f"{BASE}/files")
    httpx_mock.add_response(method="POST", url=f"{BASE}/files", json=file_json("f-ok", "r.jsonl", 9))
    httpx_mock.add_exception(httpx.ConnectTimeout("no route"), method="POST", url=f"{BASE}/batches")
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", json=batch_json("b-ok"))
    assert client.upload_file(path).id == "f-ok"
    assert path.read_bytes() in httpx_mock.get_requests()[1].read()  # the file was re-read from byte 0
    assert client.create_batch("f-ok").id == "b-ok"
    assert len(httpx_mock.get_requests()) == 4


def test_creating_post_429_is_retried_because_it_was_not_processed(httpx_mock, client, fake_time):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", status_code=429, headers={"Retry-After": "3"})
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", json=batch_json("b-ok"))
    assert client.create_batch("f").id == "b-ok"
    assert fake_time.sleeps == [3.0]


def test_creating_post_400_is_a_plain_rejection(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", status_code=400,
                            json={"detail": "File file-x not found or not of purpose batch"})
    with pytest.raises(ProviderError) as caught:
        client.create_batch("file-x")
    assert not isinstance(caught.value, OutcomeUnknown)
    assert str(caught.value) == ("request rejected (400 on POST /v1/batches): "
                                 "File file-x not found or not of purpose batch")


# ------------------------------------------------------------------------ errors


def test_401_without_key_says_which_env_var_to_set(httpx_mock, fake_time):
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", status_code=401, json={"detail": "Not authenticated"})
    with Client(BASE, None, sleep=fake_time.sleep) as c, pytest.raises(AuthError) as caught:
        list(c.iter_batches())
    assert str(caught.value) == ("authentication failed (401 on GET /v1/batches): set MITHRIL_API_KEY "
                                 "(or provider.api_key_env); no API key was sent: Not authenticated")
    assert caught.value.status_code == 401 and caught.value.method == "GET"


def test_403_with_key_names_the_custom_env_var_not_the_key(httpx_mock, fake_time):
    httpx_mock.add_response(url=f"{BASE}/files/f", status_code=403,
                            json={"error": {"message": f"Incorrect API key provided: {KEY}"}})
    with Client(BASE, KEY, api_key_env="TEAM_KEY", sleep=fake_time.sleep) as c, \
            pytest.raises(AuthError) as caught:
        c.get_file("f")
    message = str(caught.value)
    assert message.startswith("authentication failed (403 on GET /v1/files/f): set TEAM_KEY "
                              "(named by provider.api_key_env) to a valid key")
    assert KEY not in message and "Incorrect API key provided: ***" in message


def test_404_is_not_found(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/batches/nope", status_code=404, json={"detail": "Batch not found"})
    with pytest.raises(NotFound) as caught:
        client.get_batch("nope")
    assert str(caught.value) == "not found (404 on GET /v1/batches/nope): Batch not found"
    assert len(httpx_mock.get_requests()) == 1  # 404 is not retried


def test_422_fastapi_validation_detail(httpx_mock, client):
    httpx_mock.add_response(method="POST", url=f"{BASE}/batches", status_code=422, json={"detail": [
        {"loc": ["body", "input_file_id"], "msg": "Field required", "type": "missing"}]})
    with pytest.raises(ProviderError, match=r"request rejected \(422 on POST /v1/batches\): input_file_id: Field required$"):
        client.create_batch("")


def test_openai_error_message_shape(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files/f", status_code=400,
                            json={"error": {"message": "Invalid file id", "type": "invalid_request_error"}})
    with pytest.raises(ProviderError, match=r"^request rejected \(400 on GET /v1/files/f\): Invalid file id$"):
        client.get_file("f")


def test_non_json_error_body(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files/f", status_code=500, is_reusable=True,
                            html="<html><body>Bad   Gateway</body></html>")
    with pytest.raises(ProviderError) as caught:
        client.get_file("f")
    assert str(caught.value) == ("provider error (500 on GET /v1/files/f) after 4 attempts: non-JSON answer "
                                 "(text/html): <html><body>Bad Gateway</body></html>")


def test_non_json_success_body(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files/f", html="<html>login page</html>")
    with pytest.raises(ProviderError, match=r"unreadable answer \(200 on GET /v1/files/f\): expected JSON, got text/html"):
        client.get_file("f")


def test_object_without_id_is_a_provider_error(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files/f", json={"object": "file"})
    with pytest.raises(ProviderError, match="missing or invalid 'id'"):
        client.get_file("f")


def test_connection_refused_names_the_url(fake_time):
    with Client("http://127.0.0.1:9", max_retries=1, sleep=fake_time.sleep) as c:
        with pytest.raises(ConnectionFailed) as caught:
            c.active_models()
    assert str(caught.value).startswith(
        "could not connect to http://127.0.0.1:9/v1 (GET /v1/active-models) after 2 attempts:")
    assert "is the server running?" in str(caught.value)


def test_timeouts_on_get_become_connection_failed(httpx_mock, client):
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{BASE}/batches/b", is_reusable=True)
    with pytest.raises(ConnectionFailed, match=r"no answer from http://api.test/v1 \(GET /v1/batches/b\) within 60s after 4 attempts"):
        client.get_batch("b")


# ------------------------------------------------------------------ secrecy, logs


def test_key_never_in_verbose_logs_reprs_or_errors(httpx_mock, client, caplog):
    httpx_mock.add_response(url=f"{BASE}/batches/b1", json=batch_json("b1"))
    httpx_mock.add_response(url=f"{BASE}/batches/b2", status_code=400, json={"detail": f"bad key {KEY}"})
    httpx_mock.add_response(url=f"{BASE}/batches/b3", status_code=503, headers={"Retry-After": "0"})
    httpx_mock.add_response(url=f"{BASE}/batches/b3", json=batch_json("b3"))
    with caplog.at_level(logging.DEBUG):
        client.get_batch("b1")
        with pytest.raises(ProviderError) as caught:
            client.get_batch("b2")
        client.get_batch("b3")
    assert KEY not in caplog.text
    assert KEY not in repr(client) and KEY not in str(caught.value)
    assert repr(client) == "Client(base_url='http://api.test/v1', api_key='***')"
    ours = [r.getMessage() for r in caplog.records if r.name == "specrun.client"]
    assert re.fullmatch(r"GET /v1/batches/b1 -> 200 \(\d+ ms\)", ours[0])
    assert re.fullmatch(r"GET /v1/batches/b2 -> 400 \(\d+ ms\)", ours[1])
    assert any(m.startswith("retrying in 0.0s (attempt 2 of 4)") for m in ours)
    assert not any("authorization" in m.lower() for m in ours)


def test_verbose_logs_include_the_query(httpx_mock, client, caplog):
    httpx_mock.add_response(url=f"{BASE}/files?limit=3", json={"data": []})
    with caplog.at_level(logging.DEBUG, logger="specrun.client"):
        client.list_files(limit=3)
    assert re.search(r"GET /v1/files\?limit=3 -> 200 \(\d+ ms\)", caplog.text)


# --------------------------------------------------------------------- base URL


@pytest.mark.parametrize(("given", "expected"), [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/v1"),
    ("http://127.0.0.1:8080/v1/", "http://127.0.0.1:8080/v1"),
    ("HTTPS://Inference.Example.com/v1", "https://inference.example.com/v1"),
    ("https://gw.example.com/openai/v1//", "https://gw.example.com/openai/v1"),
    ("https://gw.example.com/api", "https://gw.example.com/api"),
    ("  http://h:1 ", "http://h:1/v1"),
])
def test_normalise_base_url(given, expected):
    assert normalise_base_url(given) == expected


@pytest.mark.parametrize("bad", ["localhost:8080", "ftp://h/v1", "http://h/v1?x=1", "http://"])
def test_invalid_base_url(bad):
    with pytest.raises(SpecrunError, match="invalid provider base URL"):
        normalise_base_url(bad)


def test_base_url_precedence(monkeypatch):
    monkeypatch.setenv("SPECRUN_BASE_URL", "http://env:1")
    assert resolve_base_url("http://cli:1/", "http://spec:1") == "http://cli:1/v1"
    assert resolve_base_url(None, "http://spec:1") == "http://env:1/v1"
    monkeypatch.delenv("SPECRUN_BASE_URL")
    assert resolve_base_url(None, "http://spec:1") == "http://spec:1/v1"
    with pytest.raises(SpecrunError, match="no provider base URL: pass --base-url URL, set SPECRUN_BASE_URL"):
        resolve_base_url(None, None)


def test_client_normalises_its_base_url(httpx_mock):
    httpx_mock.add_response(url="http://h:8080/v1/active-models", json={"active_models": []})
    with Client("http://h:8080/") as c:
        assert c.base_url == "http://h:8080/v1"
        c.active_models()


def test_retry_policy_can_be_given_whole(httpx_mock, fake_time):
    policy = RetryPolicy(max_retries=1, max_retry_seconds=5, sleep=fake_time.sleep, clock=fake_time.clock)
    httpx_mock.add_response(url=f"{BASE}/batches/b", status_code=503, is_reusable=True)
    with Client(BASE, retry_policy=policy) as c, pytest.raises(ProviderError):
        c.get_batch("b")
    assert len(httpx_mock.get_requests()) == 2


# ------------------------------------------------------------- streaming memory


def test_upload_and_download_stream_without_buffering(tmp_path):
    """A 16 MB file goes up and comes back with well under 16 MB allocated at once."""
    size = 16 * 1024 * 1024
    path = tmp_path / "big.jsonl"
    line = b'{"custom_id": "x", "body": "' + b"a" * 1000 + b'"}\n'
    with path.open("wb") as out:
        for _ in range(size // len(line) + 1):
            out.write(line)
    actual = path.stat().st_size
    received = {"bytes": 0}

    class Generated(httpx.SyncByteStream):
        def __iter__(self):
            chunk = b"y" * 65536
            for _ in range(size // len(chunk)):
                yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            for chunk in request.stream:  # consume the multipart body chunk by chunk
                received["bytes"] += len(chunk)
            return httpx.Response(200, json=file_json("f-big", "big.jsonl", actual))
        return httpx.Response(200, stream=Generated())

    class StreamingTransport(httpx.BaseTransport):
        # httpx.MockTransport reads the whole request first; this one does not.
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return handler(request)

    with Client(BASE, transport=StreamingTransport()) as c:
        tracemalloc.start()
        try:
            c.upload_file(path)
            _, upload_peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            written = c.download_file("f-big", tmp_path / "back.jsonl")
            _, download_peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert received["bytes"] > actual
    assert written == size
    assert upload_peak < 2 * 1024 * 1024, upload_peak
    assert download_peak < 2 * 1024 * 1024, download_peak


# ------------------------------------------- finding files through batches (no GET /files)


def _requests(httpx_mock) -> list[tuple[str, str]]:
    return [(r.method, str(r.url)) for r in httpx_mock.get_requests()]


def test_files_by_name_without_file_listing_finds_files_through_batches(httpx_mock, client, caplog):
    name = "specrun-j-0123456789abcdef.jsonl"
    httpx_mock.add_response(method="GET", url=f"{BASE}/files?limit=10000", status_code=404,
                            json={"detail": "Not Found"})
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches?limit=100", is_reusable=True, json={"data": [
        batch_json("b2", "completed", input_file_id="file-b"),
        batch_json("b1", "in_progress", input_file_id="file-a"),
        batch_json("b0", "failed", input_file_id="file-a")], "has_more": False})
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-a", json=file_json("file-a", name, 10))
    httpx_mock.add_response(method="GET", url=f"{BASE}/files/file-b", json=file_json("file-b", "other.jsonl", 10))
    with caplog.at_level(logging.WARNING, logger="specrun.client"):
        first = client.files_by_name({name, "missing.jsonl"})
        second = client.files_by_name({name})
    assert {k: [f.id for f in v] for k, v in first.items()} == {name: ["file-a"], "missing.jsonl": []}
    assert {k: [f.id for f in v] for k, v in second.items()} == {name: ["file-a"]}
    assert first[name][0].bytes == 10 and first[name][0].filename == name
    # File listing is tried once; batches are listed on every call (fresh); each file is
    # fetched once per client, even across calls and batches sharing a file.
    assert _requests(httpx_mock) == [
        ("GET", f"{BASE}/files?limit=10000"),
        ("GET", f"{BASE}/batches?limit=100"),
        ("GET", f"{BASE}/files/file-b"),
        ("GET", f"{BASE}/files/file-a"),
        ("GET", f"{BASE}/batches?limit=100"),
    ]
    assert client.supports_file_listing is False
    assert caplog.text.count("through its batches") == 1
    assert caplog.text.count("does not list files") == 1


def test_files_through_batches_skips_files_that_are_gone(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=405)
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", is_reusable=True, json={"data": [
        batch_json("b2", input_file_id="file-gone"), batch_json("b1", input_file_id="file-a")],
        "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/files/file-gone", status_code=404, json={"detail": "Not Found"})
    httpx_mock.add_response(url=f"{BASE}/files/file-a", json=file_json("file-a", "x.jsonl"))
    assert [f.id for f in client.find_files("x.jsonl")] == ["file-a"]
    assert [f.id for f in client.find_files("x.jsonl")] == ["file-a"]
    assert len(httpx_mock.get_requests(url=f"{BASE}/files/file-gone")) == 1


def test_files_through_batches_still_raises_real_errors(httpx_mock, client):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=404)
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json={"data": [
        batch_json("b1", input_file_id="file-a")], "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/files/file-a", status_code=401)
    with pytest.raises(AuthError):
        client.find_files("x.jsonl")


@pytest.mark.parametrize("status", [404, 405, 501])
def test_files_by_name_when_neither_files_nor_batches_are_listed(httpx_mock, client, caplog, status):
    httpx_mock.add_response(method="GET", url=f"{BASE}/files?limit=10000", status_code=status)
    httpx_mock.add_response(method="GET", url=f"{BASE}/batches?limit=100", status_code=status)
    with caplog.at_level(logging.WARNING, logger="specrun.client"):
        assert client.files_by_name({"x.jsonl"}) == {"x.jsonl": []}
        assert client.files_by_name({"x.jsonl", "y.jsonl"}) == {"x.jsonl": [], "y.jsonl": []}
        assert client.find_batches("file-a") == []
    assert _requests(httpx_mock) == [("GET", f"{BASE}/files?limit=10000"), ("GET", f"{BASE}/batches?limit=100")]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert "nor batches" in caplog.text


def test_files_through_batches_without_file_lookup_returns_empty(httpx_mock, client, caplog):
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=404)
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", json={"data": [
        batch_json("b1", input_file_id="file-a")], "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/files/file-a", status_code=405)
    with caplog.at_level(logging.WARNING, logger="specrun.client"):
        assert client.find_files("x.jsonl") == []
        assert client.find_files("x.jsonl") == []
    assert len(httpx_mock.get_requests()) == 3
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_find_files_size_filter_through_batches(httpx_mock, client):
    name = "specrun-j-aaaa.jsonl"
    httpx_mock.add_response(url=f"{BASE}/files?limit=10000", status_code=404)
    httpx_mock.add_response(url=f"{BASE}/batches?limit=100", is_reusable=True, json={"data": [
        batch_json("b3", input_file_id="f3"), batch_json("b2", input_file_id="f2"),
        batch_json("b1", input_file_id="f1")], "has_more": False})
    httpx_mock.add_response(url=f"{BASE}/files/f1", json=file_json("f1", name, 10, created_at=300))
    httpx_mock.add_response(url=f"{BASE}/files/f2", json=file_json("f2", name, 99, created_at=200))
    nosize = file_json("f3", name, 0, created_at=100)
    del nosize["bytes"]
    httpx_mock.add_response(url=f"{BASE}/files/f3", json=nosize)
    # Newest file first (by created_at), whatever the batch order; an unknown size matches.
    assert [f.id for f in client.find_files(name)] == ["f1", "f2", "f3"]
    assert [f.id for f in client.find_files(name, size=10)] == ["f1", "f3"]
    assert [f.id for f in client.find_files(name, size=99)] == ["f2", "f3"]
    assert client.find_files("other.jsonl", size=10) == []
    assert len(httpx_mock.get_requests(url=f"{BASE}/files/f1")) == 1
