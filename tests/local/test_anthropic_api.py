"""The Anthropic Message Batches surface of the local provider, through the embedded transport.

Shapes, per-request results of every kind, creation checks and limits, listing, owners,
faults in Anthropic's shape, and isolation from the OpenAI-style routes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import MODEL, create_batch, requests_file
from specrun.local import embedded_transport

ROOT = "http://specrun.local"
VERSION = {"anthropic-version": "2023-06-01"}
BATCH_FIELDS = {"id", "type", "processing_status", "request_counts", "ended_at", "created_at", "expires_at",
                "archived_at", "cancel_initiated_at", "results_url"}
COUNTS = {"processing", "succeeded", "errored", "canceled", "expired"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def request(custom_id: str, text: str = "hello", *, model: str = MODEL, **params: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": {"model": model, "max_tokens": 64,
                                               "messages": [{"role": "user", "content": text}], **params}}


@pytest.fixture
def anthropic_client(tmp_path: Path) -> Iterator[Callable[..., httpx.Client]]:
    """``anthropic_client(**options)`` → an httpx client at the embedded provider's root."""
    transports = []

    def make(data_dir: Path | None = None, *, headers: dict[str, str] | None = None, **options: Any) -> httpx.Client:
        transport = embedded_transport(data_dir or tmp_path / "local", **options)
        transports.append(transport)
        return httpx.Client(transport=transport, base_url=ROOT, headers=VERSION if headers is None else headers)

    yield make
    for transport in transports:
        transport.close()


def create(client: httpx.Client, requests: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/v1/messages/batches", json={"requests": requests})
    assert response.status_code == 200, response.text
    return response.json()


def wait_ended(client: httpx.Client, batch_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """Poll until ended; on the way, the counts always add up to the same number of requests."""
    deadline = time.monotonic() + timeout
    totals = set()
    while True:
        batch = client.get(f"/v1/messages/batches/{batch_id}").json()
        totals.add(sum(batch["request_counts"].values()))
        assert len(totals) == 1, (totals, batch)
        if batch["processing_status"] == "ended":
            return batch
        assert time.monotonic() < deadline, batch
        time.sleep(0.01)


def results(client: httpx.Client, batch_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(f"/v1/messages/batches/{batch_id}/results")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-jsonl"
    lines = [json.loads(line) for line in response.text.splitlines()]
    by_id = {line["custom_id"]: line["result"] for line in lines}
    assert len(by_id) == len(lines)
    return by_id


def error_of(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error" and set(body["error"]) == {"type", "message"}, body
    assert body["error"]["type"] == kind, body
    return body["error"]["message"]


# ---- the batch object and results of every kind ----------------------------------------------------


def test_batch_object_and_results_of_each_kind(anthropic_client):
    client = anthropic_client()
    batch = create(client, [
        request("plain", "question one"),
        request("blocks", system=[{"type": "text", "text": "Be brief."}],
                messages=[{"role": "user", "content": [{"type": "text", "text": "part a "},
                                                        {"type": "text", "text": "part b"}]}]),
        request("cut", "a long question " * 20, max_tokens=2),
        request("fails", "please [[fail]]"),
        request("no-model", model="claude-unknown"),
        request("extra_field", response_format={"type": "json_object"}),
        request("tool-block", messages=[{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "t1", "content": "x"}]}]),
    ])
    assert set(batch) == BATCH_FIELDS
    assert batch["id"].startswith("msgbatch_") and batch["type"] == "message_batch"
    assert set(batch["request_counts"]) == COUNTS and sum(batch["request_counts"].values()) == 7
    assert batch["processing_status"] in ("in_progress", "ended")
    created = datetime.fromisoformat(batch["created_at"].replace("Z", "+00:00"))
    assert RFC3339.match(batch["created_at"]) and RFC3339.match(batch["expires_at"])
    assert datetime.fromisoformat(batch["expires_at"].replace("Z", "+00:00")) - created == timedelta(hours=24)
    assert batch["archived_at"] is None and batch["cancel_initiated_at"] is None

    done = wait_ended(client, batch["id"])
    assert done["request_counts"] == {"processing": 0, "succeeded": 3, "errored": 4, "canceled": 0, "expired": 0}
    assert RFC3339.match(done["ended_at"]) and done["ended_at"] >= done["created_at"]
    assert done["results_url"] == f"{ROOT}/v1/messages/batches/{batch['id']}/results"

    found = results(client, batch["id"])
    assert set(found) == {"plain", "blocks", "cut", "fails", "no-model", "extra_field", "tool-block"}
    plain = found["plain"]
    assert plain["type"] == "succeeded"
    message = plain["message"]
    assert set(message) == {"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"}
    assert message["id"].startswith("msg_") and message["type"] == "message" and message["role"] == "assistant"
    assert message["model"] == MODEL and message["content"] == [{"type": "text", "text": "echo: question one"}]
    assert message["stop_reason"] == "end_turn" and message["stop_sequence"] is None
    assert set(message["usage"]) == {"input_tokens", "output_tokens"} and message["usage"]["output_tokens"] > 0

    blocks = found["blocks"]["message"]
    assert blocks["content"][0]["text"] == "echo: part a part b"   # text blocks joined, system apart
    assert blocks["usage"]["input_tokens"] == 6                      # "Be brief." + "part a part b": 22 chars
    assert found["cut"]["message"]["stop_reason"] == "max_tokens"
    assert found["fails"] == {"type": "errored", "error": {"type": "error", "error": {
        "type": "invalid_request_error", "message": "echo engine: the last user message contains the [[fail]] marker"}}}
    assert found["no-model"]["error"]["error"] == {"type": "not_found_error", "message": "model: claude-unknown"}
    assert found["extra_field"]["error"]["error"]["message"] == "response_format: Extra inputs are not permitted"
    assert "tool_result" in found["tool-block"]["error"]["error"]["message"]


def test_several_models_in_one_batch(anthropic_client):
    client = anthropic_client(models=["claude-sonnet-4-5"])
    batch = create(client, [request("a", model=MODEL), request("b", model="claude-sonnet-4-5"),
                            request("c", model=MODEL)])
    assert wait_ended(client, batch["id"])["request_counts"]["succeeded"] == 3
    found = results(client, batch["id"])
    assert {k: v["message"]["model"] for k, v in found.items()} == {"a": MODEL, "b": "claude-sonnet-4-5", "c": MODEL}


def test_stop_sequences_and_structured_output_reach_the_engine(anthropic_client):
    schema = {"type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"],
              "additionalProperties": False}
    client = anthropic_client()
    batch = create(client, [request("structured", output_config={"format": {"type": "json_schema", "schema": schema}},
                                    stop_sequences=["\n\n"], temperature=0, top_p=1, top_k=5,
                                    metadata={"user_id": "u1"}, thinking={"type": "disabled"})])
    wait_ended(client, batch["id"])
    answer = results(client, batch["id"])["structured"]
    assert answer["type"] == "succeeded", answer
    assert set(json.loads(answer["message"]["content"][0]["text"])) == {"label"}


def test_a_batch_of_only_refused_requests_ends_at_once(anthropic_client):
    client = anthropic_client()
    batch = create(client, [request("streamed", stream=True), request("unknown", model="nope")])
    assert batch["processing_status"] == "ended" and batch["ended_at"] == batch["created_at"]
    assert batch["request_counts"]["errored"] == 2
    found = results(client, batch["id"])
    assert found["streamed"]["error"]["error"]["message"].startswith("stream:")


def test_results_exist_only_once_ended(anthropic_client):
    client = anthropic_client(delay_ms=20)
    batch = create(client, [request(f"r{i}") for i in range(30)])
    assert batch["results_url"] is None
    message = error_of(client.get(f"/v1/messages/batches/{batch['id']}/results"), 400, "invalid_request_error")
    assert "not ended" in message
    error_of(client.delete(f"/v1/messages/batches/{batch['id']}"), 400, "invalid_request_error")
    client.post(f"/v1/messages/batches/{batch['id']}/cancel")
    wait_ended(client, batch["id"])
    assert len(results(client, batch["id"])) == 30


def test_cancel_leaves_unanswered_requests_canceled(anthropic_client):
    client = anthropic_client(delay_ms=5)
    batch = create(client, [request(f"r{i}") for i in range(300)])
    canceling = client.post(f"/v1/messages/batches/{batch['id']}/cancel").json()
    assert canceling["processing_status"] in ("canceling", "ended")
    assert RFC3339.match(canceling["cancel_initiated_at"])
    done = wait_ended(client, batch["id"])
    counts = done["request_counts"]
    assert counts["canceled"] > 0 and counts["succeeded"] + counts["canceled"] == 300
    assert done["cancel_initiated_at"] == canceling["cancel_initiated_at"]
    found = results(client, batch["id"])
    assert sum(r == {"type": "canceled"} for r in found.values()) == counts["canceled"]
    message = error_of(client.post(f"/v1/messages/batches/{batch['id']}/cancel"), 400, "invalid_request_error")
    assert "already ended" in message


def test_requests_past_the_deadline_expire(anthropic_client):
    client = anthropic_client(delay_ms=20, completion_window="0.3s")
    batch = create(client, [request(f"r{i}") for i in range(100)])
    created = datetime.fromisoformat(batch["created_at"].replace("Z", "+00:00"))
    window = datetime.fromisoformat(batch["expires_at"].replace("Z", "+00:00")) - created
    assert abs(window - timedelta(seconds=0.3)) < timedelta(microseconds=2)
    done = wait_ended(client, batch["id"])
    assert done["request_counts"]["expired"] > 0 and done["cancel_initiated_at"] is None
    found = results(client, batch["id"])
    assert sum(r == {"type": "expired"} for r in found.values()) == done["request_counts"]["expired"]


def test_requests_the_worker_refuses_end_errored(anthropic_client):
    # The upstream cannot say which models it serves: every request errors with that reason.
    client = anthropic_client(engine="openai", upstream="http://127.0.0.1:9/v1", timeout=1, max_retries=0)
    batch = create(client, [request("a"), request("b")])
    done = wait_ended(client, batch["id"])
    assert done["request_counts"]["errored"] == 2
    for result in results(client, batch["id"]).values():
        assert result["type"] == "errored" and "upstream" in result["error"]["error"]["message"]


def test_batches_survive_a_restart(anthropic_client, tmp_path):
    client = anthropic_client(tmp_path / "kept")
    batch = create(client, [request("a"), request("b", "x [[fail]]")])
    wait_ended(client, batch["id"])
    first = client.get(f"/v1/messages/batches/{batch['id']}/results").text
    client._transport.close()
    again = anthropic_client(tmp_path / "kept")
    assert again.get(f"/v1/messages/batches/{batch['id']}").json()["request_counts"]["errored"] == 1
    assert again.get(f"/v1/messages/batches/{batch['id']}/results").text == first


def test_delete_forgets_the_batch_and_its_files(anthropic_client, tmp_path):
    client = anthropic_client()
    batch = create(client, [request("a"), request("b", model="nope")])
    wait_ended(client, batch["id"])
    results(client, batch["id"])
    assert any((tmp_path / "local" / "files").iterdir())
    deleted = client.delete(f"/v1/messages/batches/{batch['id']}")
    assert deleted.json() == {"id": batch["id"], "type": "message_batch_deleted"}
    error_of(client.get(f"/v1/messages/batches/{batch['id']}"), 404, "not_found_error")
    assert not any((tmp_path / "local" / "files").iterdir())
    with sqlite3.connect(tmp_path / "local" / "specrun-local.sqlite3") as db:
        assert [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("files", "batches", "message_batches")] == [0, 0, 0]


# ---- creation checks and limits ---------------------------------------------------------------------


@pytest.mark.parametrize("body, where", [
    ({"requests": []}, "requests"),
    ({}, "requests"),
    ([1], "JSON object"),
    ({"requests": [{"custom_id": "a"}]}, "requests.0.params"),
    ({"requests": [{"custom_id": "a", "params": {"model": MODEL, "messages": [{"role": "user", "content": "x"}]}}]},
     "requests.0.params.max_tokens: Field required"),
    ({"requests": [request("a", max_tokens=0)]}, "requests.0.params.max_tokens"),
    ({"requests": [request("a", max_tokens=True)]}, "requests.0.params.max_tokens"),
    ({"requests": [request("has space")]}, "requests.0.custom_id"),
    ({"requests": [request("x" * 65)]}, "requests.0.custom_id"),
    ({"requests": [request("a"), request("a")]}, "requests.1.custom_id: Duplicate custom_id 'a'"),
    ({"requests": [request("a", messages=[])]}, "requests.0.params.messages"),
    ({"requests": [request("a", messages=[{"role": "system", "content": "x"}])]}, "requests.0.params.messages.0.role"),
    ({"requests": [request("a", messages=[{"role": "user", "content": 5}])]}, "requests.0.params.messages.0.content"),
    ({"requests": [request("a", system=[{"type": "text"}])]}, "requests.0.params.system.0.text"),
    ({"requests": [request("a", stop_sequences="\n")]}, "requests.0.params.stop_sequences"),
    ({"requests": [request("a", model="")]}, "requests.0.params.model"),
])
def test_broken_batches_are_refused_at_creation(anthropic_client, body, where):
    client = anthropic_client()
    message = error_of(client.post("/v1/messages/batches", json=body), 400, "invalid_request_error")
    assert where in message
    assert client.get("/v1/messages/batches").json()["data"] == []


def test_not_json_is_a_400(anthropic_client):
    client = anthropic_client()
    error_of(client.post("/v1/messages/batches", content=b"{nope"), 400, "invalid_request_error")


def test_request_and_size_limits(anthropic_client, served):
    client = anthropic_client(message_batch_max_requests=3, message_batch_max_bytes=4000)
    message = error_of(client.post("/v1/messages/batches", json={"requests": [request(f"r{i}") for i in range(4)]}),
                       400, "invalid_request_error")
    assert "at most 3 requests" in message
    create(client, [request(f"r{i}") for i in range(3)])
    big = {"requests": [request("big", "x" * 5000)]}
    error_of(client.post("/v1/messages/batches", json=big), 413, "request_too_large")

    server = served(message_batch_max_bytes=4000)
    root = server.url.removesuffix("/v1")
    over_http = httpx.Client(base_url=root, headers=VERSION)
    error_of(over_http.post("/v1/messages/batches", json=big), 413, "request_too_large")
    chunked = (chunk for chunk in [json.dumps(big).encode()[:3000], json.dumps(big).encode()[3000:]])
    error_of(over_http.post("/v1/messages/batches", content=chunked), 413, "request_too_large")
    assert over_http.post("/v1/messages/batches", json={"requests": [request("small")]}).status_code == 200


# ---- listing and isolation ------------------------------------------------------------------------


def test_listing_newest_first_with_before_and_after(anthropic_client):
    client = anthropic_client()
    ids = [create(client, [request("a")])["id"] for _ in range(5)]
    newest_first = ids[::-1]
    first = client.get("/v1/messages/batches", params={"limit": 2}).json()
    assert [b["id"] for b in first["data"]] == newest_first[:2] and first["has_more"] is True
    assert (first["first_id"], first["last_id"]) == (newest_first[0], newest_first[1])
    second = client.get("/v1/messages/batches", params={"limit": 2, "after_id": first["last_id"]}).json()
    assert [b["id"] for b in second["data"]] == newest_first[2:4] and second["has_more"] is True
    last = client.get("/v1/messages/batches", params={"limit": 2, "after_id": second["last_id"]}).json()
    assert [b["id"] for b in last["data"]] == newest_first[4:] and last["has_more"] is False
    back = client.get("/v1/messages/batches", params={"limit": 2, "before_id": last["first_id"]}).json()
    assert [b["id"] for b in back["data"]] == newest_first[2:4] and back["has_more"] is True
    everything = client.get("/v1/messages/batches").json()
    assert [b["id"] for b in everything["data"]] == newest_first and everything["has_more"] is False
    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "x"}, {"before_id": ids[0], "after_id": ids[1]}):
        error_of(client.get("/v1/messages/batches", params=bad), 400, "invalid_request_error")


def test_message_batches_and_openai_batches_do_not_see_each_other(anthropic_client):
    client = anthropic_client()
    message_batch = create(client, [request("a")])
    wait_ended(client, message_batch["id"])
    results(client, message_batch["id"])
    openai_style = httpx.Client(transport=client._transport, base_url=ROOT + "/v1")
    assert openai_style.get("/batches").json()["data"] == []
    assert openai_style.get("/files").json()["data"] == []
    assert openai_style.get(f"/batches/{message_batch['id']}").status_code == 404
    batch = create_batch(openai_style, requests_file(2))
    assert [b["id"] for b in client.get("/v1/messages/batches").json()["data"]] == [message_batch["id"]]
    error_of(client.get(f"/v1/messages/batches/{batch['id']}"), 404, "not_found_error")
    # the OpenAI-style routes keep their own error shape
    assert set(openai_style.get("/batches/nope").json()["error"]) == {"message", "type", "param", "code"}


# ---- auth, headers, errors, faults ----------------------------------------------------------------


def test_keys_scope_message_batches_to_their_owner(anthropic_client):
    alice = anthropic_client(api_keys=["key-alice", "key-bob"], headers={**VERSION, "x-api-key": "key-alice"})
    transport = alice._transport
    bob = httpx.Client(transport=transport, base_url=ROOT, headers={**VERSION, "x-api-key": "key-bob"})
    bearer = httpx.Client(transport=transport, base_url=ROOT, headers={**VERSION, "authorization": "Bearer key-alice"})
    batch = create(alice, [request("a")])
    assert bearer.get(f"/v1/messages/batches/{batch['id']}").status_code == 200
    error_of(bob.get(f"/v1/messages/batches/{batch['id']}"), 404, "not_found_error")
    error_of(bob.post(f"/v1/messages/batches/{batch['id']}/cancel"), 404, "not_found_error")
    assert bob.get("/v1/messages/batches").json()["data"] == []

    anonymous = httpx.Client(transport=transport, base_url=ROOT, headers=VERSION)
    assert "x-api-key" in error_of(anonymous.get("/v1/messages/batches"), 401, "authentication_error")
    wrong = httpx.Client(transport=transport, base_url=ROOT, headers={**VERSION, "x-api-key": "nope"})
    error_of(wrong.get("/v1/messages/batches"), 401, "authentication_error")
    # OpenAI-style routes still want a Bearer key
    assert httpx.Client(transport=transport, base_url=ROOT, headers={"x-api-key": "key-alice"}) \
        .get("/v1/files").json()["error"]["code"] == "missing_api_key"


def test_anthropic_version_header_is_required(anthropic_client):
    client = anthropic_client(headers={})
    message = error_of(client.get("/v1/messages/batches"), 400, "invalid_request_error")
    assert "anthropic-version" in message
    assert client.get("/v1/files").status_code == 200          # not on the OpenAI-style routes


def test_unknown_routes_answer_in_anthropic_shape(anthropic_client):
    client = anthropic_client()
    error_of(client.get("/v1/messages/batches/x/nothing"), 404, "not_found_error")
    error_of(client.put("/v1/messages/batches"), 405, "invalid_request_error")
    response = client.get("/v1/messages/batches")
    assert response.headers["request-id"].startswith("req_")


def test_injected_faults_take_the_anthropic_shape(anthropic_client):
    client = anthropic_client(fault_rate=1.0, fault_seed=5, fault_retry_after=0.05)
    seen: dict[int, httpx.Response] = {}
    for _ in range(80):
        response = client.get("/v1/messages/batches")
        seen[response.status_code] = response
    assert set(seen) == {429, 500, 502, 503, 529}
    kinds = {status: response.json()["error"]["type"] for status, response in seen.items()}
    assert kinds == {429: "rate_limit_error", 500: "api_error", 502: "api_error", 503: "api_error",
                     529: "overloaded_error"}
    for status in (429, 503, 529):
        assert seen[status].headers["retry-after-ms"] == "50"


def test_late_faults_create_the_batch_then_answer_500(anthropic_client):
    client = anthropic_client(late_fault_rate=1.0, fault_seed=3)
    error_of(client.post("/v1/messages/batches", json={"requests": [request("a")]}), 500, "api_error")
    assert len(client.get("/v1/messages/batches").json()["data"]) == 1


def test_a_data_directory_from_before_message_batches_gains_them(anthropic_client, tmp_path):
    data = tmp_path / "old"
    client = anthropic_client(data)
    openai_style = httpx.Client(transport=client._transport, base_url=ROOT + "/v1")
    old_batch = create_batch(openai_style, requests_file(2))
    client._transport.close()
    with sqlite3.connect(data / "specrun-local.sqlite3") as db:   # as an older specrun left it
        db.execute("DROP TABLE message_batches")
    again = anthropic_client(data)
    batch = create(again, [request("a")])
    assert wait_ended(again, batch["id"])["request_counts"]["succeeded"] == 1
    assert httpx.Client(transport=again._transport, base_url=ROOT + "/v1") \
        .get(f"/batches/{old_batch['id']}").status_code == 200
